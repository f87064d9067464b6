// The explorer loop: window, fonts, settings, background loading, frames; and its offscreen twin for screenshots.
#include "app/ui/explorer.hpp"

#include <imgui.h>

#include <algorithm>
#include <cfloat>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/gl/gl_window.hpp"
#include "app/gl/heatmap.hpp"
#include "app/ui/compare_models.hpp"
#include "app/ui/exploration_io.hpp"
#include "app/ui/fonts.hpp"
#include "app/ui/lesson_player.hpp"
#include "app/ui/settings.hpp"
#include "app/ui/shell.hpp"
#include "app/ui/theme.hpp"
#include "app/ui/ui_state.hpp"
#include "core/base/mmap.hpp"

namespace ts::app {
namespace {

// Ctrl+C or SIGTERM in the terminal that started the window: close it as File ▸ Quit would (the layout is saved and
// the engine thread stops), within one wait of the loop (at most 0.25 s).
volatile std::sig_atomic_t g_stop_signal = 0;  // NOLINT: written by the signal handler only

extern "C" void on_stop_signal(int sig) {
    g_stop_signal = sig;
}

// Sets up fonts and settings and, when asked, starts loading the model. Shared by gui and shot.
void init_ui(UiState& ui, const ExplorerOptions& opt, float scale) {
    std::snprintf(ui.prompt.data(), ui.prompt.size(), "%s", opt.prompt.c_str());
    ui.n_steps                   = opt.n_steps;
    ui.session_options.n_ctx     = opt.n_ctx;
    ui.session_options.n_threads = opt.n_threads;
    ui.load_options              = opt.load;
    install_settings(ui);
    apply_style(scale, ui.high_contrast);
    load_fonts(ui.fonts, {}, scale);
    ui.fonts_dirty = false;
}

// Frames start from the window background colour: the full-window panels draw no background of their own.
void match_clear_color(gl::GlWindow& w) {
    const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    w.set_clear_color(bg.x, bg.y, bg.z);
}

// New fonts (a model's characters, or the UI scale) at the monitor's scale times the user's; the style is
// re-scaled with them so paddings grow with the text.
void refresh_fonts(UiState& ui, gl::GlWindow& win, float scale) {
    if (!ui.fonts_dirty) return;
    apply_style(scale * ui.ui_scale, ui.high_contrast);
    load_fonts(ui.fonts, ui.summary ? ui.summary->vocab_codepoints : std::vector<uint32_t>{}, scale * ui.ui_scale);
    win.reload_fonts();
    match_clear_color(win);  // the theme may have changed
    ui.fonts_dirty = false;
}

std::string window_title(const UiState& ui) {
    return ui.summary ? "TokenScope — " + ui.summary->title : std::string("TokenScope");
}

// Writes the frame the window just drew as PNG (File ▸ Save screenshot, F12) and says where in the status bar.
void save_screenshot(UiState& ui, gl::GlWindow& w) {
    auto img = w.take_frame_capture();
    if (!img) return;
    const std::string path = screenshot_path(std::time(nullptr));
    core::Status st        = *img ? gl::write_png(**img, path) : core::Status(img->error());
    if (st)
        ui.status = "Saved screenshot " + path;
    else
        show_error(ui, "Cannot save the screenshot", st.error().message);
}

// What `tokenscope` opens: without -m, the last session's model and prompt (imgui.ini's [Session], read by
// install_settings) when the user keeps that on and the file is still there; else opt.model_path.
std::string start_model(UiState& ui, const ExplorerOptions& opt) {
    if (!opt.reopen_last || !ui.reopen_last || ui.last_model.empty()) return opt.model_path;
    std::error_code ec;
    if (!core::is_builtin_file(ui.last_model) && !std::filesystem::is_regular_file(ui.last_model, ec)) {
        ui.status = "The last model, " + ui.last_model + ", is gone; opened the default model";
        return opt.model_path;
    }
    if (!opt.prompt_given) std::snprintf(ui.prompt.data(), ui.prompt.size(), "%s", ui.last_prompt.c_str());
    return ui.last_model;
}

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const size_t i = std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5));
    return v[i];
}

}  // namespace

