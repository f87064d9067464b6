// The Softmax & sampling panel: the next-token distribution of the selected position as it passes each sampler stage
// (raw logits → penalties → temperature → top-k → top-p → min-p → final), the cumulative top-p cut, entropy per stage
// and the sampled token. For the newest position the chain is re-run on the UI thread with the sliders' settings
// (ui_state.hpp's sampler_preview), so a slider redraws this panel in the same frame; older positions show the view
// recorded with the settings they were sampled with, or, when the sliders differ, a what-if on their recorded logits
// (marked). In predict mode (predict_mode.hpp) the panel waits for a guess first.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "app/ui/panels.hpp"
#include "app/ui/plot_frame.hpp"
#include "app/ui/predict_mode.hpp"
#include "app/ui/view_sampling.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {

namespace {

using core::sample::SamplerView;
using core::sample::StageKind;
using core::sample::StageView;

void draw_header(UiState& ui, const core::Model& model, const core::StepTrace& st, const ShownSampler& s, int pos,
                 bool busy) {
    const SamplerView& v = *s.view;
    ImGui::Text("Next token after position %d", pos);
    ImGui::SameLine();
    ImGui::PushFont(ui.fonts.mono);
    ImGui::Text("%s", token_label(model, st.token).c_str());
    ImGui::PopFont();
    ImGui::SameLine();
    ImGui::TextUnformatted(st.has_next ? "→ sampled" : "→ the prompt goes on with");
    ImGui::SameLine();
    ImGui::PushFont(ui.fonts.mono);
    ImGui::TextColored(ImVec4(0.90f, 0.62f, 0.0f, 1.0f), "%s", token_label(model, v.chosen).c_str());
    ImGui::PopFont();
    if (!st.has_next) {  // a prompt position: the distribution it produced, nothing drawn
        item_tooltip(
            "A prompt position: the distribution the model produced here, through the sampler's stages with the "
            "settings of the prefill. Nothing was drawn: the orange token is the prompt's next token.");
        ImGui::SameLine();
        ImGui::Text("(id %d, p = %.4f at T = 1, surprisal %.2f bits)", v.chosen, double(v.p_chosen),
                    v.p_chosen > 0 ? -std::log2(double(v.p_chosen)) : INFINITY);
    } else {
        item_tooltip("The token the sampler drew from the final distribution (orange in the charts).");
        ImGui::SameLine();
        if (v.greedy) {
            ImGui::Text("(id %d, p = %.4f, greedy)", v.chosen, double(v.p_chosen));
        } else {
            ImGui::Text("(id %d, p = %.4f, u = %.4f)", v.chosen, double(v.p_chosen), double(v.draw_u));
            item_tooltip(
                "u is the uniform random number of the draw. Walking the final distribution best first, the sampled "
                "token is the first whose cumulative p passes u: select the final card to see it on the curve.");
        }
    }

    const auto& cfg = s.settings;
    char buf[200];
    std::snprintf(buf, sizeof buf, "T = %.2f   top-k = %d   top-p = %.2f   min-p = %.2f   repeat = %.2f   seed = %llu",
                  double(cfg.temp), cfg.top_k, double(cfg.top_p), double(cfg.min_p), double(cfg.repeat_penalty),
                  static_cast<unsigned long long>(cfg.seed));
    ImGui::TextDisabled("%s", buf);
    ImGui::SameLine();
    if (s.live) {
        ImGui::TextColored(ImVec4(0.0f, 0.62f, 0.45f, 1.0f), "live");
        item_tooltip("Re-sampled on this screen with the sliders' settings: no forward pass, the same logits.");
    } else if (s.what_if) {
        draw_what_if_mark(pos, s.complete, st.has_next);
    } else {
        ImGui::TextDisabled("(as recorded)");
        item_tooltip(
            "The settings this position was sampled with. Move a slider to preview a what-if here, or select the "
            "newest position to try new ones live.");
    }
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 1.5f);
    ImGui::BeginDisabled(busy);
    if (ImGui::SmallButton("Apply from here")) apply_sampler_from(ui, pos);
    ImGui::EndDisabled();
    item_tooltip("Forgets the tokens after this position and generates them again with the sliders' sampler settings.");
}

