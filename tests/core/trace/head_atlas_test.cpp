// The head atlas: the scores of hand-made attention rows, and the atlas of the shipped default model, whose
// previous-token and first-token heads it must find and tag. (The default model, 4 layers trained on one book, has
// no induction head on random tokens: its loss on the repeated half is at chance, which the test prints.)
#include "core/trace/head_atlas.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace ts::core {
namespace {

// Rows of n = 1 + 2·half positions where query i puts all its weight on key target(i).
template <typename F>
std::vector<float> one_hot_rows(int n, F target) {
    std::vector<float> r(size_t(n) * size_t(n), 0.0f);
    for (int i = 0; i < n; ++i) r[size_t(i) * size_t(n) + size_t(target(i))] = 1.0f;
    return r;
}

TEST(HeadAtlas, ScoresHandMadeRows) {
    const int half = 4, first = 1, n = first + 2 * half;
    const auto prev = one_hot_rows(n, [](int i) { return i > 0 ? i - 1 : 0; });
    HeadScores s    = score_head({prev.data(), n}, first, half);
    EXPECT_FLOAT_EQ(s.prev_token, 1.0f);
    EXPECT_FLOAT_EQ(s.window, 1.0f);
    EXPECT_FLOAT_EQ(s.entropy_bits, 0.0f);
    EXPECT_EQ(s.tag, "previous-token");

    EXPECT_TRUE(s.sink_cols.empty());
    EXPECT_EQ(s.sink, 0.0f);

    const auto sink = one_hot_rows(n, [](int) { return 0; });
    s               = score_head({sink.data(), n}, first, half);
    EXPECT_FLOAT_EQ(s.first_token, 1.0f);
    EXPECT_EQ(s.tag, "first-token");
    EXPECT_EQ(s.sink_cols, std::vector<int>{0});
    EXPECT_FLOAT_EQ(s.sink, 1.0f);

    // Second copy: look at what followed the earlier occurrence; first copy: at the query itself.
    const auto ind = one_hot_rows(n, [&](int i) { return i >= first + half ? i - half + 1 : i; });
    s              = score_head({ind.data(), n}, first, half);
    EXPECT_FLOAT_EQ(s.induction, 1.0f);
    EXPECT_FLOAT_EQ(s.duplicate, 0.0f);
    EXPECT_EQ(s.tag, "induction");

    // Uniform rows: spread out, no tag.
    std::vector<float> uni(size_t(n) * size_t(n), 0.0f);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j <= i; ++j) uni[size_t(i) * size_t(n) + size_t(j)] = 1.0f / float(i + 1);
    s = score_head({uni.data(), n}, first, half);
    EXPECT_EQ(s.tag, "diffuse");
    EXPECT_GT(s.entropy_bits, 2.0f);
    EXPECT_TRUE(s.sink_cols.empty());
}

TEST(HeadAtlas, TagIsTheStrongestScoreAboveTheThreshold) {
    HeadScores s;
    EXPECT_EQ(atlas_tag(s), "diffuse");
    s.self      = 0.31f;
    s.induction = 0.2f;
    EXPECT_EQ(atlas_tag(s), "self");
    s.induction = 0.5f;
    EXPECT_EQ(atlas_tag(s), "induction");
    s.sink = 0.9f;  // the sink share is a number of the atlas, not a tag of its own (first_token is)
    EXPECT_EQ(atlas_tag(s), "induction");
}

