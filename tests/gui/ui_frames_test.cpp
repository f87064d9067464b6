// Headless frames of the explorer's own panels over a real engine (tiny model, worker thread): the Attention panel
// in each mode, Q·K scores, the token strip's click, the keyboard shortcuts and the sampler commands, checked by
// what the worker then holds. No display: Debian's ImGui keeps its asserts, so a misuse of ImGui aborts.
#include <gtest/gtest.h>
#include <imgui.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "app/ui/panels.hpp"
#include "app/ui/shell.hpp"
#include "app/ui/token_text.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

using test::kDown, test::kLeft, test::kRight, test::kSpace, test::kUp;  // GLFW key codes (panel_fixture.hpp)

class ExplorerFrames : public test::PanelFrames {
protected:
    // Waits until the worker has handled everything pushed so far (and derived what the focus asks).
    void settle() {
        ASSERT_TRUE(ui_.bridge.wait_for(ui_.bridge.last_ticket(), std::chrono::seconds(20), true));
        shell_frame();
        ASSERT_TRUE(ui_.bridge.wait_for(ui_.bridge.last_ticket(), std::chrono::seconds(20), true));
        shell_frame();
    }
    size_t n_steps() const { return ui_.snap ? ui_.snap->steps.size() : 0; }
};

TEST_F(ExplorerFrames, AttentionPanelDrawsOneHeadAllHeadsAndTheMean) {
    start("the model", 8);
    ASSERT_TRUE(frames_until(draw_attention_panel, [&] {
        const core::Derived* d = current_derived(ui_, *ui_.snap);
        return d && d->has_matrix;
    }));
    const int one = frame(draw_attention_panel);
    EXPECT_GT(one, 1000);
    EXPECT_TRUE(ui_.views.attention);
    EXPECT_TRUE(attention_prompt_edge_drawn(ui_)) << "8 generated rows after the prompt: the boundary is drawn";

    ui_.attention.mode = AttentionMode::AllHeads;
    ASSERT_TRUE(frames_until(draw_attention_panel, [&] {
        const core::Derived* d = current_derived(ui_, *ui_.snap);
        return d && d->has_heads && d->has_summary;
    }));
    EXPECT_EQ(ui_.snap->derived->heads.size(), size_t(ui_.model->hp.n_head));
    EXPECT_GT(frame(draw_attention_panel), 500);

    ui_.attention.mode      = AttentionMode::HeadMean;
    ui_.attention.log_scale = true;
    ui_.attention.zoom      = 3.0f;
    ASSERT_TRUE(frames_until(draw_attention_panel, [&] {
        const core::Derived* d = current_derived(ui_, *ui_.snap);
        return d && d->has_summary && !d->focus.all_heads;
    }));
    EXPECT_GT(frame(draw_attention_panel), 1000);
}

// Row titles follow the sequence: new positions get labels as they come, and after a rewind and a branch to another
// token the changed position is labelled anew (the labels are kept between snapshots, not rebuilt each time).
TEST_F(ExplorerFrames, HeatmapRowLabelsFollowRunsRewindsAndBranches) {
    start("the model", 6);
    auto labels_match = [&] {
        frame(draw_attention_panel);
        const auto& steps = ui_.snap->steps;
        for (size_t i = 0; i < steps.size(); ++i)
            if (attention_row_label(ui_, int(i)) != token_label(ui_.model.get(), steps[i]->token, 14)) return false;
        return attention_row_label(ui_, int(steps.size())).empty();
    };
    ASSERT_TRUE(frames_until(draw_attention_panel, labels_match));
    wait(ui_.bridge.push(core::cmd::Run{4}));
    EXPECT_TRUE(labels_match()) << "after a run";
    wait(ui_.bridge.push(core::cmd::Rewind{3}));
    EXPECT_TRUE(labels_match()) << "after a rewind";
    const int pos       = int(ui_.snap->steps.size()) - 1;
    const int32_t other = (ui_.snap->steps[size_t(pos)]->token + 1) % ui_.model->hp.n_vocab;
    wait(ui_.bridge.push(core::cmd::Branch{pos, other}));
    ASSERT_EQ(ui_.snap->steps[size_t(pos)]->token, other);
    EXPECT_TRUE(labels_match()) << "after a branch to another token";
}

TEST_F(ExplorerFrames, HeatmapHoverShowsACellClickSelectsItsRowAndTheWheelZooms) {
    start("the model", 8);
    ASSERT_TRUE(frames_until(draw_attention_panel, [&] {
        const core::Derived* d = current_derived(ui_, *ui_.snap);
        return d && d->has_matrix;
    }));
    frame(draw_attention_panel);
    float r[4];
    int n = 0;
    ASSERT_TRUE(attention_heatmap_rect(ui_, r, &n));
    ASSERT_EQ(n, int(ui_.snap->steps.size()));
    // The centre of cell (query 5, key 2).
    const float cell = (r[2] - r[0]) / float(n);
    ImGuiIO& io      = ImGui::GetIO();
    io.MousePos      = ImVec2(-100.0f, -100.0f);
    const int plain  = frame(draw_attention_panel);
    io.MousePos      = ImVec2(r[0] + cell * 2.5f, r[1] + cell * 5.5f);
    frame(draw_attention_panel);
    EXPECT_GT(frame(draw_attention_panel), plain + 20) << "hovering draws the tooltip and the cell outline";
    io.MouseDown[0] = true;
    frame(draw_attention_panel);
    io.MouseDown[0] = false;
    frame(draw_attention_panel);
    EXPECT_EQ(ui_.sel.pos, 5) << "a click makes the hovered row the query";
    io.MouseWheel = 2.0f;
    frame(draw_attention_panel);
    io.MouseWheel = 0.0f;
    EXPECT_GT(ui_.attention.zoom, 1.0f);
    frame(draw_attention_panel);
}

