// Experts: which experts a mixture-of-experts model (qwen3moe, olmoe, gemma4) ran, per token and layer — a layers ×
// positions grid, each cell split into one stripe per chosen expert, coloured by the expert (a hue of its own) and
// brighter the more weight the router gave it; hovering a cell shows the chosen experts with their weights and the
// router's full distribution over every expert. The numbers are the trace's (PositionRecord::router, experts, expert_w:
// stages ffn_router_probs and ffn_route, as the forward pass computed them); positions the trace budget dropped are
// grey. Also the Journey's lines for the MoE stages (draw_moe_stage).
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/ui/heatmap_view.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/token_text.hpp"
#include "app/ui/widgets.hpp"
#include "core/trace/journey.hpp"

namespace ts::app {

struct ExpertsView {
    ScreenRect grid;  // where the grid was last drawn (w = 0: not drawn)
    int cells = 0;    // cells drawn with a recorded route
};

namespace {

using core::Stage;

// Expert e's colour: hues spread by the golden angle so neighbours differ; brightness from the weight.
ImU32 expert_colour(int e, float weight) {
    const float hue = std::fmod(float(e) * 0.61803398875f, 1.0f);
    const float val = 0.35f + 0.65f * std::clamp(weight, 0.0f, 1.0f);
    float r = 0, g = 0, b = 0;
    ImGui::ColorConvertHSVtoRGB(hue, 0.70f, val, r, g, b);
    return ImGui::GetColorU32(ImVec4(r, g, b, 1.0f));
}

// The router's distribution as bars (the chosen experts in their colour, the others grey).
void router_bars(const float* probs, int n_expert, const int32_t* chosen, int k, float width, float height) {
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    ImGui::Dummy(ImVec2(width, height));
    ImDrawList* dl = ImGui::GetWindowDrawList();
    float mx       = 1e-9f;
    for (int e = 0; e < n_expert; ++e) mx = std::max(mx, probs[e]);
    const float bw = width / float(std::max(1, n_expert));
    for (int e = 0; e < n_expert; ++e) {
        int slot = -1;
        for (int i = 0; i < k; ++i)
            if (chosen[i] == e) slot = i;
        const float h = probs[e] / mx * height;
        dl->AddRectFilled(ImVec2(p0.x + bw * float(e), p0.y + height - h),
                          ImVec2(p0.x + bw * float(e + 1) - (bw > 3 ? 1.0f : 0.0f), p0.y + height),
                          slot >= 0 ? expert_colour(e, 1.0f) : IM_COL32(110, 110, 120, 255));
    }
}

void cell_tooltip(const core::Snapshot& snap, const core::PositionRecord& r, int layer, int pos) {
    const int K = r.n_expert_used, E = r.n_expert;
    const int32_t* ids = r.experts.data() + size_t(layer) * size_t(K);
    const float* w     = r.expert_w.data() + size_t(layer) * size_t(K);
    const float* probs = r.router.data() + size_t(layer) * size_t(E);
    ImGui::BeginTooltip();
    ImGui::Text("layer %d, position %d  %s", layer, pos,
                token_label(snap.model.get(), snap.steps[size_t(pos)]->token, 24).c_str());
    for (int k = 0; k < K; ++k) {
        ImGui::ColorButton("##c", ImGui::ColorConvertU32ToFloat4(expert_colour(ids[k], 1.0f)),
                           ImGuiColorEditFlags_NoTooltip, ImVec2(10, 10));
        ImGui::SameLine();
        ImGui::Text("expert %d (weight %.3f, router p %.4f)", ids[k], double(w[k]), double(probs[ids[k]]));
    }
    ImGui::TextDisabled("the router's distribution over all %d experts:", E);
    router_bars(probs, E, ids, K, std::max(160.0f, std::min(4.0f * float(E), 420.0f)), 60.0f);
    ImGui::EndTooltip();
}

}  // namespace

void draw_experts_panel(UiState& ui, const core::Snapshot& snap) {
    section_heading(ui, "Experts");
    if (!ui.views.experts) ui.views.experts = std::make_shared<ExpertsView>();
    ExpertsView& v = *ui.views.experts;
    v.grid.w       = 0;
    v.cells        = 0;
    if (!snap.model) return;
    const core::Hparams& hp = snap.model->hp;
    if (!hp.is_moe()) {
        disabled_wrapped(
            "This model has one dense MLP per layer: every token runs all of it. A mixture of experts (qwen3moe, "
            "olmoe, gemma4 26B-A4B) has a router that picks a few experts per token and layer; this view shows its "
            "choices.");
        return;
    }
    ImGui::Text("%d experts per layer, %d run per token (router: softmax, top %d, %s)", hp.n_expert, hp.n_expert_used,
                hp.n_expert_used, hp.expert_weights_norm ? "weights renormalised" : "weights not renormalised");
    if (hp.experts_beside_mlp())
        disabled_wrapped(
            "Beside the experts every token also runs the layer's MLP (a shared expert); the two outputs are "
            "normed and added.");
    const int T = int(snap.steps.size());
    if (T == 0) {
        ImGui::TextDisabled("Run a prompt to see the router's choices.");
        return;
    }
    const float em = ImGui::GetFontSize(), th = ImGui::GetTextLineHeight();
    const float left = em * 3.0f, top = th * 1.2f;
    const float avail_w = ImGui::GetContentRegionAvail().x - left - em;
    const float avail_h = ImGui::GetContentRegionAvail().y - top - th * 3.0f;
    const float cw      = std::clamp(avail_w / float(T), 3.0f, em * 4.0f);
    const float ch      = std::clamp(avail_h / float(hp.n_layer), 3.0f, em * 2.0f);
    const ImVec2 p0     = ImGui::GetCursorScreenPos();
    const ImVec2 g0(p0.x + left, p0.y + top);
    v.grid          = {g0.x, g0.y, cw * float(T), ch * float(hp.n_layer)};
    ImDrawList* dl  = ImGui::GetWindowDrawList();
    const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    ImGui::SetCursorScreenPos(g0);
    ImGui::InvisibleButton("##experts_grid", ImVec2(std::max(1.0f, v.grid.w), std::max(1.0f, v.grid.h)));
    const bool hovered = ImGui::IsItemHovered();
    const ImVec2 mouse = ImGui::GetIO().MousePos;

    const int pstep = cw >= em * 1.6f ? 1 : int(std::ceil(em * 1.6f / cw));
    for (int p = 0; p < T; p += pstep) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%d", p);
        dl->AddText(ImVec2(g0.x + cw * (float(p) + 0.5f) - ImGui::CalcTextSize(buf).x * 0.5f, p0.y), dim, buf);
    }
    const int lstep = ch >= th ? 1 : int(std::ceil(th / ch));
    for (int l = 0; l < hp.n_layer; l += lstep) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "L%d", l);
        dl->AddText(ImVec2(g0.x - ImGui::CalcTextSize(buf).x - 4, g0.y + ch * (float(l) + 0.5f) - th * 0.5f), dim, buf);
    }
    int hover_l = -1, hover_p = -1;
    if (hovered) {
        hover_p = std::clamp(int((mouse.x - g0.x) / cw), 0, T - 1);
        hover_l = std::clamp(int((mouse.y - g0.y) / ch), 0, hp.n_layer - 1);
    }
    for (int p = 0; p < T; ++p) {
        const core::PositionRecord* r = snap.steps[size_t(p)] ? snap.steps[size_t(p)]->record.get() : nullptr;
        const bool has                = r && r->n_expert == hp.n_expert && !r->experts.empty();
        for (int l = 0; l < hp.n_layer; ++l) {
            const ImVec2 c0(g0.x + cw * float(p), g0.y + ch * float(l));
            const float gap = cw > 5 ? 1.0f : 0.0f;
            if (!has) {
                dl->AddRectFilled(c0, ImVec2(c0.x + cw - gap, c0.y + ch - gap), IM_COL32(45, 46, 52, 255));
                continue;
            }
            ++v.cells;
            const int K        = r->n_expert_used;
            const int32_t* ids = r->experts.data() + size_t(l) * size_t(K);
            const float* w     = r->expert_w.data() + size_t(l) * size_t(K);
            // One stripe per chosen expert when there is room, else the most weighted expert alone.
            const int stripes = cw - gap >= float(2 * K) ? K : 1;
            const float sw    = (cw - gap) / float(stripes);
            for (int k = 0; k < stripes; ++k)
                dl->AddRectFilled(ImVec2(c0.x + sw * float(k), c0.y), ImVec2(c0.x + sw * float(k + 1), c0.y + ch - gap),
                                  expert_colour(ids[k], w[k]));
        }
    }
    if (hover_l >= 0) {
        const ImVec2 c0(g0.x + cw * float(hover_p), g0.y + ch * float(hover_l));
        dl->AddRect(ImVec2(c0.x - 1, c0.y - 1), ImVec2(c0.x + cw, c0.y + ch), IM_COL32_WHITE, 0.0f, 0, 2.0f);
        const core::PositionRecord* r = snap.steps[size_t(hover_p)]->record.get();
        if (r && r->n_expert == hp.n_expert && !r->experts.empty()) {
            cell_tooltip(snap, *r, hover_l, hover_p);
            if (ImGui::IsMouseClicked(0)) {
                ui.sel.pos   = hover_p;
                ui.sel.layer = hover_l;
            }
        } else {
            ImGui::SetTooltip("position %d: not recorded (the trace budget dropped it)", hover_p);
        }
    }
    ImGui::SetCursorScreenPos(ImVec2(p0.x, g0.y + v.grid.h + 4));
    disabled_wrapped(
        "rows: layers · columns: positions · each stripe one chosen expert (most weight first), its colour the "
        "expert's, brighter = more weight · hover: the router's full distribution · click: select the position");
}

