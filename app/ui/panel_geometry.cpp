// The Geometry panel (ARCHITECTURE §6): a 2-D PCA of the context's token embeddings and of their final
// hidden states, the output-embedding directions of the top candidates drawn into the hidden-state plane (so "the
// final vector points toward certain continuations" can be seen), and the nearest neighbours by cosine of a token
// in embedding space. The engine worker derives all of it (core/trace/geometry.hpp); this file only draws.
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "app/gl/colormap.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/plot_frame.hpp"
#include "app/ui/view_geometry.hpp"
#include "app/ui/view_journey.hpp"
#include "app/ui/view_sampling.hpp"
#include "app/ui/widgets.hpp"
#include "core/trace/geometry.hpp"

namespace ts::app {

namespace {

// A scatter of PCA coordinates; returns the hovered point's index (or -1). Points coloured by position (viridis),
// the selected position ringed. Candidate arrows when `arrows`.
using core::derive::Geometry;
using core::derive::Neighbour;
using core::derive::Pca2;

int scatter(const UiState& ui, const core::Model& model, const char* id, const Pca2& pca,
            const std::vector<int>& positions, const std::vector<int32_t>& tokens, int sel_pos, int n_ctx_pos,
            const Geometry* arrows, ImVec2 size) {
    float r = 1e-6f;
    for (float v : pca.xy) r = std::max(r, std::abs(v));
    r *= 1.15f;
    char xl[64], yl[64];
    const double tv = pca.total_variance > 0 ? pca.total_variance : 1;
    std::snprintf(xl, sizeof xl, "PC1 (%.0f%% of variance)", 100.0 * pca.variance[0] / tv);
    std::snprintf(yl, sizeof yl, "PC2 (%.0f%% of variance)", 100.0 * pca.variance[1] / tv);
    PlotAxes ax;
    ax.x_label = xl;
    ax.y_label = yl;
    ax.x_min = -r, ax.x_max = r, ax.y_min = -r, ax.y_max = r;
    ax.x_ticks = 4, ax.y_ticks = 4;
    ax.x_fmt = "%.2g", ax.y_fmt = "%.2g";
    PlotFrame f = begin_plot(id, size, ax);
    f.dl->PushClipRect(f.p0, f.p1, true);
    const ImVec2 origin = f.to_screen(0, 0);
    if (arrows && !arrows->cand_ids.empty()) {
        float m = 1e-6f;
        for (float v : arrows->cand_dir) m = std::max(m, std::abs(v));
        const float scale = 0.85f * r / m;  // the longest arrow reaches 85% of the plot's half-width
        for (size_t c = 0; c < arrows->cand_ids.size(); ++c) {
            const ImVec2 tip = f.to_screen(arrows->cand_dir[c * 2] * scale, arrows->cand_dir[c * 2 + 1] * scale);
            const ImU32 col  = c == 0 ? plot_colors::kOrange : plot_colors::kPurple;
            f.dl->AddLine(origin, tip, col, c == 0 ? 2.5f : 1.5f);
            f.dl->AddCircleFilled(tip, 3.5f, col);
            ImGui::PushFont(ui.fonts.mono);
            f.dl->AddText(ImVec2(tip.x + 4, tip.y - 8), col, token_label(model, arrows->cand_ids[c]).c_str());
            ImGui::PopFont();
        }
    }
    int hovered   = -1;
    float best_d2 = 100.0f;  // within 10 px
    for (int i = 0; i < pca.n; ++i) {
        const int p     = positions.empty() ? i : positions[size_t(i)];
        const ImVec2 s  = f.to_screen(pca.xy[size_t(i) * 2], pca.xy[size_t(i) * 2 + 1]);
        const float t   = n_ctx_pos > 1 ? float(p) / float(n_ctx_pos - 1) : 0.0f;
        const ImU32 col = gl::colormap_u32(gl::Colormap::Viridis, 0.15f + 0.85f * t);
        f.dl->AddCircleFilled(s, 4.5f, col);
        if (p == sel_pos) f.dl->AddCircle(s, 8.0f, plot_colors::kYellow, 0, 2.0f);
        if (pca.n <= 40) {
            ImGui::PushFont(ui.fonts.mono);
            f.dl->AddText(ImVec2(s.x + 6, s.y - 7), ImGui::GetColorU32(ImGuiCol_Text),
                          token_label(model, tokens[size_t(p)]).c_str());
            ImGui::PopFont();
        }
        const float dx = f.mouse.x - s.x, dy = f.mouse.y - s.y;
        if (f.hovered && dx * dx + dy * dy < best_d2) {
            best_d2 = dx * dx + dy * dy;
            hovered = i;
        }
    }
    f.dl->PopClipRect();
    if (hovered >= 0) {
        const int p = positions.empty() ? hovered : positions[size_t(hovered)];
        ImGui::BeginTooltip();
        ImGui::Text("position %d", p);
        ImGui::SameLine();
        ImGui::PushFont(ui.fonts.mono);
        ImGui::TextUnformatted(token_label(model, tokens[size_t(p)]).c_str());
        ImGui::PopFont();
        ImGui::Text("PC1 %.4f, PC2 %.4f", double(pca.xy[size_t(hovered) * 2]), double(pca.xy[size_t(hovered) * 2 + 1]));
        ImGui::TextDisabled("Click: nearest neighbours of this token (embedding space).");
        ImGui::EndTooltip();
    }
    return hovered;
}

void draw_neighbours(UiState& ui, GeometryView& gv, const core::Snapshot& snap, int32_t token) {
    const core::Model& model = *snap.model;
    const core::Derived* d   = current_derived(ui, snap);
    const core::derive::Neighbours* nb =
        d && d->neighbours && d->neighbours->token == token ? d->neighbours.get() : nullptr;
    ImGui::TextUnformatted("Nearest neighbours of");
    ImGui::SameLine();
    ImGui::PushFont(ui.fonts.mono);
    ImGui::TextUnformatted(token_label(model, token).c_str());
    ImGui::PopFont();
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.0f);
    if (gv.nn_input != token && !ImGui::IsItemActive()) gv.nn_input = token;
    if (ImGui::InputInt("id", &gv.nn_input, 0, 0, ImGuiInputTextFlags_EnterReturnsTrue))
        gv.nn_token = std::clamp(gv.nn_input, 0, model.hp.n_vocab - 1);
    item_tooltip("A token id to look up (Enter): its embedding row is compared with every other row by cosine.");
    if (!nb) {
        ImGui::TextDisabled("searching %d rows …", model.hp.n_vocab);
        return;
    }
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                  ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("nn", 3, flags, ImVec2(0, ImGui::GetContentRegionAvail().y))) return;
    ImGui::TableSetupColumn("token", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("id");
    ImGui::TableSetupColumn("cosine");
    ImGui::TableHeadersRow();
    for (const Neighbour& n : nb->list) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::PushFont(ui.fonts.mono);
        ImGui::TextUnformatted(token_label(model, n.id).c_str());
        ImGui::PopFont();
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%d", n.id);
        ImGui::TableSetColumnIndex(2);
        ImGui::Text("%.4f", double(n.cosine));
    }
    ImGui::EndTable();
}

