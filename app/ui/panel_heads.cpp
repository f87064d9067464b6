// Heads: the head atlas of the model (core/trace/head_atlas.hpp) — every attention head scored on a probe of
// repeated random tokens — as a layers × heads grid coloured by the chosen score, each cell tagged with the head's
// strongest behaviour and a tooltip with all its scores. The atlas is the engine worker's job (atlas_job.hpp): a
// button asks for it, a progress bar shows it and Cancel drops it; it is cached per model file, so the second time
// it is there at once. Clicking a cell selects that head for every panel (the Attention panel opens it on a double
// click) and shows its heatmap on the probe and on the current context; "Confirm by ablation" zeroes the head and
// shows how the loss on the probe's repeated half changes. A linear-attention layer (qwen35's DeltaNet) is one grey
// row, "linear attention — no attention pattern", not a row of zeros.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/gl/colormap.hpp"
#include "app/gl/heatmap.hpp"
#include "app/ui/attention_image.hpp"
#include "app/ui/heatmap_view.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/token_text.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {

using core::HeadScores;

struct HeadsView {
    // The grid's colours, made from this atlas and score.
    std::shared_ptr<const core::HeadAtlas> atlas;
    int score   = -1;
    bool magma  = false;
    float v_max = 1.0f;
    std::vector<uint32_t> colours;  // [n_layer][n_head]
    std::vector<std::string> probe_labels;
    // The selected head's heatmaps: on the probe, and on the context (the Derived matrix it was made from).
    std::shared_ptr<const core::derive::AttnMatrix> probe_src;
    gl::HeatmapTexture probe_tex;
    std::shared_ptr<const core::Derived> ctx_src;
    gl::HeatmapTexture ctx_tex;
    std::vector<float> buf;
    std::vector<std::string> ctx_labels;
    uint64_t ctx_labels_version = 0;
    ScreenRect grid;  // where the grid was last drawn (w = 0: not drawn)
};