// One small card per stage: the same best tokens (ranked by the raw logits) as bars, so reshaping is visible.
void draw_stage_strip(SoftmaxView& sv, const SamplerView& v, int selected) {
    const StageView* raw = v.stages.empty() ? nullptr : &v.stages.front();
    if (!raw) return;
    const int n_stages = int(v.stages.size());
    const float gap    = ImGui::GetStyle().ItemSpacing.x;
    const float card_w =
        std::max(80.0f, (ImGui::GetContentRegionAvail().x - gap * float(n_stages - 1)) / float(n_stages));
    const float card_h = ImGui::GetTextLineHeightWithSpacing() * 5.5f;
    const int n_tok    = std::min<int>(12, int(raw->top.size()));
    // One scale for every card: the largest p any stage gives these tokens, so the cards compare with each other.
    float p_max = 1e-9f;
    for (const StageView& st : v.stages)
        for (int t = 0; t < n_tok; ++t) p_max = std::max(p_max, stage_p(st, raw->top[size_t(t)].id));
    for (int i = 0; i < n_stages; ++i) {
        const StageView& st = v.stages[size_t(i)];
        if (i > 0) ImGui::SameLine();
        ImGui::PushID(i);
        const ImVec2 p0 = ImGui::GetCursorScreenPos();
        if (ImGui::InvisibleButton("card", ImVec2(card_w, card_h))) sv.stage = i;
        const bool hovered = ImGui::IsItemHovered();
        ImDrawList* dl     = ImGui::GetWindowDrawList();
        const ImVec2 p1(p0.x + card_w, p0.y + card_h);
        dl->AddRectFilled(p0, p1,
                          ImGui::GetColorU32(i == selected ? ImGuiCol_FrameBgActive
                                             : hovered     ? ImGuiCol_FrameBgHovered
                                                           : ImGuiCol_FrameBg),
                          4.0f);
        dl->PushClipRect(p0, p1, true);  // narrow cards (a split view) cut their text instead of overlapping
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s%s", stage_title(st.kind), st.enabled ? "" : " (off)");
        dl->AddText(ImVec2(p0.x + 5, p0.y + 3), ImGui::GetColorU32(st.enabled ? ImGuiCol_Text : ImGuiCol_TextDisabled),
                    buf);
        std::snprintf(buf, sizeof buf, "kept %d  H %.2f bits", st.n_kept, double(nats_to_bits(st.entropy)));
        const float line = ImGui::GetTextLineHeight();
        dl->AddText(ImVec2(p0.x + 5, p1.y - line - 3), ImGui::GetColorU32(ImGuiCol_TextDisabled), buf);
        // bars: p of the raw ranking's best tokens at this stage, on a 0..1 scale
        const float top = p0.y + line + 6, bottom = p1.y - line - 6;
        const float bw = (card_w - 10.0f) / float(std::max(1, n_tok));
        for (int t = 0; t < n_tok; ++t) {
            const int32_t id = raw->top[size_t(t)].id;
            const float p    = stage_p(st, id);
            const float x0   = p0.x + 5 + bw * float(t);
            const float h    = (bottom - top) * std::clamp(p / p_max, 0.0f, 1.0f);
            const ImU32 col  = id == v.chosen ? plot_colors::kOrange : plot_colors::kBlue;
            if (p > 0)
                dl->AddRectFilled(ImVec2(x0 + 1, bottom - std::max(h, 1.0f)), ImVec2(x0 + bw - 1, bottom), col);
            else
                dl->AddLine(ImVec2(x0 + 1, bottom), ImVec2(x0 + bw - 1, bottom), plot_colors::kGrid, 2.0f);
        }
        dl->PopClipRect();
        if (hovered) {
            ImGui::BeginTooltip();
            ImGui::PushTextWrapPos(ImGui::GetFontSize() * 26.0f);
            ImGui::Text("%s: %s", stage_title(st.kind), stage_help(st.kind));
            ImGui::Text(
                "Kept %d candidates carrying %.1f%% of the previous stage's probability mass; entropy %.3f bits.",
                st.n_kept, 100.0 * double(st.mass_kept), double(nats_to_bits(st.entropy)));
            ImGui::TextDisabled(
                "Bars: the %d best tokens by raw logit, their probability after this stage. Click "
                "to show this stage below.",
                n_tok);
            ImGui::PopTextWrapPos();
            ImGui::EndTooltip();
        }
        ImGui::PopID();
    }
}