int run_explorer(const ExplorerOptions& opt) {
    UiState ui;  // outlives the window: ImGui writes imgui.ini through it when its context is destroyed
    ui.ini_path = default_ini_path();
    gl::WindowConfig cfg;
    auto win = gl::GlWindow::create(cfg);
    if (!win) {
        std::fprintf(stderr, "error: %s\n", win.error().message.c_str());
        return 1;
    }
    gl::GlWindow& w = **win;
    auto heatmap    = gl::HeatmapRenderer::create();  // compiles the shaders now, so a broken driver shows early
    if (!heatmap)
        std::fprintf(stderr, "warning: %s\n", heatmap.error().message.c_str());
    else
        ui.heatmap = heatmap->get();
    ui.renderer_info  = w.renderer_info();
    const float scale = w.content_scale();
    init_ui(ui, opt, scale);
    match_clear_color(w);
    ui.bridge.set_wake(&gl::GlWindow::wake);
    if (opt.exploration) {  // gui --open: its model (or -m's), its tokens, its view
        start_opening(ui, opt.exploration, opt.exploration_file, opt.model_path);
    } else {
        const std::string start = start_model(ui, opt);
        if (!start.empty()) request_load(ui, start);
    }

    int quiet_frames      = 0;
    uint64_t seen_version = 0;
    bool run_on_load      = opt.run_on_load;
    std::string compare   = opt.compare_model;  // gui --compare-model: loaded once the first model is there
    double next_frame     = 0;                  // steady_seconds() before which no frame starts
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    // Closing (the window's button, Quit) waits for a save still hashing the model; a signal stops at once.
    bool closing = false;
    std::string error_at_close;  // the error shown when closing began: a later one (the save's) goes to stderr too
    while (g_stop_signal == 0) {
        if (!closing && (w.should_close() || ui.quit_requested)) {
            closing        = true;
            error_at_close = ui.error_message;
        }
        if (closing && may_close(ui)) break;
        open_dropped(ui, w.take_dropped_paths());
        if (auto done = ui.loader.poll()) {
            const std::string path = ui.loader.path();
            accept_load(ui, std::move(*done), path);
            w.set_title(window_title(ui));
            if (run_on_load && ui.bridge.attached() && (!ui.prompt_dirty || submit_prompt(ui)))
                ui.bridge.push(core::cmd::Run{ui.n_steps});  // gui -n N: the first model generates N tokens
            run_on_load = false;
            if (!compare.empty() && ui.model) request_compare_model(ui, compare);
            compare.clear();
        }
        poll_compare_model(ui);
        poll_exploration(ui);  // an exploration being opened: its restore, then its view
        if (const double now = steady_seconds(); now >= ui.next_file_check) {
            check_model_file(ui);  // a rewritten model file: the status bar offers Reload
            ui.next_file_check = now + 1.0;
        }
        refresh_fonts(ui, w, scale);
        // Draw at once what changed (input, a new snapshot) and a few frames after it, so ImGui settles popups,
        // hover states and layout; otherwise sleep until input or the engine's next publish wakes the loop (the
        // worker calls GlWindow::wake). Frames are never drawn in a busy loop: on a small machine the UI would take
        // a core from the engine it shows.
        const auto snap        = ui.bridge.load();
        const bool fresh       = snap && snap->version != seen_version;
        seen_version           = snap ? snap->version : 0;
        const bool interacting = ImGui::IsAnyMouseDown() || ImGui::IsAnyItemActive();
        const bool working     = ui.loader.busy() || ui.compare_loader.busy() || ui.hash_job.busy() ||
                             (snap && (engine_busy(*snap) || snap->derived_pending));
        double wait = 1.0;  // idle: input and publishes wake the loop sooner
        if (fresh || interacting || quiet_frames < 3)
            wait = 0.0;
        else if (working)
            wait = 1.0 / 30.0;  // progress bars and timers move
        else if (ui.playing)
            wait = std::clamp(ui.play_next - steady_seconds(), 0.0, 0.25);  // the next paced step
        // At most 60 frames a second: a fast run publishes hundreds of snapshots a second, and a software renderer
        // without vsync would draw every one of them.
        if (const double early = next_frame - steady_seconds(); early > 0.0)
            std::this_thread::sleep_for(std::chrono::duration<double>(early));
        next_frame       = steady_seconds() + 1.0 / 60.0;
        const bool input = w.begin_frame(wait);
        quiet_frames     = fresh || interacting || (wait > 0.0 && input) ? 0 : quiet_frames + 1;
        draw_shell(ui);
        const bool save         = ui.screenshot_requested;
        ui.screenshot_requested = false;
        if (save) w.request_frame_capture();
        w.end_frame();
        if (save) save_screenshot(ui, w);
    }
    if (closing && ui.error_message != error_at_close)
        std::fprintf(stderr, "error: %s: %s\n", ui.error_title.c_str(), ui.error_message.c_str());
    ui.bridge.detach();
    ui.views   = PanelViews{};  // GL textures go while the context is still there
    ui.heatmap = nullptr;
    return 0;
}