namespace {

struct Score {
    const char* name;
    const char* help;
    float HeadScores::*field;
    bool unit;  // a share of the attention in [0, 1] (else coloured from 0 to the atlas's largest value)
};
constexpr Score kScores[] = {
    {"previous-token", "weight on the position just before the query", &HeadScores::prev_token, true},
    {"first-token", "weight on position 0 (BOS)", &HeadScores::first_token, true},
    {"self", "weight on the query's own position", &HeadScores::self, true},
    {"duplicate-token", "in the repeated half, weight on the earlier copy of the same token", &HeadScores::duplicate,
     true},
    {"induction", "in the repeated half, weight on the token that followed the earlier copy", &HeadScores::induction,
     true},
    {"sink", "weight on the head's sink columns (keys most later queries give a large share)", &HeadScores::sink, true},
    {"entropy", "bits of the attention row: low = focused on few keys, high = spread out", &HeadScores::entropy_bits,
     false},
    {"window", "positions back that hold 90 % of the weight: small = a local head", &HeadScores::window, false},
};

const char* short_tag(std::string_view tag) {
    if (tag == "previous-token") return "prev";
    if (tag == "first-token") return "first";
    if (tag == "self") return "self";
    if (tag == "duplicate-token") return "dup";
    if (tag == "induction") return "ind";
    return "";
}

const char* tag_meaning(std::string_view tag) {
    if (tag == "previous-token") return "it reads the token just before the query: the basis of bigram-like features.";
    if (tag == "first-token")
        return "it parks its weight on position 0, an attention sink: a head with nothing to read puts its weight "
               "there.";
    if (tag == "self") return "it reads the query's own position.";
    if (tag == "duplicate-token") return "in the repeated half it finds the earlier copy of the same token.";
    if (tag == "induction")
        return "in the repeated half it reads what followed the earlier copy: it lets the model continue a sequence "
               "it has seen. Zeroing it should make the repeated half harder to predict.";
    return "none of the behaviours reaches 0.3 on the probe: its attention is spread out or does something else.";
}

gl::Colormap colormap_of(const UiState& ui) {
    return ui.attention.magma ? gl::Colormap::Magma : gl::Colormap::Viridis;
}

void refresh_grid(const UiState& ui, HeadsView& v, const std::shared_ptr<const core::HeadAtlas>& a,
                  const core::Model* model) {
    const int score = std::clamp(ui.heads.score, 0, int(std::size(kScores)) - 1);
    if (v.atlas == a && v.score == score && v.magma == ui.attention.magma) return;
    if (v.atlas != a) {
        v.probe_labels.clear();
        for (int32_t id : a->probe) v.probe_labels.push_back(token_label(model, id, 12));
    }
    v.atlas        = a;
    v.score        = score;
    v.magma        = ui.attention.magma;
    const Score& s = kScores[size_t(score)];
    v.v_max        = 1.0f;
    if (!s.unit)
        for (const HeadScores& h : a->heads) v.v_max = std::max(v.v_max, h.*s.field);
    v.colours.clear();
    for (const HeadScores& h : a->heads) v.colours.push_back(gl::colormap_u32(colormap_of(ui), h.*s.field / v.v_max));
}

void head_tooltip(const HeadScores& h) {
    ImGui::BeginTooltip();
    ImGui::Text("layer %d head %d: %.*s", h.layer, h.head, int(h.tag.size()), h.tag.data());
    ImGui::Separator();
    for (const Score& s : kScores) ImGui::Text("%-16s %7.3f", s.name, double(h.*s.field));
    if (!h.sink_cols.empty()) {
        std::string cols;
        for (int c : h.sink_cols) {
            if (!cols.empty()) cols += ", ";
            cols += std::to_string(c);
        }
        ImGui::Text("sink columns     %s", cols.c_str());
    }
    ImGui::TextDisabled("click: select this head · double-click: open it in Attention");
    ImGui::EndTooltip();
}

constexpr const char* kLinearExplain =
    "A linear-attention layer (gated DeltaNet): each token reads a fixed-size recurrent state, not weights over the "
    "positions before it, so there is no attention pattern to score. Its heads can still be zeroed or scaled "
    "(Interventions).";

// The request and its progress while there is no atlas yet.
void draw_request(UiState& ui, const core::AtlasState* st) {
    disabled_wrapped(
        "The head atlas scores every attention head on a probe — [BOS], 48 random tokens, the same 48 again — and "
        "tags what each does: previous-token, first-token (a sink), self, duplicate-token, induction. One forward "
        "pass of 97 tokens on the engine thread; the result is kept in the cache folder for this model file.");
    ImGui::Spacing();
    if (st && st->total > 0) {
        char label[64];
        std::snprintf(label, sizeof label, "probe tokens %d / %d", st->done, st->total);
        ImGui::ProgressBar(float(st->done) / float(st->total), ImVec2(ImGui::GetFontSize() * 18.0f, 0.0f), label);
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) ui.heads.wanted = false;
        item_tooltip("Stop building the atlas (nothing is kept).");
        return;
    }
    if (st && !st->error.empty()) {
        ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "%s", st->error.c_str());
        if (ImGui::Button("Try again")) ui.heads.wanted = false;  // the job forgets the error, then it can be asked
        return;
    }
    if (ui.heads.wanted) {
        ImGui::TextDisabled("starting …");
        return;
    }
    if (ImGui::Button("Compute the head atlas")) ui.heads.wanted = true;
    item_tooltip("Score every head of this model on the probe (the engine stays responsive; Cancel stops it).");
}

void draw_toolbar(UiState& ui, const core::AtlasState& st) {
    const float em = ImGui::GetFontSize();
    ImGui::SetNextItemWidth(em * 10.0f);
    int score = std::clamp(ui.heads.score, 0, int(std::size(kScores)) - 1);
    if (ImGui::BeginCombo("colour by", kScores[size_t(score)].name)) {
        for (int i = 0; i < int(std::size(kScores)); ++i) {
            if (ImGui::Selectable(kScores[size_t(i)].name, i == score)) ui.heads.score = i;
            item_tooltip(kScores[size_t(i)].help);
        }
        ImGui::EndCombo();
    }
    item_tooltip(kScores[size_t(score)].help);
    ImGui::SameLine();
    if (ImGui::Button("Open in Attention")) ui.tab_request = CenterTab::Attention;
    item_tooltip("Show the selected head in the Attention panel, on the current context.");
    if (!ui.screenshot) {  // no file names or timings in a screenshot: the same input gives the same pixels
        ImGui::SameLine();
        if (st.from_cache)
            ImGui::TextDisabled("from the cache: %s", st.cache_file.c_str());
        else
            ImGui::TextDisabled("built in %.2f s%s%s", st.seconds, st.cache_file.empty() ? "" : ", cached in ",
                                st.cache_file.c_str());
        if (!st.cache_note.empty()) item_tooltip(("Not cached: " + st.cache_note).c_str());
    }
}

