// The lesson player (app/ui/lesson_player.hpp) over a real engine (the tiny model): opening a lesson applies its first
// step through the engine commands; PgDn / PgUp replay steps 1..k (sampler, generation, forced token, layer, head,
// split, highlight); the window draws; a lesson whose step cannot be applied shows why, without a crash.
#include "app/ui/lesson_player.hpp"

#include <gtest/gtest.h>
#include <imgui.h>

#include <chrono>
#include <fstream>

#include "app/ui/shell.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

using test::kPageDown, test::kPageUp;  // GLFW key codes (panel_fixture.hpp maps them)

class LessonPlayerFrames : public test::PanelFrames {
protected:
    void SetUp() override {
        PanelFrames::SetUp();
        path_ = ts::test::unique_temp_path("ts_lesson.json");
    }
    void TearDown() override {
        std::remove(path_.c_str());
        PanelFrames::TearDown();
    }
    void settle() {
        ASSERT_TRUE(ui_.bridge.wait_for(ui_.bridge.last_ticket(), std::chrono::seconds(20), true));
        shell_frame();
        ASSERT_TRUE(ui_.bridge.wait_for(ui_.bridge.last_ticket(), std::chrono::seconds(20), true));
        shell_frame();
    }
    void write(const std::string& json) { std::ofstream(path_) << json; }
    size_t n_steps() const { return ui_.snap ? ui_.snap->steps.size() : 0; }
    std::string path_;
};

constexpr const char* kLesson = R"({"title": "Tiny", "summary": "A lesson on the tiny model.", "steps": [
    {"text": "Look at **this** and `that`:\n\n- one\n- two",
     "actions": [{"prompt": "the model"}, {"sampler": {"temp": 0}}, {"tab": "logits"}],
     "question": "What next?", "answer": "This."},
    {"text": "Two more tokens.", "actions": [{"generate": 2}, {"layer": 1}, {"head": 3}, {"split": ["attention", "qk"]},
                                            {"highlight": {"from": 1, "to": 2, "note": "these"}}]},
    {"text": "What if.", "actions": [{"force": {"token": 70, "pos": 2}}, {"sampler": {"temp": 0.7, "seed": 3}},
                                     {"predict": true}]}]})";

TEST_F(LessonPlayerFrames, StepsReplayThroughTheEngineCommands) {
    start("something else", 3);
    write(kLesson);
    ASSERT_TRUE(open_lesson(ui_, path_));
    settle();
    ASSERT_TRUE(ui_.lesson && ui_.lesson->open);
    EXPECT_TRUE(ui_.lesson->error.empty()) << ui_.lesson->error;
    const size_t prompt_n = n_steps();
    EXPECT_GE(prompt_n, 2u);
    EXPECT_EQ(std::string(ui_.prompt.data()), "the model");
    EXPECT_EQ(ui_.sampler.temp, 0.0f);
    EXPECT_EQ(ui_.snap->settings.temp, 0.0f) << "the worker has the lesson's sampler";
    EXPECT_EQ(ui_.tab_shown, CenterTab::Logits);

    press(kPageDown);
    settle();
    EXPECT_EQ(ui_.lesson->step, 1);
    EXPECT_EQ(n_steps(), prompt_n + 2) << "generate 2";
    EXPECT_EQ(ui_.sel.layer, 1);
    EXPECT_EQ(ui_.sel.head, 3);
    EXPECT_TRUE(ui_.split.on);
    EXPECT_EQ(ui_.split.left, CenterTab::Attention);
    EXPECT_EQ(ui_.split.right, CenterTab::QkScores);
    EXPECT_TRUE(lesson_highlights(ui_, 2));
    EXPECT_FALSE(lesson_highlights(ui_, 3));

    press(kPageDown);
    settle();
    EXPECT_EQ(ui_.lesson->step, 2);
    ASSERT_EQ(n_steps(), 3u) << "force at position 2";
    EXPECT_EQ(ui_.snap->steps[2]->token, 70);
    EXPECT_EQ(ui_.snap->settings.seed, 3u);
    EXPECT_FALSE(lesson_highlights(ui_, 2)) << "a highlight lasts one step";
    EXPECT_TRUE(ui_.predict.on) << "the step turns predict mode on";
    press(kPageDown);
    EXPECT_EQ(ui_.lesson->step, 2) << "no step after the last";

    press(kPageUp);
    press(kPageUp);
    settle();
    EXPECT_EQ(ui_.lesson->step, 0);
    EXPECT_EQ(n_steps(), prompt_n) << "back to step 1: its state replayed from the prompt";
    EXPECT_FALSE(ui_.predict.on) << "predict mode lasts one step";
    EXPECT_EQ(ui_.snap->settings.temp, 0.0f);
    EXPECT_EQ(ui_.snap->settings.seed, 42u) << "a replay starts from the sampler's defaults";
    EXPECT_GT(shell_frame(), 0);
}

TEST_F(LessonPlayerFrames, AStepThatCannotBeAppliedSaysWhy) {
    start("the model", 1);
    write(R"({"title": "t", "summary": "s", "steps": [
        {"text": "a", "actions": [{"prompt": "the model"}, {"force": {"token": 99999}}]}]})");
    open_lesson(ui_, path_);
    settle();
    EXPECT_NE(ui_.lesson->error.find("force: token id 99999 is outside the vocabulary"), std::string::npos)
        << ui_.lesson->error;
    EXPECT_GT(shell_frame(), 0);
    write(R"({"title": "t", "summary": "s", "steps": [{"text": "a", "actions": [{"jump": 1}]}]})");
    EXPECT_FALSE(open_lesson(ui_, path_));
    EXPECT_NE(ui_.lesson->error.find("step 1: action 1: unknown action 'jump'"), std::string::npos)
        << ui_.lesson->error;
    EXPECT_GT(shell_frame(), 0);
}

}  // namespace
}  // namespace ts::app