namespace {

// --branch POS:ID, after the generation: each forces ID at POS and generates as many tokens again (the tree keeps the
// old continuation), then the first branch is compared with the last (the Branches panel's comparison).
core::Status branch_for_shot(UiState& ui, const ShotOptions& opt) {
    if (opt.branches.empty()) return {};
    constexpr auto kTimeout = std::chrono::minutes(5);
    for (const auto& [pos, id] : opt.branches) {
        const auto before = ui.bridge.load();
        const int n_pos   = before ? int(before->steps.size()) : 0;
        if (pos < 1 || pos > n_pos)
            return core::make_error(core::Code::kInvalidArgument, "--branch: position %d is outside [1, %d]", pos,
                                    n_pos);
        ui.bridge.push(core::cmd::Branch{pos, id});
        if (n_pos - pos - 1 > 0) ui.bridge.push(core::cmd::Run{n_pos - pos - 1});
        if (!ui.bridge.wait_for(ui.bridge.last_ticket(), kTimeout))
            return core::make_error(core::Code::kInternal, "--branch: generating took longer than 5 minutes");
        if (auto s = ui.bridge.load(); s && !s->error.empty())
            return core::make_error(core::Code::kInvalidArgument, "--branch %d:%d: %s", pos, id, s->error.c_str());
    }
    const auto snap = ui.bridge.load();
    if (!snap || !snap->branches) return {};
    // The first leaf row other than the current one.
    const auto& rows = snap->branches->rows;
    for (int r = 0; r < int(rows.size()); ++r) {
        const bool leaf =
            std::none_of(rows.begin(), rows.end(), [&](const core::BranchRow& o) { return o.parent_row == r; });
        if (leaf && rows[size_t(r)].current < 0) {
            compare_branches(ui, rows[size_t(r)].nodes.back(), snap->branches->current);
            break;
        }
    }
    if (!ui.bridge.wait_for(ui.bridge.last_ticket(), kTimeout))
        return core::make_error(core::Code::kInternal, "--branch: comparing took longer than 5 minutes");
    return {};
}

// Generates the shot's tokens through the worker before anything is drawn, then waits for the derived numbers of
// the selection: the same flags give the same pixels.
core::Status generate_for_shot(UiState& ui, const ShotOptions& opt) {
    if (!ui.bridge.attached()) return {};
    for (const std::string& spec : opt.interventions)  // before the prompt, so its prefill is already intervened
        if (!add_intervention(ui, spec))
            return core::make_error(core::Code::kInvalidArgument, "%s", ui.intervene_error.c_str());
    if (ui.prompt_dirty && !submit_prompt(ui))
        return core::make_error(core::Code::kInvalidArgument, "%s", ui.prompt_error.c_str());
    ui.bridge.push(core::cmd::Run{opt.explorer.n_steps});
    select_layer_head(ui, opt.layer, opt.head);
    // --attention LIST: a view (head, heads, mean) and options (log, magma), comma-separated.
    std::string list = ",";  // += rather than +: g++ 12 reports a false -Wrestrict for "," + std::string
    list += opt.attention_mode;
    list += ',';
    auto has = [&](const char* item) {
        std::string key = ",";
        key += item;
        key += ',';
        return list.find(key) != std::string::npos;
    };
    if (has("heads")) ui.attention.mode = AttentionMode::AllHeads;
    if (has("mean")) ui.attention.mode = AttentionMode::HeadMean;
    ui.attention.log_scale  = has("log");
    ui.attention.magma      = has("magma");
    ui.attention.hide_sinks = has("nosinks");
    // The whole window shows the generation through the Attention tab (the Model tab has its own --panel model).
    if (opt.explorer.n_steps > 0 || !opt.attention_mode.empty()) ui.tab_request = CenterTab::Attention;
    constexpr auto kTimeout = std::chrono::minutes(5);
    if (!ui.bridge.wait_for(ui.bridge.last_ticket(), kTimeout))
        return core::make_error(core::Code::kInternal, "shot: generating %d tokens took longer than 5 minutes",
                                opt.explorer.n_steps);
    TS_TRY(branch_for_shot(ui, opt));
    begin_ui_frame(ui);  // sends the focus
    if (!ui.bridge.wait_for(ui.bridge.last_ticket(), kTimeout, true))
        return core::make_error(core::Code::kInternal, "shot: deriving the attention numbers took too long");
    auto snap = ui.bridge.load();
    if (snap && !snap->error.empty()) return core::make_error(core::Code::kInvalidArgument, "%s", snap->error.c_str());
    if (opt.layer != ui.sel.layer || opt.head != ui.sel.head)
        return core::make_error(core::Code::kInvalidArgument, "shot: the model has %d layers and %d heads",
                                ui.model->hp.n_layer, ui.model->hp.n_head);
    return {};
}

int shot_frames(UiState& ui, gl::GlWindow& w, const ShotOptions& opt);

// shot --open: the exploration restored by the engine and its view applied (--layer / --head, when given, win), then
// the derived numbers of that view awaited.
core::Status restore_for_shot(UiState& ui, const ShotOptions& opt) {
    if (!ui.bridge.attached()) return {};
    const std::string model = ui.last_model;
    start_opening(ui, opt.explorer.exploration, opt.explorer.exploration_file, model, /*check=*/false);
    constexpr auto kTimeout = std::chrono::minutes(5);
    poll_exploration(ui);  // sends the restore
    if (!ui.bridge.wait_for(ui.bridge.last_ticket(), kTimeout))
        return core::make_error(core::Code::kInternal, "shot: restoring the exploration took longer than 5 minutes");
    const auto snap = ui.bridge.load();
    if (snap && !snap->error.empty())
        return core::make_error(core::Code::kInvalidArgument, "%s: %s", opt.explorer.exploration_file.c_str(),
                                snap->error.c_str());
    poll_exploration(ui);  // applies the view
    if (opt.layer_given || opt.head_given)
        select_layer_head(ui, opt.layer_given ? opt.layer : ui.sel.layer, opt.head_given ? opt.head : ui.sel.head);
    ui.status = "Opened " + opt.explorer.exploration_file.substr(opt.explorer.exploration_file.find_last_of('/') + 1);
    begin_ui_frame(ui);  // sends the focus
    if (!ui.bridge.wait_for(ui.bridge.last_ticket(), kTimeout, true))
        return core::make_error(core::Code::kInternal, "shot: deriving the numbers took too long");
    return {};
}

// --compare-model B.gguf: the second model loaded, handed to the engine and compared on the shot's tokens (the
// Models tab shown), before the frames.
core::Status compare_for_shot(UiState& ui, const ShotOptions& opt) {
    const std::string& path = opt.explorer.compare_model;
    if (path.empty() || !ui.bridge.attached()) return {};
    request_compare_model(ui, path);
    auto done = ui.compare_loader.wait();
    if (!done) return core::make_error(core::Code::kInternal, "--compare-model: %s was not loaded", path.c_str());
    TS_TRY(accept_compare_model(ui, std::move(*done), path));
    ui.status               = "Comparing with " + path.substr(path.find_last_of('/') + 1);
    constexpr auto kTimeout = std::chrono::minutes(10);
    if (!ui.bridge.wait_for(ui.bridge.last_ticket(), kTimeout, true))
        return core::make_error(core::Code::kInternal, "--compare-model: comparing took longer than 10 minutes");
    const auto snap = ui.bridge.load();
    if (snap && !snap->error.empty()) return core::make_error(core::Code::kInvalidArgument, "%s", snap->error.c_str());
    if (snap && snap->model_compare && !snap->model_compare->error.empty())
        return core::make_error(core::Code::kInvalidArgument, "--compare-model: %s",
                                snap->model_compare->error.c_str());
    return {};
}

// --lesson FILE[:STEP]: the player open at that step, its actions done by the engine before the frames.
core::Status open_lesson_for_shot(UiState& ui, const std::string& spec) {
    std::string file = spec;
    int step         = 1;
    if (const size_t colon = spec.rfind(':'); colon != std::string::npos && colon + 1 < spec.size() &&
                                              spec.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
        file = spec.substr(0, colon);
        step = std::atoi(spec.c_str() + colon + 1);
    }
    if (!ui.bridge.attached()) return core::make_error(core::Code::kInvalidArgument, "--lesson needs a model");
    if (!open_lesson(ui, file)) return core::make_error(core::Code::kInvalidArgument, "%s", ui.lesson->error.c_str());
    if (step < 1 || step > int(ui.lesson->lesson.steps.size()))
        return core::make_error(core::Code::kInvalidArgument, "--lesson: %s has %zu steps, not %d", file.c_str(),
                                ui.lesson->lesson.steps.size(), step);
    go_to_lesson_step(ui, step - 1);
    if (!ui.lesson->error.empty())
        return core::make_error(core::Code::kInvalidArgument, "%s", ui.lesson->error.c_str());
    constexpr auto kTimeout = std::chrono::minutes(5);
    if (!ui.bridge.wait_for(ui.bridge.last_ticket(), kTimeout))
        return core::make_error(core::Code::kInternal, "--lesson: the step's actions took longer than 5 minutes");
    begin_ui_frame(ui);
    if (!ui.bridge.wait_for(ui.bridge.last_ticket(), kTimeout, true))
        return core::make_error(core::Code::kInternal, "--lesson: deriving the numbers took too long");
    return {};
}

}  // namespace

