// Every prompt position's distribution (issue 15: logits for every position, prompt included): the prefill keeps,
// per prompt position, the sampler's view of the distribution it produced and gives each prompt token the
// probability the position before gave it. Both must be bit-identical to what a one-token decode at that position
// gives, whatever the batching.
#include <gtest/gtest.h>

#include <cmath>

#include "core/session/session.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

const std::vector<int32_t> kPrompt = {1, 5, 36, 9, 17, 17, 2, 30, 11, 8, 4};

SessionOptions options(int n_batch) {
    SessionOptions opt;
    opt.n_batch                = n_batch;
    opt.prompt_logits          = true;
    opt.sampler.temp           = 0.8f;
    opt.sampler.top_k          = 8;
    opt.sampler.top_p          = 0.9f;
    opt.sampler.repeat_penalty = 1.3f;  // the history up to each position matters
    opt.sampler.seed           = 3;
    return opt;
}

void expect_same_view(const sample::SamplerView& a, const sample::SamplerView& b, int pos) {
    ASSERT_EQ(a.stages.size(), b.stages.size()) << pos;
    for (size_t s = 0; s < a.stages.size(); ++s) {
        const auto& x = a.stages[s].top;
        const auto& y = b.stages[s].top;
        ASSERT_EQ(x.size(), y.size()) << pos << " stage " << s;
        for (size_t i = 0; i < x.size(); ++i) {
            EXPECT_EQ(x[i].id, y[i].id) << pos << " stage " << s << " rank " << i;
            EXPECT_EQ(x[i].logit, y[i].logit) << pos << " stage " << s << " rank " << i;  // bit for bit
            EXPECT_EQ(x[i].p, y[i].p) << pos << " stage " << s << " rank " << i;
        }
        EXPECT_EQ(a.stages[s].entropy, b.stages[s].entropy);
        EXPECT_EQ(a.stages[s].n_kept, b.stages[s].n_kept);
    }
}

TEST(PromptLogits, EveryPromptPositionHasTheDistributionADecodeThereGives) {
    const auto model = tiny::load_tiny_with_vocab();
    auto s           = tiny::make_session(model, options(4));  // three batches: 4 + 4 + 3
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    ASSERT_EQ(s->n_pos(), int(kPrompt.size()));
    EXPECT_TRUE(std::isnan(s->steps()[0]->p_token));  // nothing came before position 0
    for (int p = 0; p + 1 < int(kPrompt.size()); ++p) {
        // The decode: the prompt up to p, one token per forward call; its last position's own proposal view.
        auto d = tiny::make_session(model, options(1));
        ASSERT_TRUE(d->set_prompt_ids(std::vector<int32_t>(kPrompt.begin(), kPrompt.begin() + p + 1)).ok());
        ASSERT_TRUE(d->prefill().ok());
        const StepTrace& mine  = *s->steps()[size_t(p)];
        const StepTrace& there = *d->steps().back();
        EXPECT_FALSE(mine.has_next) << p;  // no proposal inside the prompt
        EXPECT_EQ(mine.sampler.chosen, kPrompt[size_t(p) + 1]) << p;
        expect_same_view(mine.sampler, there.sampler, p);
        // The next prompt token's probability: softmax at T = 1 of the decode's logits.
        const auto& lg = *d->logits();
        double z       = 0;
        float mx       = -INFINITY;
        for (float l : lg) mx = std::max(mx, l);
        for (float l : lg) z += std::exp(double(l) - double(mx));
        const float p_next = float(std::exp(double(lg[size_t(kPrompt[size_t(p) + 1])]) - double(mx)) / z);
        EXPECT_EQ(s->steps()[size_t(p) + 1]->p_token, p_next) << p + 1;
        EXPECT_EQ(mine.sampler.p_chosen, p_next) << p;
    }
    // The last prompt position is unchanged: a proposal.
    EXPECT_TRUE(s->steps().back()->has_next);
}

TEST(PromptLogits, TheBatchingDoesNotMatterAndNothingIsDrawn) {
    const auto model = tiny::load_tiny_with_vocab();
    auto a           = tiny::make_session(model, options(64));
    auto b           = tiny::make_session(model, options(3));
    for (auto* s : {a.get(), b.get()}) {
        ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
        ASSERT_TRUE(s->prefill().ok());
    }
    for (size_t p = 0; p < kPrompt.size(); ++p) {
        expect_same_view(a->steps()[p]->sampler, b->steps()[p]->sampler, int(p));
        if (p > 0) {
            EXPECT_EQ(a->steps()[p]->p_token, b->steps()[p]->p_token) << p;
        }
    }
    // The proposal is the one a session without these views would draw: the Rng was not advanced before it.
    auto d = tiny::make_session(model, options(1));
    ASSERT_TRUE(d->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(d->prefill().ok());
    EXPECT_EQ(a->steps().back()->next_token, d->steps().back()->next_token);
    EXPECT_EQ(a->steps().back()->sampler.draw_u, d->steps().back()->sampler.draw_u);
}

// Off (the default): only the last prompt position's logits, as before.
TEST(PromptLogits, OffOnlyTheLastPromptPositionHasADistribution) {
    SessionOptions opt = options(4);
    opt.prompt_logits  = false;
    auto s             = tiny::make_session(tiny::load_tiny_with_vocab(), opt);
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    for (size_t p = 0; p + 1 < kPrompt.size(); ++p) {
        EXPECT_TRUE(s->steps()[p]->sampler.stages.empty()) << p;
        EXPECT_TRUE(std::isnan(s->steps()[p]->p_token)) << p;
    }
    EXPECT_TRUE(s->steps().back()->has_next);
    auto on = tiny::make_session(tiny::load_tiny_with_vocab(), options(4));
    ASSERT_TRUE(on->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(on->prefill().ok());
    EXPECT_EQ(*s->logits(), *on->logits());  // the same last position either way
    EXPECT_EQ(s->steps().back()->next_token, on->steps().back()->next_token);
}

TEST(PromptLogits, AResetIntoThePromptGivesTheSameViewsAsAFreshPrefill) {
    const auto model = tiny::load_tiny_with_vocab();
    auto fresh       = tiny::make_session(model, options(4));
    ASSERT_TRUE(fresh->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(fresh->prefill().ok());
    auto s = tiny::make_session(model, options(4));
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    ASSERT_TRUE(s->step().ok());
    ASSERT_TRUE(s->rewind(5).ok());  // four positions into the prompt
    ASSERT_TRUE(s->reset().ok());
    ASSERT_TRUE(s->prefill().ok());
    for (size_t p = 0; p < kPrompt.size(); ++p) {
        EXPECT_EQ(s->steps()[p]->has_next, fresh->steps()[p]->has_next) << p;
        expect_same_view(s->steps()[p]->sampler, fresh->steps()[p]->sampler, int(p));
        if (p > 0) {
            EXPECT_EQ(s->steps()[p]->p_token, fresh->steps()[p]->p_token) << p;
        }
    }
}

}  // namespace
}  // namespace ts::core
