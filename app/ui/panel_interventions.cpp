// The Interventions strip (left column, under the sampler): the session's interventions, each with a checkbox
// (on/off), its description, a slider for scale-head's S or steer's α, and a remove button; a box to add one by
// spec text (the parse error shown under it); and "Zero head L.H" for the head the Attention panel shows. Every
// change is one cmd::SetInterventions: the worker re-evaluates what it changes and every panel then shows the
// intervened run; the Logits panel adds Δ logit / Δp against the un-intervened run and the KL. Drawing only: the
// parsing and the numbers are core's.
#include <imgui.h>

#include <cstdio>
#include <string>

#include "app/ui/panels.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {

void draw_interventions_strip(UiState& ui, const core::Snapshot* snap) {
    section_heading(ui, "Interventions");
    if (!ui.model || !snap) {
        ImGui::TextDisabled("no model");
        return;
    }
    const std::vector<core::Intervention>& list = current_interventions(ui);
    int remove = -1, toggle = -1, factor_at = -1;
    float factor = 0;
    for (int i = 0; i < int(list.size()); ++i) {
        const core::Intervention& iv = list[size_t(i)];
        ImGui::PushID(i);
        bool on = iv.enabled;
        if (ImGui::Checkbox("##on", &on)) toggle = i;
        item_tooltip("On / off: the run is re-evaluated with or without it (the tokens stay).");
        ImGui::SameLine();
        ImGui::PushFont(ui.fonts.mono);
        ImGui::TextUnformatted(core::intervention_spec(iv).c_str());
        ImGui::PopFont();
        item_tooltip(core::describe_intervention(iv).c_str());
        ImGui::SameLine();
        if (ImGui::SmallButton("×")) remove = i;
        item_tooltip("Remove it.");
        if (iv.kind == core::InterventionKind::Steer || iv.kind == core::InterventionKind::ScaleHead) {
            float f = iv.factor;
            ImGui::SetNextItemWidth(-1.0f);
            const bool steer = iv.kind == core::InterventionKind::Steer;
            slider_float(steer ? "##alpha" : "##scale", &f, steer ? -20.0f : -2.0f, steer ? 20.0f : 4.0f,
                         steer ? "α = %.2f" : "× %.2f");
            // Applied when the slider is let go: each value re-evaluates the run from where the edit starts.
            if (ImGui::IsItemDeactivatedAfterEdit()) {
                factor_at = i;
                factor    = f;
            }
            item_tooltip(steer ? "α: how much of the steering vector is added after the layer (applied on release)."
                               : "The factor the head's output is multiplied by (applied on release).");
        }
        disabled_wrapped(core::describe_intervention(iv).c_str());
        ImGui::PopID();
    }
    if (list.empty()) disabled_wrapped("None: the model runs as it is.");

    ImGui::SetNextItemWidth(-1.0f);
    const bool enter = ImGui::InputTextWithHint("##intervene", "zero-head:1.2, skip-mlp:0, steer:2:4: love| hate",
                                                ui.intervene_text.data(), ui.intervene_text.size(),
                                                ImGuiInputTextFlags_EnterReturnsTrue);
    item_tooltip(
        "Add an intervention (Enter): zero-head:L.H, scale-head:L.H:S, mean-head:L.H, skip-attn:L, skip-mlp:L, "
        "no-scale:L, no-rope:L, no-mask:L, steer:L:ALPHA:TEXT_A|TEXT_B (the mean residual after layer L over TEXT_A's "
        "tokens "
        "minus TEXT_B's); @P at the end starts it at position P.");
    if (enter && ui.intervene_text[0] != 0 && add_intervention(ui, ui.intervene_text.data())) ui.intervene_text[0] = 0;
    if (!ui.intervene_error.empty()) {
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(ImVec4(0.90f, 0.30f, 0.20f, 1.0f), "%s", ui.intervene_error.c_str());
        ImGui::PopTextWrapPos();
    }
    char zero[64];
    std::snprintf(zero, sizeof zero, "Zero head %d.%d", ui.sel.layer, ui.sel.head);
    if (ImGui::Button(zero))
        add_intervention(ui, "zero-head:" + std::to_string(ui.sel.layer) + "." + std::to_string(ui.sel.head));
    item_tooltip("Zero the output of the head the Attention panel shows (layer.head), from position 0.");
    if (snap->diff) {
        ImGui::SameLine();
        ImGui::Text("KL %.4f nats", snap->diff->kl);
        item_tooltip(
            "KL(intervened ‖ clean) of the newest position's next-token distribution: how far the "
            "interventions moved it (0: not at all). The Logits panel lists Δ logit and Δp per candidate.");
    }
    if (toggle >= 0) toggle_intervention(ui, toggle);
    if (remove >= 0) remove_intervention(ui, remove);
    if (factor_at >= 0) set_intervention_factor(ui, factor_at, factor);
}

}  // namespace ts::app
