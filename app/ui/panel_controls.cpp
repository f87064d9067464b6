// Prompt & controls (the left column): prompt box, Step / Run-Pause / Rewind / Reset, tokens per run, steps/s,
// progress, the sampler's sliders (applied live through the worker, with "Apply from here"), and the model picker.
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string_view>

#include "app/ui/heatmap_view.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/prompt_wrap.hpp"
#include "app/ui/sampler_sliders.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {
namespace {

// Decode speed over the newest generated steps (forward + sampling), in tokens per second; 0 when unknown.
double steps_per_second(const core::Snapshot& snap) {
    double ms = 0;
    int n     = 0;
    for (size_t i = snap.steps.size(); i-- > 0 && n < 16;) {
        const core::StepTrace& st = *snap.steps[i];
        if (st.source == core::TokenSource::Prompt) break;
        ms += st.t.forward_ms + st.t.sample_ms + st.t.trace_ms;
        ++n;
    }
    return n > 0 && ms > 0 ? 1000.0 * n / ms : 0.0;
}

const char* activity_text(const core::Snapshot& snap) {
    switch (snap.activity) {
        case core::Activity::Prefilling:
            return "evaluating the prompt";
        case core::Activity::Running:
            return "generating";
        case core::Activity::Idle:
            break;
    }
    if (snap.context_full) return "context full";
    if (snap.end_of_text) return "end of text";
    return "ready";
}

float text_width(std::string_view s) {
    return ImGui::GetFont()->CalcTextSizeA(ImGui::GetFontSize(), FLT_MAX, 0.0f, s.data(), s.data() + s.size()).x;
}

// Called by the prompt box on every edit and every frame while it is active: maps the box's wrapped buffer back
// to ui.prompt and wraps it again (the text changed, or the width did).
int prompt_box_callback(ImGuiInputTextCallbackData* data) {
    UiState& ui            = *static_cast<UiState*>(data->UserData);
    UiState::PromptBox& pb = ui.prompt_box;
    const std::string_view now(data->Buf, size_t(data->BufTextLen));
    UnwrappedEdit edit;
    if (now == pb.wrapped.display) {
        edit.text   = unwrap_text(pb.wrapped);
        edit.cursor = size_t(data->CursorPos);
        for (size_t s : pb.wrapped.soft)
            if (s < size_t(data->CursorPos)) --edit.cursor;
    } else {
        const bool backspace = ImGui::IsKeyDown(ImGui::GetKeyIndex(ImGuiKey_Backspace));
        edit                 = unwrap_edit(pb.wrapped, now, size_t(data->CursorPos), backspace);
    }
    if (edit.text.size() >= ui.prompt.size()) edit.text.resize(ui.prompt.size() - 1);
    WrappedText wrapped = wrap_text(edit.text, pb.width, text_width);
    if (wrapped.display != now && int(wrapped.display.size()) < data->BufSize) {
        data->DeleteChars(0, data->BufTextLen);
        data->InsertChars(0, wrapped.display.data(), wrapped.display.data() + wrapped.display.size());
        data->CursorPos      = int(display_index(wrapped, edit.cursor));
        data->SelectionStart = data->SelectionEnd = data->CursorPos;
    }
    pb.wrapped = std::move(wrapped);
    std::memcpy(ui.prompt.data(), edit.text.c_str(), edit.text.size() + 1);
    return 0;
}

// The prompt box, wrapped at its width (prompt_wrap.hpp) and as tall as its text (up to a dozen lines). True when
// Enter was pressed in it.
bool draw_prompt_box(UiState& ui, bool active) {
    UiState::PromptBox& pb  = ui.prompt_box;
    const ImGuiStyle& style = ImGui::GetStyle();
    pb.width = ImGui::GetContentRegionAvail().x - style.FramePadding.x * 2.0f - style.ScrollbarSize - 1.0f;
    if (pb.buf.size() < ui.prompt.size() * 2) pb.buf.assign(ui.prompt.size() * 2, '\0');
    if (!active) {  // the text may have been set from outside the box (a lesson, a reset, a model load)
        pb.wrapped     = wrap_text(ui.prompt.data(), pb.width, text_width);
        const size_t n = std::min(pb.wrapped.display.size(), pb.buf.size() - 1);
        std::memcpy(pb.buf.data(), pb.wrapped.display.data(), n);
        pb.buf[n] = '\0';
    }
    const float lines  = float(std::count(pb.wrapped.display.begin(), pb.wrapped.display.end(), '\n') + 1);
    const float height = ImGui::GetTextLineHeight() * std::clamp(lines + 0.5f, 4.5f, 12.5f) + style.FramePadding.y * 2;
    const bool enter =
        ImGui::InputTextMultiline("##prompt", pb.buf.data(), pb.buf.size(), ImVec2(-1.0f, height),
                                  ImGuiInputTextFlags_EnterReturnsTrue | ImGuiInputTextFlags_CtrlEnterForNewLine |
                                      ImGuiInputTextFlags_CallbackEdit | ImGuiInputTextFlags_CallbackAlways,
                                  prompt_box_callback, &ui);
    const ImVec2 r0 = ImGui::GetItemRectMin(), r1 = ImGui::GetItemRectMax();
    ScreenRect{r0.x, r0.y, r1.x - r0.x, r1.y - r0.y}.corners(pb.rect);
    return enter;
}

void draw_buttons(UiState& ui, const core::Snapshot* snap) {
    const bool attached = ui.bridge.attached();
    const bool busy     = generating(ui);
    const bool has_pos  = snap && !snap->steps.empty();
    const float half    = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) * 0.5f;
    ImGui::BeginDisabled(!attached || busy);
    if (ImGui::Button("Step →", ImVec2(half, 0.0f))) step_token(ui);
    item_tooltip("Run one forward pass: append the proposed next token and compute the one after it (→).");
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(!attached);
    if (ImGui::Button(busy ? "Pause ❚❚" : "Run ▶", ImVec2(half, 0.0f))) toggle_run(ui);
    item_tooltip(
        "Generate tokens one after another until paused, the count below is reached or the text ends "
        "(space).");
    ImGui::EndDisabled();
    ImGui::BeginDisabled(!attached || busy || !has_pos || snap->steps.size() < 2);
    if (ImGui::Button("← Rewind", ImVec2(half, 0.0f))) rewind_token(ui, 1);
    item_tooltip(
        "Forget the last token: the KV cache drops its keys and values, and stepping again reproduces it (←).");
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(!attached || busy || !has_pos);
    if (ImGui::Button("Reset", ImVec2(half, 0.0f))) reset_generation(ui);
    item_tooltip("Forget every generated token and go back to the end of the prompt.");
    ImGui::EndDisabled();

