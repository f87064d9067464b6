// The KV cache panel: multiply-add counts with and without the cache against hand counts, bytes per position,
// and headless frames of the panel over a real generation.
#include <gtest/gtest.h>

#include "app/ui/model_summary.hpp"
#include "app/ui/view_kv.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

core::Hparams small_hp() {
    core::Hparams hp;
    hp.n_vocab   = 100;
    hp.n_embd    = 8;
    hp.n_layer   = 2;
    hp.n_head    = 2;
    hp.n_head_kv = 1;
    hp.head_dim  = 4;
    hp.n_ff      = 16;
    return hp;
}

TEST(MacCounts, OneStepWithTheCacheCountsEachMatrixOnce) {
    const MacCounts m = step_macs_with_cache(small_hp(), 3);  // 4 keys
    // per layer: wq 8·8 + wk, wv 8·4 each + wo 8·8 = 192; two layers
    EXPECT_EQ(m.projections, 2u * 192u);
    // per layer: scores + weighted sum = 2 · n_head · head_dim · keys = 2·2·4·4 = 64
    EXPECT_EQ(m.attention, 2u * 64u);
    EXPECT_EQ(m.mlp, 2u * 3u * 8u * 16u);
    EXPECT_EQ(m.output, 800u);
    EXPECT_EQ(m.total(), m.projections + m.attention + m.mlp + m.output);
}

TEST(MacCounts, RecomputingWithoutTheCacheRepeatsEveryToken) {
    const core::Hparams hp = small_hp();
    const MacCounts one    = step_macs_with_cache(hp, 0);
    const MacCounts all    = step_macs_without_cache(hp, 3);  // 4 tokens, attending to 1+2+3+4 keys
    EXPECT_EQ(all.projections, 4 * one.projections);
    EXPECT_EQ(all.mlp, 4 * one.mlp);
    EXPECT_EQ(all.attention, 10 * one.attention);
    EXPECT_EQ(all.output, one.output);  // logits of the last token only
    EXPECT_EQ(step_macs_without_cache(hp, 0).total(), one.total());
    EXPECT_GT(all.total(), step_macs_with_cache(hp, 3).total());
}

TEST(KvBytes, PerPositionIsKAndVOfEveryLayer) {
    EXPECT_EQ(kv_bytes_per_position(small_hp(), 4), 2u * 2u * 4u * 4u);
    EXPECT_EQ(kv_bytes_per_position(small_hp(), 2), 32u);
}

// small_hp as qwen35 lays it out: three recurrent (gated DeltaNet) layers, then an attention layer; conv kernel 4,
// inner size 8, state 4 (2 heads of 4), one group.
core::Hparams qwen35_like_hp() {
    core::Hparams hp    = small_hp();
    hp.n_layer          = 4;
    hp.ssm_d_conv       = 4;
    hp.ssm_d_inner      = 8;
    hp.ssm_d_state      = 4;
    hp.ssm_dt_rank      = 2;
    hp.ssm_n_group      = 1;
    hp.recurrent_layers = {1, 1, 1, 0};
    return hp;
}

// qwen35's layers: a recurrent layer's row is its constant state (conv inputs + every head's d × d, f32), the same
// at 1 and at 1000 positions; an attention layer's row is its K and V of every position.
TEST(KvGrid, RecurrentLayersAreConstantAttentionLayersGrow) {
    const core::Hparams hp = qwen35_like_hp();
    const uint64_t state   = (3u * (8u + 2u * 4u) + 2u * 4u * 4u) * 4u;  // (d_conv-1)·conv_dim + heads·d·d, f32
    const auto one         = kv_grid_rows(hp, 1, 4);
    const auto many        = kv_grid_rows(hp, 1000, 4);
    ASSERT_EQ(one.size(), 4u);
    for (int l = 0; l < 3; ++l) {
        EXPECT_EQ(one[size_t(l)].kind, KvRowKind::State);
        EXPECT_EQ(one[size_t(l)].bytes, state);
        EXPECT_EQ(many[size_t(l)].bytes, state);
    }
    EXPECT_EQ(one[3].kind, KvRowKind::Cache);
    EXPECT_EQ(one[3].bytes, 2u * 4u * 4u);  // K and V, kv_dim 4, f32
    EXPECT_EQ(many[3].bytes, 1000u * 2u * 4u * 4u);
    for (const KvGridRow& r : kv_grid_rows(small_hp(), 7, 2)) EXPECT_EQ(r.kind, KvRowKind::Cache);
}

