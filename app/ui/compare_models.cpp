// The quantisation lens's second model: loading, handing to the engine, closing, the menu items and the path dialog
// (see compare_models.hpp).
#include "app/ui/compare_models.hpp"

#include <imgui.h>

#include "app/ui/widgets.hpp"
#include "core/trace/compare.hpp"

namespace ts::app {
namespace {

std::string base_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

void request_compare_model(UiState& ui, const std::string& path) {
    if (path.empty()) return;
    if (!ui.model) {
        ui.status = "Open a model first: the second model is compared with the one on screen";
        return;
    }
    if (!ui.compare_loader.start(path, ui.load_options)) {
        ui.status = "Still loading " + base_name(ui.compare_loader.path()) + "; try again when it is done";
        return;
    }
    ui.status = "Loading " + base_name(path) + " to compare …";
}

core::Status accept_compare_model(UiState& ui, core::Result<LoadedModel> loaded, const std::string& path) {
    if (!loaded) {
        ui.status = "Could not load " + base_name(path);
        return loaded.error();
    }
    if (!ui.model)
        return core::make_error(core::Code::kInvalidArgument, "no model on screen to compare %s with", path.c_str());
    if (auto st = core::check_same_vocabulary(*ui.model, *loaded->model); !st) {
        ui.status = "Not compared: " + base_name(path) + " has another vocabulary";
        return st;
    }
    ui.compare_model   = loaded->model;
    ui.compare_summary = loaded->summary;
    ui.bridge.push(core::cmd::CompareWith{ui.compare_model});
    ui.tab_request = CenterTab::Models;
    ui.status      = "Comparing with " + base_name(path);
    return {};
}

void poll_compare_model(UiState& ui) {
    auto done = ui.compare_loader.poll();
    if (!done) return;
    const std::string path = ui.compare_loader.path();
    if (auto st = accept_compare_model(ui, std::move(*done), path); !st)
        show_error(ui, "Cannot compare with " + base_name(path), st.error().message);
}

void close_compare_model(UiState& ui) {
    if (!ui.compare_model) return;
    ui.status = "Closed " + base_name(ui.compare_model->path);
    ui.bridge.push(core::cmd::CompareWith{nullptr});
    ui.compare_model.reset();
    ui.compare_summary.reset();
    ui.views.models.reset();
}

void rehand_compare_model(UiState& ui) {
    if (!ui.compare_model || !ui.model) return;
    if (core::check_same_vocabulary(*ui.model, *ui.compare_model).ok()) {
        ui.bridge.push(core::cmd::CompareWith{ui.compare_model});
        return;
    }
    const std::string name = base_name(ui.compare_model->path);
    ui.compare_model.reset();  // the new worker never had it
    ui.compare_summary.reset();
    ui.status += " (closed " + name + ": another vocabulary)";
}

void draw_compare_menu_items(UiState& ui) {
    if (ImGui::MenuItem("Compare with another model…", "Ctrl+M", false, ui.model != nullptr))
        ui.compare_dialog_requested = true;
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip(
            "Run the tokens on screen through a second file of the same vocabulary (e.g. the F16 and the\n"
            "Q4_K_M of one model) and see where they differ: the Models tab.");
    if (ImGui::MenuItem("Close the second model", nullptr, false, ui.compare_model != nullptr)) close_compare_model(ui);
}

void handle_compare_keys(UiState& ui) {
    const ImGuiIO& io = ImGui::GetIO();
    if (!io.WantTextInput && io.KeyCtrl && ImGui::IsKeyPressed('M', false) && ui.model)
        ui.compare_dialog_requested = true;
}

void draw_compare_dialog(UiState& ui) {
    handle_compare_keys(ui);
    if (ui.compare_dialog_requested) {
        ImGui::OpenPopup("Compare with another model");
        ui.compare_dialog_requested = false;
    }
    static constexpr PathModal kCompare{
        "Compare with another model",
        "Path of a second model file with the same vocabulary (e.g. another quantisation):",
        "A .gguf file; Enter loads it in the background and compares it on the tokens on screen.",
        nullptr,
        "Compare",
        nullptr};
    if (path_modal(kCompare, ui.compare_path)) request_compare_model(ui, std::string(ui.compare_path.data()));
}

}  // namespace ts::app
