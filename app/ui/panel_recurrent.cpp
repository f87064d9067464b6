// The Attention panel on a recurrent layer (qwen35's gated DeltaNet, ARCHITECTURE §2): such a layer computes no
// attention weights, so there is no query × key heatmap to draw. What it does compute, per token and value head, is
// shown instead as three heads × positions strips: the decay factor exp(g) the state is multiplied by, the write
// strength β, and the state's norm ‖S‖_F after the token's update. The numbers are the trace's
// (core/trace/recurrent.hpp: the forward pass's lin_decay, lin_beta and lin_state_norm rows as the recorder kept
// them); positions whose record the trace budget dropped are grey. Hover: the exact values of a cell; click: select
// its position (as in the other panels). Textures are rebuilt only when the snapshot, the layer or the colour map
// change.
#include <imgui.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/gl/colormap.hpp"
#include "app/gl/heatmap.hpp"
#include "app/ui/attention_image.hpp"
#include "app/ui/format.hpp"
#include "app/ui/heatmap_view.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/plot_frame.hpp"
#include "app/ui/token_text.hpp"
#include "app/ui/widgets.hpp"
#include "core/trace/recurrent.hpp"

namespace ts::app {

namespace {

enum Strip { kDecay, kBeta, kNorm, kStrips };

struct StripDesc {
    const char* title;
    const char* help;
};
constexpr std::array<StripDesc, kStrips> kStripDescs = {{
    {"decay exp(g): how much of the state each token keeps",
     "Stage lin_decay gives g = ssm_a · softplus(ssm_alpha·x + ssm_dt) ≤ 0 per value head; the state is multiplied "
     "by exp(g) before the token writes. 1 (bright): the head keeps everything; near 0 (dark): it forgets."},
    {"write strength β",
     "Stage lin_beta: β = sigmoid(ssm_beta·x) per value head, how much of the correction β·(v − S^T·k) this token "
     "writes into the state. Near 1: the value replaces what the state held at this key; near 0: barely written."},
    {"state norm ‖S‖ after the token",
     "Stage lin_state_norm: the Frobenius norm of each head's d × d state after this token's update — how much the "
     "fixed-size memory holds, not where it looks."},
}};

}  // namespace

struct RecurrentView {
    uint64_t version = 0;  // what the textures were made from
    int layer        = -1;
    bool magma       = false;
    core::RecurrentSeries s;
    std::string error;
    std::array<gl::HeatmapTexture, kStrips> tex;
    std::vector<float> buf;  // [n_head][n_pos] scratch
    std::vector<std::string> labels;
    // As last drawn (tests): the strips' rectangles and the hovered cell.
    std::array<ScreenRect, kStrips> rects{};
    RecurrentCell hover;
};

namespace {

const std::vector<float>& series_of(const core::RecurrentSeries& s, int strip) {
    return strip == kDecay ? s.decay : strip == kBeta ? s.beta : s.state_norm;
}

void rebuild(UiState& ui, RecurrentView& v, const core::Snapshot& snap, int layer) {
    v.version = snap.version;
    v.layer   = layer;
    v.magma   = ui.attention.magma;
    auto r    = core::recurrent_series(snap.model->hp, snap.steps, layer);
    v.error   = r ? std::string() : r.error().message;
    v.s       = r ? std::move(*r) : core::RecurrentSeries{};
    v.labels.resize(snap.steps.size());
    for (size_t p = 0; p < snap.steps.size(); ++p)
        v.labels[p] = token_label(snap.model.get(), snap.steps[p]->token, 14);
    if (!r || !ui.heatmap || v.s.n_pos == 0 || v.s.n_head == 0) return;
    const int T = v.s.n_pos, H = v.s.n_head;
    v.buf.resize(size_t(T) * size_t(H));
    for (int strip = 0; strip < kStrips; ++strip) {
        const std::vector<float>& src = series_of(v.s, strip);
        for (int h = 0; h < H; ++h)  // heads as rows, positions as columns
            for (int p = 0; p < T; ++p) v.buf[size_t(h) * size_t(T) + size_t(p)] = v.s.at(src, p, h);
        const float hi = strip == kNorm ? std::max(v.s.max_state_norm, 1e-6f) : 1.0f;
        ui.heatmap->render(v.buf.data(), H, T, 0.0f, hi, v.magma ? gl::Colormap::Magma : gl::Colormap::Viridis,
                           v.tex[size_t(strip)]);
    }
}

void draw_explanation(const core::Hparams& hp, const RecurrentView& v) {
    char buf[900];
    std::snprintf(buf, sizeof buf,
                  "Layer %d is a linear-attention (gated DeltaNet) layer: it has no attention matrix. Each of its %d "
                  "value heads keeps a fixed-size state S of %d × %d numbers. At every token the head multiplies S by "
                  "the decay factor exp(g), asks S what it holds at the token's key k (S^T·k), and writes the "
                  "difference to the token's value v, times β, back at that key: S ← exp(g)·S, then "
                  "S ← S + k·(β·(v − S^T·k))^T. The token's query then reads the updated state: o = S^T·q / √%d. "
                  "Nothing grows with the context — the whole past is folded into S — so no weight per earlier "
                  "token exists to be drawn (an \"effective attention\" would have to be reconstructed, and is not "
                  "shown). Below: the gates and the state's size per token and head, as the forward pass computed "
                  "them.",
                  v.layer, v.s.n_head, v.s.d, v.s.d, v.s.d);
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(buf);
    ImGui::PopTextWrapPos();
    ImGui::TextDisabled("state of this layer: %s (conv %s + %d heads × %s), the same at every position",
                        format_bytes(hp.recurrent_floats() * sizeof(float)).c_str(),
                        format_bytes(hp.conv_state_floats() * sizeof(float)).c_str(), v.s.n_head,
                        format_bytes(size_t(v.s.d) * size_t(v.s.d) * sizeof(float)).c_str());
}

void hover_tooltip(const UiState& ui, const RecurrentView& v, int p, int h) {
    const core::RecurrentSeries& s = v.s;
    ImGui::BeginTooltip();
    ImGui::PushFont(ui.fonts.mono);
    ImGui::Text("position %d %s · head %d", p, size_t(p) < v.labels.size() ? v.labels[size_t(p)].c_str() : "", h);
    ImGui::PopFont();
    if (!s.recorded[size_t(p)]) {
        ImGui::TextDisabled("not recorded: the trace budget dropped this position's record");
    } else {
        ImGui::Text("decay  exp(g) = %.6f   (g = %.6f)", double(s.at(s.decay, p, h)), double(s.at(s.g, p, h)));
        ImGui::Text("write  β      = %.6f", double(s.at(s.beta, p, h)));
        ImGui::Text("state  ‖S‖    = %.6f", double(s.at(s.state_norm, p, h)));
        if (p > 0 && s.recorded[size_t(p - 1)])
            ImGui::TextDisabled("‖S‖ before this token: %.6f (then × %.4f, then the write)",
                                double(s.at(s.state_norm, p - 1, h)), double(s.at(s.decay, p, h)));
    }
    ImGui::TextDisabled("layer %d · click: select position %d", v.layer, p);
    ImGui::EndTooltip();
}

// One strip: heads (rows) × positions (columns), head labels on the left, the value range on the right.
void draw_strip(UiState& ui, RecurrentView& v, const core::Snapshot& snap, int strip, float width, float row_h) {
    const core::RecurrentSeries& s = v.s;
    const float em = ImGui::GetFontSize(), th = ImGui::GetTextLineHeight();
    ImGui::TextUnformatted(kStripDescs[size_t(strip)].title);
    item_tooltip(kStripDescs[size_t(strip)].help);
    const float left = em * 4.0f, right = em * 5.0f;
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const ScreenRect rect{p0.x + left, p0.y, std::max(40.0f, width - left - right), row_h * float(s.n_head)};
    v.rects[size_t(strip)] = rect;
    const ImVec2 a(rect.x, rect.y), b(rect.x + rect.w, rect.y + rect.h);
    ImGui::SetCursorScreenPos(a);
    ImGui::PushID(strip);
    ImGui::InvisibleButton("##strip", ImVec2(rect.w, rect.h));
    const bool hovered = ImGui::IsItemHovered(), clicked = ImGui::IsItemClicked(0);
    ImGui::PopID();
    const float uv[4] = {0, 0, 1, 1};
    draw_texture(v.tex[size_t(strip)], a, b, uv);
    ImDrawList* dl  = ImGui::GetWindowDrawList();
    const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    const float cw  = rect.w / float(std::max(1, s.n_pos));
    const int hstep = row_h >= th ? 1 : std::max(1, int(th / row_h + 0.999f));
    char buf[48];
    for (int h = 0; h < s.n_head; h += hstep) {
        std::snprintf(buf, sizeof buf, "head %d", h);
        dl->AddText(ImVec2(p0.x, a.y + row_h * (float(h) + 0.5f) - th * 0.5f), dim, buf);
    }
    dl->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), IM_COL32(90, 94, 104, 255));
    // The colour bar: the value range of the strip, top = the largest.
    const float hi       = strip == kNorm ? s.max_state_norm : 1.0f;
    const auto map       = v.magma ? gl::Colormap::Magma : gl::Colormap::Viridis;
    constexpr int kSteps = 32;
    for (int i = 0; i < kSteps; ++i) {
        const float y0 = a.y + rect.h * float(i) / float(kSteps), y1 = a.y + rect.h * float(i + 1) / float(kSteps);
        dl->AddRectFilled(ImVec2(b.x + em * 0.6f, y0), ImVec2(b.x + em * 1.4f, y1 + 0.5f),
                          gl::colormap_u32(map, 1.0f - (float(i) + 0.5f) / float(kSteps)));
    }
    std::snprintf(buf, sizeof buf, strip == kNorm ? "%.3g" : "%.0f", double(hi));
    dl->AddText(ImVec2(b.x + em * 1.6f, a.y), dim, buf);
    dl->AddText(ImVec2(b.x + em * 1.6f, b.y - th), dim, "0");
    dl->PushClipRect(a, b, true);
    if (snap.n_prompt > 0 && snap.n_prompt < s.n_pos) {  // where the prompt ends, dashed
        const float x = a.x + cw * float(snap.n_prompt);
        for (float t = a.y; t < b.y; t += 8.0f)
            dl->AddLine(ImVec2(x, t), ImVec2(x, t + 4.0f), IM_COL32(255, 255, 255, 150));
    }
    const int sel = selected_pos(ui, snap);
    if (sel >= 0 && sel < s.n_pos)
        dl->AddRect(ImVec2(a.x + cw * float(sel), a.y), ImVec2(a.x + cw * float(sel + 1), b.y),
                    IM_COL32(255, 255, 255, 200), 0.0f, 0, cw >= 4.0f ? 1.5f : 1.0f);
    dl->PopClipRect();
    const ImGuiIO& io = ImGui::GetIO();
    if (hovered && s.n_pos > 0) {
        const int p = std::clamp(int((io.MousePos.x - a.x) / cw), 0, s.n_pos - 1);
        const int h = std::clamp(int((io.MousePos.y - a.y) / row_h), 0, s.n_head - 1);
        v.hover     = RecurrentCell{strip, p, h};
        hover_tooltip(ui, v, p, h);
        if (cw >= 3.0f && row_h >= 3.0f)
            dl->AddRect(ImVec2(a.x + cw * float(p), a.y + row_h * float(h)),
                        ImVec2(a.x + cw * float(p + 1), a.y + row_h * float(h + 1)), ImGui::GetColorU32(ImGuiCol_Text));
        if (clicked) select_position(ui, p);
    }
    // Position ticks under the strip.
    const int step = std::max(1, int(std::ceil(em * 2.5f / std::max(cw, 1e-3f))));
    for (int p = 0; p < s.n_pos; p += step) {
        std::snprintf(buf, sizeof buf, "%d", p);
        dl->AddText(ImVec2(a.x + cw * (float(p) + 0.5f) - ImGui::CalcTextSize(buf).x * 0.5f, b.y + 2.0f), dim, buf);
    }
    ImGui::SetCursorScreenPos(ImVec2(p0.x, b.y + th + 6.0f));
    ImGui::Dummy(ImVec2(1, 1));
}

}  // namespace

