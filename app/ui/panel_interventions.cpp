// The Interventions strip (left column, under the sampler): the session's interventions, each with a checkbox
// (on/off), its description, a slider for scale-head's S or steer's α, and a remove button; a box to add one by
// spec text (the parse error shown under it); and one-click picks for the layer and head the Attention panel shows
// ("Zero head L.H", skip, no-scale, …), only those that apply to that layer's kind (qwen35: a linear-attention layer
// has no scores, RoPE or mask; the reason is the greyed option's tooltip). Every change is one cmd::SetInterventions:
// the worker re-evaluates what it changes and every panel then shows the intervened run; the Logits panel adds
// Δ logit / Δp against the un-intervened run and the KL. Drawing only: the parsing and the numbers are core's.
#include <imgui.h>

#include <cstdio>
#include <string>

#include "app/ui/panels.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {
namespace {

// One-click interventions on the layer and head the Attention panel shows, only those that apply to that layer's
// kind: an option left out is named, greyed, with core's reason as its tooltip (intervention_refusal).
void draw_layer_picks(UiState& ui) {
    const core::Hparams& hp = ui.model->hp;
    const int L = ui.sel.layer, H = ui.sel.head;
    if (L < 0 || L >= hp.n_layer) return;
    const bool rec = hp.is_recurrent(L);
    if (hp.has_recurrent())
        ImGui::TextDisabled("layer %d: %s", L, rec ? "linear attention (recurrent state)" : "attention (KV cache)");
    const std::string l = std::to_string(L);
    char zero[64];
    std::snprintf(zero, sizeof zero, "Zero head %d.%d", L, H);
    if (H >= 0 && H < hp.mixer_heads(L)) {
        if (ImGui::Button(zero)) add_intervention(ui, "zero-head:" + l + "." + std::to_string(H));
        item_tooltip(rec ? "Zero this value head's read-out (its row after the gated norm, before ssm_out mixes the "
                           "heads), from position 0. The state still updates: only what the head adds changes."
                         : "Zero the output of the head the Attention panel shows (layer.head), from position 0.");
    } else {
        ImGui::TextDisabled("%s: no such head", zero);
        const std::string why =
            "Layer " + l + " has " + std::to_string(hp.mixer_heads(L)) +
            (rec ? " value heads (a linear-attention layer's heads are its value heads)." : " heads.");
        item_tooltip(why.c_str());
    }
    struct Pick {
        core::InterventionKind kind;
        const char* label;
        const char* spec;
        const char* tip;
    };
    const Pick picks[] = {
        {core::InterventionKind::SkipAttn, rec ? "Skip mixer" : "Skip attention", "skip-attn:",
         rec ? "The layer's DeltaNet adds nothing (lin_out zeroed); its state still absorbs each token."
             : "The layer's attention block adds nothing (attn_proj zeroed)."},
        {core::InterventionKind::SkipMlp, "Skip MLP", "skip-mlp:", "The layer's MLP adds nothing (ffn_out zeroed)."},
        {core::InterventionKind::NoScale, "No scale", "no-scale:", "Scores q·k without the 1/√head_dim."},
        {core::InterventionKind::NoRope, "No RoPE", "no-rope:", "Queries and keys not rotated."},
        {core::InterventionKind::NoMask, "No mask", "no-mask:", "Prompt positions also see the later prompt tokens."},
    };
    for (const Pick& p : picks) {
        if (&p != &picks[0] && &p != &picks[2]) ImGui::SameLine();  // the skips, then the attention-only edits
        const std::string why = core::intervention_refusal(p.kind, hp, L);
        if (why.empty()) {
            if (ImGui::SmallButton(p.label)) add_intervention(ui, std::string(p.spec) + l);
            item_tooltip(p.tip);
        } else {
            ImGui::TextDisabled("(%s)", p.label);
            item_tooltip(why.c_str());
        }
    }
}

}  // namespace

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
    draw_layer_picks(ui);
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
