// Headless ImGui frames (no window, no GL): the shell and the Model panel drawn with a fixed display size, the
// dialogs opened through state and simulated keys, and the imgui.ini section read and written. Debian's ImGui keeps
// its asserts on, so any misuse of the ImGui API in the shell or a panel aborts the test.
#include <gtest/gtest.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include "app/ui/fonts.hpp"
#include "app/ui/settings.hpp"
#include "app/ui/shell.hpp"
#include "app/ui/split_view.hpp"
#include "app/ui/theme.hpp"
#include "app/ui/ui_state.hpp"
#include "core/base/utf8.hpp"
#include "tests/gui/tiny_gguf.hpp"

namespace ts::app {
namespace {

// GLFW key codes, as the GLFW backend indexes io.KeysDown (an int, not a char: clang's -Wchar-subscripts).
constexpr int kKeyO = 'O', kKeyQ = 'Q', kKeyEscape = 256;

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

// The non-ASCII code points inside the string literals of a C++ source (comments and character literals skipped):
// the symbols a label, a button or a tooltip can show.
std::set<uint32_t> literal_code_points(const std::string& src) {
    std::set<uint32_t> out;
    size_t i = 0;
    while (i < src.size()) {
        if (src.compare(i, 2, "//") == 0) {
            i = src.find('\n', i);
        } else if (src.compare(i, 2, "/*") == 0) {
            i = src.find("*/", i);
            if (i != std::string::npos) i += 2;
        } else if (src[i] == '\'' || src[i] == '"') {
            const char quote = src[i++];
            std::string lit;
            while (i < src.size() && src[i] != quote) {
                if (src[i] == '\\') ++i;
                if (i < src.size()) lit += src[i++];
            }
            ++i;
            for (size_t k = 0; quote == '"' && k < lit.size();) {
                size_t len       = 1;
                const uint32_t c = core::utf8_decode(lit, k, &len);
                if (c > 0x7E) out.insert(c);
                k += std::max<size_t>(len, 1);
            }
        } else {
            ++i;
        }
        if (i == std::string::npos) break;
    }
    return out;
}

// Every symbol the explorer's sources put in a string ("Pause ❚❚", "Step →", "≈ logit") has a glyph in the atlas,
// so no label renders as '?'. Reads the sources, so a new label with a new symbol fails here until the glyph ranges
// (app/ui/fonts.cpp) cover it.
TEST_F(Frames, EverySymbolTheUiSourcesUseIsInTheFontAtlas) {
    namespace fs = std::filesystem;
    ASSERT_NE(ui_.fonts.ui, nullptr);
    ASSERT_NE(ui_.fonts.ui, ui_.fonts.mono) << "DejaVu fonts are missing (fonts-dejavu-core)";
    int files = 0;
    for (const auto& e : fs::directory_iterator(fs::path(TS_SOURCE_DIR) / "app" / "ui")) {
        if (e.path().extension() != ".cpp" && e.path().extension() != ".hpp") continue;
        std::ifstream in(e.path());
        std::stringstream text;
        text << in.rdbuf();
        ++files;
        for (uint32_t cp : literal_code_points(text.str())) {
            char hex[16];
            std::snprintf(hex, sizeof hex, "U+%04X", unsigned(cp));
            EXPECT_NE(ui_.fonts.ui->FindGlyphNoFallback(ImWchar(cp)), nullptr)
                << hex << " in " << e.path().filename() << " is not in the UI font's atlas";
            EXPECT_NE(ui_.fonts.mono->FindGlyphNoFallback(ImWchar(cp)), nullptr)
                << hex << " in " << e.path().filename() << " is not in the mono font's atlas";
        }
    }
    EXPECT_GT(files, 20);
    // The Pause button's bars, named: the bug this test was written for.
    EXPECT_NE(ui_.fonts.ui->FindGlyphNoFallback(ImWchar(0x275A)), nullptr);
}

// Each split preset puts its two panels on screen in the same frame (both draw their view-models), beside the
// controls and above the token strip; a divider drag moves the split; the layout survives imgui.ini.
TEST_F(Frames, SplitPresetsShowTwoPanelsSideBySideAndAreRemembered) {
    load_tiny();
    ui_.bridge.wait_for(ui_.bridge.push(core::cmd::Run{4}), std::chrono::seconds(20));
    for (const SplitPreset& p : kSplitPresets) {
        apply_split_preset(ui_, p);
        frames(4);
        ImGuiWindow* left  = nullptr;
        ImGuiWindow* right = nullptr;
        for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) {
            const std::string name = w->Name;
            if (w->WasActive && name.find("/split_left_") != std::string::npos &&
                name.find("content") == std::string::npos)
                left = w;
            if (w->WasActive && name.find("/split_right_") != std::string::npos &&
                name.find("content") == std::string::npos)
                right = w;
        }
        ASSERT_NE(left, nullptr) << p.title;
        ASSERT_NE(right, nullptr) << p.title;
        EXPECT_LT(left->Pos.x + left->Size.x, right->Pos.x + 1.0f) << p.title << ": side by side";
        EXPECT_GT(left->Size.x, 200.0f);
        EXPECT_GT(right->Size.x, 200.0f);
    }
    EXPECT_TRUE(ui_.views.softmax && ui_.views.logits);  // Softmax | Logits drew both
    EXPECT_NE(ui_.views.layers, nullptr);                // Journey | Attention drew the Journey