void draw_candidates(const UiState& ui, const core::Model& model, const Geometry& g) {
    ImGui::Text("Where the final vector of position %d points", g.sel_pos);
    item_tooltip(
        "Cosine between the selected position's final hidden state and each candidate's output-embedding "
        "row. The logit is exactly this cosine times both lengths (the dot product of the two vectors), so for rows "
        "of similar length a higher cosine means a more likely token.");
    if (g.cand_ids.empty()) {
        ImGui::TextDisabled("no candidates (no logits computed yet)");
        return;
    }
    const ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
    if (!ImGui::BeginTable("cands", 3, flags)) return;
    ImGui::TableSetupColumn("candidate", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("cosine");
    ImGui::TableSetupColumn("logit");
    ImGui::TableHeadersRow();
    for (size_t c = 0; c < g.cand_ids.size(); ++c) {
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        ImGui::PushFont(ui.fonts.mono);
        ImGui::TextUnformatted(token_label(model, g.cand_ids[c]).c_str());
        ImGui::PopFont();
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("%.4f", double(g.cand_cos[c]));
        ImGui::TableSetColumnIndex(2);
        ImGui::Text("%.3f", double(g.cand_logit[c]));
    }
    ImGui::EndTable();
}

}  // namespace

void draw_geometry_panel(UiState& ui, const core::Snapshot& snap) {
    if (!ui.views.geometry) ui.views.geometry = std::make_shared<GeometryView>();
    GeometryView& gv = *ui.views.geometry;
    const int pos    = selected_pos(ui, snap);
    if (!snap.model || snap.steps.empty() || pos < 0) {
        disabled_wrapped("Nothing evaluated yet: type a prompt and press Step (→) to see the context's vectors.");
        return;
    }
    gv.drawn_frame      = ui.frame;
    const int32_t token = gv.nn_token >= 0 ? gv.nn_token : snap.steps[size_t(pos)]->token;

    section_heading(ui, "Geometry");
    const core::Derived* d = current_derived(ui, snap);
    const Geometry* g      = d && d->geometry && d->geometry->sel_pos == pos ? d->geometry.get() : nullptr;
    if (!g) {
        ImGui::TextDisabled("projecting …");
        return;
    }
    const core::Model& model = *snap.model;
    const float gap          = ImGui::GetStyle().ItemSpacing.x;
    const float w            = (ImGui::GetContentRegionAvail().x - gap) * 0.5f;
    const float h            = std::max(200.0f, ImGui::GetContentRegionAvail().y * 0.62f);
    ImGui::BeginGroup();
    ImGui::TextUnformatted("Token embeddings of the context");
    item_tooltip(
        "Each point is a context token's embedding row (before any layer), projected onto the two "
        "directions along which these rows vary most. Colour: position (dark = early).");
    const int he = scatter(ui, model, "emb", g->emb, {}, g->tokens, pos, g->n, nullptr, ImVec2(w, h));
    if (he >= 0 && ImGui::IsMouseClicked(0)) gv.nn_token = g->tokens[size_t(he)];
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    ImGui::TextUnformatted("Final hidden states, with candidate directions");
    item_tooltip(
        "Each point is a position's residual stream after the last layer and the final norm. Arrows: the "
        "output-embedding rows of the best next-token candidates (orange: the favourite), projected into "
        "the same plane.");
    if (g->hidden.n == 0) {
        ImGui::Dummy(ImVec2(w, h));
        ImGui::TextDisabled("No recorded residual streams (recording off or dropped by the trace budget).");
    } else {
        const int hh = scatter(ui, model, "hid", g->hidden, g->hidden_pos, g->tokens, pos, g->n, g, ImVec2(w, h));
        if (hh >= 0 && ImGui::IsMouseClicked(0)) select_position(ui, g->hidden_pos[size_t(hh)]);
    }
    ImGui::EndGroup();

    ImGui::BeginChild("nn_box", ImVec2(w, 0));
    draw_neighbours(ui, gv, snap, token);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("cand_box", ImVec2(0, 0));
    draw_candidates(ui, model, *g);
    ImGui::EndChild();
}

}  // namespace ts::app