// The large chart: bars of the selected stage's best candidates, the cumulative probability as a line, and the
// top-p cut (a horizontal line at p and a vertical one after the last kept candidate) on the stage top-p cuts.
void draw_stage_chart(UiState& ui, const core::Model& model, SoftmaxView& sv, const SamplerView& v, int selected,
                      const core::sample::SamplerSettings& cfg, float height) {
    const StageView& st      = v.stages[size_t(selected)];
    const StageView* fin     = find_stage(v, StageKind::Final);
    const StageView* cut_src = top_p_input(v);
    const bool show_cut      = cut_src == &st && cfg.top_p < 1.0f;
    const CumulativeCut cut  = cumulative_cut(st.top, show_cut ? cfg.top_p : 1.0f);
    const int n              = std::min<int>(sv.n_bars, int(st.top.size()));

    char title[160];
    std::snprintf(title, sizeof title, "p after %s (bars: candidates best first), cumulative p (line)",
                  stage_title(st.kind));
    // The rule of this stage, with the numbers it used (p_max: the best p that entered it, for min-p).
    const StageView* prev = selected > 0 ? &v.stages[size_t(selected) - 1] : nullptr;
    const float p_max     = prev && !prev->top.empty() ? prev->top.front().p : 0.0f;
    ImGui::TextDisabled("%s", stage_formula(st.kind, cfg, p_max).c_str());
    PlotAxes ax;
    ax.x_label     = "";  // the title says it: the two rows under the plot are the bars' token labels
    ax.y_label     = title;
    ax.x_min       = 0.5;
    ax.x_max       = double(std::max(n, 1)) + 0.5;
    ax.x_ticks     = 0;
    ax.y_min       = 0;
    ax.y_max       = 1;
    ax.y_ticks     = 4;
    PlotFrame f    = begin_plot("stage_chart", ImVec2(ImGui::GetContentRegionAvail().x, height), ax);
    const float bw = f.width() / float(std::max(n, 1));
    int hovered    = -1;
    // Token labels under the bars: centred under each bar when all fit, else in two staggered rows (each label
    // then has two bars' width) and elided with "…" when still too long: never silently dropped (the tooltip
    // has the whole token).
    ImGui::PushFont(ui.fonts.mono);
    std::vector<std::string> labels(size_t(std::max(n, 0)));
    bool all_fit = true;
    for (int i = 0; i < n; ++i) {
        labels[size_t(i)] = token_label(model, st.top[size_t(i)].id);
        all_fit           = all_fit && ImGui::CalcTextSize(labels[size_t(i)].c_str()).x <= bw - 2.0f;
    }
    sv.label_room = all_fit ? bw - 2.0f : 2.0f * bw - 6.0f;
    sv.bar_labels.assign(labels.size(), {});
    const float line = ImGui::GetTextLineHeight();
    for (int i = 0; i < n; ++i) {
        const std::string shown = elide_to_width(labels[size_t(i)], sv.label_room);
        const float tw          = ImGui::CalcTextSize(shown.c_str()).x;
        const float cx          = f.p0.x + bw * (float(i) + 0.5f);
        const float y           = f.p1.y + 2.0f + (!all_fit && i % 2 == 1 ? line + 2.0f : 0.0f);
        f.dl->AddText(ImVec2(cx - tw * 0.5f, y), ImGui::GetColorU32(ImGuiCol_Text), shown.c_str());
        sv.bar_labels[size_t(i)] = shown;
    }
    ImGui::PopFont();
    for (int i = 0; i < n; ++i) {
        const auto& t     = st.top[size_t(i)];
        const float x0    = f.p0.x + bw * float(i);
        const bool kept   = !fin || stage_p(*fin, t.id) > 0;
        const bool chosen = t.id == v.chosen;
        const ImU32 col   = chosen ? plot_colors::kOrange : kept ? plot_colors::kBlue : IM_COL32(120, 120, 120, 160);
        const ImVec2 top  = f.to_screen(0, double(t.p));
        f.dl->AddRectFilled(ImVec2(x0 + 1.5f, std::min(top.y, f.p1.y - 1.0f)), ImVec2(x0 + bw - 1.5f, f.p1.y), col);
        if (f.hovered && f.mouse.x >= x0 && f.mouse.x < x0 + bw) hovered = i;
        if (chosen)
            f.dl->AddTriangleFilled(ImVec2(x0 + bw * 0.5f - 5, top.y - 10), ImVec2(x0 + bw * 0.5f + 5, top.y - 10),
                                    ImVec2(x0 + bw * 0.5f, top.y - 2), plot_colors::kOrange);
    }
    // cumulative line, from 0 at the left edge through the running sum at each bar's centre
    auto cum_point = [&](int i) {
        return i < 0 ? ImVec2(f.p0.x, f.p1.y)
                     : ImVec2(f.p0.x + bw * (float(i) + 0.5f), f.to_screen(0, double(cut.cum[size_t(i)])).y);
    };
    for (int i = -1; i + 1 < n; ++i) f.dl->AddLine(cum_point(i), cum_point(i + 1), plot_colors::kGreen, 2.0f);
    // The draw on the final distribution: u on the y axis, across to where the cumulative curve passes it, down to
    // the bar it falls in (the sampled one: the draw walks best first, like this curve).
    sv.drawn_u_bar = -1;
    if (st.kind == StageKind::Final && !v.greedy) {
        const int ub = u_bar(st.top, v.draw_u);
        if (ub >= 0 && ub < n) {
            const ImVec2 a = cum_point(ub - 1), b = cum_point(ub);
            const float y = f.to_screen(0, double(v.draw_u)).y;
            const float t = b.y != a.y ? (y - a.y) / (b.y - a.y) : 1.0f;
            const ImVec2 cross(a.x + (b.x - a.x) * std::clamp(t, 0.0f, 1.0f), y);
            const ImU32 col = IM_COL32(235, 235, 235, 230);
            for (float x = f.p0.x; x < cross.x; x += 8.0f)  // dashed
                f.dl->AddLine(ImVec2(x, y), ImVec2(std::min(x + 4.0f, cross.x), y), col, 1.5f);
            f.dl->AddCircleFilled(cross, 4.0f, col);
            const float bx = f.p0.x + bw * (float(ub) + 0.5f);
            f.dl->AddLine(cross, ImVec2(bx, f.to_screen(0, double(st.top[size_t(ub)].p)).y - 12.0f), col, 1.0f);
            char buf[48];
            std::snprintf(buf, sizeof buf, "u = %.4f", double(v.draw_u));
            f.dl->AddText(ImVec2(f.p0.x + 4.0f, y - ImGui::GetTextLineHeight() - 1.0f), col, buf);
            sv.drawn_u_bar = ub;
        }
    }
    if (show_cut) {
        const float y = f.to_screen(0, double(cfg.top_p)).y;
        f.dl->AddLine(ImVec2(f.p0.x, y), ImVec2(f.p1.x, y), plot_colors::kVermilion, 1.5f);
        char buf[64];
        std::snprintf(buf, sizeof buf, "top-p = %.2f", double(cfg.top_p));
        f.dl->AddText(ImVec2(f.p1.x - ImGui::CalcTextSize(buf).x - 4, y - ImGui::GetTextLineHeight() - 1),
                      plot_colors::kVermilion, buf);
        if (cut.in_list && cut.n_kept <= n) {
            const float x = f.p0.x + bw * float(cut.n_kept);
            f.dl->AddLine(ImVec2(x, f.p0.y), ImVec2(x, f.p1.y), plot_colors::kVermilion, 2.0f);
            std::snprintf(buf, sizeof buf, " cut: %d kept", cut.n_kept);
            f.dl->AddText(ImVec2(x + 2, f.p0.y + 2), plot_colors::kVermilion, buf);
        }
    }
    // Min-p's threshold on the distribution it reads: bars under the line are dropped.
    if (min_p_input(v) == &st && cfg.min_p > 0.0f && !st.top.empty()) {
        const double thr = double(cfg.min_p) * double(st.top.front().p);
        const float y    = f.to_screen(0, thr).y;
        f.dl->AddLine(ImVec2(f.p0.x, y), ImVec2(f.p1.x, y), plot_colors::kPurple, 1.5f);
        char buf[64];
        std::snprintf(buf, sizeof buf, "min-p threshold %.4f", thr);
        f.dl->AddText(ImVec2(f.p1.x - ImGui::CalcTextSize(buf).x - 4, y + 1), plot_colors::kPurple, buf);
        sv.min_p_line = float(thr);
    } else {
        sv.min_p_line = -1.0f;
    }
    if (hovered >= 0) {
        const auto& t = st.top[size_t(hovered)];
        ImGui::BeginTooltip();
        ImGui::PushFont(ui.fonts.mono);
        ImGui::Text("%s", token_label(model, t.id).c_str());
        ImGui::PopFont();
        ImGui::Text("rank %d, id %d\nlogit at this stage %.4f\np %.5f   cumulative %.5f", hovered + 1, t.id,
                    double(t.logit), double(t.p), double(cut.cum[size_t(hovered)]));
        if (fin) ImGui::Text("final p %.5f%s", double(stage_p(*fin, t.id)), t.id == v.chosen ? "  (sampled)" : "");
        ImGui::EndTooltip();
    }
    if (show_cut && cut.in_list && cut.n_kept > n)
        ImGui::TextDisabled("The top-p cut falls after rank %d, beyond the %d bars shown.", cut.n_kept, n);
    if (show_cut && !cut.in_list)
        ImGui::TextDisabled("The top-p cut falls beyond the %d listed candidates.", int(st.top.size()));
    if (st.kind != StageKind::Final && !v.greedy)
        ImGui::TextDisabled("u = %.4f: select the final card to see which bar it falls in.", double(v.draw_u));
}

