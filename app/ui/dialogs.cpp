// The explorer's modal windows and boxes (dialogs.hpp).
#include "app/ui/dialogs.hpp"

#include <imgui.h>

#include <cfloat>
#include <string>

#include "app/ui/compare_models.hpp"
#include "app/ui/exploration_io.hpp"
#include "app/ui/widgets.hpp"
#include "app/version/version.hpp"
#include "core/tensor/simd.hpp"

namespace ts::app {
namespace {

// `tokenscope --version`'s lines after the first (commit, compiler, SIMD), for the About box, whose title holds
// the version. The SIMD level in use is the one main() chose before the explorer started.
std::string about_build_text() {
    const std::string in_use = std::string(core::simd_name(core::active_simd())) + " (this CPU has up to " +
                               core::simd_name(core::detected_simd()) + ")";
    const std::string text = version_text(in_use);
    return text.substr(text.find('\n') + 1);
}

}  // namespace

void draw_dialogs(UiState& ui) {
    const ImVec2 center = ImGui::GetMainViewport()->GetCenter();
    const float em      = ImGui::GetFontSize();
    if (ui.open_dialog_requested) {
        ImGui::OpenPopup("Open model");
        ui.open_dialog_requested = false;
    }
    static constexpr PathModal kOpen{
        "Open model",
        "Path of a GGUF model, a llama2.c checkpoint or a saved exploration (.tscope):",
        "A .gguf file, or a llama2.c .bin checkpoint (its tokenizer.bin beside it); Enter opens it.",
        "Tip: you can also drop a file onto the window.",
        "Open",
        "Load this model in the background; the current one stays until it is ready."};
    if (path_modal(kOpen, ui.open_path)) request_load(ui, std::string(ui.open_path.data()));

    draw_exploration_dialogs(ui);
    draw_compare_dialog(ui);  // and its key, Ctrl+M

    if (ui.error_requested) {
        ImGui::OpenPopup("Error##modal");
        ui.error_requested = false;
    }
    ImGui::SetNextWindowPos(center, ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSizeConstraints(ImVec2(em * 20.0f, 0.0f), ImVec2(em * 44.0f, FLT_MAX));
    if (ImGui::BeginPopupModal("Error##modal", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
        ImGui::PushFont(ui.fonts.title);
        ImGui::TextUnformatted(ui.error_title.c_str());
        ImGui::PopFont();
        ImGui::PushTextWrapPos(em * 42.0f);
        ImGui::TextUnformatted(ui.error_message.c_str());
        ImGui::PopTextWrapPos();
        ImGui::Spacing();
        if (ImGui::Button("OK", ImVec2(em * 6.0f, 0.0f)) ||
            ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter), false) ||
            ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false))
            ImGui::CloseCurrentPopup();
        ImGui::EndPopup();
    }

    if (ui.show_about) {
        ImGui::SetNextWindowPos(center, ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
        if (ImGui::Begin("About TokenScope", &ui.show_about,
                         ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) {
            ImGui::PushFont(ui.fonts.title);
            ImGui::Text("TokenScope %s", build_info().version);
            ImGui::PopFont();
            ImGui::PushTextWrapPos(em * 32.0f);
            ImGui::TextUnformatted(
                "A desktop explorer of transformer inference: a real engine runs a real model "
                "token by token, and the panels show what it computed.");
            ImGui::PopTextWrapPos();
            ImGui::PushFont(ui.fonts.mono);
            ImGui::TextDisabled("%s", about_build_text().c_str());
            ImGui::PopFont();
            ImGui::TextDisabled("Dear ImGui %s · %s", IMGUI_VERSION, ui.renderer_info.c_str());
        }
        ImGui::End();
    }
    if (ui.show_shortcuts) {
        ImGui::SetNextWindowPos(center, ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
        if (ImGui::Begin("Keyboard shortcuts", &ui.show_shortcuts,
                         ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings)) {
            static constexpr const char* kKeys[][2] = {{"→", "step: generate one token"},
                                                       {"←", "rewind: forget the last token"},
                                                       {"space", "run / pause"},
                                                       {"↑ ↓", "move the query position (End: follow the newest)"},
                                                       {"[ ]", "previous / next attention head"},
                                                       {"Shift+[ ]", "previous / next layer"},
                                                       {"S", "attention: hide the sink columns and renormalise"},
                                                       {"P", "predict mode: guess the next token before it is shown"},
                                                       {"click a token", "make it the query position of every panel"},
                                                       {"Ctrl+O", "open a model file or a saved exploration"},
                                                       {"Ctrl+S", "save the exploration (.tscope)"},
                                                       {"Ctrl+M", "compare with another model (the Models tab)"},
                                                       {"Ctrl+Z", "undo a branch-tree edit (step, branch, switch)"},
                                                       {"Ctrl+Shift+Z", "redo the branch-tree edit undone"},
                                                       {"Branches ↑ ↓", "previous / next sibling branch"},
                                                       {"Branches ← →", "along a branch; Enter switches to it"},
                                                       {"F12", "save a screenshot of the window (PNG)"},
                                                       {"Ctrl+E", "export the numbers of the panel on screen (CSV)"},
                                                       {"Ctrl+Q", "quit"},
                                                       {"PgDn PgUp", "next / previous lesson step (Help ▸ Lessons)"},
                                                       {"F1", "this list"},
                                                       {"drag & drop", "open the dropped .gguf file"}};
            if (ImGui::BeginTable("keys", 2, ImGuiTableFlags_RowBg)) {
                for (const auto& k : kKeys) {
                    ImGui::TableNextRow();
                    ImGui::TableSetColumnIndex(0);
                    ImGui::PushFont(ui.fonts.mono);
                    ImGui::TextUnformatted(k[0]);
                    ImGui::PopFont();
                    ImGui::TableSetColumnIndex(1);
                    ImGui::TextUnformatted(k[1]);
                }
                ImGui::EndTable();
            }
        }
        ImGui::End();
    }
}

}  // namespace ts::app
