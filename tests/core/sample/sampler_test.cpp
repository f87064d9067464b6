// The sampler chain as callers use it: greedy, reproducible draws, the order of stages and their views, settings
// validation, and that resampling the same logits is a pure function of (settings, rng state).
#include "core/sample/sampler.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace ts::core::sample {
namespace {

std::vector<float> logits_of(const std::vector<float>& probs) {
    std::vector<float> l;
    for (float p : probs) l.push_back(std::log(p));
    return l;
}

SamplerSettings plain(float temp) {
    SamplerSettings s;
    s.temp           = temp;
    s.top_k          = 0;
    s.top_p          = 1.0f;
    s.min_p          = 0.0f;
    s.repeat_penalty = 1.0f;
    return s;
}

TEST(Sampler, TemperatureZeroIsArgmax) {
    const std::vector<float> logits{0.5f, 3.0f, -1.0f, 2.9f};
    Rng rng(1);
    const Rng before = rng;
    auto r           = run_chain(logits, plain(0.0f), {}, rng);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->id, 1);
    EXPECT_GT(r->p, 0.4f);  // the softmax at T = 1 of the winner
    EXPECT_LT(r->p, 0.6f);
    EXPECT_EQ(rng, before);  // greedy draws nothing
}

TEST(Sampler, NegativeTemperatureIsGreedyToo) {
    Rng rng(1);
    auto r = run_chain(std::vector<float>{0.0f, 1.0f}, plain(-1.0f), {}, rng);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->id, 1);
}

TEST(Sampler, GreedySeesTheRepeatPenalty) {
    SamplerSettings s = plain(0.0f);
    s.repeat_penalty  = 2.0f;
    s.repeat_last_n   = 2;
    Rng rng(1);
    const std::vector<int32_t> history{1};
    auto r = run_chain(std::vector<float>{1.0f, 1.5f}, s, history, rng);  // 1.5 / 2 < 1
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->id, 0);
}

TEST(Sampler, RepeatPenaltyLooksOnlyAtLastN) {
    SamplerSettings s = plain(0.0f);
    s.repeat_penalty  = 10.0f;
    s.repeat_last_n   = 1;
    Rng rng(1);
    const std::vector<int32_t> history{1, 0};  // only 0 is recent
    auto r = run_chain(std::vector<float>{2.0f, 1.5f}, s, history, rng);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->id, 1);
}

TEST(Sampler, SameSeedGivesSameTokens) {
    const auto logits = logits_of({.1f, .2f, .3f, .4f});
    SamplerSettings s = plain(1.0f);
    auto run          = [&](uint64_t seed) {
        Sampler sm([&] {
            SamplerSettings t = s;
            t.seed            = seed;
            return t;
        }());
        std::vector<int32_t> ids;
        for (int i = 0; i < 64; ++i) {
            auto r = sm.sample(logits);
            EXPECT_TRUE(r.ok());
            ids.push_back(r->id);
            sm.accept(r->id);
        }
        return ids;
    };
    EXPECT_EQ(run(7), run(7));
    EXPECT_NE(run(7), run(8));
}

TEST(Sampler, DrawFrequenciesFollowTheDistribution) {
    const auto logits = logits_of({.1f, .2f, .3f, .4f});
    Rng rng(2024);
    std::vector<int> count(4);
    const int n = 40000;
    for (int i = 0; i < n; ++i) {
        auto r = run_chain(logits, plain(1.0f), {}, rng);
        ASSERT_TRUE(r.ok());
        ++count[size_t(r->id)];
    }
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(double(count[size_t(i)]) / n, 0.1 * (i + 1), 0.01) << "id " << i;
}

TEST(Sampler, TopKThreeOfFourGivesHandComputedFinal) {
    SamplerSettings s = plain(1.0f);
    s.top_k           = 3;
    SamplerView view;
    Rng rng(3);
    auto r = run_chain(logits_of({.1f, .2f, .3f, .4f}), s, {}, rng, &view);
    ASSERT_TRUE(r.ok());
    const StageView& f = view.stages.back();
    EXPECT_EQ(f.kind, StageKind::Final);
    ASSERT_EQ(f.top.size(), 3u);
    EXPECT_NEAR(f.top[0].p, .4444f, 1e-4);
    EXPECT_NEAR(f.top[1].p, .3333f, 1e-4);
    EXPECT_NEAR(f.top[2].p, .2222f, 1e-4);
    EXPECT_EQ(view.chosen, r->id);
    EXPECT_NE(r->id, 0);
}

