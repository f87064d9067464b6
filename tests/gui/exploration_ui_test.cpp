// Saved explorations in the explorer (app/ui/exploration_io.hpp) over a tiny model's engine: Save exploration, then
// the state changed, then Open lands where it was saved — the same tokens with the same sources, the newest logits
// bit for bit, the sampler settings, the tab, layer, head, query position and toggles; a .tscope given to
// request_load (File ▸ Open, Recent, a drop) opens it; a changed model file opens the model modal instead.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "app/ui/exploration_io.hpp"
#include "core/base/mmap.hpp"
#include "core/base/replace_file.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app::test {
namespace {

class ExplorationUi : public PanelFrames {
protected:
    // Shell frames until no exploration is being opened (and its engine work is done).
    bool open_until_done() {
        const auto t0 = std::chrono::steady_clock::now();
        while (poll_exploration(ui_)) {
            shell_frame();
            if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(20)) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        shell_frame();
        return ui_.bridge.wait_for(ui_.bridge.last_ticket(), std::chrono::seconds(20));
    }
};

TEST_F(ExplorationUi, SaveThenOpenLandsWhereItWasSaved) {
    start("the model", 5);
    branch_token(ui_, int(ui_.snap->steps.size()), 7);  // a forced token, then more sampled ones
    ASSERT_TRUE(ui_.bridge.wait_for(ui_.bridge.push(core::cmd::Run{3}), std::chrono::seconds(20)));
    shell_frame();
    ui_.tab_request = CenterTab::Logits;
    shell_frame();
    shell_frame();
    ASSERT_EQ(ui_.tab_shown, CenterTab::Logits);
    select_layer_head(ui_, 1, 3);
    select_position(ui_, 4);
    ui_.attention.log_scale = true;
    ui_.qk_by_weight        = true;
    const auto saved        = ui_.bridge.load();
    const std::string file  = ts::test::unique_temp_path("ts_ui_saved.tscope");
    ASSERT_TRUE(save_exploration_as(ui_, file)) << ui_.error_message;
    EXPECT_NE(ui_.status.find("Saved the exploration"), std::string::npos) << ui_.status;

    // Somewhere else entirely.
    std::snprintf(ui_.prompt.data(), ui_.prompt.size(), "%s", "another prompt");
    ASSERT_TRUE(submit_prompt(ui_));
    ASSERT_TRUE(ui_.bridge.wait_for(ui_.bridge.push(core::cmd::Run{2}), std::chrono::seconds(20)));
    select_layer_head(ui_, 0, 0);
    ui_.tab_request         = CenterTab::KvCache;
    ui_.attention.log_scale = false;
    ui_.qk_by_weight        = false;
    shell_frame();

    request_load(ui_, file);  // File ▸ Open with a .tscope
    ASSERT_TRUE(ui_.opening != nullptr);
    ASSERT_TRUE(open_until_done());
    shell_frame();
    const auto back = ui_.bridge.load();
    ASSERT_EQ(back->steps.size(), saved->steps.size());
    for (size_t p = 0; p < saved->steps.size(); ++p) {
        EXPECT_EQ(back->steps[p]->token, saved->steps[p]->token) << p;
        EXPECT_EQ(back->steps[p]->source, saved->steps[p]->source) << p;
        EXPECT_EQ(back->steps[p]->next_token, saved->steps[p]->next_token) << p;
    }
    ASSERT_TRUE(back->logits && saved->logits);
    EXPECT_EQ(std::memcmp(back->logits->data(), saved->logits->data(), saved->logits->size() * sizeof(float)), 0);
    EXPECT_EQ(back->n_prompt, saved->n_prompt);
    EXPECT_STREQ(ui_.prompt.data(), "the model");
    EXPECT_EQ(ui_.tab_shown, CenterTab::Logits);
    EXPECT_EQ(ui_.sel.layer, 1);
    EXPECT_EQ(ui_.sel.head, 3);
    EXPECT_EQ(ui_.sel.pos, 4);
    EXPECT_TRUE(ui_.attention.log_scale);
    EXPECT_TRUE(ui_.qk_by_weight);
    EXPECT_NE(ui_.status.find("Opened"), std::string::npos) << ui_.status;
    EXPECT_TRUE(back->error.empty()) << back->error;
}

TEST_F(ExplorationUi, AChangedModelFileOpensTheModelModal) {
    start("the model", 3);
    const std::string file = ts::test::unique_temp_path("ts_ui_changed.tscope");
    ASSERT_TRUE(save_exploration_as(ui_, file)) << ui_.error_message;
    auto bytes = core::read_file(ui_.last_model, size_t(1) << 30);
    ASSERT_TRUE(bytes.ok());
    std::string changed = *bytes;
    changed.back() ^= 1;
    ASSERT_TRUE(core::replace_file(ui_.last_model, changed.data(), changed.size()).ok());
    open_exploration(ui_, file);
    EXPECT_NE(ui_.model_problem.find("not the model file the exploration was saved with"), std::string::npos)
        << ui_.model_problem;
    shell_frame();  // the modal draws
    shell_frame();
    EXPECT_TRUE(poll_exploration(ui_));  // waiting for the user's choice
    // A damaged file is the error modal, and nothing is being opened.
    const std::string bad = ts::test::unique_temp_path("ts_ui_bad.tscope");
    ASSERT_TRUE(core::replace_file(bad, "{\"format\":", 10).ok());
    ui_.opening.reset();
    ui_.model_problem.clear();
    open_exploration(ui_, bad);
    EXPECT_EQ(ui_.opening, nullptr);
    EXPECT_NE(ui_.error_message.find("not valid JSON"), std::string::npos) << ui_.error_message;
    shell_frame();
}

TEST_F(ExplorationUi, TheViewMapRoundTripsAndIgnoresWhatItDoesNotKnow) {
    start("the model", 2);
    ui_.split.on                    = true;
    ui_.split.left                  = CenterTab::Softmax;
    ui_.split.right                 = CenterTab::Logits;
    ui_.attention.mode              = AttentionMode::HeadMean;
    ui_.attention.magma             = true;
    const core::Json v              = view_of(ui_);
    ui_.split                       = UiState::SplitLayout{};
    ui_.attention                   = AttentionOptions{};
    core::Json with_unknown         = v;
    with_unknown["from_the_future"] = "x";
    with_unknown["layer"]           = "not a number";  // a wrong type is left alone
    apply_view(ui_, with_unknown, -1);
    EXPECT_TRUE(ui_.split.on);
    EXPECT_EQ(ui_.split.left, CenterTab::Softmax);
    EXPECT_EQ(ui_.split.right, CenterTab::Logits);
    EXPECT_EQ(ui_.attention.mode, AttentionMode::HeadMean);
    EXPECT_TRUE(ui_.attention.magma);
}

}  // namespace
}  // namespace ts::app::test
