// Headless ImGui frames (no window, no GL): the shell and the Model panel drawn with a fixed display size, the
// dialogs opened through state and simulated keys, and the imgui.ini section read and written. Debian's ImGui keeps
// its asserts on, so any misuse of the ImGui API in the shell or a panel aborts the test.
#include <gtest/gtest.h>
#include <imgui.h>

#include <string>

#include "app/ui/fonts.hpp"
#include "app/ui/settings.hpp"
#include "app/ui/shell.hpp"
#include "app/ui/ui_state.hpp"
#include "tests/gui/tiny_gguf.hpp"

namespace ts::app {
namespace {

class Frames : public ::testing::Test {
protected:
    void SetUp() override {
        ImGui::CreateContext();
        ui_.ini_path = "";
        install_settings(ui_);
        ImGuiIO& io    = ImGui::GetIO();
        io.DisplaySize = ImVec2(1280.0f, 800.0f);
        io.DeltaTime   = 1.0f / 60.0f;
        load_fonts(ui_.fonts, {}, 1.0f);
        unsigned char* px = nullptr;
        int w = 0, h = 0;
        io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);  // builds the atlas, as the GL backend would
    }
    void TearDown() override { ImGui::DestroyContext(); }

    void load_tiny() {
        const std::string path = ts::test::unique_temp_path("ts_gui_frame_tiny.gguf");
        ASSERT_TRUE(test::write_tiny_gguf(path).ok());
        request_load(ui_, path);
        auto done = ui_.loader.wait();
        ASSERT_TRUE(done.has_value());
        ASSERT_TRUE(done->ok()) << done->error().message;
        accept_load(ui_, std::move(*done), path);
    }

    // Draws `n` frames of the shell; returns whether the popup `id` was open at the end of the last one.
    bool frames(int n, const char* popup = nullptr) {
        bool open = false;
        for (int i = 0; i < n; ++i) {
            ImGui::NewFrame();
            draw_shell(ui_);
            if (popup) open = ImGui::IsPopupOpen(popup);
            ImGui::Render();
        }
        return open;
    }

    UiState ui_;
};

TEST_F(Frames, EmptyStateDrawsWithoutAModel) {
    frames(3);
    EXPECT_FALSE(ui_.model);
    EXPECT_GT(ImGui::GetDrawData()->TotalVtxCount, 100);
}

TEST_F(Frames, ShellAndModelPanelDrawALoadedModel) {
    load_tiny();
    ASSERT_TRUE(ui_.summary);
    EXPECT_EQ(ui_.recent.front().find("ts_gui_frame_tiny.gguf") != std::string::npos, true);
    frames(3);
    const int shell_vertices = ImGui::GetDrawData()->TotalVtxCount;
    EXPECT_GT(shell_vertices, 1000);
    ImGui::NewFrame();
    draw_model_only(ui_);
    ImGui::Render();
    EXPECT_GT(ImGui::GetDrawData()->TotalVtxCount, 1000);
}

TEST_F(Frames, AFailedLoadOpensTheErrorModal) {
    request_load(ui_, "/nonexistent/model.gguf");
    auto done = ui_.loader.wait();
    ASSERT_TRUE(done.has_value());
    EXPECT_FALSE(done->ok());
    accept_load(ui_, std::move(*done), "/nonexistent/model.gguf");
    EXPECT_TRUE(frames(2, "Error##modal"));
    EXPECT_NE(ui_.error_message.find("/nonexistent/model.gguf"), std::string::npos);
    EXPECT_FALSE(ui_.model);
}

TEST_F(Frames, CtrlOOpensThePathDialog) {
    frames(1);
    ImGuiIO& io      = ImGui::GetIO();
    io.KeyCtrl       = true;
    io.KeysDown['O'] = true;  // GLFW_KEY_O == 'O'
    EXPECT_TRUE(frames(1, "Open model"));
    io.KeysDown['O'] = false;
    io.KeyCtrl       = false;
    EXPECT_TRUE(frames(1, "Open model"));
}

TEST_F(Frames, LayoutAndRecentFilesRoundTripThroughImguiIni) {
    ImGui::LoadIniSettingsFromMemory(
        "[TokenScope][Layout]\nLeftWidth=400\nBottomHeight=150\nRecent=/a.gguf\n"
        "Recent=/b.gguf\n");
    EXPECT_FLOAT_EQ(ui_.left_width, 400.0f);
    EXPECT_FLOAT_EQ(ui_.bottom_height, 150.0f);
    ASSERT_EQ(ui_.recent.size(), 2u);
    EXPECT_EQ(ui_.recent[1], "/b.gguf");
    const std::string ini = ImGui::SaveIniSettingsToMemory();
    EXPECT_NE(ini.find("[TokenScope][Layout]\nLeftWidth=400\nBottomHeight=150\nRecent=/a.gguf\nRecent=/b.gguf\n"),
              std::string::npos)
        << ini;
}

}  // namespace
}  // namespace ts::app
