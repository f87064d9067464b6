// The sampler's stages one by one, on hand-computed tiny cases and on a large vocabulary against a full sort.
#include "core/sample/stages.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ts::core::sample {
namespace {

// Logits whose softmax is exactly the given probabilities (up to rounding).
std::vector<float> logits_of(const std::vector<float>& probs) {
    std::vector<float> l;
    for (float p : probs) l.push_back(std::log(p));
    return l;
}

std::vector<int32_t> ids_of(const Candidates& c) {
    std::vector<int32_t> ids;
    for (const Candidate& x : c.items) ids.push_back(x.id);
    return ids;
}

float p_of(const Candidates& c, int32_t id) {
    for (const Candidate& x : c.items)
        if (x.id == id) return x.p;
    return -1;
}

TEST(Stages, TopKKeepsTheKBestSorted) {
    Candidates c = make_candidates(logits_of({.1f, .2f, .3f, .4f}));
    apply_top_k(c, 3);
    EXPECT_EQ(ids_of(c), (std::vector<int32_t>{3, 2, 1}));
    apply_softmax(c);
    EXPECT_NEAR(c.items[0].p, 0.4f / 0.9f, 1e-5);  // .4444
    EXPECT_NEAR(c.items[1].p, 0.3f / 0.9f, 1e-5);  // .3333
    EXPECT_NEAR(c.items[2].p, 0.2f / 0.9f, 1e-5);  // .2222
}

TEST(Stages, TopKZeroOrLargerThanVocabKeepsAll) {
    Candidates c = make_candidates(std::vector<float>{1, 2, 3});
    apply_top_k(c, 0);
    EXPECT_EQ(c.items.size(), 3u);
    apply_top_k(c, 10);
    EXPECT_EQ(c.items.size(), 3u);
}

TEST(Stages, SoftmaxOfLogProbsRecoversProbs) {
    Candidates c = make_candidates(logits_of({.1f, .2f, .3f, .4f}));
    apply_softmax(c);
    EXPECT_NEAR(p_of(c, 0), .1f, 1e-6);
    EXPECT_NEAR(p_of(c, 3), .4f, 1e-6);
}

TEST(Stages, TopPKeepsSmallestSetReachingP) {
    const auto logits = logits_of({.1f, .2f, .3f, .4f});
    auto kept         = [&](float p) {
        Candidates c = make_candidates(logits);
        apply_softmax(c);
        apply_top_p(c, p);
        return ids_of(c);
    };
    EXPECT_EQ(kept(0.35f), (std::vector<int32_t>{3}));        // .4 alone reaches .35
    EXPECT_EQ(kept(0.5f), (std::vector<int32_t>{3, 2}));      // .4 < .5 <= .7
    EXPECT_EQ(kept(0.71f), (std::vector<int32_t>{3, 2, 1}));  // .7 < .71 <= .9
    EXPECT_EQ(kept(0.95f), (std::vector<int32_t>{3, 2, 1, 0}));
    EXPECT_EQ(kept(0.0f), (std::vector<int32_t>{3}));  // always at least one
    EXPECT_EQ(kept(1.0f).size(), 4u);                  // off
}

TEST(Stages, MinPKeepsTokensAboveShareOfTheBest) {
    Candidates c = make_candidates(logits_of({.1f, .2f, .3f, .4f}));
    apply_softmax(c);
    apply_min_p(c, 0.6f);  // threshold .24: keeps .3 and .4, in their original order
    EXPECT_EQ(ids_of(c), (std::vector<int32_t>{2, 3}));
    renormalize(c);
    EXPECT_NEAR(p_of(c, 3), 4.0f / 7.0f, 1e-5);
    EXPECT_NEAR(p_of(c, 2), 3.0f / 7.0f, 1e-5);
}

TEST(Stages, MinPOneKeepsOnlyTheBest) {
    Candidates c = make_candidates(std::vector<float>{0.5f, 3.0f, 1.0f});
    apply_softmax(c);
    apply_min_p(c, 1.0f);
    EXPECT_EQ(ids_of(c), (std::vector<int32_t>{1}));
}

TEST(Stages, RepeatPenaltyDividesPositiveAndMultipliesNegative) {
    Candidates c = make_candidates(std::vector<float>{2.0f, -2.0f, 0.0f, 1.0f});
    const std::vector<int32_t> recent{0, 1, 2, 0, 1};  // repeats count once
    apply_repeat_penalty(c, recent, 2.0f);
    EXPECT_FLOAT_EQ(c.items[0].logit, 1.0f);
    EXPECT_FLOAT_EQ(c.items[1].logit, -4.0f);
    EXPECT_FLOAT_EQ(c.items[2].logit, 0.0f);
    EXPECT_FLOAT_EQ(c.items[3].logit, 1.0f);  // not recent
}

TEST(Stages, RepeatPenaltyWorksOnReorderedListsAndIgnoresBadIds) {
    Candidates c = make_candidates(std::vector<float>{2.0f, -2.0f, 0.0f, 1.0f});
    apply_top_k(c, 3);  // ids 0, 3, 2: no longer by id
    const std::vector<int32_t> recent{3, -7, 99};
    apply_repeat_penalty(c, recent, 4.0f);
    EXPECT_FLOAT_EQ(c.items[0].logit, 2.0f);
    EXPECT_EQ(c.items[1].id, 3);
    EXPECT_FLOAT_EQ(c.items[1].logit, 0.25f);
}

TEST(Stages, TemperatureScalesLogits) {
    Candidates c = make_candidates(std::vector<float>{1.0f, 2.0f, -4.0f});
    apply_temperature(c, 0.5f);
    EXPECT_FLOAT_EQ(c.items[0].logit, 2.0f);
    EXPECT_FLOAT_EQ(c.items[1].logit, 4.0f);
    EXPECT_FLOAT_EQ(c.items[2].logit, -8.0f);
}

TEST(Stages, TinyTemperatureIsArgmaxWithoutNaN) {
    Candidates c = make_candidates(std::vector<float>{1.0f, 2.0f, 1.999f, -3e38f});
    apply_temperature(c, 1e-40f);  // denormal: max / temp overflows a float, so the logits are shifted
    apply_softmax(c);
    for (const Candidate& x : c.items) ASSERT_FALSE(std::isnan(x.p));
    EXPECT_FLOAT_EQ(c.items[1].p, 1.0f);
    EXPECT_FLOAT_EQ(c.items[2].p, 0.0f);
}

TEST(Stages, HugeTemperatureIsNearlyUniformAndFinite) {
    Candidates c = make_candidates(std::vector<float>{100.0f, -100.0f, 0.0f, 3e38f});
    apply_temperature(c, 1e38f);
    apply_softmax(c);
    double sum = 0;
    for (const Candidate& x : c.items) {
        ASSERT_TRUE(std::isfinite(x.p));
        sum += x.p;
    }
    EXPECT_NEAR(sum, 1.0, 1e-6);
    EXPECT_NEAR(c.items[0].p, c.items[1].p, 1e-6);
}

TEST(Stages, SoftmaxIsStableAtExtremes) {
    const float inf = std::numeric_limits<float>::infinity();
    Candidates c    = make_candidates(std::vector<float>{3e38f, -3e38f, -inf, std::nanf(""), inf});
    apply_softmax(c);
    for (const Candidate& x : c.items) ASSERT_TRUE(std::isfinite(x.p));
    EXPECT_FLOAT_EQ(c.items[3].p, 0.0f);  // NaN is never chosen
    EXPECT_NEAR(c.items[0].p + c.items[4].p, 1.0f, 1e-6);

    Candidates all_neg = make_candidates(std::vector<float>{-inf, -inf});
    apply_softmax(all_neg);
    EXPECT_FLOAT_EQ(all_neg.items[0].p, 0.5f);
}

TEST(Stages, ArgmaxBreaksTiesByLowestId) {
    Candidates c = make_candidates(std::vector<float>{1.0f, 5.0f, 5.0f, 2.0f});
    EXPECT_EQ(c.items[argmax(c)].id, 1);
}

TEST(Stages, DrawWalksTheCumulativeMassBestFirst) {
    Candidates c = make_candidates(logits_of({.1f, .2f, .3f, .4f}));
    apply_softmax(c);
    // best first: id 3 (.4, cumulative .4), id 2 (.7), id 1 (.9), id 0 (1.0)
    auto drawn = [&](float u) { return c.items[draw(c, u)].id; };
    EXPECT_EQ(drawn(0.0f), 3);
    EXPECT_EQ(drawn(0.39f), 3);
    EXPECT_EQ(drawn(0.41f), 2);
    EXPECT_EQ(drawn(0.69f), 2);
    EXPECT_EQ(drawn(0.71f), 1);
    EXPECT_EQ(drawn(0.91f), 0);
    EXPECT_EQ(drawn(0.99999994f), 0);
}

TEST(Stages, DrawOrdersTiesByLowerId) {
    Candidates c = make_candidates(std::vector<float>{1.0f, 2.0f, 2.0f, 1.0f});
    apply_softmax(c);
    EXPECT_EQ(c.items[draw(c, 0.01f)].id, 1);  // ids 1 and 2 tie: 1 comes first
    EXPECT_EQ(c.items[draw(c, 0.99f)].id, 3);  // ids 0 and 3 tie: 3 is last
}

TEST(Stages, DrawOnALargeVocabMatchesAFullSortReference) {
    const std::vector<float> logits = [] {
        std::vector<float> l(150000);
        Rng r(7);
        for (float& x : l) x = float(int(r.next_u64() % 20000)) / 1000.0f - 10.0f;
        return l;
    }();
    for (float u : {0.0f, 0.001f, 0.3f, 0.77f, 0.999f}) {
        Candidates c = make_candidates(logits);
        apply_softmax(c);
        Candidates ref = c;
        std::sort(ref.items.begin(), ref.items.end(), better);
        double sum = 0, cum = 0;
        for (const Candidate& x : ref.items) sum += x.p;
        int32_t want = ref.items.back().id;
        for (const Candidate& x : ref.items)
            if ((cum += x.p) > double(u) * sum) {
                want = x.id;
                break;
            }
        EXPECT_EQ(c.items[draw(c, u)].id, want) << "u = " << u;
    }
}

// A large vocabulary with a deterministic pseudo-random spread of logits (including ties).
std::vector<float> big_logits(size_t n) {
    std::vector<float> l(n);
    Rng r(99);
    for (float& x : l) x = float(int(r.next_u64() % 20000)) / 1000.0f - 10.0f;
    return l;
}

TEST(Stages, TopKOnLargeVocabMatchesFullSort) {
    const auto logits = big_logits(150000);
    Candidates c      = make_candidates(logits);
    apply_top_k(c, 40);
    Candidates ref = make_candidates(logits);
    std::sort(ref.items.begin(), ref.items.end(), better);
    ASSERT_EQ(c.items.size(), 40u);
    for (size_t i = 0; i < 40; ++i) EXPECT_EQ(c.items[i].id, ref.items[i].id);
}

TEST(Stages, TopPOnLargeFlatVocabMatchesReference) {
    const auto logits = big_logits(150000);  // flat-ish: top-p .5 needs tens of thousands of tokens
    Candidates c      = make_candidates(logits);
    apply_softmax(c);
    Candidates ref = c;
    apply_top_p(c, 0.5f);
    std::sort(ref.items.begin(), ref.items.end(), better);
    double cum  = 0;
    size_t keep = 0;
    while (cum < 0.5) cum += ref.items[keep++].p;
    ASSERT_EQ(c.items.size(), keep);
    EXPECT_GT(keep, 1000u);
    for (size_t i = 0; i < keep; ++i) ASSERT_EQ(c.items[i].id, ref.items[i].id);
}

TEST(Stages, ViewReportsEntropyKeptAndMass) {
    Candidates c = make_candidates(logits_of({.1f, .2f, .3f, .4f}));
    double z0 = 0, z1 = 0;
    StageView v0 = view_stage(StageKind::Logits, c, 100, std::nan(""), z0);
    EXPECT_EQ(v0.n_kept, 4);
    EXPECT_NEAR(v0.entropy, -(.1 * std::log(.1) + .2 * std::log(.2) + .3 * std::log(.3) + .4 * std::log(.4)), 1e-5);
    ASSERT_EQ(v0.top.size(), 4u);
    EXPECT_EQ(v0.top[0].id, 3);
    EXPECT_NEAR(v0.top[0].p, .4f, 1e-6);

    apply_top_k(c, 3);
    StageView v1 = view_stage(StageKind::TopK, c, 2, z0, z1);
    EXPECT_EQ(v1.n_kept, 3);
    EXPECT_NEAR(v1.mass_kept, 0.9f, 1e-5);
    ASSERT_EQ(v1.top.size(), 2u);  // n_top limits the list, not n_kept
    EXPECT_NEAR(v1.top[0].p, 0.4f / 0.9f, 1e-5);
}

}  // namespace
}  // namespace ts::core::sample
