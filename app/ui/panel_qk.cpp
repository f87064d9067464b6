// Q·K scores: for the selected query position, layer and head, the scaled scores q·k/√head_dim against every key
// (future keys masked), then each step of the softmax — subtract the max, exponentiate, divide by the sum — so
// the way from scores to attention weights can be followed number by number. Rows are prepared when the derived
// row changes; long contexts scroll with a list clipper.
#include <imgui.h>
#include <imgui_internal.h>  // MarkIniSettingsDirty

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "app/gl/colormap.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/token_text.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {

struct QkView {
    std::shared_ptr<const core::Derived> src;
    bool by_weight = false;
    int pos = 0, n = 0;
    float max_score = 0, min_score = 0;
    double sum_exp     = 0;
    double sum_weights = 0;  // of the weights the forward pass used: 1 up to rounding
    int argmax         = 0;
    std::vector<double> exps;  // exp(s_j - max), [n]; 0 for masked keys
    std::vector<int> order;    // rows in display order
    std::vector<std::string> labels;
    float q_norm = NAN;
};

namespace {

void rebuild(QkView& v, const UiState& ui, const core::Snapshot& snap, const std::shared_ptr<const core::Derived>& d) {
    v.src                          = d;
    v.by_weight                    = ui.qk_by_weight;
    const core::derive::AttnRow& r = d->row;
    v.pos                          = r.pos;
    v.n                            = r.n;
    v.max_score                    = -INFINITY;
    v.min_score                    = INFINITY;
    for (int j = 0; j <= r.pos && j < r.n; ++j) {
        if (r.scores[size_t(j)] > v.max_score) {
            v.max_score = r.scores[size_t(j)];
            v.argmax    = j;
        }
        if (std::isfinite(r.scores[size_t(j)]))  // -inf: outside a sliding window
            v.min_score = std::min(v.min_score, r.scores[size_t(j)]);
    }
    v.exps.assign(size_t(r.n), 0.0);
    v.sum_exp = 0;
    for (int j = 0; j <= r.pos && j < r.n; ++j) {
        v.exps[size_t(j)] = std::exp(double(r.scores[size_t(j)]) - double(v.max_score));
        v.sum_exp += v.exps[size_t(j)];
    }
    v.sum_weights = 0;
    for (int j = 0; j < r.n; ++j) v.sum_weights += r.probs[size_t(j)];
    v.order.resize(size_t(r.n));
    std::iota(v.order.begin(), v.order.end(), 0);
    if (v.by_weight)
        std::stable_sort(v.order.begin(), v.order.end(),
                         [&](int a, int b) { return r.probs[size_t(a)] > r.probs[size_t(b)]; });
    v.labels.clear();
    for (int j = 0; j < r.n && size_t(j) < snap.steps.size(); ++j)
        v.labels.push_back(token_label(snap.model.get(), snap.steps[size_t(j)]->token, 16));
    // ‖q‖ of this head, from the recorded queries (when the trace kept them).
    v.q_norm = NAN;
    if (size_t(r.pos) < snap.steps.size()) {
        const auto& rec = snap.steps[size_t(r.pos)]->record;
        const int hd    = snap.model->hp.head_dim_of(r.layer);  // gemma4's differ per layer
        if (rec && r.layer < rec->n_layer && (r.head + 1) * hd <= rec->q_dim) {
            const float* q = rec->q_layer(r.layer) + size_t(r.head) * size_t(hd);
            double s       = 0;
            for (int i = 0; i < hd; ++i) s += double(q[i]) * double(q[i]);
            v.q_norm = float(std::sqrt(s));
        }
    }
}

// A horizontal bar in the current table cell: value in [lo, hi], drawn from `zero` (a diverging bar for scores).
void cell_bar(float value, float lo, float hi, float zero, ImU32 col, float width) {
    const ImVec2 p   = ImGui::GetCursorScreenPos();
    const float h    = ImGui::GetTextLineHeight();
    const float span = std::max(hi - lo, 1e-12f);
    auto x_of        = [&](float t) { return p.x + width * std::clamp((t - lo) / span, 0.0f, 1.0f); };
    ImDrawList* dl   = ImGui::GetWindowDrawList();
    const float x0 = x_of(zero), x1 = x_of(value);
    dl->AddRectFilled(ImVec2(std::min(x0, x1), p.y + 2), ImVec2(std::max(x0, x1) + 1.0f, p.y + h - 2), col);
    if (zero > lo && zero < hi) dl->AddLine(ImVec2(x0, p.y), ImVec2(x0, p.y + h), IM_COL32(150, 150, 160, 160));
    ImGui::Dummy(ImVec2(width, h));
}

void draw_summary(UiState& ui, const QkView& v, const core::Snapshot& snap) {
    const auto& hp     = snap.model->hp;
    const int head_dim = ui.sel.layer >= 0 && ui.sel.layer < hp.n_layer ? hp.head_dim_of(ui.sel.layer) : hp.head_dim;
    const float sqrt_d = std::sqrt(float(head_dim));
    ImGui::PushFont(ui.fonts.mono);
    ImGui::Text("query %s (position %d) · layer %d · head %d",
                v.pos < int(v.labels.size()) ? v.labels[size_t(v.pos)].c_str() : "?", v.pos, ui.sel.layer, ui.sel.head);
    ImGui::PopFont();
    char norm[48] = "";
    if (std::isfinite(v.q_norm)) std::snprintf(norm, sizeof norm, ", ‖q‖ = %.3f", double(v.q_norm));
    const float scale = v.src ? v.src->row.scale : 1.0f / sqrt_d;
    ImGui::PushTextWrapPos(0.0f);  // the window's edge: a narrow panel wraps the formulas instead of cutting them
    if (std::fabs(scale * sqrt_d - 1.0f) < 1e-6f)
        ImGui::Text(
            "score_j = q·k_j / √d   with d = head_dim = %d, √d = %.3f%s;   keys after position %d are masked (−∞)",
            head_dim, double(sqrt_d), norm, v.pos);
    else  // a model with a query scale of its own (gemma's query_pre_attn_scalar)
        ImGui::Text(
            "score_j = q·k_j × %.5g (the model's query scale; head_dim = %d)%s;   keys after position %d are "
            "masked (−∞)",
            double(scale), head_dim, norm, v.pos);
    ImGui::Text(
        "m = max score = %.4f (key %d)   →   e_j = exp(score_j − m)   →   Σ e_j = %.5f   →   weight_j = e_j / Σ   "
        "(Σ weight_j = %.4f)",
        double(v.max_score), v.argmax, v.sum_exp, v.sum_weights);
    ImGui::PopTextWrapPos();
    item_tooltip(
        "Subtracting the max before exp() changes nothing in the result (it cancels in the division) but "
        "keeps exp() from overflowing: the largest e_j is exactly 1.");
}

}  // namespace