void draw_grid(UiState& ui, HeadsView& v, const core::HeadAtlas& a, float max_h) {
    const float em = ImGui::GetFontSize(), th = ImGui::GetTextLineHeight();
    const float left = em * 3.0f, top = th * 1.2f;
    const float avail_w = ImGui::GetContentRegionAvail().x - left - em;
    const float cw      = std::clamp(avail_w / float(std::max(1, a.n_head)), 4.0f, em * 4.0f);
    const float ch      = std::clamp((max_h - top) / float(std::max(1, a.n_layer)), 4.0f, std::min(cw, em * 2.2f));
    const ImVec2 p0     = ImGui::GetCursorScreenPos();
    const ImVec2 g0(p0.x + left, p0.y + top);
    v.grid          = {g0.x, g0.y, cw * float(a.n_head), ch * float(a.n_layer)};
    ImDrawList* dl  = ImGui::GetWindowDrawList();
    const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    ImGui::SetCursorScreenPos(g0);
    ImGui::InvisibleButton("##atlas_grid", ImVec2(std::max(1.0f, v.grid.w), std::max(1.0f, v.grid.h)));
    const bool hovered   = ImGui::IsItemHovered();
    const CellWindow win = visible_cells(a.n_layer, a.n_head, 1.0f, 0.0f, 0.0f);
    const auto hit       = cell_at(win, v.grid, ImGui::GetIO().MousePos.x, ImGui::GetIO().MousePos.y);
    if (hovered && hit && ImGui::IsMouseClicked(0)) select_layer_head(ui, hit->row, hit->col);
    if (hovered && hit && ImGui::IsMouseDoubleClicked(0)) ui.tab_request = CenterTab::Attention;

    const int step = cw >= em * 1.6f ? 1 : (cw >= em * 0.8f ? 2 : 4);
    for (int h = 0; h < a.n_head; h += step) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%d", h);
        dl->AddText(ImVec2(g0.x + cw * (float(h) + 0.5f) - ImGui::CalcTextSize(buf).x * 0.5f, p0.y), dim, buf);
    }
    const int lstep = ch >= th ? 1 : int(std::ceil(th / ch));
    for (int l = 0; l < a.n_layer; ++l) {
        if (l % lstep == 0) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "L%d", l);
            dl->AddText(ImVec2(g0.x - ImGui::CalcTextSize(buf).x - 4, g0.y + ch * (float(l) + 0.5f) - th * 0.5f), dim,
                        buf);
        }
        if (a.is_linear(l)) {  // one grey band: no attention pattern, nothing measured
            const ImVec2 c0(g0.x, g0.y + ch * float(l)), c1(g0.x + v.grid.w - 1.0f, c0.y + ch - 1.0f);
            dl->AddRectFilled(c0, c1, IM_COL32(52, 54, 60, 255));
            const char* note = core::kLinearAttentionNote.data();
            if (ImGui::CalcTextSize(note).x + 4 <= v.grid.w && th <= ch)
                dl->AddText(ImVec2(c0.x + 4, c0.y + (ch - th) * 0.5f), dim, note);
            continue;
        }
        for (int h = 0; h < a.n_head; ++h) {
            const size_t k = size_t(l) * size_t(a.n_head) + size_t(h);
            const ImVec2 c0(g0.x + cw * float(h), g0.y + ch * float(l));
            const ImVec2 c1(c0.x + cw - 1.0f, c0.y + ch - 1.0f);
            dl->AddRectFilled(c0, c1, k < v.colours.size() ? v.colours[k] : IM_COL32(40, 42, 48, 255));
            const char* tag = short_tag(a.heads[k].tag);
            if (*tag && ImGui::CalcTextSize(tag).x + 2 <= cw && th <= ch) {
                const float val  = a.heads[k].*kScores[size_t(v.score)].field / v.v_max;
                const bool light = gl::luminance(gl::colormap_rgb(colormap_of(ui), val)) > 0.45f;
                dl->AddText(ImVec2(c0.x + (cw - ImGui::CalcTextSize(tag).x) * 0.5f, c0.y + (ch - th) * 0.5f),
                            light ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255), tag);
            }
        }
    }
    // The selected head.
    const ImVec2 s0(g0.x + cw * float(ui.sel.head), g0.y + ch * float(ui.sel.layer));
    dl->AddRect(ImVec2(s0.x - 1, s0.y - 1), ImVec2(s0.x + cw, s0.y + ch), IM_COL32_WHITE, 0.0f, 0, 2.0f);
    if (hovered && hit && a.is_linear(hit->row)) {
        ImGui::BeginTooltip();
        ImGui::Text("layer %d: %s", hit->row, core::kLinearAttentionNote.data());
        ImGui::PushTextWrapPos(em * 28.0f);
        ImGui::TextDisabled("%s", kLinearExplain);
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    } else if (hovered && hit) {
        head_tooltip(a.at(hit->row, hit->col));
    }
    ImGui::SetCursorScreenPos(ImVec2(p0.x, g0.y + v.grid.h + 4));
    const Score& s = kScores[size_t(v.score)];
    ImGui::TextDisabled("colour: %s, 0 → %.2f%s · tag: the head's strongest behaviour (≥ 0.3)", s.name, double(v.v_max),
                        s.unit ? "" : " (the largest here)");
}

