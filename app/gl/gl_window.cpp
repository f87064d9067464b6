// GLFW window + GL 3.3 core context + Dear ImGui backends; offscreen rendering into an FBO for screenshots.
#include "app/gl/gl_window.hpp"

#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_opengl3.h>

#include <cstdlib>

#include "app/gl/gl.hpp"

namespace ts::app::gl {
namespace {

// GLFW reports errors through a C callback without user data; keep the last message for our Error.
std::string g_last_glfw_error;  // NOLINT: platform glue, written only by GLFW on the UI thread

void on_glfw_error(int code, const char* msg) {
    g_last_glfw_error = std::string(msg ? msg : "unknown") + " (GLFW error 0x" + std::to_string(code) + ")";
}

core::Error no_window(const char* what) {
    std::string msg = std::string("cannot open a window: ") + what;
    if (!g_last_glfw_error.empty()) msg += ": " + g_last_glfw_error;
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    if ((!display || !*display) && (!wayland || !*wayland))
        msg += " (no display: DISPLAY is not set; on a headless machine run under `xvfb-run -a`)";
    return core::Error{core::Code::kUnsupported, msg};
}

}  // namespace

core::Result<std::unique_ptr<GlWindow>> GlWindow::create(const WindowConfig& cfg) {
    if (cfg.width <= 0 || cfg.height <= 0 || cfg.width > 16384 || cfg.height > 16384)
        return core::make_error(core::Code::kInvalidArgument, "window size %dx%d is out of range (1..16384)", cfg.width,
                                cfg.height);
    g_last_glfw_error.clear();
    glfwSetErrorCallback(on_glfw_error);
    if (!glfwInit()) return no_window("GLFW cannot start");

    std::unique_ptr<GlWindow> w(new GlWindow());
    w->cfg_ = cfg;
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    glfwWindowHint(GLFW_VISIBLE, cfg.offscreen ? GLFW_FALSE : GLFW_TRUE);
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
    // Offscreen, the window only carries the context; the FBO has the asked size.
    const int win_w = cfg.offscreen ? 64 : cfg.width;
    const int win_h = cfg.offscreen ? 64 : cfg.height;
    w->window_      = glfwCreateWindow(win_w, win_h, cfg.title.c_str(), nullptr, nullptr);
    if (!w->window_) return no_window("no OpenGL 3.3 core context");
    glfwMakeContextCurrent(w->window_);
    if (!gladLoadGL(glfwGetProcAddress)) return no_window("cannot load the OpenGL 3.3 functions");
    glfwSwapInterval(cfg.offscreen ? 0 : 1);
    glfwSetWindowUserPointer(w->window_, w.get());
    glfwSetDropCallback(w->window_, &GlWindow::on_drop);
    glfwSetKeyCallback(w->window_, &GlWindow::on_key);  // ImGui's backend installs its own and chains to this one

    const char* renderer = reinterpret_cast<const char*>(glGetString(GL_RENDERER));
    const char* version  = reinterpret_cast<const char*>(glGetString(GL_VERSION));
    w->renderer_info_    = std::string(renderer ? renderer : "?") + " — OpenGL " + (version ? version : "?");

    if (cfg.offscreen) {
        GLint max_rb = 0;
        glGetIntegerv(GL_MAX_RENDERBUFFER_SIZE, &max_rb);
        if (cfg.width > max_rb || cfg.height > max_rb)
            return core::make_error(core::Code::kInvalidArgument, "size %dx%d exceeds the GL limit of %d pixels",
                                    cfg.width, cfg.height, int(max_rb));
        glGenFramebuffers(1, &w->fbo_);
        glGenRenderbuffers(1, &w->fbo_color_);
        glBindRenderbuffer(GL_RENDERBUFFER, w->fbo_color_);
        glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, cfg.width, cfg.height);
        glBindFramebuffer(GL_FRAMEBUFFER, w->fbo_);
        glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, w->fbo_color_);
        const GLenum st = glCheckFramebufferStatus(GL_FRAMEBUFFER);
        if (st != GL_FRAMEBUFFER_COMPLETE)
            return core::make_error(core::Code::kInternal, "offscreen framebuffer %dx%d is incomplete (0x%x)",
                                    cfg.width, cfg.height, unsigned(st));
    } else {
        float sx = 1.0f, sy = 1.0f;
        glfwGetWindowContentScale(w->window_, &sx, &sy);
        w->content_scale_ = sx > 0.5f && sx < 4.0f ? sx : 1.0f;
    }

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    w->imgui_ctx_ = true;
    if (!cfg.offscreen) {
        // install_callbacks = true: the backend chains to callbacks set before it (our drop callback is separate).
        w->imgui_glfw_ = ImGui_ImplGlfw_InitForOpenGL(w->window_, true);
        if (!w->imgui_glfw_) return no_window("ImGui's GLFW backend failed to start");
    }
    w->imgui_gl3_ = ImGui_ImplOpenGL3_Init("#version 330 core");
    if (!w->imgui_gl3_) return no_window("ImGui's OpenGL3 backend failed to start");
    return w;
}