void draw_entropy_table(const SamplerView& v) {
    const ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("stages", 4, flags)) return;
    ImGui::TableSetupColumn("stage");
    ImGui::TableSetupColumn("kept");
    ImGui::TableSetupColumn("mass kept (of the previous stage)");
    ImGui::TableSetupColumn("entropy (bits)");
    ImGui::TableHeadersRow();
    for (const StageView& s : v.stages) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::TextUnformatted(stage_title(s.kind));
        item_tooltip(stage_help(s.kind));
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%d", s.n_kept);
        ImGui::TableSetColumnIndex(2);
        ImGui::Text("%.2f%%", 100.0 * double(s.mass_kept));
        item_tooltip(
            "The share of the previous stage's probability the kept candidates carried, before renormalising. "
            "Stages that reshape rather than remove (penalties, temperature) keep 100%.");
        ImGui::TableSetColumnIndex(3);
        ImGui::Text("%.4f", double(nats_to_bits(s.entropy)));
        item_tooltip("−Σ p·log2(p): 0 bits when one candidate is certain, log2(n) bits when n are equally likely.");
    }
    ImGui::EndTable();
}

}  // namespace

void draw_softmax_panel(UiState& ui, const core::Snapshot& snap) {
    if (!ui.views.softmax) ui.views.softmax = std::make_shared<SoftmaxView>();
    SoftmaxView& sv           = *ui.views.softmax;
    const core::StepTrace* st = step_with_next_token(
        ui, snap, "Nothing evaluated yet: type a prompt and press Step (→) to see the next-token distribution.");
    if (!st) return;
    if (predict_gate(ui, snap, *st)) return;  // predict mode: hidden until a guess is committed
    const int pos            = selected_pos(ui, snap);
    const ShownSampler shown = shown_sampler(ui, snap, *st);
    const SamplerView& v     = *shown.view;
    section_heading(ui, "Softmax & sampling");
    draw_header(ui, *snap.model, *st, shown, pos, engine_busy(snap));
    ImGui::Spacing();

    int selected = sv.stage;
    if (selected < 0 || selected >= int(v.stages.size())) {
        selected                = int(v.stages.size()) - 1;
        const StageView* cut_in = top_p_input(v);
        if (cut_in) selected = int(cut_in - v.stages.data());
    }
    draw_stage_strip(sv, v, selected);
    ImGui::Spacing();

    const float table_h = ImGui::GetTextLineHeightWithSpacing() * float(v.stages.size() + 3);
    const float chart_h = std::max(160.0f, ImGui::GetContentRegionAvail().y - table_h - 8.0f);
    draw_stage_chart(ui, *snap.model, sv, v, selected, shown.settings, chart_h);
    draw_entropy_table(v);
}

}  // namespace ts::app