// One heatmap of the selected head with its hover tooltip; `labels` names the positions.
void draw_head_heatmap(const char* id, const gl::HeatmapTexture& tex, const std::vector<float>& probs, int n,
                       const std::vector<std::string>& labels, ImVec2 at, float side) {
    const float uv[4] = {0, 0, 1, 1};
    ImGui::SetCursorScreenPos(at);
    ImGui::InvisibleButton(id, ImVec2(side, side));
    draw_texture(tex, at, ImVec2(at.x + side, at.y + side), uv);
    ImGui::GetWindowDrawList()->AddRect(ImVec2(at.x - 1, at.y - 1), ImVec2(at.x + side + 1, at.y + side + 1),
                                        IM_COL32(90, 94, 104, 255));
    if (!ImGui::IsItemHovered() || n <= 0) return;
    const auto hit = cell_at(visible_cells(n, n, 1.0f, 0, 0), {at.x, at.y, side, side}, ImGui::GetIO().MousePos.x,
                             ImGui::GetIO().MousePos.y);
    if (!hit) return;
    auto label = [&](int p) { return p < int(labels.size()) ? labels[size_t(p)].c_str() : "?"; };
    ImGui::BeginTooltip();
    ImGui::Text("%s (%d) → %s (%d)", label(hit->row), hit->row, label(hit->col), hit->col);
    if (hit->col > hit->row)
        ImGui::TextDisabled("masked: a query never sees later keys");
    else
        ImGui::Text("weight %.4f", double(probs[size_t(hit->row) * size_t(n) + size_t(hit->col)]));
    ImGui::EndTooltip();
}

