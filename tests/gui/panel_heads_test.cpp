// The Heads panel: headless frames over a tiny model's engine. Before the atlas it offers the button and asks the
// worker for nothing; asked, the worker builds it and the panel draws the grid; a click on a cell selects that head
// for every panel and brings its probe heatmap; "confirm by ablation" brings the loss with the head zeroed; and a new
// session of the same model file finds the atlas in the cache folder without being asked. The Attention panel's
// hidden sinks are drawn too. (The atlas's numbers: tests/core/trace; the job: tests/core/session/atlas_job_test.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

namespace fs = std::filesystem;

class HeadsFrames : public test::PanelFrames {
protected:
    void SetUp() override {
        PanelFrames::SetUp();
        dir_ = fs::temp_directory_path() / ("ts_heads_frames_" + std::to_string(getpid()));
        fs::remove_all(dir_);
        ui_.heads.cache_dir = dir_.string();  // never the user's cache
    }
    void TearDown() override {
        PanelFrames::TearDown();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    const core::AtlasState& atlas() const { return *ui_.snap->atlas; }
    fs::path dir_;
};

TEST_F(HeadsFrames, ButtonGridClickAndAblation) {
    start("the model", 4);
    const int before = frame(draw_heads_panel);
    frame(draw_heads_panel);
    EXPECT_FALSE(ui_.heads.wanted);
    ASSERT_TRUE(ui_.snap->atlas);
    EXPECT_FALSE(atlas().atlas);  // nothing in the cache, and nothing asked: nothing built
    EXPECT_FALSE(fs::exists(dir_));
    float r[4];
    EXPECT_FALSE(heads_grid_rect(ui_, r));

    // Click the panel's one button ("Compute the head atlas"): found by clicking along the area under the heading,
    // where nothing else is clickable before the atlas exists.
    ImGuiIO& io = ImGui::GetIO();
    for (float y = 4.0f; y < 240.0f && !ui_.heads.wanted; y += 6.0f)
        for (float x = 4.0f; x < 400.0f && !ui_.heads.wanted; x += 16.0f) {
            io.MousePos     = ImVec2(x, y);
            io.MouseDown[0] = true;
            frame(draw_heads_panel);
            io.MouseDown[0] = false;
            frame(draw_heads_panel);
        }
    ASSERT_TRUE(ui_.heads.wanted) << "the button asks for the atlas";
    io.MousePos = ImVec2(-100.0f, -100.0f);
    ASSERT_TRUE(frames_until(draw_heads_panel, [&] { return atlas().atlas && atlas().probe; }));
    const int n_layer = ui_.model->hp.n_layer, n_head = ui_.model->hp.n_head;
    EXPECT_EQ(int(atlas().atlas->heads.size()), n_layer * n_head);
    EXPECT_EQ(atlas().probe->layer, 0);
    EXPECT_GT(frame(draw_heads_panel), before + 200) << "the grid and the heatmaps are drawn";
    EXPECT_FALSE(fs::is_empty(dir_)) << "the atlas was written to the cache folder";

    // Click the cell of the last layer's last head.
    ASSERT_TRUE(heads_grid_rect(ui_, r));
    const float cw = (r[2] - r[0]) / float(n_head), ch = (r[3] - r[1]) / float(n_layer);
    io.MousePos = ImVec2(r[0] + cw * (float(n_head) - 0.5f), r[1] + ch * (float(n_layer) - 0.5f));
    frame(draw_heads_panel);
    io.MouseDown[0] = true;
    frame(draw_heads_panel);
    io.MouseDown[0] = false;
    frame(draw_heads_panel);
    io.MousePos = ImVec2(-100.0f, -100.0f);
    EXPECT_EQ(ui_.sel.layer, n_layer - 1);
    EXPECT_EQ(ui_.sel.head, n_head - 1);
    ASSERT_TRUE(frames_until(draw_heads_panel, [&] {
        return atlas().probe && atlas().probe->layer == n_layer - 1 && atlas().probe->head == n_head - 1;
    }));

    ui_.heads.ablate_layer = ui_.sel.layer;  // "Confirm by ablation"
    ui_.heads.ablate_head  = ui_.sel.head;
    ASSERT_TRUE(frames_until(draw_heads_panel, [&] { return atlas().ablation != nullptr; }));
    EXPECT_EQ(atlas().ablation->layer, n_layer - 1);
    EXPECT_GT(atlas().ablation->loss, 0.0);
    frame(draw_heads_panel);

    // Every score colours the grid without trouble.
    for (int s = 0; s < 8; ++s) {
        ui_.heads.score = s;
        frame(draw_heads_panel);
    }
}

TEST_F(HeadsFrames, TheSecondSessionFindsTheAtlasInTheCache) {
    start("the model", 2);
    ui_.heads.wanted = true;
    ASSERT_TRUE(frames_until(draw_heads_panel, [&] { return atlas().atlas != nullptr; }));
    EXPECT_FALSE(atlas().from_cache);
    const std::string path = ui_.model->path;

    // The same file again (a new worker, so a new job): shown without asking, read from the cache.
    request_load(ui_, path);
    auto done = ui_.loader.wait();
    ASSERT_TRUE(done && done->ok());
    accept_load(ui_, std::move(*done), path);
    EXPECT_FALSE(ui_.heads.wanted);
    ASSERT_TRUE(frames_until(draw_heads_panel, [&] { return ui_.snap && ui_.snap->atlas && atlas().atlas; }));
    EXPECT_TRUE(atlas().from_cache);
    EXPECT_FALSE(ui_.heads.wanted);
}

TEST_F(HeadsFrames, AttentionPanelDrawsWithSinksHidden) {
    start("the model", 8);
    ui_.attention.hide_sinks = false;
    frame(draw_attention_panel);
    const int shown          = frame(draw_attention_panel);
    ui_.attention.hide_sinks = true;
    frame(draw_attention_panel);
    EXPECT_GT(frame(draw_attention_panel), 0);
    ui_.attention.mode = AttentionMode::HeadMean;  // the head mean has its sinks too
    frame(draw_attention_panel);
    EXPECT_GT(shown, 0);
}

}  // namespace
}  // namespace ts::app
