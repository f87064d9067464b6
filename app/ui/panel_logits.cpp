// The Logits panel (ARCHITECTURE §6): the ranked candidates for the token after the selected position —
// display form, id, raw logit, the model's probability (softmax at T = 1), the running sum, and what the sampler
// chain left of it. Clicking a row branches: that token is placed after the selected position instead of the one
// drawn, and generation goes on from it. The rows are rebuilt when the snapshot, position or settings change.
// While interventions are active (the Interventions strip), the newest position's rows add Δ logit and Δp against
// the un-intervened run and the heading gives KL(intervened ‖ clean): the worker computes them (Snapshot::diff).
#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "app/ui/panels.hpp"
#include "app/ui/predict_mode.hpp"
#include "app/ui/view_sampling.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {

namespace {

void rebuild(LogitsView& lv, const core::Model& model, const core::sample::SamplerView& view) {
    lv.rows = ranked_rows(view);
    lv.labels.clear();
    lv.max_p = 0;
    for (const LogitRow& r : lv.rows) {
        lv.labels.push_back(token_label(model, r.id));
        lv.max_p = std::max(lv.max_p, r.p);
    }
}

// A horizontal bar of p (relative to the largest) in the cell, with the number over it.
void p_bar(float p, float max_p, bool chosen) {
    const ImVec2 p0 = ImGui::GetCursorScreenPos();
    const float w   = ImGui::GetContentRegionAvail().x;
    const float h   = ImGui::GetTextLineHeight();
    const float f   = max_p > 0 ? std::clamp(p / max_p, 0.0f, 1.0f) : 0.0f;
    ImGui::GetWindowDrawList()->AddRectFilled(p0, ImVec2(p0.x + w * f, p0.y + h),
                                              chosen ? IM_COL32(230, 159, 0, 150) : IM_COL32(0, 114, 178, 150));
    ImGui::Text("%.5f", double(p));
}

}  // namespace

