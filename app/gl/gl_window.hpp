// GlWindow: the platform side of the explorer. A GLFW window with an OpenGL 3.3 core context (loaded by glad), the
// Dear ImGui context with its GLFW + OpenGL3 backends, and an offscreen mode (hidden window, frames drawn into an
// FBO of the asked size) for `tokenscope shot`. The shell and the panels only ever see this interface.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gl/capture.hpp"
#include "core/base/result.hpp"

struct GLFWwindow;

namespace ts::app::gl {

struct WindowConfig {
    int width         = 1280;
    int height        = 800;
    std::string title = "TokenScope";
    bool offscreen    = false;  // hidden window; every frame is drawn into a width x height FBO
};

class GlWindow {
public:
    // Opens the window and creates the ImGui context. Fails (no crash) when there is no display or no GL 3.3.
    [[nodiscard]] static core::Result<std::unique_ptr<GlWindow>> create(const WindowConfig& cfg);
    ~GlWindow();
    GlWindow(const GlWindow&)            = delete;
    GlWindow& operator=(const GlWindow&) = delete;

    bool offscreen() const { return cfg_.offscreen; }
    bool should_close() const;
    void request_close();
    void set_title(const std::string& title);
    // Desktop scale of the monitor (1 on a plain 96 dpi screen and offscreen): fonts are sized by it.
    float content_scale() const { return content_scale_; }
    // "llvmpipe (LLVM 15.0.6, 256 bits) — 4.5 (Core Profile) Mesa 22.3.6": for the About box.
    const std::string& renderer_info() const { return renderer_info_; }

    // Waits for input up to `wait_s` seconds (0: just polls; offscreen: never waits), then starts an ImGui frame.
    // Returns true when input arrived before the wait ran out (or when it did not wait).
    bool begin_frame(double wait_s);
    // Renders the frame (into the FBO offscreen) and presents it on screen.
    void end_frame();
    // After ImGui's font atlas changed (between frames): rebuild it and upload the texture again.
    void reload_fonts();
    // Blocks until the GPU has finished the frame (so a frame's time includes its rendering).
    void finish();
    // Pixels of the last rendered frame; offscreen mode only.
    [[nodiscard]] core::Result<Image> capture();
    // On screen: the next end_frame() keeps a copy of what it drew (read before the buffers swap); take it once
    // with take_frame_capture(). Offscreen windows use capture() instead.
    void request_frame_capture() { capture_requested_ = true; }
    [[nodiscard]] std::optional<core::Result<Image>> take_frame_capture();
    // The colour each frame starts from (the explorer sets its window background colour, so that its full-window
    // panel needs no background quad of its own: one less full-screen fill for a software rasteriser).
    void set_clear_color(float r, float g, float b) {
        clear_[0] = r;
        clear_[1] = g;
        clear_[2] = b;
    }
    // Ends a begin_frame() wait early; callable from any thread (GLFW posts an empty event).
    static void wake();
    // Files dropped onto the window since the last call (GLFW's drop callback collects them).
    std::vector<std::string> take_dropped_paths();
    // The GLFW window (tests deliver drops through the callback GLFW holds for it).
    GLFWwindow* glfw_window() const { return window_; }

private:
    GlWindow() = default;
    static void on_drop(GLFWwindow* w, int count, const char** paths);
    static void on_key(GLFWwindow* w, int key, int scancode, int action, int mods);
    void latch_keys();

    WindowConfig cfg_;
    GLFWwindow* window_  = nullptr;
    unsigned fbo_        = 0;
    unsigned fbo_color_  = 0;
    bool imgui_glfw_     = false;
    bool imgui_gl3_      = false;
    bool imgui_ctx_      = false;
    float content_scale_ = 1.0f;
    float clear_[3]      = {0.08f, 0.08f, 0.09f};
    std::string renderer_info_;
    std::vector<std::string> dropped_;
    std::vector<int> pressed_;  // keys pressed since the last frame began
    std::vector<int> held_;     // keys latched down for the current frame
    bool capture_requested_ = false;
    std::optional<core::Result<Image>> frame_capture_;
};

}  // namespace ts::app::gl