// The bug a teacher hit: top-k 4 and min-p 0.2 keep the same four tokens with the same probabilities, yet gave
// different tokens for the same u, because min-p leaves the survivors in id order and the draw walked that order.
// The draw walks best first whichever stage cut the list.
TEST(Sampler, SameKeptSetGivesTheSameTokenWhicheverStageCutIt) {
    std::vector<float> logits(10, -10.0f);
    logits[7]                = 3.0f;  // the best candidate has a high id, so id order and rank order differ
    logits[2]                = 2.5f;
    logits[9]                = 2.0f;
    logits[4]                = 1.6f;  // p / p_max = exp(-1.4) = 0.25 >= 0.2: min-p keeps it, and nothing else
    SamplerSettings by_k     = plain(1.0f);
    by_k.top_k               = 4;
    SamplerSettings by_min_p = plain(1.0f);
    by_min_p.min_p           = 0.2f;
    for (uint64_t seed = 0; seed < 200; ++seed) {
        Rng a(seed), b(seed);
        SamplerView va, vb;
        auto ra = run_chain(logits, by_k, {}, a, &va);
        auto rb = run_chain(logits, by_min_p, {}, b, &vb);
        ASSERT_TRUE(ra.ok() && rb.ok());
        ASSERT_EQ(va.stages.back().n_kept, 4);
        ASSERT_EQ(vb.stages.back().n_kept, 4);
        ASSERT_EQ(va.draw_u, vb.draw_u);
        EXPECT_EQ(ra->id, rb->id) << "seed " << seed << ", u = " << va.draw_u;
        EXPECT_FLOAT_EQ(ra->p, rb->p);
    }
}

// "u falls in this bar": the token drawn is the first of the final stage's best-first list whose cumulative p
// exceeds u, the way the Softmax panel draws the cumulative curve.
TEST(Sampler, DrawnTokenIsWhereUFallsOnTheFinalCumulativeCurve) {
    const std::vector<float> logits{0.2f, 1.5f, -0.3f, 1.1f, 0.9f, 2.0f, 0.0f, 1.4f};
    SamplerSettings s = plain(1.0f);
    s.min_p           = 0.1f;
    for (uint64_t seed = 0; seed < 100; ++seed) {
        Rng rng(seed);
        SamplerView v;
        auto r = run_chain(logits, s, {}, rng, &v);
        ASSERT_TRUE(r.ok());
        const StageView& fin = v.stages.back();
        double cum           = 0;
        int32_t want         = fin.top.back().id;
        for (const TokenProb& t : fin.top)
            if ((cum += t.p) > double(v.draw_u)) {
                want = t.id;
                break;
            }
        EXPECT_EQ(r->id, want) << "seed " << seed;
    }
}

TEST(Sampler, ViewListsEveryStageInChainOrder) {
    SamplerSettings s = plain(0.7f);
    s.top_k           = 3;
    s.top_p           = 0.8f;
    s.min_p           = 0.1f;
    s.repeat_penalty  = 1.3f;
    SamplerView view;
    view.n_top = 2;
    Rng rng(3);
    const std::vector<int32_t> history{0, 4};
    auto r = run_chain(logits_of({.05f, .1f, .15f, .3f, .4f}), s, history, rng, &view);
    ASSERT_TRUE(r.ok());
    const std::vector<StageKind> order{StageKind::Logits, StageKind::Penalties, StageKind::Temperature, StageKind::TopK,
                                       StageKind::TopP,   StageKind::MinP,      StageKind::Final};
    ASSERT_EQ(view.stages.size(), order.size());
    for (size_t i = 0; i < order.size(); ++i) {
        EXPECT_EQ(view.stages[i].kind, order[i]) << i;
        EXPECT_TRUE(view.stages[i].enabled) << i;
        EXPECT_LE(view.stages[i].top.size(), 2u);
    }
    EXPECT_EQ(view.stages[0].n_kept, 5);
    EXPECT_EQ(view.stages[3].n_kept, 3);
    EXPECT_LT(view.stages[3].mass_kept, 1.0f);
    EXPECT_FALSE(view.greedy);
    EXPECT_GE(view.draw_u, 0.0f);
    EXPECT_LT(view.draw_u, 1.0f);
    // temperature < 1 sharpens: entropy drops
    EXPECT_LT(view.stages[2].entropy, view.stages[1].entropy);
}

TEST(Sampler, DisabledStagesAreMarkedAndPassThrough) {
    SamplerView view;
    Rng rng(3);
    auto r = run_chain(logits_of({.1f, .2f, .3f, .4f}), plain(1.0f), {}, rng, &view);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(view.stages.size(), 7u);
    for (size_t i = 1; i < 6; ++i) {
        EXPECT_FALSE(view.stages[i].enabled) << i;
        EXPECT_EQ(view.stages[i].n_kept, 4);
    }
    EXPECT_NEAR(view.stages[6].top[0].p, 0.4f, 1e-6);
}

TEST(Sampler, GreedyViewHasGreedyAndFinalStages) {
    SamplerView view;
    Rng rng(3);
    auto r = run_chain(logits_of({.1f, .2f, .3f, .4f}), plain(0.0f), {}, rng, &view);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(view.stages.size(), 4u);
    EXPECT_EQ(view.stages[2].kind, StageKind::Greedy);
    EXPECT_EQ(view.stages[3].kind, StageKind::Final);
    EXPECT_EQ(view.stages[3].n_kept, 1);
    EXPECT_TRUE(view.greedy);
    EXPECT_EQ(view.chosen, 3);
    EXPECT_NEAR(view.p_chosen, 0.4f, 1e-6);
}

