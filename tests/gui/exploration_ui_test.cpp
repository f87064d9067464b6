// Saved explorations in the explorer (app/ui/exploration_io.hpp) over a tiny model's engine: Save exploration, then
// the state changed, then Open lands where it was saved — the same tokens with the same sources, the newest logits
// bit for bit, the sampler settings, the tab, layer, head, query position and toggles; a .tscope given to
// request_load (File ▸ Open, Recent, a drop) opens it; a changed model file opens the model modal instead.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
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
    // File ▸ Save exploration: the model's hash is computed on the hash job's thread while frames are drawn, then
    // the file is written.
    bool save_until_done(const std::string& file) {
        if (!save_exploration_as(ui_, file)) return false;
        const auto t0 = std::chrono::steady_clock::now();
        while (poll_exploration(ui_)) {
            shell_frame();
            if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(20)) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return ui_.pending_save == nullptr && std::filesystem::exists(file);
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
    ASSERT_TRUE(save_until_done(file)) << ui_.error_message;
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
    ASSERT_TRUE(save_until_done(file)) << ui_.error_message;
    auto bytes = core::read_file(ui_.last_model, size_t(1) << 30);
    ASSERT_TRUE(bytes.ok());
    std::string changed = *bytes;
    changed.back() ^= 1;
    ASSERT_TRUE(core::replace_file(ui_.last_model, changed.data(), changed.size()).ok());
    open_exploration(ui_, file);
    // The changed file is hashed on the hash job's thread (the cached hash is of the file as loaded).
    for (int i = 0; i < 10000 && ui_.model_problem.empty(); ++i) {
        EXPECT_TRUE(poll_exploration(ui_));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
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

// Closing right after Save (the window's button, Quit) loses nothing: the explorer's loop asks may_close, which holds
// the window open while the save waits for the model's hash; once the file is written it may close.
TEST_F(ExplorationUi, ClosingWaitsForASaveStillHashing) {
    start("the model", 3);
    EXPECT_TRUE(may_close(ui_));
    const std::string file = ts::test::unique_temp_path("ts_ui_close.tscope");
    ASSERT_TRUE(save_exploration_as(ui_, file)) << ui_.error_message;
    ASSERT_NE(ui_.pending_save, nullptr);
    EXPECT_FALSE(may_close(ui_));
    EXPECT_FALSE(std::filesystem::exists(file));
    const auto t0 = std::chrono::steady_clock::now();
    while (!may_close(ui_)) {  // the loop's frames while closing
        poll_exploration(ui_);
        shell_frame();
        ASSERT_TRUE(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
    }
    EXPECT_TRUE(std::filesystem::exists(file));
    EXPECT_TRUE(core::read_exploration(file).ok());
}

// The model file's SHA-256 is not computed on the UI thread: saving returns at once with the exploration captured and
// nothing written, frames go on being drawn while the hash job runs, and the file is written once it is done; the hash
// is then cached, so the next save writes at once. Opening checks the file on the job's thread as well.
TEST_F(ExplorationUi, TheModelHashIsComputedOffTheUiThread) {
    start("the model", 3);
    const std::string file = ts::test::unique_temp_path("ts_ui_async.tscope");
    ASSERT_TRUE(save_exploration_as(ui_, file)) << ui_.error_message;
    ASSERT_NE(ui_.pending_save, nullptr);                 // captured now: the state as it was when asked
    EXPECT_TRUE(ui_.pending_save->model_sha256.empty());  // its hash not yet known
    EXPECT_FALSE(std::filesystem::exists(file));          // nothing written by the call itself
    EXPECT_TRUE(ui_.model_sha256.empty());
    // The state changes while the hash is computed; the file still holds the state of the moment Save was asked.
    const size_t n_saved = ui_.bridge.load()->steps.size();
    ASSERT_TRUE(ui_.bridge.wait_for(ui_.bridge.push(core::cmd::Run{2}), std::chrono::seconds(20)));
    const auto t0 = std::chrono::steady_clock::now();
    while (poll_exploration(ui_)) {  // the frames are drawn while the job hashes
        shell_frame();
        ASSERT_TRUE(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
    }
    EXPECT_EQ(ui_.pending_save, nullptr);
    ASSERT_TRUE(std::filesystem::exists(file));
    EXPECT_NE(ui_.status.find("Saved the exploration"), std::string::npos) << ui_.status;
    auto back = core::read_exploration(file);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->paths[0].size(), n_saved);
    EXPECT_EQ(back->model_sha256.size(), 64u);
    EXPECT_EQ(ui_.model_sha256, back->model_sha256);  // cached for the file as loaded
    // A second save knows the hash: written by the call.
    const std::string again = ts::test::unique_temp_path("ts_ui_async2.tscope");
    ASSERT_TRUE(save_exploration_as(ui_, again));
    EXPECT_EQ(ui_.pending_save, nullptr);
    EXPECT_TRUE(std::filesystem::exists(again));
    // Opening the file on the model on screen compares with the cached hash: no job.
    open_exploration(ui_, file);
    EXPECT_TRUE(ui_.opening_hash.empty());
    EXPECT_FALSE(ui_.hash_job.busy());
    ASSERT_TRUE(open_until_done());
    EXPECT_EQ(ui_.bridge.load()->steps.size(), n_saved);
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