    ImGui::SetNextItemWidth(half);
    slider_int("##steps", &ui.n_steps, 1, 512, "run: %d tokens");
    item_tooltip("How many tokens Run generates before it stops by itself.");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(half);
    slider_float("##pace", &ui.steps_per_s, 0.0f, 10.0f, ui.steps_per_s > 0.0f ? "%.1f steps/s" : "full speed");
    item_tooltip(
        "How fast Run goes: a few steps per second lets you watch every token arrive; at the left end it "
        "generates as fast as the engine can.");
    if (snap && !ui.screenshot) {
        const double sps = steps_per_second(*snap);
        if (sps > 0) {
            ImGui::TextDisabled("engine: %.1f steps/s", sps);
            item_tooltip("Decode speed measured over the last steps: forward pass + sampling, per token.");
        }
    }
}

void draw_status(UiState& ui, const core::Snapshot& snap) {
    const int n     = int(snap.steps.size());
    const int n_gen = std::max(0, n - snap.n_prompt);
    if (engine_busy(snap)) {
        const int done = ui.bridge.progress_done(), total = std::max(1, ui.bridge.progress_total());
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s %d / %d", activity_text(snap), done, total);
        ImGui::ProgressBar(float(done) / float(total), ImVec2(-1.0f, 0.0f), buf);
    }
    char buf[160];
    std::snprintf(buf, sizeof buf, "%d prompt + %d generated · %d / %d context · %s", snap.n_prompt, n_gen, n,
                  snap.n_ctx, activity_text(snap));
    disabled_wrapped(buf);
}

void draw_sampler(UiState& ui, const core::Snapshot* snap) {
    section_heading(ui, "Sampler");
    const float label_w = ImGui::CalcTextSize("repeat penalty").x + ImGui::GetStyle().ItemSpacing.x * 2.0f;
    bool changed        = false;
    for (size_t i = 0; i < size_t(SamplerField::kCount); ++i) {
        const auto f           = SamplerField(i);
        const SliderSpec& spec = slider_spec(f);
        ImGui::PushID(int(i));
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted(spec.label);
        item_tooltip(spec.help);
        ImGui::SameLine(label_w);
        ImGui::SetNextItemWidth(-1.0f);
        if (f == SamplerField::Seed) {
            uint64_t seed = ui.sampler.seed;
            if (ImGui::InputScalar("##v", ImGuiDataType_U64, &seed, nullptr, nullptr, "%llu")) {
                ui.sampler.seed = seed;
                changed         = true;
            }
        } else {
            float v = slider_value(ui.sampler, f);
            char fmt[32];
            const bool off = slider_is_off(ui.sampler, f) && spec.off;
            std::snprintf(fmt, sizeof fmt, "%s", off ? spec.off : spec.format);
            if (slider_float("##v", &v, spec.min, spec.max, fmt)) changed |= set_slider_value(ui.sampler, f, v);
        }
        item_tooltip(spec.help);
        ImGui::PopID();
    }
    if (changed) push_sampler_settings(ui);

    const bool has_pos = snap && !snap->steps.empty();
    ImGui::BeginDisabled(!has_pos || generating(ui));
    const int pos = has_pos ? selected_pos(ui, *snap) : 0;
    char label[64];
    std::snprintf(label, sizeof label, "Apply from position %d", pos);
    if (ImGui::Button(label)) apply_sampler_from(ui, pos);
    item_tooltip("Forget the tokens after the selected position and generate them again with these settings.");
    ImGui::EndDisabled();
    // Beside it when both fit (at a large UI scale they do not: then below).
    const ImGuiStyle& style = ImGui::GetStyle();
    const float defaults_w  = ImGui::CalcTextSize("Defaults").x + style.FramePadding.x * 2.0f;
    if (ImGui::GetItemRectMax().x + style.ItemSpacing.x + defaults_w <=
        ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x)
        ImGui::SameLine();
    if (ImGui::Button("Defaults")) {
        ui.sampler = core::sample::SamplerSettings{};
        push_sampler_settings(ui);
    }
    item_tooltip("Back to the default sampler: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no penalty.");
}

