// Saved explorations in the explorer: the view map, saving, and opening in stages — the model (loaded or picked),
// the engine's restore, the view (exploration_io.hpp).
#include "app/ui/exploration_io.hpp"

#include <imgui.h>

#include <cfloat>
#include <ctime>

#include "app/ui/settings.hpp"
#include "app/ui/shell.hpp"
#include "app/ui/widgets.hpp"
#include "core/base/mmap.hpp"
#include "core/base/sha256.hpp"

namespace ts::app {
namespace {

constexpr const char* kAttentionModes[] = {"head", "heads", "mean"};  // AttentionMode, in order

std::string file_name_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Reads view[key] into `out` when it is there with the right type.
void get(const core::Json& v, const char* key, bool& out) {
    if (auto it = v.find(key); it != v.end() && it->is_boolean()) out = it->get<bool>();
}
void get(const core::Json& v, const char* key, int& out) {
    if (auto it = v.find(key); it != v.end() && it->is_number_integer()) out = int(it->get<int64_t>());
}
void get(const core::Json& v, const char* key, float& out) {
    if (auto it = v.find(key); it != v.end() && it->is_number()) out = it->get<float>();
}
void get(const core::Json& v, const char* key, CenterTab& out) {
    if (auto it = v.find(key); it != v.end() && it->is_string())
        if (const CenterTab t = center_tab_named(it->get<std::string>()); t != CenterTab::kCount) out = t;
}

// The SHA-256 of the model on screen when it is known for this version of the file ("" : not yet).
std::string cached_sha(const UiState& ui) {
    if (ui.model_sha256.empty() || !(ui.model_sha256_stamp == ui.model_stamp)) return {};
    return ui.model_sha256;
}

// Keeps a hash the job computed of the model on screen (the file as loaded: its stamp unchanged).
void cache_sha(UiState& ui, const std::string& path, const std::string& sha) {
    if (!ui.model || ui.model->path != path) return;
    if (!core::is_builtin_file(path)) {
        const auto now = core::stamp_file(path);
        if (!now || !(*now == ui.model_stamp)) return;
    }
    ui.model_sha256       = sha;
    ui.model_sha256_stamp = ui.model_stamp;
}

bool write_exploration(UiState& ui, const core::Exploration& e, const std::string& path) {
    if (auto st = core::save_exploration(e, path); !st) {
        show_error(ui, "Cannot save the exploration", st.error().message);
        return false;
    }
    ui.status = "Saved the exploration to " + path;
    return true;
}

// Whether `path` is the model on screen, unchanged on disk since it was loaded (one stat).
bool model_on_screen(const UiState& ui, const std::string& path) {
    if (!ui.model || !ui.bridge.attached() || ui.last_model != path || ui.model_file_changed) return false;
    if (core::is_builtin_file(path)) return true;
    const auto now = core::stamp_file(path);
    return now && *now == ui.model_stamp;
}

void continue_opening(UiState& ui, const std::string& path);
bool poll_hash(UiState& ui);

void cancel_opening(UiState& ui) {
    if (!ui.opening_hash.empty() && !ui.pending_save) ui.hash_job.cancel();
    ui.opening_hash.clear();
    ui.opening.reset();
    ui.opening_file.clear();
    ui.opening_model.clear();
    ui.opening_ticket = 0;
    ui.model_problem.clear();
}

}  // namespace

bool is_exploration_file(const std::string& path) {
    return path.size() > 7 && path.compare(path.size() - 7, 7, ".tscope") == 0;
}

core::Json view_of(const UiState& ui) {
    core::Json v;
    v["tab"]              = center_tab_name(ui.tab_shown);
    v["split"]            = ui.split.on;
    v["split_left"]       = center_tab_name(ui.split.left);
    v["split_right"]      = center_tab_name(ui.split.right);
    v["split_fraction"]   = ui.split.fraction;
    v["layer"]            = ui.sel.layer;
    v["head"]             = ui.sel.head;
    v["attention_mode"]   = kAttentionModes[int(ui.attention.mode)];
    v["log_scale"]        = ui.attention.log_scale;
    v["magma"]            = ui.attention.magma;
    v["hide_sinks"]       = ui.attention.hide_sinks;
    v["qk_by_weight"]     = ui.qk_by_weight;
    v["prompt_surprisal"] = ui.prompt_surprisal;
    v["heads_score"]      = ui.heads.score;
    v["ui_scale"]         = ui.ui_scale;
    return v;
}

void apply_view(UiState& ui, const core::Json& v, int query_pos) {
    if (!v.is_object()) return;
    CenterTab tab = ui.tab_shown;
    get(v, "tab", tab);
    ui.tab_request = tab;
    get(v, "split", ui.split.on);
    get(v, "split_left", ui.split.left);
    get(v, "split_right", ui.split.right);
    get(v, "split_fraction", ui.split.fraction);
    ui.split.fraction = std::clamp(ui.split.fraction, 0.1f, 0.9f);
    int layer = ui.sel.layer, head = ui.sel.head;
    get(v, "layer", layer);
    get(v, "head", head);
    select_layer_head(ui, layer, head);
    if (auto it = v.find("attention_mode"); it != v.end() && it->is_string())
        for (int m = 0; m < 3; ++m)
            if (it->get<std::string>() == kAttentionModes[m]) ui.attention.mode = AttentionMode(m);
    get(v, "log_scale", ui.attention.log_scale);
    get(v, "magma", ui.attention.magma);
    get(v, "hide_sinks", ui.attention.hide_sinks);
    get(v, "qk_by_weight", ui.qk_by_weight);
    get(v, "prompt_surprisal", ui.prompt_surprisal);
    get(v, "heads_score", ui.heads.score);
    float scale = ui.ui_scale;
    get(v, "ui_scale", scale);
    if (!ui.screenshot) set_ui_scale(ui, scale);  // a shot's --scale decides its own
    ui.snap = ui.bridge.load();
    select_position(ui, query_pos);
}

core::Result<core::Exploration> exploration_of(UiState& ui) {
    if (!ui.model || !ui.bridge.attached()) return core::make_error(core::Code::kInvalidArgument, "no model is open");
    const auto snap = ui.bridge.load();
    if (!snap || engine_busy(*snap))
        return core::make_error(core::Code::kInvalidArgument, "the engine is busy: pause it first");
    if (snap->steps.empty())
        return core::make_error(core::Code::kInvalidArgument, "nothing is evaluated yet: step or run first");
    // The prompt as set: the engine's (the branch on screen), else the box's text as the engine takes it.
    auto ids = snap->prompt.empty() ? prompt_ids_of(ui.applied_prompt, *ui.model)
                                    : core::Result<std::vector<int32_t>>(snap->prompt);
    if (!ids) return ids.error();
    core::Exploration e = core::make_exploration(ui.model->path, snap->steps, std::move(*ids), ui.applied_prompt,
                                                 ui.sampler, *snap->interventions, view_of(ui));
    if (snap->branches) core::add_tree_paths(e, snap->branches->paths);  // the other branches, after the session's
    e.model_sha256 = cached_sha(ui);
    e.current_pos  = ui.sel.pos;
    return e;
}

bool save_exploration_as(UiState& ui, const std::string& path) {
    auto e = exploration_of(ui);
    if (!e) {
        show_error(ui, "Cannot save the exploration", e.error().message);
        return false;
    }
    if (!e->model_sha256.empty()) return write_exploration(ui, *e, path);
    // The model's hash first, on the hash job's thread: the exploration as it is now is written when it is done.
    ui.pending_save      = std::make_shared<core::Exploration>(std::move(*e));
    ui.pending_save_path = path;
    if (!ui.hash_job.busy()) ui.hash_job.start(ui.model->path);
    ui.status = "Saving the exploration: hashing the model file …";
    return true;
}

bool may_close(const UiState& ui) {
    return ui.pending_save == nullptr;
}

namespace {

bool poll_hash(UiState& ui) {
    if (!ui.pending_save && ui.opening_hash.empty()) return false;
    if (auto done = ui.hash_job.poll()) {
        const std::string path = ui.hash_job.path();
        if (*done) cache_sha(ui, path, **done);
        if (ui.pending_save && ui.pending_save->model_path == path) {
            auto e = std::move(ui.pending_save);
            ui.pending_save.reset();
            if (!*done) {
                show_error(ui, "Cannot save the exploration", done->error().message);
            } else {
                e->model_sha256 = **done;
                write_exploration(ui, *e, ui.pending_save_path);
            }
        }
        if (!ui.opening_hash.empty() && ui.opening_hash == path) {
            ui.opening_hash.clear();
            const core::Status st = ui.opening ? core::check_exploration_sha(*ui.opening, path, *done) : core::Status{};
            if (!st) {
                ui.model_problem           = st.error().message;
                ui.model_problem_requested = true;
            } else if (ui.opening) {
                continue_opening(ui, path);
            }
        }
    }
    // One job at a time: what still waits starts when the other is done.
    if (!ui.hash_job.busy()) {
        if (ui.pending_save)
            ui.hash_job.start(ui.pending_save->model_path);
        else if (!ui.opening_hash.empty())
            ui.hash_job.start(ui.opening_hash);
    }
    if (!ui.pending_save && ui.opening_hash.empty()) return false;
    const int pct = int(ui.hash_job.progress() * 100.0f);
    ui.status     = std::string(ui.pending_save ? "Saving the exploration" : "Opening the exploration") +
                ": hashing the model file … " + std::to_string(pct) + " %";
    return true;
}

}  // namespace

void open_exploration(UiState& ui, const std::string& file) {
    auto e = core::read_exploration(file);
    if (!e) {
        show_error(ui, "Cannot open the exploration", e.error().message);
        return;
    }
    start_opening(ui, std::make_shared<const core::Exploration>(std::move(*e)), file);
}

std::string start_opening(UiState& ui, std::shared_ptr<const core::Exploration> e, const std::string& file,
                          const std::string& model, bool check) {
    cancel_opening(ui);
    ui.opening             = std::move(e);
    ui.opening_file        = file;
    const std::string path = model.empty() ? ui.opening->model_path : model;
    const bool on_screen   = model_on_screen(ui, path);
    if (check) {
        const std::string sha = on_screen ? cached_sha(ui) : std::string();
        if (sha.empty()) {  // the file's hash on the hash job's thread: poll_exploration goes on when it is done
            ui.opening_hash = path;
            if (!ui.hash_job.busy()) ui.hash_job.start(path);
            ui.status = "Opening " + file_name_of(file) + ": hashing the model file …";
            return {};
        }
        if (const core::Status st = core::check_exploration_sha(*ui.opening, path, sha); !st) {
            ui.model_problem           = st.error().message;
            ui.model_problem_requested = true;
            return ui.model_problem;
        }
    }
    continue_opening(ui, path);
    return {};
}

namespace {

void continue_opening(UiState& ui, const std::string& path) {
    const bool on_screen = model_on_screen(ui, path);
    ui.opening_model     = path;
    if (!on_screen) {
        std::snprintf(ui.prompt.data(), ui.prompt.size(), "%s", ui.opening->prompt_text.c_str());
        request_load(ui, path);
    }
    ui.status = "Opening " + file_name_of(ui.opening_file) + " …";
}

}  // namespace

bool poll_exploration(UiState& ui) {
    const bool hashing = poll_hash(ui);
    if (!ui.opening) return hashing;
    if (!ui.model_problem.empty() || ui.loader.busy() || !ui.opening_hash.empty())
        return true;  // the user / file / model
    const core::Exploration& e = *ui.opening;
    if (ui.opening_ticket == 0) {
        if (!ui.model || !ui.bridge.attached() || ui.last_model != ui.opening_model) {  // its load failed (shown)
            ui.status = "Could not open " + file_name_of(ui.opening_file);
            cancel_opening(ui);
            return false;
        }
        std::snprintf(ui.prompt.data(), ui.prompt.size(), "%s", e.prompt_text.c_str());
        ui.applied_prompt = e.prompt_text;
        ui.prompt_dirty   = false;
        ui.prompt_error.clear();
        ui.last_prompt = e.prompt_text;
        ui.sampler     = e.sampler;
        ui.preview     = SamplerPreview{};
        ui.interventions_sent.clear();
        ui.interventions_ticket = 0;
        ui.sel.pos              = -1;
        ui.opening_ticket       = ui.bridge.push(core::cmd::Restore{ui.opening});
        return true;
    }
    const auto snap = ui.bridge.load();
    if (!snap || snap->commands_done < ui.opening_ticket) return true;
    if (snap->error.empty()) {
        apply_view(ui, e.view, e.current_pos);
        ui.status = "Opened " + file_name_of(ui.opening_file);
    } else {
        ui.status = "Could not restore " + file_name_of(ui.opening_file) + ": " + snap->error;
    }
    cancel_opening(ui);
    return false;
}

void draw_exploration_dialogs(UiState& ui) {
    const ImVec2 center = ImGui::GetMainViewport()->GetCenter();
    const float em      = ImGui::GetFontSize();
    if (ui.save_dialog_requested) {
        const std::string path = dated_path(home_folder("Documents"), "exploration", ".tscope", std::time(nullptr));
        std::snprintf(ui.save_path.data(), ui.save_path.size(), "%s", path.c_str());
        ImGui::OpenPopup("Save exploration");
        ui.save_dialog_requested = false;
    }
    ImGui::SetNextWindowPos(center, ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSize(ImVec2(em * 34.0f, 0.0f), ImGuiCond_Appearing);
    if (ImGui::BeginPopupModal("Save exploration", nullptr, ImGuiWindowFlags_NoSavedSettings)) {
        ImGui::TextUnformatted("Save the prompt, the tokens, the settings and the view to:");
        if (ImGui::IsWindowAppearing()) ImGui::SetKeyboardFocusHere();
        ImGui::SetNextItemWidth(-1.0f);
        const bool enter =
            ImGui::InputText("##save", ui.save_path.data(), ui.save_path.size(), ImGuiInputTextFlags_EnterReturnsTrue);
        item_tooltip("A .tscope file (JSON). File ▸ Open reopens it where it is now; so does `tokenscope gui --open`.");
        const bool save = ImGui::Button("Save", ImVec2(em * 6.0f, 0.0f));
        if (save || enter) {
            std::string path(ui.save_path.data());
            if (!is_exploration_file(path)) path += ".tscope";
            ImGui::CloseCurrentPopup();
            save_exploration_as(ui, path);
        }
        ImGui::SameLine();
        if (ImGui::Button("Cancel", ImVec2(em * 6.0f, 0.0f)) ||
            ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false))
            ImGui::CloseCurrentPopup();
        ImGui::EndPopup();
    }

    if (ui.model_problem_requested) {
        ImGui::OpenPopup("The exploration's model");
        ui.model_problem_requested = false;
    }
    ImGui::SetNextWindowPos(center, ImGuiCond_Appearing, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowSizeConstraints(ImVec2(em * 20.0f, 0.0f), ImVec2(em * 44.0f, FLT_MAX));
    if (ImGui::BeginPopupModal("The exploration's model", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
        ImGui::PushTextWrapPos(em * 42.0f);
        ImGui::TextUnformatted(ui.model_problem.c_str());
        ImGui::TextDisabled("Pick the model file it was saved with, or cancel.");
        ImGui::PopTextWrapPos();
        ImGui::Spacing();
        if (ImGui::Button("Pick the model file…")) {
            // The Open dialog: the model the user opens there is the exploration's (request_load sees ui.opening).
            const std::string want = ui.opening ? ui.opening->model_path : std::string();
            std::snprintf(ui.open_path.data(), ui.open_path.size(), "%s", want.c_str());
            ui.open_dialog_requested = true;
            ImGui::CloseCurrentPopup();
        }
        const bool exists = ui.opening && ui.model_problem.find("cannot be read") == std::string::npos;
        if (exists) {
            ImGui::SameLine();
            if (ImGui::Button("Use it anyway")) {
                ImGui::CloseCurrentPopup();
                auto e = ui.opening;
                start_opening(ui, e, ui.opening_file, e->model_path, /*check=*/false);
            }
            item_tooltip(
                "Restore the tokens on this file anyway: the numbers will be this file's, not the saved ones.");
        }
        ImGui::SameLine();
        if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false)) {
            cancel_opening(ui);
            ImGui::CloseCurrentPopup();
        }
        ImGui::EndPopup();
    }
}

}  // namespace ts::app
