// The explorer's Rewind and Reset around the prompt (issue 15): prompt, Step, ← three times (into the prompt), Reset,
// → used to leave the context out of step with the prompt box. Reset returns to the prompt box's text: the context
// then holds exactly the prompt's tokens, and → continues from its end (Session::reset documents the rule).
#include <gtest/gtest.h>

#include <string>

#include "app/ui/ui_state.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

class RewindReset : public test::PanelFrames {
protected:
    std::vector<int32_t> context() const {
        std::vector<int32_t> ids;
        for (const auto& st : ui_.snap->steps) ids.push_back(st->token);
        return ids;
    }
    std::vector<int32_t> prompt_box_ids() const {
        auto ids = ui_.model->tokenizer->encode(ui_.prompt.data(), true, true);
        EXPECT_TRUE(ids.ok());
        return ids.ok() ? *ids : std::vector<int32_t>{};
    }
};

TEST_F(RewindReset, ResetAfterRewindingIntoThePromptRestoresThePromptBoxsText) {
    start("the model", 1);  // the prompt, then Step
    const std::vector<int32_t> prompt = prompt_box_ids();
    ASSERT_GE(prompt.size(), 3u);
    ASSERT_EQ(context().size(), prompt.size() + 1);
    for (int i = 0; i < 3; ++i) {
        rewind_token(ui_, 1);  // ←
        wait(ui_.bridge.last_ticket());
    }
    ASSERT_EQ(context().size(), prompt.size() - 2);          // two positions into the prompt
    EXPECT_EQ(std::string(ui_.prompt.data()), "the model");  // the box keeps the text

    reset_generation(ui_);
    wait(ui_.bridge.last_ticket());
    EXPECT_EQ(ui_.snap->error, "");
    EXPECT_EQ(context(), prompt);  // the context is the prompt box's text again
    EXPECT_EQ(ui_.snap->n_prompt, int(prompt.size()));
    EXPECT_EQ(ui_.snap->n_pending, 0);

    step_token(ui_);  // →
    wait(ui_.bridge.last_ticket());
    const auto ids = context();
    ASSERT_EQ(ids.size(), prompt.size() + 1);
    EXPECT_EQ(std::vector<int32_t>(ids.begin(), ids.end() - 1), prompt);
}

}  // namespace
}  // namespace ts::app
