// Reset returns to the prompt as set, also after a rewind or a branch into the prompt (issue 15: prompt "And God said
// unto", Step, ← three times, Reset, → left the context out of step with the prompt box). The session after Reset must
// equal a fresh set_prompt + prefill bit for bit: tokens, n_prompt, the last position's logits and proposal, and the
// token the next step appends.
#include <gtest/gtest.h>

#include <chrono>

#include "core/session/session.hpp"
#include "core/session/worker.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

using namespace std::chrono_literals;

const std::vector<int32_t> kPrompt = {1, 5, 36, 9, 17, 17, 2};

SessionOptions sampled() {
    SessionOptions opt;
    opt.sampler.temp = 0.9f;  // a real draw, so that the Rng's state shows in the proposal
    opt.sampler.seed = 5;
    return opt;
}

// What a fresh session shows after prefilling the prompt and stepping `steps` times.
struct Fresh {
    std::vector<int32_t> tokens;
    std::vector<float> logits;
    int32_t proposal = -1;
    std::vector<int32_t> after_steps;
};

Fresh fresh_run(int steps) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab(), sampled());
    EXPECT_TRUE(s->set_prompt_ids(kPrompt).ok());
    EXPECT_TRUE(s->prefill().ok());
    Fresh f{s->tokens(), *s->logits(), s->steps().back()->next_token, {}};
    for (int i = 0; i < steps; ++i) EXPECT_TRUE(s->step().ok());
    f.after_steps = s->tokens();
    return f;
}

void expect_fresh(Session& s, const Fresh& f, int steps) {
    EXPECT_TRUE(s.pending().empty());
    EXPECT_EQ(s.tokens(), f.tokens);
    EXPECT_EQ(s.n_prompt(), int(kPrompt.size()));
    ASSERT_NE(s.logits(), nullptr);
    EXPECT_EQ(*s.logits(), f.logits);  // bit for bit
    EXPECT_EQ(s.steps().back()->next_token, f.proposal);
    for (const StepTracePtr& st : s.steps()) EXPECT_EQ(st->source, TokenSource::Prompt) << st->pos;
    for (int i = 0; i < steps; ++i) ASSERT_TRUE(s.step().ok());
    EXPECT_EQ(s.tokens(), f.after_steps);
}

TEST(SessionReset, AfterARewindIntoThePromptItRestoresThePrompt) {
    const Fresh f = fresh_run(3);
    auto s        = tiny::make_session(tiny::load_tiny_with_vocab(), sampled());
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    ASSERT_TRUE(s->step().ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(s->rewind(1).ok());  // ← three times: two positions into the prompt
    EXPECT_EQ(s->n_pos(), int(kPrompt.size()) - 2);
    EXPECT_EQ(s->prompt(), kPrompt);  // rewinding does not shorten the prompt as set
    ASSERT_TRUE(s->step().ok());      // → from inside the prompt: a generated token where the prompt had one
    ASSERT_TRUE(s->reset().ok());
    EXPECT_EQ(s->pending(), std::vector<int32_t>(kPrompt.end() - 2, kPrompt.end()));
    ASSERT_TRUE(s->prefill().ok());
    expect_fresh(*s, f, 3);
}

TEST(SessionReset, AfterABranchInsideThePromptItRestoresThePrompt) {
    const Fresh f = fresh_run(2);
    auto s        = tiny::make_session(tiny::load_tiny_with_vocab(), sampled());
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(s->step().ok());
    ASSERT_TRUE(s->branch(2, 20).ok());  // position 2 held 36
    ASSERT_TRUE(s->step().ok());
    ASSERT_TRUE(s->reset().ok());
    EXPECT_EQ(s->pending().size(), kPrompt.size() - 2);
    ASSERT_TRUE(s->prefill().ok());
    expect_fresh(*s, f, 2);

    // And from position 0: the whole prompt again.
    ASSERT_TRUE(s->branch(0, 1).ok());  // the same token at 0, but a forced one: the prompt is left
    ASSERT_TRUE(s->reset().ok());
    EXPECT_EQ(s->pending().size(), kPrompt.size());  // position 0 is forced now, not the prompt
}

TEST(SessionReset, AfterGeneratingItKeepsThePromptsPositions) {
    const Fresh f = fresh_run(4);
    auto s        = tiny::make_session(tiny::load_tiny_with_vocab(), sampled());
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    const StepTracePtr last = s->steps().back();
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(s->step().ok());
    ASSERT_TRUE(s->reset().ok());
    EXPECT_TRUE(s->pending().empty());                   // nothing evaluated again
    EXPECT_EQ(s->steps().back()->record, last->record);  // the very same record: the position was kept
    expect_fresh(*s, f, 4);
    ASSERT_TRUE(s->reset().ok());
    ASSERT_TRUE(s->reset().ok());  // twice: nothing to do
    EXPECT_EQ(s->tokens(), f.tokens);
}

// The explorer's path: the engine worker's Reset prefills the rest of the prompt itself.
TEST(SessionReset, TheWorkersResetPrefillsTheRestOfThePrompt) {
    const Fresh f = fresh_run(1);
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab(), sampled()));
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetPrompt{"", kPrompt}), 10s));
    ASSERT_TRUE(w.wait_for(w.push(cmd::Step{}), 10s));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(w.wait_for(w.push(cmd::Rewind{1}), 10s));
    ASSERT_TRUE(w.wait_for(w.push(cmd::Reset{}), 10s));
    auto snap = w.snapshot();
    EXPECT_EQ(snap->error, "");
    EXPECT_EQ(snap->n_pending, 0);
    EXPECT_EQ(snap->n_prompt, int(kPrompt.size()));
    ASSERT_EQ(snap->steps.size(), kPrompt.size());
    for (size_t p = 0; p < kPrompt.size(); ++p) EXPECT_EQ(snap->steps[p]->token, kPrompt[p]);
    EXPECT_EQ(*snap->logits, f.logits);
    ASSERT_TRUE(w.wait_for(w.push(cmd::Step{}), 10s));
    snap = w.snapshot();
    EXPECT_EQ(snap->steps.back()->token, f.after_steps.back());
}

}  // namespace
}  // namespace ts::core