int run_shot(const ShotOptions& opt) {
    UiState ui;
    ui.ini_path   = "";  // screenshots neither read nor write the user's layout
    ui.screenshot = true;
    gl::WindowConfig cfg;
    cfg.width     = opt.width;
    cfg.height    = opt.height;
    cfg.offscreen = true;
    auto win      = gl::GlWindow::create(cfg);
    if (!win) {
        std::fprintf(stderr, "error: %s\n", win.error().message.c_str());
        return 1;
    }
    gl::GlWindow& w = **win;
    auto heatmap    = gl::HeatmapRenderer::create();
    if (!heatmap) {
        std::fprintf(stderr, "error: %s\n", heatmap.error().message.c_str());
        return 1;
    }
    ui.heatmap       = heatmap->get();
    ui.renderer_info = w.renderer_info();
    init_ui(ui, opt.explorer, 1.0f);
    match_clear_color(w);
    if (!opt.explorer.model_path.empty()) {
        request_load(ui, opt.explorer.model_path);
        auto done = ui.loader.wait();
        if (done && !*done) {
            std::fprintf(stderr, "error: %s\n", done->error().message.c_str());
            return 1;
        }
        if (done && done->ok()) {
            if (std::string why = context_problem(*done->value().model, opt.explorer.n_ctx); !why.empty()) {
                std::fprintf(stderr, "error: %s\n", why.c_str());
                return 2;
            }
        }
        if (done) accept_load(ui, std::move(*done), opt.explorer.model_path);
        // No load time in the picture: the same input must give the same pixels.
        const size_t slash = opt.explorer.model_path.find_last_of('/');
        ui.status          = "Loaded " + opt.explorer.model_path.substr(slash == std::string::npos ? 0 : slash + 1);
        if (auto st = opt.explorer.exploration ? restore_for_shot(ui, opt) : generate_for_shot(ui, opt); !st) {
            std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
            return 1;
        }
        if (auto st = compare_for_shot(ui, opt); !st) {
            std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
            return 1;
        }
    }
    set_ui_scale(ui, opt.ui_scale);
    if (!opt.split.empty()) {
        const size_t comma = opt.split.find(',');
        ui.split.on        = true;
        ui.split.left      = center_tab_named(opt.split.substr(0, comma));
        ui.split.right     = center_tab_named(comma == std::string::npos ? "" : opt.split.substr(comma + 1));
        ui.tab_request     = CenterTab::kCount;
    }
    if (!opt.lesson.empty()) {
        if (auto st = open_lesson_for_shot(ui, opt.lesson); !st) {
            std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
            return 1;
        }
    }
    const int code = shot_frames(ui, w, opt);
    ui.bridge.detach();
    ui.views   = PanelViews{};
    ui.heatmap = nullptr;
    return code;
}

