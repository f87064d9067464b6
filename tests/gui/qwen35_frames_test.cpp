// The explorer over a tiny random qwen35 file (three gated DeltaNet layers, then an attention layer): every tab of
// the shell draws on a linear-attention layer and on the attention layer, the Attention panel says a recurrent
// layer has no attention weights instead of drawing a heatmap (core/trace/derive refuses it), the Journey lists
// each layer's own stages, and the Interventions strip offers what each layer's kind has.
#include <gtest/gtest.h>
#include <imgui.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "app/ui/panels.hpp"
#include "app/ui/shell.hpp"
#include "app/ui/view_journey.hpp"
#include "core/trace/derive.hpp"
#include "tests/gui/panel_fixture.hpp"
#include "tools/random_model.hpp"

namespace ts::app {
namespace {

class Qwen35Frames : public test::PanelFrames {
protected:
    void start_qwen35(int n) {
        const ts::tools::RandomModelSpec s = ts::tools::tiny_qwen35_spec(core::DType::F32);
        path_ = (std::filesystem::temp_directory_path() / ("ts_q35_ui" + std::to_string(getpid()) + ".gguf")).string();
        ASSERT_TRUE(ts::tools::write_random_model(s, path_).ok());
        std::strncpy(ui_.prompt.data(), "the model", ui_.prompt.size() - 1);
        request_load(ui_, path_);
        auto done = ui_.loader.wait();
        ASSERT_TRUE(done.has_value());
        ASSERT_TRUE(done->ok()) << done->error().message;
        accept_load(ui_, std::move(*done), path_);
        ASSERT_TRUE(ui_.bridge.attached());
        wait(ui_.bridge.push(core::cmd::Run{n}));
    }
    void TearDown() override {
        PanelFrames::TearDown();
        if (!path_.empty()) std::filesystem::remove(path_);
    }
    std::string path_;
};

TEST_F(Qwen35Frames, EveryTabDrawsOnBothKindsOfLayers) {
    start_qwen35(5);
    ASSERT_TRUE(ui_.snap && ui_.snap->model);
    for (int layer : {0, 3}) {
        SCOPED_TRACE(layer);
        select_layer_head(ui_, layer, 0);
        for (int t = 0; t < int(CenterTab::kCount); ++t) {
            ui_.tab_request = CenterTab(t);
            shell_frame();
            ASSERT_TRUE(ui_.bridge.wait_for(ui_.bridge.last_ticket(), std::chrono::seconds(20), true));
            shell_frame();
            EXPECT_EQ(ui_.tab_shown, CenterTab(t));
            EXPECT_GT(shell_frame(), 1500) << "tab " << t;
        }
    }
}

TEST_F(Qwen35Frames, JourneyListsEachLayersOwnStages) {
    start_qwen35(3);
    ASSERT_TRUE(ui_.snap && ui_.snap->model);
    const core::Hparams& hp = ui_.snap->model->hp;
    ASSERT_TRUE(hp.is_recurrent(0));
    // The Journey: layer 0 runs the DeltaNet stages, layer 3 the attention ones, each only its own.
    const auto stages = journey_stages(core::arch_desc(hp.arch), hp.n_layer, &hp);
    auto has          = [&](core::Stage id, int layer) {
        return std::any_of(stages.begin(), stages.end(),
                                    [&](const JourneyStage& st) { return st.desc && st.desc->id == id && st.layer == layer; });
    };
    EXPECT_TRUE(has(core::Stage::LinRead, 0) && has(core::Stage::LinConv, 0) && has(core::Stage::LinDecay, 0));
    EXPECT_FALSE(has(core::Stage::AttnScores, 0));
    EXPECT_TRUE(has(core::Stage::AttnScores, 3) && has(core::Stage::AttnGate, 3));
    EXPECT_FALSE(has(core::Stage::LinRead, 3));
    EXPECT_EQ(stages[size_t(journey_layer_start(stages, 3))].layer, 3);
}

// The Interventions strip on both kinds of layers: a kind a linear-attention layer has no use for is refused with the
// reason kept for the strip; a value head of a DeltaNet layer is zeroed; the strip draws its picks on either kind.
TEST_F(Qwen35Frames, InterventionsOfferWhatEachLayerKindHas) {
    start_qwen35(4);
    ASSERT_TRUE(ui_.snap && ui_.snap->model);
    EXPECT_FALSE(add_intervention(ui_, "no-rope:0"));
    EXPECT_NE(ui_.intervene_error.find("linear attention"), std::string::npos) << ui_.intervene_error;
    EXPECT_FALSE(add_intervention(ui_, "zero-head:1.4"));
    EXPECT_NE(ui_.intervene_error.find("value heads 0 .. 3"), std::string::npos) << ui_.intervene_error;
    ASSERT_TRUE(add_intervention(ui_, "zero-head:1.3"));
    ASSERT_TRUE(add_intervention(ui_, "no-rope:3"));
    wait(ui_.interventions_ticket);
    ASSERT_TRUE(ui_.snap->interventions);
    EXPECT_EQ(ui_.snap->interventions->size(), 2u);
    ASSERT_TRUE(ui_.snap->diff);
    for (int layer : {0, 3}) {
        select_layer_head(ui_, layer, 3);
        EXPECT_GT(frame([](UiState& ui, const core::Snapshot& snap) { draw_interventions_strip(ui, &snap); }), 0);
    }
}

// The Heads panel: the atlas marks the DeltaNet layers; selecting one draws its note and asks for no probe
// heatmap, the attention layer's head gets its heatmap on the probe.
TEST_F(Qwen35Frames, HeadsShowTheLinearAttentionLayersAsSuch) {
    ui_.heads.cache_dir = "";  // never the user's cache
    start_qwen35(3);
    ASSERT_TRUE(ui_.snap && ui_.snap->model);
    ui_.heads.wanted = true;
    select_layer_head(ui_, 1, 0);
    auto atlas = [&]() -> const core::AtlasState* { return ui_.snap->atlas.get(); };
    ASSERT_TRUE(frames_until(draw_heads_panel, [&] { return atlas() && atlas()->atlas; }));
    EXPECT_TRUE(atlas()->atlas->is_linear(1));
    EXPECT_FALSE(atlas()->atlas->is_linear(3));
    EXPECT_GT(frame(draw_heads_panel), 0);
    EXPECT_FALSE(atlas()->probe);  // nothing asked for a linear-attention layer
    select_layer_head(ui_, 3, 1);
    ASSERT_TRUE(frames_until(draw_heads_panel, [&] { return atlas()->probe && atlas()->probe->layer == 3; }));
    EXPECT_TRUE(atlas()->head_error.empty()) << atlas()->head_error;
}

}  // namespace
}  // namespace ts::app