void draw_qk_panel(UiState& ui, const core::Snapshot& snap) {
    section_heading(ui, "Q·K scores");
    if (!snap.model || snap.steps.empty()) {
        disabled_wrapped("Evaluate a prompt (Step →) to see the scores behind the attention weights.");
        return;
    }
    const core::Derived* d = current_derived(ui, snap);
    const int pos          = selected_pos(ui, snap);
    if (!d || !d->has_row || d->row.pos != pos || d->row.layer != ui.sel.layer || d->row.head != ui.sel.head) {
        if (snap.derived && !snap.derived->error.empty() && !snap.derived_pending)
            disabled_wrapped(snap.derived->error.c_str());
        else
            ImGui::TextDisabled("deriving the scores of position %d …", pos);
        return;
    }
    if (!ui.views.qk) ui.views.qk = std::make_shared<QkView>();
    QkView& v = *ui.views.qk;
    if (v.src != snap.derived || v.by_weight != ui.qk_by_weight) rebuild(v, ui, snap, snap.derived);
    draw_summary(ui, v, snap);
    if (ImGui::Checkbox("order by weight", &ui.qk_by_weight)) ImGui::MarkIniSettingsDirty();
    item_tooltip("List the keys by their attention weight, largest first, instead of by position.");
    ImGui::SameLine();
    layer_head_sliders(ui, snap.model->hp);
    ImGui::SameLine();
    ImGui::TextDisabled("query: click a token or ↑/↓");
    if (const std::string note = kv_sharing_note(snap.model->hp, ui.sel.head, ui.sel.layer); !note.empty()) {
        ImGui::TextDisabled("grouped-query attention: %s", note.c_str());
        item_tooltip(
            "The model stores fewer key/value heads than query heads: several query heads score against the "
            "same keys, each with its own query.");
    }
    // What the score column holds where the family changes it (gemma): the soft-cap and the window.
    const core::Hparams& hp        = snap.model->hp;
    const core::derive::AttnRow& r = d->row;
    const bool capped              = !r.raw_scores.empty();
    if (capped) {
        ImGui::TextDisabled("raw = q·k·scale (scale %.4g); capped = %g·tanh(raw / %g), what the softmax reads",
                            double(r.scale), double(hp.attn_softcap), double(hp.attn_softcap));
        item_tooltip(
            "The soft-cap squashes large scores smoothly towards ±cap, so no single key can take all the "
            "attention; small scores pass almost unchanged. Compare the two columns.");
    }
    if (hp.is_swa(d->row.layer))
        ImGui::TextDisabled("layer %d is a sliding-window layer: only the last %d positions are seen", d->row.layer,
                            hp.n_swa);

    // The columns at their widths and the two bars at 6 em at least: in a narrower panel (a split at 200 %) the table
    // scrolls sideways instead of cutting its right-hand columns off.
    const float em        = ImGui::GetFontSize();
    const int n_cols      = capped ? 8 : 7;
    const float fixed_em  = 3.0f + 8.0f + (capped ? 5.0f : 0.0f) + 5.0f + 6.0f + 6.0f;
    const float pad       = ImGui::GetStyle().CellPadding.x * 2.0f * float(n_cols) + float(n_cols);
    const float needed    = em * (fixed_em + 2.0f * 6.0f) + pad;
    const bool scroll_x   = ImGui::GetContentRegionAvail().x < needed;
    ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV |
                            ImGuiTableFlags_SizingFixedFit;
    if (scroll_x) flags |= ImGuiTableFlags_ScrollX;
    if (!ImGui::BeginTable("qk", n_cols, flags, ImVec2(0, 0), scroll_x ? needed : 0.0f)) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("key", ImGuiTableColumnFlags_WidthFixed, em * 3.0f);
    ImGui::TableSetupColumn("token", ImGuiTableColumnFlags_WidthFixed, em * 8.0f);
    if (capped) ImGui::TableSetupColumn("raw score", ImGuiTableColumnFlags_WidthFixed, em * 5.0f);
    ImGui::TableSetupColumn(capped ? "after cap" : "score q·k/√d", ImGuiTableColumnFlags_WidthFixed, em * 5.0f);
    ImGui::TableSetupColumn("score bar", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableSetupColumn("e = exp(s−m)", ImGuiTableColumnFlags_WidthFixed, em * 6.0f);
    ImGui::TableSetupColumn("weight = e/Σ", ImGuiTableColumnFlags_WidthFixed, em * 6.0f);
    char weight_head[48];
    const float w_max = float(1.0 / std::max(v.sum_exp, 1e-30));  // the argmax's weight: e = 1
    std::snprintf(weight_head, sizeof weight_head, "weight bar (full = %.4f)", double(w_max));
    ImGui::TableSetupColumn(weight_head, ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableHeadersRow();
    const float lo = std::min(0.0f, v.min_score), hi = std::max(0.0f, v.max_score);
    ImGuiListClipper clip;
    clip.Begin(int(v.order.size()));
    while (clip.Step()) {
        for (int row = clip.DisplayStart; row < clip.DisplayEnd; ++row) {
            const int j = v.order[size_t(row)];
            // Later keys (causal mask) and, on a sliding-window layer, keys before the window (score -inf).
            const bool masked = j > r.pos || std::isinf(r.scores[size_t(j)]);
            ImGui::TableNextRow();
            if (j == v.argmax) ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(60, 90, 110, 90));
            ImGui::TableSetColumnIndex(0);
            ImGui::Text("%d", j);
            ImGui::TableSetColumnIndex(1);
            ImGui::PushFont(ui.fonts.mono);
            if (masked) ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
            ImGui::TextUnformatted(size_t(j) < v.labels.size() ? v.labels[size_t(j)].c_str() : "?");
            const int c     = capped ? 1 : 0;  // the raw column shifts the rest by one
            const float raw = capped ? r.raw_scores[size_t(j)] : r.scores[size_t(j)];
            for (int k = 0; k <= c; ++k) {
                ImGui::TableSetColumnIndex(2 + k);
                if (masked)
                    ImGui::TextUnformatted("−∞");
                else
                    ImGui::Text("%+.4f", k < c ? raw : r.scores[size_t(j)]);
            }
            ImGui::PopFont();
            ImGui::TableSetColumnIndex(3 + c);
            if (masked) {
                ImGui::TextUnformatted(j > r.pos ? "masked: a later key" : "masked: outside the sliding window");
            } else {
                const ImU32 col = r.scores[size_t(j)] >= 0 ? IM_COL32(94, 201, 98, 220) : IM_COL32(59, 82, 139, 230);
                cell_bar(r.scores[size_t(j)], lo, hi, 0.0f, col, ImGui::GetContentRegionAvail().x);
                if (ImGui::IsItemHovered()) {
                    if (capped)
                        ImGui::SetTooltip("q·k = %.4f, × %.4g → raw %.4f, capped → %.4f; minus the max → %.4f",
                                          raw / r.scale, double(r.scale), raw, r.scores[size_t(j)],
                                          r.scores[size_t(j)] - v.max_score);
                    else
                        ImGui::SetTooltip("q·k = %.4f, × %.4g → %.4f; minus the max → %.4f", raw / r.scale,
                                          double(r.scale), r.scores[size_t(j)], r.scores[size_t(j)] - v.max_score);
                }
            }
            ImGui::TableSetColumnIndex(4 + c);
            ImGui::PushFont(ui.fonts.mono);
            ImGui::Text("%.5f", v.exps[size_t(j)]);
            ImGui::TableSetColumnIndex(5 + c);
            ImGui::Text("%.4f", r.probs[size_t(j)]);
            ImGui::PopFont();
            if (masked) ImGui::PopStyleColor();
            ImGui::TableSetColumnIndex(6 + c);
            if (!masked)
                cell_bar(r.probs[size_t(j)], 0.0f, w_max, 0.0f,
                         gl::colormap_u32(gl::Colormap::Viridis, 0.35f + 0.65f * r.probs[size_t(j)] / w_max),
                         ImGui::GetContentRegionAvail().x);
        }
    }
    ImGui::EndTable();
}

}  // namespace ts::app