GlWindow::~GlWindow() {
    if (window_) glfwMakeContextCurrent(window_);
    if (imgui_gl3_) ImGui_ImplOpenGL3_Shutdown();
    if (imgui_glfw_) ImGui_ImplGlfw_Shutdown();
    if (imgui_ctx_) ImGui::DestroyContext();
    if (fbo_) glDeleteFramebuffers(1, &fbo_);
    if (fbo_color_) glDeleteRenderbuffers(1, &fbo_color_);
    if (window_) glfwDestroyWindow(window_);
    glfwTerminate();
}

bool GlWindow::should_close() const {
    return glfwWindowShouldClose(window_) != 0;
}
void GlWindow::request_close() {
    glfwSetWindowShouldClose(window_, GLFW_TRUE);
}
void GlWindow::set_title(const std::string& title) {
    glfwSetWindowTitle(window_, title.c_str());
}

bool GlWindow::begin_frame(double wait_s) {
    ImGuiIO& io = ImGui::GetIO();
    bool woke   = true;
    if (cfg_.offscreen) {
        io.DisplaySize             = ImVec2(float(cfg_.width), float(cfg_.height));
        io.DisplayFramebufferScale = ImVec2(1.0f, 1.0f);
        io.DeltaTime               = 1.0f / 60.0f;
    } else {
        if (wait_s > 0) {
            const double t0 = glfwGetTime();
            glfwWaitEventsTimeout(wait_s);
            woke = glfwGetTime() - t0 < wait_s * 0.9;
        } else {
            glfwPollEvents();
        }
        ImGui_ImplGlfw_NewFrame();
        latch_keys();
    }
    ImGui_ImplOpenGL3_NewFrame();
    ImGui::NewFrame();
    return woke;
}

void GlWindow::end_frame() {
    ImGui::Render();
    int fb_w = cfg_.width, fb_h = cfg_.height;
    if (!cfg_.offscreen) glfwGetFramebufferSize(window_, &fb_w, &fb_h);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
    glViewport(0, 0, fb_w, fb_h);
    glDisable(GL_SCISSOR_TEST);
    glClearColor(clear_[0], clear_[1], clear_[2], 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    if (capture_requested_) {
        capture_requested_ = false;
        frame_capture_     = read_framebuffer(fbo_, fb_w, fb_h);
    }
    if (!cfg_.offscreen) glfwSwapBuffers(window_);
}

std::optional<core::Result<Image>> GlWindow::take_frame_capture() {
    std::optional<core::Result<Image>> out;
    out.swap(frame_capture_);
    return out;
}

void GlWindow::reload_fonts() {
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
}

void GlWindow::finish() {
    glFinish();
}

core::Result<Image> GlWindow::capture() {
    if (!cfg_.offscreen) return core::make_error(core::Code::kUnsupported, "capture: only offscreen windows");
    return read_framebuffer(fbo_, cfg_.width, cfg_.height);
}

void GlWindow::wake() {
    glfwPostEmptyEvent();
}

std::vector<std::string> GlWindow::take_dropped_paths() {
    std::vector<std::string> out;
    out.swap(dropped_);
    return out;
}

void GlWindow::on_key(GLFWwindow* w, int key, int, int action, int) {
    auto* self = static_cast<GlWindow*>(glfwGetWindowUserPointer(w));
    if (self && action == GLFW_PRESS && key >= 0 && key < int(IM_ARRAYSIZE(ImGuiIO::KeysDown)))
        self->pressed_.push_back(key);
}

// ImGui 1.86 reads the keys' state once a frame, so a press and its release handled in the same poll (a quick tap,
// or keys sent by a tool) would never be seen. A key pressed since the last frame is held down for this frame and
// let go in the next one unless it is really still down.
void GlWindow::latch_keys() {
    ImGuiIO& io = ImGui::GetIO();
    for (int k : held_)
        if (glfwGetKey(window_, k) == GLFW_RELEASE) io.KeysDown[k] = false;
    held_.clear();
    for (int k : pressed_)
        if (!io.KeysDown[k]) {
            io.KeysDown[k] = true;
            held_.push_back(k);
        }
    pressed_.clear();
    io.KeyCtrl  = io.KeysDown[GLFW_KEY_LEFT_CONTROL] || io.KeysDown[GLFW_KEY_RIGHT_CONTROL];
    io.KeyShift = io.KeysDown[GLFW_KEY_LEFT_SHIFT] || io.KeysDown[GLFW_KEY_RIGHT_SHIFT];
    io.KeyAlt   = io.KeysDown[GLFW_KEY_LEFT_ALT] || io.KeysDown[GLFW_KEY_RIGHT_ALT];
    io.KeySuper = io.KeysDown[GLFW_KEY_LEFT_SUPER] || io.KeysDown[GLFW_KEY_RIGHT_SUPER];
}

void GlWindow::on_drop(GLFWwindow* w, int count, const char** paths) {
    auto* self = static_cast<GlWindow*>(glfwGetWindowUserPointer(w));
    if (!self) return;
    for (int i = 0; i < count; ++i)
        if (paths[i]) self->dropped_.emplace_back(paths[i]);
}

}  // namespace ts::app::gl