void draw_logits_panel(UiState& ui, const core::Snapshot& snap) {
    if (!ui.views.logits) ui.views.logits = std::make_shared<LogitsView>();
    LogitsView& lv            = *ui.views.logits;
    const core::StepTrace* st = step_with_next_token(
        ui, snap, "Nothing evaluated yet: type a prompt and press Step (→) to rank the next-token candidates.");
    if (!st) return;
    if (predict_gate(ui, snap, *st)) return;  // predict mode: hidden until a guess is committed
    const int pos            = selected_pos(ui, snap);
    const ShownSampler shown = shown_sampler(ui, snap, *st);
    if (lv.version != snap.version || lv.pos != pos || lv.live != shown.live ||
        !sampler_settings_equal(lv.settings, shown.settings)) {
        rebuild(lv, *snap.model, *shown.view);
        lv.version  = snap.version;
        lv.pos      = pos;
        lv.live     = shown.live;
        lv.settings = shown.settings;
    }

    section_heading(ui, "Logits");
    ImGui::Text("Candidates for position %d (after", pos + 1);
    ImGui::SameLine(0, 4);
    ImGui::PushFont(ui.fonts.mono);
    ImGui::TextUnformatted(token_label(*snap.model, st->token).c_str());
    ImGui::PopFont();
    ImGui::SameLine(0, 4);
    ImGui::Text(")  —  %d of %s listed, ranked by raw logit", int(lv.rows.size()),
                std::to_string(snap.model->hp.n_vocab).c_str());
    if (shown.what_if) draw_what_if_mark(pos, shown.complete, st->has_next);
    disabled_wrapped(
        "Click a row to take that token instead of the sampled one: positions after it are forgotten "
        "and generation continues from it (a branch).");
    // The comparison with the clean run exists for the newest position only.
    const core::sample::LogitDiff* diff = snap.diff && snap.diff->pos == pos ? snap.diff.get() : nullptr;
    if (diff) {
        ImGui::TextColored(ImVec4(0.90f, 0.62f, 0.0f, 1.0f),
                           "Intervened run: KL(intervened ‖ clean) = %.4f nats; Δ = intervened − clean", diff->kl);
        item_tooltip(
            "The same tokens evaluated without the interventions give the clean distribution; Δ logit and "
            "Δp compare each candidate's raw logit and its probability at T = 1.");
    } else if (snap.diff) {
        disabled_wrapped("Interventions are active: Δ against the clean run is shown for the newest position.");
    }

    const bool can_branch       = pos + 1 < snap.n_ctx;
    const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                  ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersOuterH;
    const int n_cols = diff ? 9 : 7;
    if (!ImGui::BeginTable("logits", n_cols, flags, ImVec2(0, ImGui::GetContentRegionAvail().y))) return;
    const float em = ImGui::GetFontSize();
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("rank", ImGuiTableColumnFlags_WidthFixed, em * 3.0f);
    ImGui::TableSetupColumn("token", ImGuiTableColumnFlags_WidthFixed, em * 9.0f);
    ImGui::TableSetupColumn("id", ImGuiTableColumnFlags_WidthFixed, em * 4.5f);
    ImGui::TableSetupColumn("logit", ImGuiTableColumnFlags_WidthFixed, em * 5.5f);
    ImGui::TableSetupColumn("p (model)", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableSetupColumn("cumulative", ImGuiTableColumnFlags_WidthFixed, em * 5.5f);
    ImGui::TableSetupColumn("p (sampler)", ImGuiTableColumnFlags_WidthFixed, em * 6.0f);
    if (diff) {
        ImGui::TableSetupColumn("Δ logit", ImGuiTableColumnFlags_WidthFixed, em * 5.0f);
        ImGui::TableSetupColumn("Δp", ImGuiTableColumnFlags_WidthFixed, em * 5.5f);
    }
    ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
    static constexpr const char* kHelp[] = {
        "Rank by raw logit (1 = the model's favourite).",
        "The token's text; ␣ is a space, ↵ a newline.",
        "The token's id in the vocabulary.",
        "The raw score the output layer gave the token (before any sampler stage).",
        "The model's probability: softmax of the raw logits at temperature 1 over the whole vocabulary.",
        "Sum of p over this row and every better one.",
        "The probability the sampler chain left the token with the current settings (0: a stage cut it).",
        "The raw logit minus the one the un-intervened run gave this token.",
        "p (model) minus the un-intervened run's p: positive where the interventions made the token likelier.",
    };
    for (int c = 0; c < n_cols; ++c) {
        ImGui::TableSetColumnIndex(c);
        ImGui::TableHeader(ImGui::TableGetColumnName(c));
        item_tooltip(kHelp[c]);
    }

    lv.row0_y = -1;
    ImGuiListClipper clipper;
    clipper.Begin(int(lv.rows.size()));
    int clicked = -1;
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const LogitRow& r = lv.rows[size_t(i)];
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            ImGui::PushID(i);
            char rank[16];
            std::snprintf(rank, sizeof rank, "%d", r.rank);
            if (i == 0) {
                lv.row0_x = ImGui::GetCursorScreenPos().x;
                lv.row0_y = ImGui::GetCursorScreenPos().y;
            }
            ImGui::BeginDisabled(!can_branch);
            if (ImGui::Selectable(rank, r.chosen, ImGuiSelectableFlags_SpanAllColumns)) clicked = i;
            ImGui::EndDisabled();
            if (ImGui::IsItemHovered()) {
                ImGui::BeginTooltip();
                ImGui::Text("Click: put this token at position %d instead and generate on from it.", pos + 1);
                if (r.chosen)
                    ImGui::TextDisabled(st->has_next ? "This is the token the sampler drew."
                                                     : "This is the prompt's next token.");
                ImGui::EndTooltip();
            }
            ImGui::PopID();
            ImGui::PushFont(ui.fonts.mono);
            ImGui::TableSetColumnIndex(1);
            if (r.chosen)
                ImGui::TextColored(ImVec4(0.90f, 0.62f, 0.0f, 1.0f), "%s", lv.labels[size_t(i)].c_str());
            else
                ImGui::TextUnformatted(lv.labels[size_t(i)].c_str());
            ImGui::TableSetColumnIndex(2);
            ImGui::Text("%d", r.id);
            ImGui::TableSetColumnIndex(3);
            ImGui::Text("%.4f", double(r.logit));
            ImGui::TableSetColumnIndex(4);
            p_bar(r.p, lv.max_p, r.chosen);
            ImGui::TableSetColumnIndex(5);
            ImGui::Text("%.5f", double(r.cum));
            ImGui::TableSetColumnIndex(6);
            if (r.p_final > 0)
                ImGui::Text("%.5f", double(r.p_final));
            else
                ImGui::TextDisabled("cut");
            if (diff) {
                if (const core::sample::CandidateDelta* d = diff->find(r.id)) {
                    const ImVec4 up(0.0f, 0.62f, 0.45f, 1.0f), down(0.84f, 0.37f, 0.0f, 1.0f);
                    ImGui::TableSetColumnIndex(7);
                    ImGui::TextColored(d->d_logit() >= 0 ? up : down, "%+.3f", double(d->d_logit()));
                    ImGui::TableSetColumnIndex(8);
                    ImGui::TextColored(d->d_p() >= 0 ? up : down, "%+.4f", double(d->d_p()));
                } else {
                    ImGui::TableSetColumnIndex(7);
                    ImGui::TextDisabled("—");
                }
            }
            ImGui::PopFont();
        }
    }
    ImGui::EndTable();
    if (clicked >= 0) branch_token(ui, pos + 1, lv.rows[size_t(clicked)].id);
}

}  // namespace ts::app