TEST(Sampler, ResamplingWithACopiedRngIsPure) {
    const auto logits = logits_of({.1f, .2f, .3f, .4f});
    Sampler sm(plain(1.0f));
    const Rng start = sm.rng();
    auto a          = sm.sample(logits);
    Rng again       = start;
    auto b          = run_chain(logits, sm.settings(), sm.history(), again);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->id, b->id);
    EXPECT_EQ(again, sm.rng());
}

TEST(Sampler, SetSettingsReseedsOnlyWhenSeedChanges) {
    Sampler sm(plain(1.0f));
    sm.set_rng(Rng(999));
    SamplerSettings s = sm.settings();
    s.temp            = 0.5f;
    sm.set_settings(s);
    EXPECT_EQ(sm.rng(), Rng(999));
    s.seed = 1;
    sm.set_settings(s);
    EXPECT_EQ(sm.rng(), Rng(1));
}

TEST(Sampler, InvalidSettingsAreExplained) {
    SamplerSettings s;
    s.top_p   = 3.0f;
    Status st = validate_settings(s);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("top_p must be in [0, 1], got 3"), std::string::npos);
    s       = {};
    s.min_p = -0.5f;
    EXPECT_FALSE(validate_settings(s).ok());
    s                = {};
    s.repeat_penalty = 0.0f;
    EXPECT_FALSE(validate_settings(s).ok());
    s       = {};
    s.top_k = -1;
    EXPECT_FALSE(validate_settings(s).ok());
    s      = {};
    s.temp = std::nanf("");
    EXPECT_FALSE(validate_settings(s).ok());
    EXPECT_TRUE(validate_settings(SamplerSettings{}).ok());
    Rng rng(1);
    s       = {};
    s.top_p = 3.0f;
    EXPECT_FALSE(run_chain(std::vector<float>{1.0f}, s, {}, rng).ok());
}

TEST(Sampler, EmptyLogitsAreAnError) {
    Rng rng(1);
    EXPECT_FALSE(run_chain(std::span<const float>{}, SamplerSettings{}, {}, rng).ok());
}

TEST(Sampler, TopCandidatesAreBestFirstWithSoftmax) {
    auto top = top_candidates(logits_of({.1f, .2f, .3f, .4f}), 2);
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].id, 3);
    EXPECT_EQ(top[1].id, 2);
    EXPECT_NEAR(top[0].p, .4f, 1e-6);
}

TEST(Sampler, LargeVocabWithDefaultsIsQuickAndValid) {
    std::vector<float> logits(150000);
    Rng gen(5);
    for (float& x : logits) x = gen.uniform() * 20.0f;
    Sampler sm;  // defaults: top-k 40, top-p .95, min-p .05
    for (int i = 0; i < 50; ++i) {
        auto r = sm.sample(logits);
        ASSERT_TRUE(r.ok());
        ASSERT_GE(r->id, 0);
        ASSERT_LT(r->id, 150000);
        ASSERT_GT(r->p, 0.0f);
    }
}

}  // namespace
}  // namespace ts::core::sample

namespace ts::core::sample {
namespace {

// A what-if at a past position runs the chain on the logits its recorded view kept (logits_from_view).
TEST(SamplerWhatIf, ViewListingEveryCandidateGivesBackTheLogits) {
    const std::vector<float> logits = {0.5f, 2.0f, -1.0f, 1.5f, 0.0f};
    SamplerView v;
    v.n_top = 10;
    Rng rng(1);
    ASSERT_TRUE(run_chain(logits, SamplerSettings{}, {}, rng, &v).ok());
    bool complete = false;
    EXPECT_EQ(logits_from_view(v, 5, &complete), logits);
    EXPECT_TRUE(complete);
}

TEST(SamplerWhatIf, ShortListKeepsTheBestAndDrawsAsTheFullChainInsideIt) {
    std::vector<float> logits(50);
    for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(float(i) * 1.7f) * 3.0f;
    SamplerView v;
    v.n_top = 8;
    Rng rng(3);
    ASSERT_TRUE(run_chain(logits, SamplerSettings{}, {}, rng, &v).ok());
    bool complete  = true;
    const auto rec = logits_from_view(v, 50, &complete);
    EXPECT_FALSE(complete);
    int listed = 0;
    for (float l : rec) listed += std::isfinite(l) ? 1 : 0;
    EXPECT_EQ(listed, 8);
    // Other settings whose kept set stays inside the list: the same token and final probabilities as the full chain.
    SamplerSettings s;
    s.temp  = 1.3f;
    s.top_k = 5;
    s.top_p = 1.0f;
    s.min_p = 0.0f;
    for (uint64_t seed = 0; seed < 20; ++seed) {
        Rng a(seed), b(seed);
        SamplerView va, vb;
        auto full = run_chain(logits, s, {}, a, &va);
        auto part = run_chain(rec, s, {}, b, &vb);
        ASSERT_TRUE(full.ok() && part.ok());
        EXPECT_EQ(full->id, part->id);
        EXPECT_FLOAT_EQ(full->p, part->p);
    }
}

}  // namespace
}  // namespace ts::core::sample