    apply_split_preset(ui_, kSplitPresets[1]);
    ui_.split.fraction    = 0.4f;
    const std::string ini = ImGui::SaveIniSettingsToMemory();
    EXPECT_NE(ini.find("Split=1\nSplitLeft=softmax\nSplitRight=logits\nSplitFraction=0.400\n"), std::string::npos)
        << ini;
    ui_.split = UiState::SplitLayout{};
    ImGui::LoadIniSettingsFromMemory(ini.c_str());
    EXPECT_TRUE(ui_.split.on);
    EXPECT_EQ(ui_.split.left, CenterTab::Softmax);
    EXPECT_EQ(ui_.split.right, CenterTab::Logits);
    EXPECT_FLOAT_EQ(ui_.split.fraction, 0.4f);
    ImGui::LoadIniSettingsFromMemory("[TokenScope][Layout]\nSplit=0\nSplitLeft=nonsense\n");
    EXPECT_FALSE(ui_.split.on);
    EXPECT_EQ(ui_.split.left, CenterTab::Softmax);  // an unknown name leaves the side alone
}

// Presentation mode: at 200 % on a 1600×1000 window the fonts are re-rasterised at twice the size (sharp, not
// scaled), and the controls column shows every control without cutting it off on the right.
TEST_F(Frames, At200PercentNothingIsClippedInTheControlsColumn) {
    load_tiny();
    ui_.bridge.wait_for(ui_.bridge.push(core::cmd::Run{4}), std::chrono::seconds(20));
    ImGuiIO& io    = ImGui::GetIO();
    io.DisplaySize = ImVec2(1600.0f, 1000.0f);
    io.KeyCtrl     = true;
    for (int i = 0; i < 4; ++i) {  // Ctrl+= four times: 100 → 200 %
        io.KeysDown[int('=')] = true;
        frames(1);
        io.KeysDown[int('=')] = false;
        frames(1);
    }
    io.KeyCtrl = false;
    EXPECT_FLOAT_EQ(ui_.ui_scale, 2.0f);
    ASSERT_TRUE(ui_.fonts_dirty);
    // What the explorer loop does between frames (refresh_fonts): style and fonts at the new scale.
    ImGui::GetStyle() = ImGuiStyle();
    ImGui::GetStyle().ScaleAllSizes(ui_.ui_scale);
    load_fonts(ui_.fonts, {}, ui_.ui_scale);
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    ui_.fonts_dirty = false;
    EXPECT_FLOAT_EQ(ui_.fonts.ui->FontSize, 30.0f);  // 15 px text, rasterised at 30 px
    std::snprintf(ui_.prompt.data(), ui_.prompt.size(), "%s", "a longer prompt that was edited but not evaluated");
    ui_.prompt_dirty = true;  // the "edited — press Enter" mark is drawn too
    frames(4);
    ImGuiWindow* left = nullptr;
    for (ImGuiWindow* win : ImGui::GetCurrentContext()->Windows) {
        const std::string name = win->Name;  // "##root/left_1A2B3C4D", not its children (the prompt box's)
        const size_t at        = name.find("/left_");
        if (win->WasActive && at != std::string::npos && name.find('/', at + 1) == std::string::npos) left = win;
    }
    ASSERT_NE(left, nullptr);
    // The rightmost edge any item reached, against the column's content edge (inside the padding and the
    // vertical scrollbar): beyond it a control would be cut off.
    EXPECT_LE(left->DC.CursorMaxPos.x, left->ContentRegionRect.Max.x + 1.0f)
        << "something is wider than the controls column";
    EXPECT_GT(left->Size.x, 300.0f);
    // Ctrl+− goes back down; the scale stays within 100–250 %.
    set_ui_scale(ui_, 9.0f);
    EXPECT_FLOAT_EQ(ui_.ui_scale, 2.5f);
    set_ui_scale(ui_, 0.1f);
    EXPECT_FLOAT_EQ(ui_.ui_scale, 1.0f);
}

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

// Help ▸ About: the version text of `tokenscope --version` (commit, compiler, SIMD levels) in a window of its own.
TEST_F(Frames, TheAboutBoxOpensWithTheVersionText) {
    ui_.show_about = true;
    frames(3);
    const ImGuiWindow* about = ImGui::FindWindowByName("About TokenScope");
    ASSERT_NE(about, nullptr);
    EXPECT_TRUE(about->Active);
    EXPECT_GT(about->Size.y, 120.0f);  // title, description, five lines of build facts, the ImGui line
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
    ImGuiIO& io        = ImGui::GetIO();
    io.KeyCtrl         = true;
    io.KeysDown[kKeyO] = true;
    EXPECT_TRUE(frames(1, "Open model"));
    io.KeysDown[kKeyO] = false;
    io.KeyCtrl         = false;
    EXPECT_TRUE(frames(1, "Open model"));
}

// The prompt box takes the keyboard when clicked; Escape must give it back, so that the shortcuts work again without
// a click elsewhere. The text typed so far stays.
TEST_F(Frames, EscapeReleasesThePromptBoxAndTheShortcutsWorkAgain) {
    load_tiny();
    ImGuiIO& io                = ImGui::GetIO();
    io.KeyMap[ImGuiKey_Escape] = kKeyEscape;  // as the GLFW backend maps it
    frames(2);
    const ImGuiWindow* box = nullptr;  // InputTextMultiline draws into a child window named after its label
    for (const ImGuiWindow* w : ImGui::GetCurrentContext()->Windows)
        if (std::string(w->Name).find("##prompt") != std::string::npos) box = w;
    ASSERT_NE(box, nullptr);
    io.MousePos     = ImVec2(box->Pos.x + box->Size.x / 2, box->Pos.y + box->Size.y / 2);
    io.MouseDown[0] = true;
    frames(1);
    io.MouseDown[0] = false;
    frames(1);
    ASSERT_TRUE(io.WantTextInput) << "the click did not focus the prompt box";
    io.AddInputCharacter('x');
    frames(1);
    EXPECT_EQ(std::string(ui_.prompt.data()).back(), 'x');

    io.KeysDown[kKeyEscape] = true;
    frames(1);
    io.KeysDown[kKeyEscape] = false;
    frames(1);
    EXPECT_FALSE(io.WantTextInput);
    EXPECT_EQ(std::string(ui_.prompt.data()).back(), 'x') << "Escape must not throw the edit away";
    io.KeyCtrl         = true;
    io.KeysDown[kKeyQ] = true;
    frames(1);
    io.KeysDown[kKeyQ] = false;
    io.KeyCtrl         = false;
    EXPECT_TRUE(ui_.quit_requested);
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

// View ▸ High contrast: white text on black with bordered controls, remembered in imgui.ini.
TEST_F(Frames, HighContrastIsBlackAndWhiteAndRemembered) {
    apply_style(1.0f, false);
    const ImVec4 dark = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    EXPECT_GT(dark.x + dark.y + dark.z, 0.1f);
    apply_style(1.0f, true);
    const ImGuiStyle& st = ImGui::GetStyle();
    EXPECT_EQ(st.Colors[ImGuiCol_WindowBg].x, 0.0f);
    EXPECT_EQ(st.Colors[ImGuiCol_Text].x, 1.0f);
    EXPECT_GE(st.Colors[ImGuiCol_TextDisabled].x, 0.75f) << "dimmed text must stay readable";
    EXPECT_GE(st.FrameBorderSize, 1.0f);
    ImGui::LoadIniSettingsFromMemory("[TokenScope][Layout]\nHighContrast=1\n");
    EXPECT_TRUE(ui_.high_contrast);
    EXPECT_TRUE(ui_.fonts_dirty) << "the style is applied again";
    EXPECT_NE(std::string(ImGui::SaveIniSettingsToMemory()).find("HighContrast=1\n"), std::string::npos);
    frames(2);  // the shell draws in either theme
}

// [Session]: what `tokenscope` alone reopens. A prompt's line breaks and backslashes survive the one-line value.
TEST_F(Frames, TheLastModelAndPromptRoundTripThroughImguiIni) {
    ImGui::LoadIniSettingsFromMemory(
        "[TokenScope][Session]\nReopenLast=0\nLastModel=/m/a.gguf\nLastPrompt=In the beginning\\nGod \\\\ x\n");
    EXPECT_FALSE(ui_.reopen_last);
    EXPECT_EQ(ui_.last_model, "/m/a.gguf");
    EXPECT_EQ(ui_.last_prompt, "In the beginning\nGod \\ x");
    const std::string ini = ImGui::SaveIniSettingsToMemory();
    EXPECT_NE(ini.find("[TokenScope][Session]\nReopenLast=0\nLastModel=/m/a.gguf\n"
                       "LastPrompt=In the beginning\\nGod \\\\ x\n"),
              std::string::npos)
        << ini;
}

// Loading a model and evaluating a prompt make them the ones to reopen.
TEST_F(Frames, ALoadAndAPromptBecomeTheLastSession) {
    std::snprintf(ui_.prompt.data(), ui_.prompt.size(), "%s", "the cat\nsat");
    load_tiny();
    frames(2);
    EXPECT_EQ(ui_.last_model, ui_.model->path);
    EXPECT_EQ(ui_.last_prompt, "the cat\nsat");
}

// Moves the mouse along a line, one frame per step, until ImGui shows `cursor` (the splitter's resize arrows).
bool find_cursor(ImGuiMouseCursor cursor, ImVec2 from, ImVec2 step, int n, const std::function<void()>& frame,
                 ImVec2* at) {
    for (int i = 0; i < n; ++i) {
        ImGui::GetIO().MousePos = ImVec2(from.x + step.x * float(i), from.y + step.y * float(i));
        frame();
        if (ImGui::GetMouseCursor() == cursor) {
            *at = ImGui::GetIO().MousePos;
            return true;
        }
    }
    return false;
}

TEST_F(Frames, DraggingTheSplittersResizesThePanesAndTheSizesAreSaved) {
    load_tiny();
    frames(3);
    ImGuiIO& io = ImGui::GetIO();
    auto one    = [&] { frames(1); };
    auto drag   = [&](ImVec2 at, ImVec2 by) {
        io.MousePos     = at;
        io.MouseDown[0] = true;
        frames(1);
        for (int i = 1; i <= 4; ++i) {
            io.MousePos = ImVec2(at.x + by.x * float(i) / 4.0f, at.y + by.y * float(i) / 4.0f);
            frames(1);
        }
        io.MouseDown[0] = false;
        frames(2);
    };
    // The vertical bar between the controls and the tabs: found by its cursor, dragged 60 px to the right.
    ImVec2 v{};
    ASSERT_TRUE(find_cursor(ImGuiMouseCursor_ResizeEW, ImVec2(150, 400), ImVec2(2, 0), 300, one, &v));
    EXPECT_EQ(ui_.left_width, 0.0f);  // automatic until dragged
    drag(v, ImVec2(60, 0));
    const float left = ui_.left_width;  // the bar sits just right of the left pane
    EXPECT_NEAR(left, v.x + 60.0f, 20.0f);
    // Dragging it again moves it by as much again.
    ASSERT_TRUE(find_cursor(ImGuiMouseCursor_ResizeEW, ImVec2(v.x + 50, 400), ImVec2(2, 0), 40, one, &v));
    drag(v, ImVec2(-30, 0));
    EXPECT_NEAR(ui_.left_width, left - 30.0f, 1.0f);

    // The horizontal bar above the token strip: dragged 40 px up makes the strip 40 px taller.
    const float bottom = ui_.bottom_height;
    ImVec2 h{};
    ASSERT_TRUE(find_cursor(ImGuiMouseCursor_ResizeNS, ImVec2(900, 500), ImVec2(0, 2), 150, one, &h));
    drag(h, ImVec2(0, -40));
    EXPECT_NEAR(ui_.bottom_height, bottom + 40.0f, 1.0f);

    const std::string ini = ImGui::SaveIniSettingsToMemory();
    char want[96];
    std::snprintf(want, sizeof want, "LeftWidth=%.0f\nBottomHeight=%.0f\n", double(ui_.left_width),
                  double(ui_.bottom_height));
    EXPECT_NE(ini.find(want), std::string::npos) << ini;
}

TEST_F(Frames, ADroppedModelFileLoadsAndADroppedNonModelShowsAnError) {
    open_dropped(ui_, {});  // nothing dropped: nothing happens
    EXPECT_FALSE(ui_.loader.busy());
    const std::string path = ts::test::unique_temp_path("ts_gui_frame_drop.gguf");
    ASSERT_TRUE(test::write_tiny_gguf(path).ok());
    open_dropped(ui_, {path, "/second/file.gguf"});  // one model at a time: the first
    ASSERT_TRUE(ui_.loader.busy());
    EXPECT_EQ(ui_.loader.path(), path);
    frames(2);  // the shell shows the loading state meanwhile
    auto done = ui_.loader.wait();
    ASSERT_TRUE(done.has_value());
    ASSERT_TRUE(done->ok()) << done->error().message;
    accept_load(ui_, std::move(*done), path);
    EXPECT_TRUE(ui_.model);
    ASSERT_FALSE(ui_.recent.empty());
    EXPECT_EQ(ui_.recent.front(), path);
    frames(3);

    // A file that is no model: the error modal names it, and the loaded model stays.
    const std::string junk = ts::test::unique_temp_path("ts_gui_frame_drop.txt");
    {
        FILE* f = std::fopen(junk.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        std::fputs("just some text, not a model\n", f);
        std::fclose(f);
    }
    const auto* model_before = ui_.model.get();
    open_dropped(ui_, {junk});
    auto bad = ui_.loader.wait();
    ASSERT_TRUE(bad.has_value());
    EXPECT_FALSE(bad->ok());
    accept_load(ui_, std::move(*bad), junk);
    EXPECT_EQ(ui_.model.get(), model_before);
    EXPECT_TRUE(frames(2, "Error##modal"));
    EXPECT_NE(ui_.error_message.find("ts_gui_frame_drop.txt"), std::string::npos) << ui_.error_message;
    std::remove(junk.c_str());
    std::remove(path.c_str());
}

TEST_F(Frames, F12AsksForAScreenshotAndItsPathIsDatedAndNew) {
    frames(2);
    ImGuiIO& io      = ImGui::GetIO();
    io.KeysDown[301] = true;  // GLFW_KEY_F12
    frames(1);
    io.KeysDown[301] = false;
    EXPECT_TRUE(ui_.screenshot_requested);  // the explorer loop saves the next frame

    namespace fs          = std::filesystem;
    const fs::path home   = fs::path(ts::test::unique_temp_path("ts_gui_home"));
    const char* old_home  = std::getenv("HOME");
    const std::string old = old_home ? old_home : "";
    fs::create_directories(home);
    setenv("HOME", home.c_str(), 1);
    std::tm tm{};
    tm.tm_year = 126, tm.tm_mon = 10, tm.tm_mday = 26, tm.tm_hour = 1, tm.tm_min = 2, tm.tm_sec = 3, tm.tm_isdst = -1;
    const std::time_t when = std::mktime(&tm);
    // No ~/Pictures yet: it is created (the XDG pictures folder), not replaced by $HOME.
    EXPECT_EQ(screenshot_path(when), (home / "Pictures" / "tokenscope-20261126-010203.png").string());
    EXPECT_TRUE(fs::is_directory(home / "Pictures"));
    {
        std::FILE* f = std::fopen((home / "Pictures" / "tokenscope-20261126-010203.png").c_str(), "wb");
        std::fclose(f);
    }
    EXPECT_EQ(screenshot_path(when), (home / "Pictures" / "tokenscope-20261126-010203-2.png").string());
    if (old_home)
        setenv("HOME", old.c_str(), 1);
    else
        unsetenv("HOME");
    fs::remove_all(home);
}

TEST_F(Frames, AttentionAndQkViewOptionsRoundTripThroughImguiIni) {
    // Defaults are written, so a fresh file shows every option.
    std::string ini = ImGui::SaveIniSettingsToMemory();
    EXPECT_NE(
        ini.find("[TokenScope][View]\nAttentionMode=head\nAttentionLog=0\nAttentionMagma=0\nAttentionHideSinks=0\n"
                 "QkByWeight=0\n"),
        std::string::npos)
        << ini;
    ImGui::LoadIniSettingsFromMemory(
        "[TokenScope][View]\nAttentionMode=mean\nAttentionLog=1\nAttentionMagma=1\nAttentionHideSinks=1\n"
        "QkByWeight=1\nAttentionMode=bogus\nAttentionLog=7\n");  // unknown values leave the option alone
    EXPECT_EQ(ui_.attention.mode, AttentionMode::HeadMean);
    EXPECT_TRUE(ui_.attention.log_scale);
    EXPECT_TRUE(ui_.attention.magma);
    EXPECT_TRUE(ui_.attention.hide_sinks);
    EXPECT_TRUE(ui_.qk_by_weight);
    ui_.attention.mode = AttentionMode::AllHeads;
    ini                = ImGui::SaveIniSettingsToMemory();
    EXPECT_NE(
        ini.find("[TokenScope][View]\nAttentionMode=heads\nAttentionLog=1\nAttentionMagma=1\nAttentionHideSinks=1\n"
                 "QkByWeight=1\n"),
        std::string::npos)
        << ini;
}

// Clicks along the status bar, one position at a time, until a load starts (only the Reload button starts one
// there); false when none did.
bool click_along_status_bar(UiState& ui, const std::function<bool(int)>& frames) {
    ImGuiIO& io   = ImGui::GetIO();
    const float y = io.DisplaySize.y - ImGui::GetFrameHeight() * 0.5f;
    bool started  = false;
    for (float x = 4.0f; x < io.DisplaySize.x && !started; x += 6.0f) {
        io.MousePos     = ImVec2(x, y);
        io.MouseDown[0] = true;
        frames(1);
        io.MouseDown[0] = false;
        frames(1);
        started = ui.loader.busy();
    }
    io.MousePos = ImVec2(-1.0f, -1.0f);
    return started;
}

TEST_F(Frames, AModelFileChangedOnDiskOffersAReloadInTheStatusBar) {
    const std::string path = ts::test::unique_temp_path("ts_gui_frame_reload.gguf");
    ASSERT_TRUE(test::write_tiny_gguf(path).ok());
    request_load(ui_, path);
    auto done = ui_.loader.wait();
    ASSERT_TRUE(done.has_value() && done->ok());
    accept_load(ui_, std::move(*done), path);
    const auto* first = ui_.model.get();
    auto draw         = [&](int n) { return frames(n); };
    frames(2);

    check_model_file(ui_);  // unchanged: nothing to offer
    EXPECT_FALSE(ui_.model_file_changed);
    EXPECT_FALSE(click_along_status_bar(ui_, draw)) << "a load started although the file did not change";

    ASSERT_TRUE(test::write_tiny_gguf(path).ok());  // rewritten (our writer: a new file renamed over it)
    check_model_file(ui_);
    EXPECT_TRUE(ui_.model_file_changed);
    EXPECT_NE(ui_.status.find("changed on disk"), std::string::npos) << ui_.status;
    ASSERT_TRUE(click_along_status_bar(ui_, draw)) << "no Reload button in the status bar";
    EXPECT_EQ(ui_.loader.path(), path);
    auto again = ui_.loader.wait();
    ASSERT_TRUE(again.has_value() && again->ok());
    accept_load(ui_, std::move(*again), path);
    EXPECT_NE(ui_.model.get(), first);
    EXPECT_FALSE(ui_.model_file_changed);
    check_model_file(ui_);
    EXPECT_FALSE(ui_.model_file_changed);
    frames(2);
    std::remove(path.c_str());
}

}  // namespace
}  // namespace ts::app
