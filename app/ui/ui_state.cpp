// UiState actions shared by the shell, the menu and the explorer loop: errors, loads, the recent-files list.
#include "app/ui/ui_state.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "app/ui/compare_models.hpp"
#include "app/ui/exploration_io.hpp"
#include "core/base/user_dirs.hpp"

namespace ts::app {
namespace {

std::string file_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

void remember_recent(UiState& ui, const std::string& path) {
    ui.recent.erase(std::remove(ui.recent.begin(), ui.recent.end(), path), ui.recent.end());
    ui.recent.insert(ui.recent.begin(), path);
    if (ui.recent.size() > UiState::kMaxRecent) ui.recent.resize(UiState::kMaxRecent);
}

}  // namespace

UiState::UiState() {
    heads.cache_dir = core::user_cache_dir();
}
UiState::~UiState() {
    bridge.detach();
}

void set_ui_scale(UiState& ui, float scale) {
    scale = std::clamp(scale, UiState::kMinUiScale, UiState::kMaxUiScale);
    if (scale == ui.ui_scale) return;
    ui.ui_scale    = scale;
    ui.fonts_dirty = true;
    if (ImGui::GetCurrentContext()) ImGui::MarkIniSettingsDirty();
}

void show_error(UiState& ui, std::string title, std::string message) {
    ui.error_title     = std::move(title);
    ui.error_message   = std::move(message);
    ui.error_requested = true;
}

void request_load(UiState& ui, const std::string& path) {
    if (path.empty()) return;
    if (is_exploration_file(path)) {  // File ▸ Open, Recent and drops take saved explorations too
        open_exploration(ui, path);
        return;
    }
    if (ui.opening && !ui.model_problem.empty()) {  // the model file picked for an exploration being opened
        ui.model_problem.clear();
        ui.opening_model = path;
    }
    if (!ui.loader.start(path, ui.load_options)) {
        ui.status = "Still loading " + file_name(ui.loader.path()) + "; try again when it is done";
        return;
    }
    ui.status = "Loading " + file_name(path) + " …";
}

void open_dropped(UiState& ui, const std::vector<std::string>& paths) {
    if (paths.empty()) return;
    request_load(ui, paths.front());
    if (paths.size() > 1 && ui.loader.busy() && ui.loader.path() == paths.front())
        ui.status = "Loading " + file_name(paths.front()) + " … (" + std::to_string(paths.size()) +
                    " files dropped: one model at a time, the first one)";
}

void check_model_file(UiState& ui) {
    if (!ui.model || ui.model_file_changed || core::is_builtin_file(ui.model->path)) return;
    const auto now        = core::stamp_file(ui.model->path);
    ui.model_file_changed = !now || !(*now == ui.model_stamp);
    if (ui.model_file_changed) ui.status = file_name(ui.model->path) + " changed on disk since it was loaded";
}

void reload_model(UiState& ui) {
    if (!ui.model) return;
    request_load(ui, ui.model->path);
}

std::string context_problem(const core::Model& model, int n_ctx) {
    const int train = model.hp.n_ctx_train;
    if (n_ctx <= 0 || train <= 0 || n_ctx <= train) return {};
    return "-c " + std::to_string(n_ctx) + " is larger than the model's context of " + std::to_string(train) +
           " tokens";
}

void accept_load(UiState& ui, core::Result<LoadedModel> result, const std::string& path) {
    if (!result) {
        ui.status = "Could not load " + file_name(path);
        show_error(ui, "Cannot open model", result.error().message);
        return;
    }
    ui.model              = result->model;
    ui.summary            = result->summary;
    ui.model_stamp        = ui.model->map ? ui.model->map->stamp() : core::FileStamp{};
    ui.model_file_changed = false;
    ui.snap               = nullptr;
    ui.sel                = Selection{};
    ui.preview            = SamplerPreview{};
    ui.views              = PanelViews{};
    ui.heads.wanted       = false;  // a new model's atlas is asked for again (or found in the cache)
    ui.heads.ablate_layer = ui.heads.ablate_head = -1;
    ui.interventions_sent.clear();  // a new session starts without interventions
    ui.interventions_ticket = 0;
    ui.intervene_error.clear();
    core::SessionOptions so = ui.session_options;
    so.prompt_logits        = true;  // the Logits and Softmax panels at prompt positions, the strip's surprisal
    if (std::string why = context_problem(*ui.model, so.n_ctx); !why.empty()) {
        so.n_ctx = 0;  // the model's own context; the user is told
        show_error(ui, "Context too long for this model", why + "; using the model's context instead.");
    }
    if (auto st = ui.bridge.attach(ui.model, so); !st) {
        show_error(ui, "Cannot start the engine", st.error().message);
    } else if (ui.prompt[0] != '\0') {
        submit_prompt(ui);  // the prompt box's text is evaluated at once
    } else {
        ui.prompt_dirty = true;
    }
    ui.fonts_dirty = true;  // the vocabulary may use characters the atlas lacks
    ui.tab_request = CenterTab::Model;
    remember_recent(ui, path);
    ui.last_model = path;
    if (ImGui::GetCurrentContext()) ImGui::MarkIniSettingsDirty();
    char buf[256];
    std::snprintf(buf, sizeof buf, "Loaded %s in %.2f s", file_name(path).c_str(), ui.loader.elapsed_s());
    ui.status = buf;
    rehand_compare_model(ui);  // the new engine compares it too when the vocabularies agree
}

}  // namespace ts::app