// The same model's multiply-adds: one attention layer attends (2 heads × 4 dims × keys, scores and sum); the three
// recurrent layers update and read their state (3 · heads 2 · d 4 · head_v 4 each), the same at every position, and
// have their own projections (q|k|v 16, z 8, α 2, β 2 rows of 8, and the output 8 × 8).
TEST(MacCounts, RecurrentLayersCostTheSameAtEveryPosition) {
    const core::Hparams hp = qwen35_like_hp();
    const uint64_t rec     = 3u * 3u * 2u * 4u * 4u;  // 288
    EXPECT_EQ(step_macs_with_cache(hp, 0).attention, 2u * 2u * 4u * 1u + rec);
    EXPECT_EQ(step_macs_with_cache(hp, 9).attention, 2u * 2u * 4u * 10u + rec);
    EXPECT_EQ(step_macs_without_cache(hp, 3).attention, 2u * 2u * 4u * 10u + 4u * rec);
    EXPECT_EQ(step_macs_with_cache(hp, 0).projections, 192u + 3u * 8u * (16u + 8u + 8u + 2u + 2u));
    EXPECT_EQ(step_macs_with_cache(hp, 0).mlp, 4u * 3u * 8u * 16u);
}

// gemma4-like sizes by hand: layer 0 local (heads of 4, a window of 2), layer 1 global (heads of 8), layer 2 local
// reading layer 0's cache (no K or V projection). n_embd 8, 2 heads, 1 kv head, n_ff 16.
TEST(MacCounts, EachLayerCountsItsOwnSizesAndWindow) {
    core::Hparams hp  = small_hp();
    hp.n_layer        = 3;
    hp.head_dim       = 8;
    hp.layer_head_dim = {4, 8, 4};
    hp.n_swa          = 2;
    hp.swa_layers     = {1, 0, 1};
    hp.n_layer_kv     = 2;
    const MacCounts m = step_macs_with_cache(hp, 3);  // 4 keys; the local layers see 2
    // wq + wo: 2 · 8 · (2 heads × head size); wk + wv: 2 · 8 · head size (1 kv head), none on layer 2.
    EXPECT_EQ(m.projections, (2u * 8 * 8 + 2u * 8 * 4) + (2u * 8 * 16 + 2u * 8 * 8) + (2u * 8 * 8));
    // 2 · n_head · head size · keys: 2·2·4·2 + 2·2·8·4 + 2·2·4·2
    EXPECT_EQ(m.attention, 32u + 128u + 32u);
    EXPECT_EQ(m.mlp, 3u * 3u * 8u * 16u);
    // Without the cache, token t attends to min(t + 1, 2) keys on the local layers: 1 + 2 + 2 + 2.
    EXPECT_EQ(step_macs_without_cache(hp, 3).attention, 2u * (2 * 2 * 4 * 7) + 2 * 2 * 8 * 10);
}

using KvFrames = test::PanelFrames;

// gemma4 (the tiny file: layer 0 local, 2 kv heads of 16; layer 1 global, 2 kv heads of 32; layer 2 reads layer 0's
// cache): the panel's per-layer rows and totals are each layer's own bytes, by hand, and the cache holds exactly them.
TEST_F(KvFrames, Gemma4ShowsEachLayersOwnSizeAndASharingLayerAsNone) {
    ts::test::TinyGgufSpec spec;
    spec.arch = "gemma4";
    start("the model", 4, spec);
    EXPECT_GT(frame(draw_kv_panel), 2000);
    ASSERT_TRUE(ui_.views.kv);
    const KvView& v = *ui_.views.kv;
    ASSERT_EQ(v.layers.size(), 3u);
    EXPECT_EQ(v.layers[0].bytes_per_pos, 2u * 2 * 16 * 4);  // K and V, 2 kv heads × 16, f32
    EXPECT_EQ(v.layers[1].bytes_per_pos, 2u * 2 * 32 * 4);
    EXPECT_EQ(v.layers[2].bytes_per_pos, 0u);
    EXPECT_EQ(v.layers[2].source, 0);
    EXPECT_EQ(v.layers[2].what, "local, reads layer 0's cache (no storage of its own)");
    EXPECT_EQ(v.bytes_per_pos, 768u);
    EXPECT_EQ(v.kv.n_layers_stored, 2);
    EXPECT_EQ(v.kv.bytes_total, uint64_t(v.kv.n_pos) * 768u);
    EXPECT_EQ(v.kv.bytes_per_layer, uint64_t(v.kv.n_pos) * 2u * 2 * 32 * 4);  // the global layer's
    EXPECT_EQ(v.kv.bytes_capacity, uint64_t(v.kv.n_ctx) * 768u);
    // The Model panel shows each kind of layer's own sizes, not the largest for all.
    const ModelSummary summary = summarize_model(*ui_.snap->model);
    const auto row             = [&](const char* label) {
        for (const InfoRow& r : summary.hparams)
            if (r.label == label) return r.value;
        return std::string("(no row)");
    };
    EXPECT_EQ(row("head_dim"), "global 32, local 16");
    EXPECT_EQ(row("n_head_kv"), "2");
}

