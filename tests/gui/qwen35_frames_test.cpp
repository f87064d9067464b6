// The explorer over a tiny random qwen35 file (three gated DeltaNet layers, then an attention layer): every tab of
// the shell draws on a linear-attention layer and on the attention layer; on a recurrent layer the Attention panel
// draws the gates and the state norm per position and head (no heatmap: core/trace/derive refuses one), with the
// exact values on hover and click selecting the position; the KV panel draws the recurrent layers as constant
// blocks and digests the attention layer; the Journey lists each layer's own stages; and the Interventions strip
// offers what each layer's kind has.
#include <gtest/gtest.h>
#include <imgui.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "app/ui/panels.hpp"
#include "app/ui/shell.hpp"
#include "app/ui/view_journey.hpp"
#include "app/ui/view_kv.hpp"
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
    const auto stages = journey_stages(core::arch_desc(hp), hp.n_layer, &hp);
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

TEST_F(Qwen35Frames, RecurrentLayerDrawsItsGatesAndStateNorm) {
    start_qwen35(5);
    ASSERT_TRUE(ui_.snap && ui_.snap->model);
    const core::Hparams& hp = ui_.snap->model->hp;
    const int T             = int(ui_.snap->steps.size());
    select_layer_head(ui_, 1, 0);
    const int vtx = frame(draw_attention_panel);
    EXPECT_GT(vtx, 1500);
    const core::RecurrentSeries* s = recurrent_series_shown(ui_);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->layer, 1);
    EXPECT_EQ(s->n_pos, T);
    EXPECT_EQ(s->n_head, hp.ssm_dt_rank);
    EXPECT_EQ(s->n_recorded(), T);
    // The values shown are the trace's: exp of the recorded g, the recorded β and state norm.
    for (int p = 0; p < T; ++p)
        for (int h = 0; h < s->n_head; ++h) {
            const core::PositionRecord& r = *ui_.snap->steps[size_t(p)]->record;
            const size_t at               = size_t(1) * size_t(s->n_head) + size_t(h);
            EXPECT_EQ(s->at(s->decay, p, h), std::exp(r.lin_decay[at]));
            EXPECT_EQ(s->at(s->beta, p, h), r.lin_beta[at]);
            EXPECT_EQ(s->at(s->state_norm, p, h), r.lin_state_norm[at]);
            EXPECT_GT(s->at(s->decay, p, h), 0.0f);
            EXPECT_GT(s->at(s->state_norm, p, h), 0.0f);
        }
    // Three strips, one above the other; hovering strip β at (position 2, head 1) names that cell.
    float rects[3][4];
    for (int k = 0; k < 3; ++k) {
        ASSERT_TRUE(recurrent_strip_rect(ui_, k, rects[k])) << k;
        EXPECT_GT(rects[k][2] - rects[k][0], 100.0f);
        EXPECT_GT(rects[k][3] - rects[k][1], 4.0f);
        if (k > 0) {
            EXPECT_GT(rects[k][1], rects[k - 1][3]);
        }
    }
    ImGuiIO& io    = ImGui::GetIO();
    const float* r = rects[1];
    io.MousePos    = ImVec2(r[0] + (r[2] - r[0]) * 2.5f / float(T), r[1] + (r[3] - r[1]) * 1.5f / float(s->n_head));
    frame(draw_attention_panel);
    frame(draw_attention_panel);
    const RecurrentCell c = recurrent_hovered_cell(ui_);
    EXPECT_EQ(c.strip, 1);
    EXPECT_EQ(c.pos, 2);
    EXPECT_EQ(c.head, 1);
    // A click selects the position, as in the other panels.
    io.MouseDown[0] = true;
    frame(draw_attention_panel);
    io.MouseDown[0] = false;
    frame(draw_attention_panel);
    EXPECT_EQ(selected_pos(ui_, *ui_.snap), 2);
    // The layer picker still works: the attention layer gets its heatmap again, not the recurrent view.
    select_layer_head(ui_, 3, 0);
    ASSERT_TRUE(frames_until(draw_attention_panel, [&] {
        float hr[4];
        int n = 0;
        return attention_heatmap_rect(ui_, hr, &n) && n == T;
    }));
}

TEST_F(Qwen35Frames, KvPanelDrawsRecurrentLayersAsConstantBlocks) {
    start_qwen35(3);
    ASSERT_TRUE(ui_.snap && ui_.snap->model);
    const core::Hparams& hp = ui_.snap->model->hp;
    EXPECT_GT(frame(draw_kv_panel), 1500);
    ASSERT_TRUE(ui_.views.kv);
    const std::vector<KvGridRow> before = ui_.views.kv->grid;
    ASSERT_EQ(before.size(), 4u);
    for (int l = 0; l < 3; ++l) {
        EXPECT_EQ(before[size_t(l)].kind, KvRowKind::State);
        EXPECT_EQ(before[size_t(l)].bytes, hp.recurrent_floats() * sizeof(float));
    }
    EXPECT_EQ(before[3].kind, KvRowKind::Cache);
    // "Old entries never change" reads the attention layer (3), not layer 0 which has no cache.
    EXPECT_EQ(ui_.views.kv->now.layer, 3);
    EXPECT_TRUE(ui_.views.kv->unchanged);
    EXPECT_NE(ui_.views.kv->now.k[0], 0.0f);
    // Three more tokens: the attention layer's row grows, the recurrent ones do not.
    wait(ui_.bridge.push(core::cmd::Run{3}));
    frame(draw_kv_panel);
    const std::vector<KvGridRow>& after = ui_.views.kv->grid;
    ASSERT_EQ(after.size(), 4u);
    for (int l = 0; l < 3; ++l) EXPECT_EQ(after[size_t(l)].bytes, before[size_t(l)].bytes);
    EXPECT_EQ(after[3].bytes, before[3].bytes + 3u * 2u * uint64_t(hp.kv_dim()) * 4u);
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