// Issue 16: at ~50 rows every row is labelled when the rows are tall enough for the font (a smaller size than the
// panel's is fine); in a short panel every k-th row is, and the hovered row is always named.
TEST_F(ExplorerFrames, HeatmapLabelsEveryRowAtFiftyRowsAndTheHoveredRowWhenShort) {
    start("the model", 40);
    const int n = int(ui_.snap->steps.size());
    ASSERT_GE(n, 45) << "the run stopped early";
    ASSERT_LE(n, 60);
    ASSERT_TRUE(frames_until(draw_attention_panel, [&] {
        const core::Derived* d = current_derived(ui_, *ui_.snap);
        return d && d->has_matrix;
    }));
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = ImVec2(-100.0f, -100.0f);
    frame(draw_attention_panel);
    float r[4];
    int shown = 0;
    ASSERT_TRUE(attention_heatmap_rect(ui_, r, &shown));
    ASSERT_EQ(shown, n);
    ASSERT_GE((r[3] - r[1]) / float(n), 8.0f) << "rows this tall fit a label each";
    std::vector<int> rows = attention_labelled_rows(ui_);
    EXPECT_EQ(int(rows.size()), n) << "every row is labelled";

    io.DisplaySize = ImVec2(1280.0f, 360.0f);  // a short panel: rows a few pixels tall
    frame(draw_attention_panel);
    ASSERT_TRUE(attention_heatmap_rect(ui_, r, &shown));
    const float cell = (r[3] - r[1]) / float(n);
    ASSERT_LT(cell, 8.0f);
    rows = attention_labelled_rows(ui_);
    EXPECT_LT(int(rows.size()), n);
    EXPECT_GE(int(rows.size()), 2);
    int unlabelled = 1;
    while (std::find(rows.begin(), rows.end(), unlabelled) != rows.end()) ++unlabelled;
    ASSERT_LT(unlabelled, n);
    io.MousePos = ImVec2(r[0] + cell * 0.5f, r[1] + cell * (float(unlabelled) + 0.5f));
    frame(draw_attention_panel);
    rows = attention_labelled_rows(ui_);
    EXPECT_NE(std::find(rows.begin(), rows.end(), unlabelled), rows.end()) << "the hovered row is named";
}

TEST_F(ExplorerFrames, QkPanelFollowsTheSelectedPositionLayerAndHead) {
    start("the model", 6);
    ui_.sel.pos = 3;
    select_layer_head(ui_, 1, 2);
    ASSERT_TRUE(frames_until(draw_qk_panel, [&] {
        const core::Derived* d = current_derived(ui_, *ui_.snap);
        return d && d->has_row && d->row.pos == 3;
    }));
    const core::derive::AttnRow& row = ui_.snap->derived->row;
    EXPECT_EQ(row.layer, 1);
    EXPECT_EQ(row.head, 2);
    double sum = 0;
    for (int j = 0; j <= row.pos; ++j) sum += row.probs[size_t(j)];
    EXPECT_NEAR(sum, 1.0, 1e-5);
    EXPECT_GT(frame(draw_qk_panel), 2000);
    ui_.qk_by_weight = true;
    EXPECT_GT(frame(draw_qk_panel), 2000);
}

TEST_F(ExplorerFrames, ClickingATokenChipMakesItTheQuery) {
    start("the model", 4);
    shell_frame();
    shell_frame();
    float r[4];
    ASSERT_TRUE(token_chip_rect(ui_, 2, r));
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = ImVec2((r[0] + r[2]) * 0.5f, (r[1] + r[3]) * 0.5f);
    shell_frame();
    io.MouseDown[0] = true;
    shell_frame();
    io.MouseDown[0] = false;
    shell_frame();
    EXPECT_EQ(ui_.sel.pos, 2);
    EXPECT_EQ(selected_pos(ui_, *ui_.snap), 2);
}

TEST_F(ExplorerFrames, ArrowKeysStepRewindAndMoveTheQuery) {
    start("the model", 3);
    settle();
    const size_t n = n_steps();
    press(kRight);
    settle();
    EXPECT_EQ(n_steps(), n + 1) << "→ generates one token";
    press(kLeft);
    settle();
    EXPECT_EQ(n_steps(), n) << "← forgets it again";
    press(kUp);
    EXPECT_EQ(ui_.sel.pos, int(n) - 2) << "↑ moves the query one position back";
    press(kDown);
    EXPECT_EQ(ui_.sel.pos, -1) << "↓ back onto the newest follows it again";
}

