// The Journey panel: the stage list, the exact recomputation of a layer from the trace (equal to what the forward
// pass recorded), and headless frames of every stage.
#include <gtest/gtest.h>

#include <cmath>

#include "app/ui/view_journey.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

TEST(JourneyStages, ListsTheWholeForwardPass) {
    const auto s = journey_stages(3);
    ASSERT_EQ(s.size(), 3u + 3u * 10u + 5u);
    EXPECT_EQ(s.front().kind, JourneyKind::Token);
    EXPECT_EQ(s[size_t(journey_layer_start(1))].kind, JourneyKind::AttnNorm);
    EXPECT_EQ(s[size_t(journey_layer_start(1))].layer, 1);
    EXPECT_EQ(s[size_t(journey_layer_start(2)) + 9].kind, JourneyKind::ResidFfn);
    EXPECT_EQ(s.back().kind, JourneyKind::Appended);
    for (const auto& st : s) {
        EXPECT_STRNE(journey_title(st.kind), "?");
        EXPECT_STRNE(journey_explain(st.kind), "");
    }
    core::Hparams hp;
    hp.n_head = 8, hp.head_dim = 64, hp.n_head_kv = 2, hp.n_embd = 512;
    EXPECT_EQ(journey_shape(JourneyKind::Qkv, hp, 5), "q [8 heads × 64], k and v [2 kv heads × 64]");
    EXPECT_EQ(journey_shape(JourneyKind::Scores, hp, 5), "[8 heads × 5 keys]");
}

using LayersFrames = test::PanelFrames;

TEST_F(LayersFrames, RecomputedLayerEqualsTheRecordedForwardPass) {
    start("the model", 4);
    const auto& snap = *ui_.snap;
    for (int layer = 0; layer < snap.model->hp.n_layer; ++layer)
        for (int pos : {0, 2, int(snap.steps.size()) - 1}) {
            auto t = core::compute_layer_trip(*snap.model, snap.steps, pos, layer, core::DType::F32);
            ASSERT_TRUE(t.ok()) << t.error().message;
            EXPECT_LT(t->q_max_diff, 1e-4f) << "layer " << layer << " pos " << pos;
            EXPECT_LT(t->resid_max_diff, 1e-3f) << "layer " << layer << " pos " << pos;
            EXPECT_NEAR(l2_norm(t->resid_ffn), snap.steps[size_t(pos)]->layers[size_t(layer)].resid_norm_ffn, 1e-3);
            double sum = 0;
            for (int j = 0; j <= pos; ++j) sum += t->probs[size_t(j)];
            EXPECT_NEAR(sum, 1.0, 1e-5);
        }
    EXPECT_FALSE(core::compute_layer_trip(*snap.model, snap.steps, 99, 0, core::DType::F32).ok());
}

// The same with Llama 3's frequency factors: the layer trip's RoPE (and the angles the Position stage shows) must
// divide by them exactly as the forward pass does, or q would differ from the recorded one.
TEST_F(LayersFrames, RecomputedLayerEqualsTheForwardPassWithLlama3RopeFactors) {
    ts::test::TinyGgufSpec spec;
    spec.rope_freqs = {1.0f, 1.0f, 1.5f, 2.0f, 4.0f, 8.0f, 16.0f, 32.0f};
    start("the model", 4, spec);
    const auto& snap = *ui_.snap;
    ASSERT_EQ(snap.model->hp.rope_freq_factors, spec.rope_freqs);
    const int last = int(snap.steps.size()) - 1;
    for (int layer = 0; layer < snap.model->hp.n_layer; ++layer) {
        auto t = core::compute_layer_trip(*snap.model, snap.steps, last, layer, core::DType::F32);
        ASSERT_TRUE(t.ok()) << t.error().message;
        EXPECT_LT(t->q_max_diff, 1e-4f) << "layer " << layer;
    }
    const std::vector<float> angles = core::rope_thetas_at(snap.model->hp, 3);
    EXPECT_FLOAT_EQ(angles[7], float(3.0 * std::pow(10000.0, -14.0 / 16.0) / 32.0));
}

TEST_F(LayersFrames, EveryStageDrawsWithItsNumbers) {
    start("the model", 3);
    const int n_stages = int(journey_stages(ui_.snap->model->hp.n_layer).size());
    for (int i = 0; i < n_stages; ++i) {
        ASSERT_TRUE(ui_.views.layers || i == 0);
        if (ui_.views.layers) ui_.views.layers->stage = i;
        // frames until this stage's layer numbers arrived (stages outside the layers need none)
        const bool ok = frames_until(draw_layers_panel, [&] {
            const auto& lv = *ui_.views.layers;
            const int l    = journey_stages(ui_.snap->model->hp.n_layer)[size_t(i)].layer;
            return l < 0 || (lv.trip && lv.trip->layer == l);
        });
        ASSERT_TRUE(ok) << "stage " << i;
        EXPECT_GT(frame(draw_layers_panel), 1000) << "stage " << i;
    }
}

}  // namespace
}  // namespace ts::app
