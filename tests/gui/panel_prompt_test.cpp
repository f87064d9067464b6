// The Logits and Softmax panels at a prompt position (issue 15: logits for every position, prompt included): they
// show the distribution that position produced, with the prompt's next token marked, and the token strip colours
// prompt tokens by their surprisal. Headless frames over a tiny model's engine.
#include <gtest/gtest.h>
#include <imgui.h>

#include <cmath>

#include "app/ui/panels.hpp"
#include "app/ui/view_sampling.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

class PromptPositionFrames : public test::PanelFrames {};

TEST_F(PromptPositionFrames, LogitsAndSoftmaxShowWhatAPromptPositionPredicted) {
    start("the model", 2);
    const auto snap   = ui_.snap;  // held: each frame may replace ui_.snap
    const auto& steps = snap->steps;
    ASSERT_GE(snap->n_prompt, 3);
    const int pos = 1;  // inside the prompt
    ASSERT_FALSE(steps[size_t(pos)]->has_next);
    select_position(ui_, pos);
    const int plain = frame([](UiState&, const core::Snapshot&) {});
    EXPECT_GT(frame(draw_logits_panel), plain + 500);  // a table, not the "inside the prompt" note
    ASSERT_TRUE(ui_.views.logits);
    const LogitsView& lv = *ui_.views.logits;
    EXPECT_EQ(lv.pos, pos);
    ASSERT_FALSE(lv.rows.empty());
    const int32_t next = steps[size_t(pos) + 1]->token;
    int marked         = 0;
    for (const LogitRow& r : lv.rows) {
        if (!r.chosen) continue;
        ++marked;
        EXPECT_EQ(r.id, next);                                  // the prompt's next token is the one marked
        EXPECT_FLOAT_EQ(r.p, steps[size_t(pos) + 1]->p_token);  // its probability: the token's own p_token
    }
    EXPECT_EQ(marked, 1);  // the tiny vocabulary is listed whole
    EXPECT_GT(frame(draw_softmax_panel), plain + 500);

    // The token strip draws with prompt surprisal on and off.
    ui_.prompt_surprisal = true;
    const int with       = frame(draw_tokens_panel);
    ui_.prompt_surprisal = false;
    const int without    = frame(draw_tokens_panel);
    EXPECT_GT(with, without);  // the surprisal scale in the legend
}

}  // namespace
}  // namespace ts::app