TEST_F(ExplorerFrames, BracketsStepThroughHeadsAndShiftBracketsThroughLayers) {
    start("the model", 2);
    press(']');
    EXPECT_EQ(ui_.sel.head, 1);
    press('[');
    press('[');
    EXPECT_EQ(ui_.sel.head, ui_.model->hp.n_head - 1) << "wraps around";
    press(']', true);
    EXPECT_EQ(ui_.sel.layer, 1);
    settle();
    EXPECT_EQ(ui_.snap->derived->focus.layer, 1) << "the worker derives for the new layer";
    EXPECT_EQ(ui_.snap->derived->focus.head, ui_.model->hp.n_head - 1);
}

TEST_F(ExplorerFrames, SHidesAndShowsTheAttentionSinks) {
    start("the model", 2);
    EXPECT_FALSE(ui_.attention.hide_sinks);
    press('S');
    EXPECT_TRUE(ui_.attention.hide_sinks);
    press('S');
    EXPECT_FALSE(ui_.attention.hide_sinks);
}

TEST_F(ExplorerFrames, SpaceRunsAndPausesWithoutBlocking) {
    start("the model", 1);
    settle();
    ui_.n_steps    = 5;
    const size_t n = n_steps();
    press(kSpace);
    settle();
    EXPECT_EQ(n_steps(), n + 5);
}

TEST_F(ExplorerFrames, APacedRunStepsOneTokenAtATimeAndPausesOnSpace) {
    start("the model", 1);
    settle();
    ui_.n_steps     = 3;
    ui_.steps_per_s = 50.0f;
    const size_t n  = n_steps();
    press(kSpace);
    EXPECT_TRUE(ui_.playing);
    const auto t0 = std::chrono::steady_clock::now();
    while (ui_.playing && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20)) {
        shell_frame();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    settle();
    EXPECT_EQ(n_steps(), n + 3);
    ui_.n_steps     = 100;
    ui_.steps_per_s = 1.0f;  // slow: the second step is due in a second
    press(kSpace);
    EXPECT_TRUE(ui_.playing);
    press(kSpace);
    EXPECT_FALSE(ui_.playing) << "space pauses a paced run";
    settle();
    EXPECT_LE(n_steps(), n + 5);
}

TEST_F(ExplorerFrames, SamplerSettingsReachTheWorkerAndResampleTheProposal) {
    start("the model", 3);
    ui_.sampler.temp = 0.0f;  // what the temperature slider at its left end sets
    push_sampler_settings(ui_);
    settle();
    EXPECT_EQ(ui_.snap->settings.temp, 0.0f);
    const core::StepTrace& last = *ui_.snap->steps.back();
    EXPECT_EQ(last.settings.temp, 0.0f) << "the proposal was re-sampled with the new settings";
    // Greedy: the proposal is the argmax of the logits.
    const auto& lg = *ui_.snap->logits;
    int32_t best   = 0;
    for (size_t i = 1; i < lg.size(); ++i)
        if (lg[i] > lg[size_t(best)]) best = int32_t(i);
    EXPECT_EQ(last.next_token, best);
    // The UI's preview of the same settings agrees with the worker's draw, without a round trip.
    const SamplerPreview& pv = sampler_preview(ui_, *ui_.snap);
    ASSERT_TRUE(pv.valid) << pv.error;
    EXPECT_EQ(pv.result.id, last.next_token);
}

TEST_F(ExplorerFrames, ApplyFromHereRegeneratesTheTokensAfterThePosition) {
    start("the model", 6);
    settle();
    const size_t n   = n_steps();
    const int pos    = int(n) - 4;
    ui_.sampler.temp = 0.0f;
    apply_sampler_from(ui_, pos);
    settle();
    ASSERT_EQ(n_steps(), n) << "as many tokens as were forgotten are generated again";
    for (size_t p = size_t(pos); p < n; ++p) EXPECT_EQ(ui_.snap->steps[p]->settings.temp, 0.0f) << p;
}

TEST_F(ExplorerFrames, BranchTakesTheChosenTokenAndGoesOn) {
    start("the model", 4);
    settle();
    const int pos = int(n_steps()) - 2;
    branch_token(ui_, pos, 260);
    settle();
    ASSERT_GT(n_steps(), size_t(pos));
    EXPECT_EQ(ui_.snap->steps[size_t(pos)]->token, 260);
    EXPECT_EQ(ui_.snap->steps[size_t(pos)]->source, core::TokenSource::Forced);
}

TEST_F(ExplorerFrames, WholeShellDrawsEveryTabOverTheEngine) {
    start("the model", 5);
    for (int t = 0; t < int(CenterTab::kCount); ++t) {
        ui_.tab_request = CenterTab(t);
        shell_frame();
        shell_frame();
        EXPECT_EQ(ui_.tab_shown, CenterTab(t));
        EXPECT_GT(shell_frame(), 1500) << "tab " << t;
    }
}

}  // namespace
}  // namespace ts::app
