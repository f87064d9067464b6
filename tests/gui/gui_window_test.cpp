// The interactive window itself, end to end under Xvfb: keys typed with xdotool (real X events through GLFW)
// step, rewind and run the model, F12 saves what the window shows, and SIGTERM closes it as File ▸ Quit would, with
// the layout, the view and the model written back to imgui.ini.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/gui/exe_harness.hpp"
#include "tests/gui/tiny_gguf.hpp"

namespace {

using namespace ts::test::exe;  // NOLINT(google-build-using-namespace): run(), Png and the image checks
namespace fs = std::filesystem;

constexpr int kStatusBarRows = 40;  // the bottom of the window: the status bar, with room to spare

class RealWindow : public ::testing::Test {
protected:
    void SetUp() override {
        const char* display = std::getenv("DISPLAY");
        ASSERT_TRUE(display && *display) << "no DISPLAY: run under `xvfb-run -a` (scripts/test.sh does)";
        dir_ = ts::test::unique_temp_path("ts_gui_window");
        fs::remove_all(dir_);
        fs::create_directories(dir_ + "/home/Pictures");
        fs::create_directories(dir_ + "/config/tokenscope");
    }
    void TearDown() override { fs::remove_all(dir_); }
    // The environment of a window that keeps its files under dir_.
    std::string env() const { return "HOME='" + dir_ + "/home' XDG_CONFIG_HOME='" + dir_ + "/config'"; }
    std::string read(const std::string& path) const {
        std::string text;
        if (std::FILE* f = std::fopen(path.c_str(), "r")) {
            for (int ch = 0; (ch = std::fgetc(f)) != EOF;) text += char(ch);
            std::fclose(f);
        }
        return text;
    }
    std::vector<std::string> pictures() const {
        std::vector<std::string> out;
        for (const auto& e : fs::directory_iterator(dir_ + "/home/Pictures")) out.push_back(e.path().string());
        std::sort(out.begin(), out.end());
        return out;
    }
    std::string dir_;
};

// The interactive window itself, end to end: it starts on the built-in model, reads the layout and view from
// imgui.ini, and on SIGTERM (as on Ctrl+C) closes cleanly and writes them back, with the model in the recent list.
TEST_F(RealWindow, KeepsItsLayoutAcrossRunsAndClosesCleanlyOnSigterm) {
    const std::string cfg = ts::test::unique_temp_path("ts_gui_config");
    ASSERT_EQ(std::system(("rm -rf '" + cfg + "' && mkdir -p '" + cfg + "/tokenscope'").c_str()), 0);
    {
        FILE* f = std::fopen((cfg + "/tokenscope/imgui.ini").c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fputs(
            "[TokenScope][Layout]\nLeftWidth=400\nBottomHeight=150\n\n"
            "[TokenScope][View]\nAttentionMode=mean\nAttentionLog=1\n",
            f);
        std::fclose(f);
    }
    const RunResult r = run("", "cd / && XDG_CONFIG_HOME='" + cfg + "' timeout --preserve-status -s TERM 4");
    EXPECT_EQ(r.code, 0) << r.output;  // the signal ended it as a Quit would, not as a kill
    std::FILE* f = std::fopen((cfg + "/tokenscope/imgui.ini").c_str(), "r");
    ASSERT_NE(f, nullptr);
    std::string ini;
    for (int ch = 0; (ch = std::fgetc(f)) != EOF;) ini += char(ch);
    std::fclose(f);
    EXPECT_NE(ini.find("LeftWidth=400\nBottomHeight=150\n"), std::string::npos) << ini;
    EXPECT_NE(ini.find("Recent=builtin:default.gguf"), std::string::npos) << ini;  // it loaded the model
    EXPECT_NE(ini.find("AttentionMode=mean\nAttentionLog=1\n"), std::string::npos) << ini;
    ASSERT_EQ(std::system(("rm -rf '" + cfg + "'").c_str()), 0);
}

// `tokenscope` alone reopens the last session's model and prompt (imgui.ini [Session]); with ReopenLast=0, or when
// that file is gone, it opens the default model.
TEST_F(RealWindow, ReopensTheLastModelUnlessTheUserTurnedThatOff) {
    const std::string model = dir_ + "/last.gguf";
    ASSERT_TRUE(ts::test::write_tiny_gguf(model).ok());
    const std::string ini_path = dir_ + "/config/tokenscope/imgui.ini";
    auto start_with            = [&](const std::string& session) {
        std::FILE* f = std::fopen(ini_path.c_str(), "w");
        EXPECT_NE(f, nullptr);
        if (!f) return std::string();
        std::fputs(("[TokenScope][Session]\n" + session).c_str(), f);
        std::fclose(f);
        const RunResult r = run("", "cd / && " + env() + " timeout --preserve-status -s TERM 4");
        EXPECT_EQ(r.code, 0) << r.output;
        return read(ini_path);
    };
    std::string ini = start_with("ReopenLast=1\nLastModel=" + model + "\nLastPrompt=the cat\n");
    EXPECT_NE(ini.find("Recent=" + model), std::string::npos) << ini;
    EXPECT_EQ(ini.find("Recent=builtin:default.gguf"), std::string::npos) << ini;
    EXPECT_NE(ini.find("LastPrompt=the cat\n"), std::string::npos) << ini;

    ini = start_with("ReopenLast=0\nLastModel=" + model + "\nLastPrompt=the cat\n");
    EXPECT_NE(ini.find("Recent=builtin:default.gguf"), std::string::npos) << ini;
    EXPECT_NE(ini.find("ReopenLast=0\nLastModel=builtin:default.gguf\n"), std::string::npos) << ini;

    fs::remove(model);
    ini = start_with("ReopenLast=1\nLastModel=" + model + "\n");
    EXPECT_NE(ini.find("Recent=builtin:default.gguf"), std::string::npos) << ini;
}

// Keys from xdotool: → three times, ← once, space (a Run of 16), each followed by F12. Every picture is saved and
// each differs from the one before (the token strip grew, shrank, grew).
TEST_F(RealWindow, KeysStepRewindAndRunTheModelAndF12SavesWhatItShows) {
    ASSERT_EQ(std::system("command -v xdotool > /dev/null"), 0)
        << "xdotool is missing: scripts/install-deps.sh installs it";
    // The window runs in the background; the script waits for it, types, then ends it with SIGTERM.
    const std::string script = "cd / && (" + env() + " '" + TOKENSCOPE_EXE +
                               "' -p 'And God said' & pid=$!; "
                               "win=$(timeout 20 xdotool search --sync --onlyvisible --pid $pid | head -1); "
                               "[ -n \"$win\" ] || { kill $pid; echo no window; exit 3; }; sleep 1; "
                               "xdotool mousemove --sync 5 5 windowfocus --sync $win; "
                               "shot() { xdotool key F12; sleep 1.2; }; "
                               "shot; for i in 1 2 3; do xdotool key Right; sleep 0.4; done; shot; "
                               "xdotool key Left; sleep 0.5; shot; xdotool key space; sleep 2; shot; "
                               "kill -TERM $pid; wait $pid)";
    const RunResult r = run_shell(script);
    ASSERT_EQ(r.code, 0) << r.output;
    const std::vector<std::string> pics = pictures();
    ASSERT_EQ(pics.size(), 4u) << "F12 should have saved four pictures";
    std::vector<Png> imgs;
    for (const std::string& p : pics) imgs.push_back(load_png(p));
    for (const Png& img : imgs) expect_not_blank(img);
    for (size_t i = 1; i < imgs.size(); ++i)
        // Not counting the status bar, whose "Saved screenshot …" line changes with every F12 by itself.
        EXPECT_GT(differing_share(imgs[i - 1], imgs[i], kStatusBarRows), 0.001)
            << pics[i - 1] << " and " << pics[i] << " look the same";
    EXPECT_NE(read(dir_ + "/config/tokenscope/imgui.ini").find("Recent=builtin:default.gguf"), std::string::npos);
}

}  // namespace