TEST_F(KvFrames, PanelDrawsTotalsGridAndPlots) {
    start("the model", 6);
    EXPECT_GT(frame(draw_kv_panel), 2000);
    ASSERT_TRUE(ui_.views.kv);
    const KvView& v = *ui_.views.kv;
    EXPECT_EQ(v.n_pos, int(ui_.snap->steps.size()));
    EXPECT_EQ(v.bytes_per_pos, kv_bytes_per_position(ui_.snap->model->hp, 4));  // f32 cache
    ASSERT_EQ(v.with_cache.size(), size_t(v.n_pos));
    EXPECT_LT(v.with_cache.back(), v.without_cache.back());
    ui_.views.kv->whole_context = true;
    ui_.sel.pos                 = 1;
    EXPECT_GT(frame(draw_kv_panel), 2000);
}

TEST(KvRowDigest, AStoredRowKeepsItsDigestWhileLaterRowsAreAppended) {
    for (core::DType type : {core::DType::F32, core::DType::F16}) {
        auto c = core::KvCache::create(2, 8, 4, type);
        ASSERT_TRUE(c.ok());
        const float k0[4] = {0.5f, -1.0f, 2.0f, 0.25f}, v0[4] = {1, 2, 3, 4}, k1[4] = {9, 9, 9, 9};
        for (int l = 0; l < 2; ++l) c->store(l, 0, k0, v0);
        c->set_n_pos(1);
        const core::KvRowDigest before = core::digest_kv_row(*c, 0);
        ASSERT_TRUE(before.valid());
        EXPECT_FLOAT_EQ(before.k[1], -1.0f);
        EXPECT_FLOAT_EQ(before.v[3], 4.0f);
        EXPECT_FALSE(core::digest_kv_row(*c, 1).valid());  // not filled yet
        for (int l = 0; l < 2; ++l) c->store(l, 1, k1, v0);
        c->set_n_pos(2);
        EXPECT_TRUE(before.same_rows(core::digest_kv_row(*c, 0)));
        EXPECT_FALSE(before.same_rows(core::digest_kv_row(*c, 1)));
        c->store(1, 0, k1, v0);  // a rewrite of position 0, in the last layer only, is seen
        EXPECT_FALSE(before.same_rows(core::digest_kv_row(*c, 0)));
    }
}

TEST_F(KvFrames, OldEntriesAreShownUnchangedAfterLaterSteps) {
    start("the model", 4);
    frame(draw_kv_panel);
    const KvView& v = *ui_.views.kv;
    ASSERT_TRUE(v.now.valid());
    EXPECT_EQ(v.now.pos, 0);  // the newest position is selected: position 0 is checked
    EXPECT_TRUE(v.unchanged);
    EXPECT_EQ(v.written.hash, ui_.snap->steps[0]->kv_written.hash);
    // An older selected position is checked after more steps.
    select_position(ui_, 2);
    wait(ui_.bridge.push(core::cmd::Run{3}));
    frame(draw_kv_panel);
    ASSERT_TRUE(v.now.valid());
    EXPECT_EQ(v.now.pos, 2);
    EXPECT_TRUE(v.unchanged);
    EXPECT_NE(ui_.snap->steps[2]->kv_written.hash, ui_.snap->steps[0]->kv_written.hash);
}

}  // namespace
}  // namespace ts::app