void draw_selected(UiState& ui, HeadsView& v, const core::Snapshot& snap, const core::AtlasState& st) {
    const core::HeadAtlas& a = *st.atlas;
    ImGui::Separator();
    if (a.is_linear(ui.sel.layer)) {
        ImGui::Text("Layer %d: %s", ui.sel.layer, core::kLinearAttentionNote.data());
        disabled_wrapped(kLinearExplain);
        return;
    }
    const HeadScores& h = a.at(ui.sel.layer, ui.sel.head);
    ImGui::Text("Layer %d, head %d: %.*s", h.layer, h.head, int(h.tag.size()), h.tag.data());
    ImGui::SameLine();
    ImGui::TextDisabled("— %s", tag_meaning(h.tag));

    // Ablation first (a line), then the two heatmaps in what is left.
    const core::AtlasAblation* ab = st.ablation.get();
    const bool asked              = ui.heads.ablate_layer == h.layer && ui.heads.ablate_head == h.head;
    if (ImGui::Button("Confirm by ablation")) {
        ui.heads.ablate_layer = h.layer;
        ui.heads.ablate_head  = h.head;
    }
    item_tooltip(
        "Zero this head's output (the intervention zero-head) and measure the model's loss on the probe's repeated "
        "half again: a head the model relies on there (an induction head) makes it rise.");
    if (asked) ImGui::SameLine();
    if (asked && ab && ab->layer == h.layer && ab->head == h.head) {
        const double delta = ab->loss_zeroed - ab->loss;
        ImGui::Text("loss on the repeated half %.4f nats → %.4f with the head zeroed (%+.4f)", ab->loss,
                    ab->loss_zeroed, delta);
        ImGui::SameLine();
        ImGui::TextDisabled("%s", delta > 0.05    ? "— the model relied on this head there"
                                  : delta < -0.05 ? "— the model does better without it there"
                                                  : "— no clear effect on the repeated half");
    } else if (asked && !st.head_error.empty())
        ImGui::TextDisabled("%s", st.head_error.c_str());
    else if (asked)
        ImGui::TextDisabled("running the probe with the head zeroed …");

    const float em = ImGui::GetFontSize(), th = ImGui::GetTextLineHeight();
    const ImVec2 avail                = ImGui::GetContentRegionAvail();
    const float gap                   = em * 2.0f;
    const float side                  = std::max(em * 4.0f, std::min((avail.x - gap) * 0.5f, avail.y - th * 2.0f));
    constexpr const char* kProbeTitle = "on the probe (random tokens, then the same again)";
    const ImVec2 p0                   = ImGui::GetCursorScreenPos();
    ImDrawList* dl                    = ImGui::GetWindowDrawList();
    const ImU32 dim                   = ImGui::GetColorU32(ImGuiCol_TextDisabled);

    // On the probe.
    const core::derive::AttnMatrix* pm = st.probe.get();
    const bool probe_ok                = pm && pm->layer == h.layer && pm->head == h.head;
    dl->AddText(p0, dim, kProbeTitle);
    if (probe_ok) {
        if (v.probe_src != st.probe) {
            v.probe_src = st.probe;
            render_attention(ui.heatmap, pm->probs.data(), pm->n, false, ui.attention.magma, {},
                             snap.model->hp.window(h.layer), v.buf, v.probe_tex);
        }
        draw_head_heatmap("##probe_map", v.probe_tex, pm->probs, pm->n, v.probe_labels, ImVec2(p0.x, p0.y + th * 1.3f),
                          side);
    } else {
        dl->AddText(ImVec2(p0.x, p0.y + th * 1.5f), dim, "deriving …");
    }
    // On the current context (beside the probe's heatmap, or its title when that is wider).
    const float left_w = std::max(side, ImGui::CalcTextSize(kProbeTitle).x);
    const ImVec2 q0(p0.x + left_w + gap, p0.y);
    const core::Derived* d = current_derived(ui, snap);
    dl->AddText(q0, dim, "on the current context");
    if (d && d->has_matrix) {
        if (v.ctx_src != snap.derived) {
            v.ctx_src = snap.derived;
            render_attention(ui.heatmap, d->matrix.probs.data(), d->matrix.n, false, ui.attention.magma, {},
                             snap.model->hp.window(d->matrix.layer), v.buf, v.ctx_tex);
        }
        if (v.ctx_labels_version != snap.version) {
            v.ctx_labels_version = snap.version;
            v.ctx_labels.clear();
            for (const auto& s : snap.steps) v.ctx_labels.push_back(token_label(snap.model.get(), s->token, 12));
        }
        draw_head_heatmap("##ctx_map", v.ctx_tex, d->matrix.probs, d->matrix.n, v.ctx_labels,
                          ImVec2(q0.x, q0.y + th * 1.3f), side);
    } else {
        dl->AddText(ImVec2(q0.x, q0.y + th * 1.5f), dim,
                    snap.steps.empty() ? "evaluate a prompt (Step →) to see it here" : "deriving …");
    }
    ImGui::SetCursorScreenPos(ImVec2(p0.x, p0.y + th * 1.3f + side + 4));
    ImGui::Dummy(ImVec2(1, 1));
}

}  // namespace

void draw_heads_panel(UiState& ui, const core::Snapshot& snap) {
    section_heading(ui, "Heads");
    ui.heads.drawn_frame = ui.frame;
    if (ui.screenshot) ui.heads.wanted = true;  // `tokenscope shot --panel heads`: the atlas, waited for
    if (!ui.views.heads) ui.views.heads = std::make_shared<HeadsView>();
    HeadsView& v               = *ui.views.heads;
    const core::AtlasState* st = snap.atlas.get();
    v.grid.w                   = 0;
    if (!snap.model || !st || !st->atlas) {
        draw_request(ui, st);
        return;
    }
    draw_toolbar(ui, *st);
    refresh_grid(ui, v, st->atlas, snap.model.get());
    draw_grid(ui, v, *st->atlas, ImGui::GetContentRegionAvail().y * 0.45f);
    draw_selected(ui, v, snap, *st);
}

bool heads_grid_rect(const UiState& ui, float rect[4]) {
    if (!ui.views.heads || ui.views.heads->grid.w <= 0) return false;
    ui.views.heads->grid.corners(rect);
    return true;
}

}  // namespace ts::app
