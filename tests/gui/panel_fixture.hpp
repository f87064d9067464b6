// Headless ImGui frames of one panel over a real engine: a tiny GGUF (tiny_gguf.hpp) loaded into UiState, its
// worker started by accept_load, a prompt evaluated and a few tokens generated, then the panel drawn into a
// full-window ImGui window for a few frames (no GL: Debian's ImGui keeps its asserts, so a misuse aborts).
#pragma once

#include <gtest/gtest.h>
#include <imgui.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "app/ui/fonts.hpp"
#include "app/ui/panels.hpp"
#include "app/ui/shell.hpp"
#include "app/ui/ui_state.hpp"
#include "tests/gui/tiny_gguf.hpp"

namespace ts::app::test {

// GLFW key codes, as the GLFW backend maps them into io.KeyMap: what press() takes.
inline constexpr int kSpace = 32, kEnter = 257, kRight = 262, kLeft = 263, kDown = 264, kUp = 265, kPageUp = 266,
                     kPageDown = 267, kEnd = 269;

// ImGui's keys mapped to those codes, as the GLFW backend maps them (PanelFrames does it for every frame test).
inline void map_glfw_keys() {
    ImGuiIO& io                    = ImGui::GetIO();
    io.KeyMap[ImGuiKey_Space]      = kSpace;
    io.KeyMap[ImGuiKey_Enter]      = kEnter;
    io.KeyMap[ImGuiKey_RightArrow] = kRight;
    io.KeyMap[ImGuiKey_LeftArrow]  = kLeft;
    io.KeyMap[ImGuiKey_DownArrow]  = kDown;
    io.KeyMap[ImGuiKey_UpArrow]    = kUp;
    io.KeyMap[ImGuiKey_PageUp]     = kPageUp;
    io.KeyMap[ImGuiKey_PageDown]   = kPageDown;
    io.KeyMap[ImGuiKey_End]        = kEnd;
}

class PanelFrames : public ::testing::Test {
protected:
    void SetUp() override {
        ImGui::CreateContext();
        ImGui::GetIO().IniFilename = nullptr;
        ImGuiIO& io                = ImGui::GetIO();
        io.DisplaySize             = ImVec2(1280.0f, 800.0f);
        io.DeltaTime               = 1.0f / 60.0f;
        map_glfw_keys();
        load_fonts(ui_.fonts, {}, 1.0f);
        unsigned char* px = nullptr;
        int w = 0, h = 0;
        io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    }
    void TearDown() override {
        ui_.bridge.detach();
        ImGui::DestroyContext();
    }

    // Loads the tiny model, evaluates `prompt` and generates `n` tokens; waits for the derived numbers too.
    void start(const char* prompt = "the model", int n = 6, const ts::test::TinyGgufSpec& spec = {}) {
        const std::string path = ts::test::unique_temp_path("ts_panel_tiny.gguf");
        ASSERT_TRUE(ts::test::write_tiny_gguf(path, spec).ok());
        std::strncpy(ui_.prompt.data(), prompt, ui_.prompt.size() - 1);
        request_load(ui_, path);
        auto done = ui_.loader.wait();
        ASSERT_TRUE(done.has_value());
        ASSERT_TRUE(done->ok()) << done->error().message;
        accept_load(ui_, std::move(*done), path);
        ASSERT_TRUE(ui_.bridge.attached());
        wait(ui_.bridge.push(core::cmd::Run{n}));
    }
    // Waits for a command's ticket and the derived numbers (after a frame has sent the focus).
    void wait(uint64_t ticket) {
        ASSERT_TRUE(ui_.bridge.wait_for(ticket, std::chrono::seconds(20)));
        frame([](UiState&, const core::Snapshot&) {});  // sends the focus
        ASSERT_TRUE(ui_.bridge.wait_for(ui_.bridge.push(core::cmd::SetFocus{ui_.bridge.focus()}),
                                        std::chrono::seconds(20), true));
    }

    // One frame of the whole shell (menus, columns, tabs). Returns the vertex count.
    int shell_frame() {
        ImGui::NewFrame();
        draw_shell(ui_);
        ImGui::Render();
        return ImGui::GetDrawData()->TotalVtxCount;
    }
    // Presses `key` (a GLFW key code, with shift) for one shell frame and releases it in the next.
    void press(int key, bool shift = false) {
        ImGuiIO& io      = ImGui::GetIO();
        io.KeyShift      = shift;
        io.KeysDown[key] = true;
        shell_frame();
        io.KeysDown[key] = false;
        io.KeyShift      = false;
        shell_frame();
    }

    using Draw = std::function<void(UiState&, const core::Snapshot&)>;
    // One frame: begin_ui_frame, then `draw` inside a window covering the display. Returns the vertex count.
    int frame(const Draw& draw) {
        ImGui::NewFrame();
        begin_ui_frame(ui_);
        ImGui::SetNextWindowPos(ImVec2(0, 0));
        ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
        ImGui::Begin("panel", nullptr, ImGuiWindowFlags_NoDecoration);
        if (ui_.snap) draw(ui_, *ui_.snap);
        ImGui::End();
        ImGui::Render();
        return ImGui::GetDrawData()->TotalVtxCount;
    }
    // Frames until `done()` or a timeout (for the panels' background jobs); false on timeout.
    bool frames_until(const Draw& draw, const std::function<bool()>& done, int max_ms = 20000) {
        const auto t0 = std::chrono::steady_clock::now();
        while (true) {
            frame(draw);
            if (done()) return true;
            if (std::chrono::steady_clock::now() - t0 > std::chrono::milliseconds(max_ms)) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }

    UiState ui_;
};

}  // namespace ts::app::test