namespace {

int shot_frames(UiState& ui, gl::GlWindow& w, const ShotOptions& opt) {
    refresh_fonts(ui, w, 1.0f);

    std::vector<double> ms, ui_ms;  // whole frame (until the GPU is done); building the ImGui frame alone
    const int frames = std::max(1, opt.frames);
    using Ms         = std::chrono::duration<double, std::milli>;
    auto draw        = [&] {
        if (opt.panel == "all")
            draw_shell(ui);
        else
            draw_single_panel(ui, opt.panel);
    };
    // Two frames that are not measured: the first puts the panel on screen, the second sends the focus that asks
    // the worker for what it shows (the Journey's replay, the Geometry's projections); then wait for those numbers.
    for (int i = 0; i < 2; ++i) {
        w.begin_frame(0.0);
        draw();
        w.end_frame();
    }
    if (ui.bridge.attached() && !ui.bridge.wait_for(ui.bridge.last_ticket(), std::chrono::minutes(5), true)) {
        std::fprintf(stderr, "error: shot: deriving the panel's numbers took longer than 5 minutes\n");
        return 1;
    }
    for (int i = 0; i < frames; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        // Offscreen there is no input backend: the mouse is wherever --hover puts it, or nowhere.
        ImGui::GetIO().MousePos = opt.hover_x >= 0 ? ImVec2(opt.hover_x, opt.hover_y) : ImVec2(-FLT_MAX, -FLT_MAX);
        w.begin_frame(0.0);
        draw();
        ui_ms.push_back(Ms(std::chrono::steady_clock::now() - t0).count());
        w.end_frame();
        w.finish();
        ms.push_back(Ms(std::chrono::steady_clock::now() - t0).count());
    }
    auto img = w.capture();
    if (!img) {
        std::fprintf(stderr, "error: %s\n", img.error().message.c_str());
        return 1;
    }
    if (auto st = gl::write_png(*img, opt.out); !st) {
        std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
        return 1;
    }
    if (opt.report_frames) {
        // Draw calls and vertices of the last frame: what a software rasteriser's time grows with.
        const ImDrawData* dd = ImGui::GetDrawData();
        int calls = 0, vertices = 0;
        for (int i = 0; dd && i < dd->CmdListsCount; ++i) calls += dd->CmdLists[i]->CmdBuffer.Size;
        vertices = dd ? dd->TotalVtxCount : 0;
        std::printf(
            "frames: %d p50_ms=%.2f p95_ms=%.2f ui_p50_ms=%.2f ui_p95_ms=%.2f draw_calls=%d vertices=%d "
            "font_atlas=%dx%d\n",
            frames, percentile(ms, 0.5), percentile(ms, 0.95), percentile(ui_ms, 0.5), percentile(ui_ms, 0.95), calls,
            vertices, ImGui::GetIO().Fonts->TexWidth, ImGui::GetIO().Fonts->TexHeight);
    }
    return 0;
}

}  // namespace

}  // namespace ts::app