bool experts_grid_rect(const UiState& ui, float rect[4], int* cells) {
    if (!ui.views.experts || ui.views.experts->grid.w <= 0) return false;
    ui.views.experts->grid.corners(rect);
    if (cells) *cells = ui.views.experts->cells;
    return true;
}

bool draw_moe_stage(const UiState& ui, const core::Journey& j, core::Stage id, int layer) {
    const core::StageTensor* t = j.find(id, layer);
    const core::StageTensor* r = j.find(Stage::FfnRoute, layer);
    if (!t || !r || r->shape.rows != 2) return false;
    const int K = r->shape.cols;
    // gemma4 keeps its MLP beside the experts (which have stages of their own, FfnExpGate .. FfnMoeOut): there the
    // MLP's stages are no expert's.
    const bool beside = j.find(Stage::FfnMoeOut, layer) != nullptr;
    if (beside && (id == Stage::FfnGate || id == Stage::FfnUp || id == Stage::FfnAct || id == Stage::FfnOut))
        return false;
    auto expert_of = [&](int k) { return int(r->row(0)[size_t(k)]); };
    auto weight_of = [&](int k) { return r->row(1)[size_t(k)]; };
    auto preview   = [&](int k, std::span<const float> v) {
        std::string s = "[";
        char buf[32];
        for (int i = 0; i < std::min<int>(6, int(v.size())); ++i) {
            std::snprintf(buf, sizeof buf, "%s%.4f", i ? ", " : "", double(v[size_t(i)]));
            s += buf;
        }
        s += v.size() > 6 ? ", …]" : "]";
        ImGui::ColorButton("##e", ImGui::ColorConvertU32ToFloat4(expert_colour(expert_of(k), 1.0f)),
                             ImGuiColorEditFlags_NoTooltip, ImVec2(10, 10));
        ImGui::SameLine();
        ImGui::Text("expert %d (weight %.3f)", expert_of(k), double(weight_of(k)));
        ImGui::SameLine();
        ImGui::PushFont(ui.fonts.mono);
        ImGui::TextUnformatted(s.c_str());
        ImGui::PopFont();
    };
    switch (id) {
        case Stage::FfnRouter:
        case Stage::FfnRouterProbs: {
            std::vector<int32_t> chosen(static_cast<size_t>(K));
            for (int k = 0; k < K; ++k) chosen[size_t(k)] = expert_of(k);
            ImGui::Text("%s over %d experts (the chosen %d in colour)",
                        id == Stage::FfnRouter ? "router logits" : "router probabilities", t->shape.cols, K);
            const auto v = t->all();
            if (id == Stage::FfnRouter) {  // logits may be negative: bars from the smallest
                std::vector<float> shifted(v.begin(), v.end());
                const float lo = *std::min_element(shifted.begin(), shifted.end());
                for (float& x : shifted) x -= lo;
                router_bars(shifted.data(), int(shifted.size()), chosen.data(), K, ImGui::GetContentRegionAvail().x,
                            80.0f);
            } else {
                router_bars(v.data(), int(v.size()), chosen.data(), K, ImGui::GetContentRegionAvail().x, 80.0f);
            }
            return true;
        }
        case Stage::FfnRoute: {
            float sum = 0.0f;
            for (int k = 0; k < K; ++k) {
                ImGui::ColorButton("##e", ImGui::ColorConvertU32ToFloat4(expert_colour(expert_of(k), 1.0f)),
                                   ImGuiColorEditFlags_NoTooltip, ImVec2(10, 10));
                ImGui::SameLine();
                ImGui::Text("expert %d (weight %.4f)", expert_of(k), double(weight_of(k)));
                sum += weight_of(k);
            }
            // 1 where the chosen probabilities are renormalised (qwen3moe), less where they are not (olmoe).
            ImGui::Text("the chosen weights add up to %.4f", double(sum));
            return true;
        }
        case Stage::FfnGate:
        case Stage::FfnUp:
        case Stage::FfnAct:
        case Stage::FfnExpGate:
        case Stage::FfnExpUp:
        case Stage::FfnExpAct:
        case Stage::FfnExpertOut:
            for (int k = 0; k < std::min(K, t->shape.rows); ++k) preview(k, t->row(k));
            return true;
        case Stage::FfnOut:
        case Stage::FfnMoeOut: {
            std::string s = "Σ ";
            char buf[48];
            for (int k = 0; k < K; ++k) {
                std::snprintf(buf, sizeof buf, "%s%.3f · expert %d", k ? " + " : "", double(weight_of(k)),
                              expert_of(k));
                s += buf;
            }
            ImGui::TextUnformatted(s.c_str());
            return false;  // and the vector itself, as any [n_embd] stage
        }
        default:
            return false;
    }
}

}  // namespace ts::app