// Building in chunks (the explorer's worker does one chunk between commands) gives the atlas of one pass, bit for
// bit, and the probe heatmap of a head is the attention the atlas scored.
TEST(HeadAtlas, ChunkedBuildEqualsOnePassAndProbeAttentionMatches) {
    auto model = load_model(std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf");
    ASSERT_TRUE(model.ok()) << model.error().message;
    ThreadPool pool(2);
    AtlasOptions opt;
    opt.half   = 20;
    auto whole = build_head_atlas(**model, pool, opt);
    ASSERT_TRUE(whole.ok()) << whole.error().message;
    auto b = AtlasBuild::start(**model, opt);
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ((*b)->total(), 41);
    int steps = 0;
    while (!(*b)->finished()) {
        ASSERT_TRUE((*b)->step(pool, 7).ok());
        ++steps;
        EXPECT_EQ((*b)->done(), std::min(41, 7 * steps));
    }
    EXPECT_EQ(steps, 6);
    const HeadAtlas parts = (*b)->finish();
    ASSERT_EQ(parts.heads.size(), whole->heads.size());
    EXPECT_EQ(parts.probe, whole->probe);
    for (size_t k = 0; k < parts.heads.size(); ++k) {
        const HeadScores &x = parts.heads[k], &y = whole->heads[k];
        EXPECT_EQ(x.prev_token, y.prev_token) << k;
        EXPECT_EQ(x.first_token, y.first_token) << k;
        EXPECT_EQ(x.induction, y.induction) << k;
        EXPECT_EQ(x.entropy_bits, y.entropy_bits) << k;
        EXPECT_EQ(x.sink, y.sink) << k;
        EXPECT_EQ(x.sink_cols, y.sink_cols) << k;
        EXPECT_EQ(x.tag, y.tag) << k;
    }

    const HeadScores& h = whole->at(0, 5);
    auto m              = probe_attention(**model, whole->probe, 0, 5, pool);
    ASSERT_TRUE(m.ok()) << m.error().message;
    ASSERT_EQ(m->n, 41);
    const HeadScores again = score_head({m->probs.data(), m->n}, whole->first_copy, opt.half);
    EXPECT_EQ(again.first_token, h.first_token);
    EXPECT_EQ(again.prev_token, h.prev_token);
    for (int i = 0; i < m->n; ++i) {
        double sum = 0;
        for (int j = 0; j <= i; ++j) sum += double(m->probs[size_t(i) * 41 + size_t(j)]);
        EXPECT_NEAR(sum, 1.0, 1e-5) << i;
        if (i + 1 < m->n) {
            EXPECT_TRUE(std::isinf(m->scores[size_t(i) * 41 + size_t(i) + 1])) << i;
        }
    }
    EXPECT_FALSE(probe_attention(**model, whole->probe, 4, 0, pool).ok());
    EXPECT_FALSE(probe_attention(**model, whole->probe, 0, 8, pool).ok());
    EXPECT_FALSE(AtlasBuild::start(**model, AtlasOptions{1, 1}).ok());
}

TEST(HeadAtlas, FindsTheDefaultModelsHeads) {
    auto model = load_model(std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf");
    ASSERT_TRUE(model.ok()) << model.error().message;
    ThreadPool pool(2);
    auto atlas = build_head_atlas(**model, pool);
    ASSERT_TRUE(atlas.ok()) << atlas.error().message;
    ASSERT_EQ(int(atlas->heads.size()), (*model)->hp.n_layer * (*model)->hp.n_head);
    const HeadScores* best[3] = {nullptr, nullptr, nullptr};  // previous-token, first-token, induction
    for (const HeadScores& s : atlas->heads) {
        std::printf("L%d H%d %-16.*s prev %.2f first %.2f self %.2f dup %.2f ind %.2f H %.2f bits w %.1f\n", s.layer,
                    s.head, int(s.tag.size()), s.tag.data(), double(s.prev_token), double(s.first_token),
                    double(s.self), double(s.duplicate), double(s.induction), double(s.entropy_bits), double(s.window));
        if (!best[0] || s.prev_token > best[0]->prev_token) best[0] = &s;
        if (!best[1] || s.first_token > best[1]->first_token) best[1] = &s;
        if (!best[2] || s.induction > best[2]->induction) best[2] = &s;
    }
    EXPECT_EQ(best[0]->tag, "previous-token");
    EXPECT_EQ(best[1]->tag, "first-token");
    // The first-token head's sink is position 0 (BOS), and its sink fraction is its first-token score.
    EXPECT_EQ(best[1]->sink_cols, std::vector<int>{0});
    EXPECT_FLOAT_EQ(best[1]->sink, best[1]->first_token);
    std::printf("best previous-token L%d H%d, first-token L%d H%d, induction L%d H%d (%.2f)\n", best[0]->layer,
                best[0]->head, best[1]->layer, best[1]->head, best[2]->layer, best[2]->head,
                double(best[2]->induction));

    // Ablation: zeroing a head changes the loss on the repeated half (the intervention reaches the forward pass).
    const int second = atlas->first_copy + AtlasOptions{}.half;
    auto base        = probe_loss(**model, atlas->probe, second, pool);
    ASSERT_TRUE(base.ok());
    Intervention zero;
    zero.kind    = InterventionKind::ZeroHead;
    zero.layer   = best[2]->layer;
    zero.head    = best[2]->head;
    auto ablated = probe_loss(**model, atlas->probe, second, pool, {zero});
    ASSERT_TRUE(ablated.ok());
    std::printf("loss on the repeated half: %.4f nats, with L%d H%d zeroed %.4f\n", *base, zero.layer, zero.head,
                *ablated);
    EXPECT_NE(*ablated, *base);
}

}  // namespace
}  // namespace ts::core
