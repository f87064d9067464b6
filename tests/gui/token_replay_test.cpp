// The Tokens panel's tokenizer replay (issue 16): the selected position's word, replayed by core's tokenizer, ends
// at the ids encode() gives; the window draws its steps and embedding strips.
#include "app/ui/token_replay.hpp"

#include <gtest/gtest.h>
#include <imgui.h>

#include <string>

#include "app/ui/panels.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

class TokenReplayFrames : public test::PanelFrames {};

TEST_F(TokenReplayFrames, TheSelectedWordIsReplayedToItsIds) {
    start("the model", 2);
    const auto snap = ui_.snap;
    ASSERT_TRUE(snap->model->tokenizer);
    const int pos = 1;
    select_position(ui_, pos);
    const std::string word = word_at(*snap, pos);
    ASSERT_FALSE(word.empty());
    // The word holds the selected token's bytes.
    EXPECT_NE(word.find(snap->model->tokenizer->token_bytes(snap->steps[size_t(pos)]->token)), std::string::npos);

    const int closed      = frame(draw_tokens_panel);
    ui_.token_replay.open = true;
    const int with_window = frame(draw_tokens_panel);
    const auto& r         = ui_.token_replay;
    EXPECT_GT(with_window, closed + 200);
    ASSERT_TRUE(r.replay) << r.error;
    EXPECT_EQ(std::string(r.text.data()), word);
    EXPECT_EQ(r.replay->ids, *snap->model->tokenizer->encode(word, false, false));
    ASSERT_FALSE(r.replay->words.empty());
    EXPECT_FALSE(r.replay->words[0].steps.empty());

    // Typed text is replayed instead, until another position is selected.
    std::snprintf(ui_.token_replay.text.data(), ui_.token_replay.text.size(), "%s", "model models");
    frame(draw_tokens_panel);
    EXPECT_EQ(r.replay->ids, *snap->model->tokenizer->encode("model models", false, false));
    EXPECT_GE(r.replay->words.size(), 1u);
}

}  // namespace
}  // namespace ts::app
