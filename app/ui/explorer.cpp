// The explorer loop: window, fonts, settings, background loading, frames; and its offscreen twin for screenshots.
#include "app/ui/explorer.hpp"

#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "app/gl/gl_window.hpp"
#include "app/gl/heatmap.hpp"
#include "app/ui/fonts.hpp"
#include "app/ui/settings.hpp"
#include "app/ui/shell.hpp"
#include "app/ui/ui_state.hpp"

namespace ts::app {
namespace {

constexpr const char* kPanels[]          = {"all",     "model",  "tokens", "attention", "qk",
                                            "softmax", "logits", "kv",     "layers",    "geometry"};
constexpr const char* kAvailablePanels[] = {"all", "model"};

void apply_style(float scale) {
    ImGui::StyleColorsDark();
    ImGuiStyle& st            = ImGui::GetStyle();
    st.WindowRounding         = 4.0f;
    st.FrameRounding          = 3.0f;
    st.GrabRounding           = 3.0f;
    st.TabRounding            = 3.0f;
    st.PopupRounding          = 4.0f;
    st.ScrollbarRounding      = 6.0f;
    st.WindowPadding          = ImVec2(10.0f, 8.0f);
    st.FramePadding           = ImVec2(7.0f, 4.0f);
    st.ItemSpacing            = ImVec2(8.0f, 5.0f);
    st.CellPadding            = ImVec2(6.0f, 3.0f);
    st.WindowBorderSize       = 0.0f;
    st.ChildBorderSize        = 0.0f;
    ImVec4* c                 = st.Colors;
    c[ImGuiCol_WindowBg]      = ImVec4(0.10f, 0.105f, 0.115f, 1.0f);
    c[ImGuiCol_ChildBg]       = ImVec4(0.0f, 0.0f, 0.0f, 0.0f);
    c[ImGuiCol_MenuBarBg]     = ImVec4(0.13f, 0.135f, 0.15f, 1.0f);
    c[ImGuiCol_TableRowBgAlt] = ImVec4(1.0f, 1.0f, 1.0f, 0.035f);
    c[ImGuiCol_Header]        = ImVec4(0.20f, 0.33f, 0.45f, 0.55f);
    c[ImGuiCol_HeaderHovered] = ImVec4(0.24f, 0.42f, 0.58f, 0.70f);
    c[ImGuiCol_PlotHistogram] = ImVec4(0.13f, 0.57f, 0.55f, 1.0f);  // viridis teal for bars
    st.ScaleAllSizes(scale);
}

// Sets up fonts and settings and, when asked, starts loading the model. Shared by gui and shot.
void init_ui(UiState& ui, const ExplorerOptions& opt, float scale) {
    std::snprintf(ui.prompt.data(), ui.prompt.size(), "%s", opt.prompt.c_str());
    ui.n_steps = opt.n_steps;
    install_settings(ui);
    apply_style(scale);
    load_fonts(ui.fonts, {}, scale);
    ui.fonts_dirty = false;
}

void refresh_fonts(UiState& ui, gl::GlWindow& win, float scale) {
    if (!ui.fonts_dirty) return;
    load_fonts(ui.fonts, ui.summary ? ui.summary->vocab_codepoints : std::vector<uint32_t>{}, scale);
    win.reload_fonts();
    ui.fonts_dirty = false;
}

std::string window_title(const UiState& ui) {
    return ui.summary ? "TokenScope — " + ui.summary->title : std::string("TokenScope");
}

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const size_t i = std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5));
    return v[i];
}

}  // namespace

bool is_known_panel(const std::string& name) {
    return std::any_of(std::begin(kPanels), std::end(kPanels), [&](const char* p) { return name == p; });
}

bool is_available_panel(const std::string& name) {
    return std::any_of(std::begin(kAvailablePanels), std::end(kAvailablePanels),
                       [&](const char* p) { return name == p; });
}

const char* known_panels() {
    return "all model tokens attention qk softmax logits kv layers geometry";
}

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
    if (!heatmap) std::fprintf(stderr, "warning: %s\n", heatmap.error().message.c_str());
    ui.renderer_info  = w.renderer_info();
    const float scale = w.content_scale();
    init_ui(ui, opt, scale);
    if (!opt.model_path.empty()) request_load(ui, opt.model_path);

    int quiet_frames = 0;
    while (!w.should_close() && !ui.quit_requested) {
        for (const std::string& p : w.take_dropped_paths()) request_load(ui, p);
        if (auto done = ui.loader.poll()) {
            const std::string path = ui.loader.path();
            accept_load(ui, std::move(*done), path);
            w.set_title(window_title(ui));
        }
        refresh_fonts(ui, w, scale);
        // Draw continuously while something moves; otherwise sleep until input. A few frames after each event
        // let ImGui settle popups, hover states and layout.
        const bool busy  = ui.loader.busy() || ImGui::IsAnyMouseDown() || ImGui::IsAnyItemActive();
        const bool poll  = busy || quiet_frames < 3;
        const bool input = w.begin_frame(poll ? 0.0 : 0.25);
        quiet_frames     = busy || (!poll && input) ? 0 : quiet_frames + 1;
        draw_shell(ui);
        w.end_frame();
    }
    return 0;
}

int run_shot(const ShotOptions& opt) {
    if (!is_available_panel(opt.panel)) {
        std::fprintf(stderr, "error: panel '%s' comes with a later version; available now: all, model\n",
                     opt.panel.c_str());
        return 1;
    }
    UiState ui;
    ui.ini_path = "";  // screenshots neither read nor write the user's layout
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
    ui.renderer_info = w.renderer_info();
    init_ui(ui, opt.explorer, 1.0f);
    if (!opt.explorer.model_path.empty()) {
        request_load(ui, opt.explorer.model_path);
        auto done = ui.loader.wait();
        if (done && !*done) {
            std::fprintf(stderr, "error: %s\n", done->error().message.c_str());
            return 1;
        }
        if (done) accept_load(ui, std::move(*done), opt.explorer.model_path);
        // No load time in the picture: the same input must give the same pixels.
        const size_t slash = opt.explorer.model_path.find_last_of('/');
        ui.status          = "Loaded " + opt.explorer.model_path.substr(slash == std::string::npos ? 0 : slash + 1);
    }
    refresh_fonts(ui, w, 1.0f);

    std::vector<double> ms;
    const int frames = std::max(1, opt.frames);
    for (int i = 0; i < frames; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        w.begin_frame(0.0);
        if (opt.panel == "model")
            draw_model_only(ui);
        else
            draw_shell(ui);
        w.end_frame();
        w.finish();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
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
    if (opt.report_frames)
        std::printf("frames: %d p50_ms=%.2f p95_ms=%.2f\n", frames, percentile(ms, 0.5), percentile(ms, 0.95));
    return 0;
}

}  // namespace ts::app