void draw_model_picker(UiState& ui) {
    section_heading(ui, "Model");
    if (ui.summary) {
        ImGui::TextWrapped("%s", ui.summary->title.c_str());
        disabled_wrapped(ui.summary->subtitle.c_str());
    } else if (ui.loader.busy()) {
        ImGui::TextUnformatted("Loading …");
    } else {
        ImGui::TextDisabled("none loaded");
    }
    if (ui.loader.busy()) {
        // The loader cannot report a fraction: a bar that moves says the work goes on.
        const float t = float(std::fmod(ui.loader.elapsed_s(), 1.5) / 1.5);
        char buf[64];
        std::snprintf(buf, sizeof buf, "loading %.1f s", ui.loader.elapsed_s());
        ImGui::ProgressBar(t, ImVec2(-1.0f, 0.0f), buf);
    }
    if (ImGui::Button("Open…")) ui.open_dialog_requested = true;
    item_tooltip("Open a GGUF model file (Ctrl+O), or drop one onto the window.");
    if (!ui.recent.empty()) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(-1.0f);
        if (ImGui::BeginCombo("##recent", "recent files")) {
            std::string chosen;
            for (const std::string& r : ui.recent)
                if (ImGui::Selectable(r.c_str())) chosen = r;
            ImGui::EndCombo();
            if (!chosen.empty()) request_load(ui, chosen);
        }
        item_tooltip("Open one of the models opened before.");
    }
}

}  // namespace

void draw_controls_panel(UiState& ui, const core::Snapshot* snap) {
    section_heading(ui, "Prompt & controls");
    const bool ids_only = ui.model && !ui.model->tokenizer;
    ImGui::TextDisabled(ids_only ? "Prompt: token ids (this model has no tokenizer)" : "Prompt");
    // Escape gives the keyboard back (the shortcuts are ignored while a text box has it) and keeps the text: the box
    // is released before it can see the key, since ImGui 1.86's own Escape reverts the edit and keeps the focus.
    const ImGuiID prompt_id = ImGui::GetID("##prompt");
    if (ImGui::GetActiveID() == prompt_id && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false))
        ImGui::ClearActiveID();
    // Enter evaluates the edited prompt (Ctrl+Enter is a new line), so a class sees the new text's tokens at once.
    const bool enter = draw_prompt_box(ui, ImGui::GetActiveID() == prompt_id);
    if (ImGui::IsItemEdited()) ui.prompt_dirty = std::string(ui.prompt.data()) != ui.applied_prompt;
    item_tooltip(ids_only ? "The token ids the model continues, separated by spaces (empty: BOS alone). Without "
                            "tokenizer.bin beside the checkpoint there is no text to tokenize."
                          : "The text the model continues. Enter evaluates it (Ctrl+Enter: a new line); Step or "
                            "Run evaluate it first when it changed.");
    if (enter && ui.prompt_dirty && ui.bridge.attached() && !generating(ui)) submit_prompt(ui);
    if (ui.prompt_dirty && ui.bridge.attached()) {
        // Until the worker has it, every panel still shows the previous prompt: say so where the edit happens.
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextColored(ImVec4(0.90f, 0.62f, 0.0f, 1.0f), "edited — press Enter to evaluate");
        ImGui::PopTextWrapPos();
        item_tooltip("The panels still show the prompt evaluated before; Enter (or Step, Run) evaluates this one.");
    }
    draw_buttons(ui, snap);
    if (snap) draw_status(ui, *snap);
    ImGui::Spacing();
    draw_sampler(ui, snap);
    ImGui::Spacing();
    draw_interventions_strip(ui, snap);
    ImGui::Spacing();
    draw_model_picker(ui);
}

}  // namespace ts::app