void draw_recurrent_layer(UiState& ui, const core::Snapshot& snap) {
    if (!ui.views.recurrent) ui.views.recurrent = std::make_shared<RecurrentView>();
    RecurrentView& v = *ui.views.recurrent;
    const int layer  = ui.sel.layer;
    if (v.version != snap.version || v.layer != layer || v.magma != ui.attention.magma) rebuild(ui, v, snap, layer);
    v.hover = RecurrentCell{};
    v.rects = {};
    if (!v.error.empty()) {
        disabled_wrapped(v.error.c_str());
        return;
    }
    draw_explanation(snap.model->hp, v);
    if (v.s.n_recorded() == 0) {
        disabled_wrapped(
            "No position of this layer is recorded (the trace budget is 0, or dropped them all): the gates and the "
            "state norm are kept with each position's record.");
        return;
    }
    if (v.s.n_recorded() < v.s.n_pos)
        ImGui::TextDisabled("%d of %d positions recorded; the trace budget dropped the older ones (grey)",
                            v.s.n_recorded(), v.s.n_pos);
    const float width = ImGui::GetContentRegionAvail().x;
    const float th    = ImGui::GetTextLineHeightWithSpacing();
    const float per   = (ImGui::GetContentRegionAvail().y - 3.0f * (2.0f * th + 6.0f)) / 3.0f;
    const float row_h = std::clamp(per / float(std::max(1, v.s.n_head)), 3.0f, ImGui::GetFontSize() * 1.6f);
    for (int strip = 0; strip < kStrips; ++strip) draw_strip(ui, v, snap, strip, width, row_h);
}

bool recurrent_strip_rect(const UiState& ui, int strip, float rect[4]) {
    if (!ui.views.recurrent || strip < 0 || strip >= kStrips) return false;
    const ScreenRect& r = ui.views.recurrent->rects[size_t(strip)];
    if (r.w <= 0) return false;
    r.corners(rect);
    return true;
}

RecurrentCell recurrent_hovered_cell(const UiState& ui) {
    return ui.views.recurrent ? ui.views.recurrent->hover : RecurrentCell{};
}

const core::RecurrentSeries* recurrent_series_shown(const UiState& ui) {
    return ui.views.recurrent && ui.views.recurrent->error.empty() ? &ui.views.recurrent->s : nullptr;
}

}  // namespace ts::app
