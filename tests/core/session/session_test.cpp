// Session behaviour on the tiny model: prefill proposes, step appends, rewind reproduces bit for bit, branch forces
// a token, resample touches only the proposal, the context fills up visibly, cancellation and the trace budget.
#include "core/session/session.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/core/at_every_level.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

// Every test of these suites runs at every SIMD level the CPU has (tests/core/at_every_level.hpp).
class SessionFlow : public testing::AtEveryLevel {};
TS_AT_EVERY_LEVEL(SessionFlow);

const std::vector<int32_t> kPrompt = {1, 5, 36, 9, 17, 17, 2};

std::vector<float> logits_of(const Session& s) {
    return *s.logits();
}

TEST_P(SessionFlow, PrefillEvaluatesThePromptAndProposesAToken) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab());
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    EXPECT_EQ(s->n_pos(), 0);
    EXPECT_EQ(int(s->pending().size()), 7);
    ASSERT_TRUE(s->prefill().ok());
    EXPECT_EQ(s->n_pos(), 7);
    EXPECT_EQ(s->cache().n_pos(), 7);
    EXPECT_TRUE(s->pending().empty());
    for (int p = 0; p < 7; ++p) {
        const StepTrace& st = *s->steps()[size_t(p)];
        EXPECT_EQ(st.pos, p);
        EXPECT_EQ(st.token, kPrompt[size_t(p)]);
        EXPECT_EQ(st.source, TokenSource::Prompt);
        EXPECT_TRUE(std::isnan(st.p_token));
        EXPECT_EQ(st.has_next, p == 6);  // only the last prompt position's logits were computed
        EXPECT_TRUE(st.record);
        EXPECT_EQ(int(st.layers.size()), 2);
    }
    const StepTrace& last = *s->steps().back();
    ASSERT_GE(last.sampler.stages.size(), 7u);
    EXPECT_EQ(last.sampler.stages.front().kind, sample::StageKind::Logits);
    EXPECT_EQ(last.sampler.stages.back().kind, sample::StageKind::Final);
    EXPECT_EQ(last.sampler.chosen, last.next_token);
    EXPECT_EQ(int(s->logits()->size()), 37);
}

TEST_P(SessionFlow, StepAppendsTheProposalAndRecordsTheStep) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab());
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    for (int i = 0; i < 5; ++i) {
        const StepTrace prev = *s->steps().back();
        auto st              = s->step();
        ASSERT_TRUE(st.ok()) << st.error().message;
        const StepTrace& now = **st;
        EXPECT_EQ(now.pos, prev.pos + 1);
        EXPECT_EQ(now.token, prev.next_token);
        EXPECT_EQ(now.p_token, prev.next_p);
        EXPECT_EQ(now.source, TokenSource::Sampled);
        EXPECT_TRUE(now.has_next);
        EXPECT_EQ(now.kv.n_pos, now.pos + 1);
        EXPECT_EQ(now.kv.bytes_total, s->cache().bytes_used());
        EXPECT_EQ(now.kv.bytes_total, size_t(now.pos + 1) * s->cache().bytes_per_pos());
        EXPECT_EQ(now.kv.bytes_per_layer * 2, now.kv.bytes_total);
        EXPECT_GT(now.t.forward_ms, 0.0);
        EXPECT_EQ(now.t.batch, 1);
        for (const LayerStep& l : now.layers) EXPECT_GT(l.resid_norm_ffn, 0.0f);
        // The top-100 lists hold the whole 37-token vocabulary at the raw-logits stage.
        EXPECT_EQ(now.sampler.stages.front().top.size(), 37u);
    }
    EXPECT_EQ(s->n_pos(), 12);
    EXPECT_EQ(s->sampler().history(), s->tokens());
}

TEST_P(SessionFlow, RewindThenStepReproducesTheSameLogitsBitForBit) {
    SessionOptions opt;
    opt.keep_logits = 2;  // rewinding 4 must re-evaluate the position it lands on
    auto s          = tiny::make_session(tiny::load_tiny_with_vocab(), opt);
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    std::vector<std::vector<float>> logits;
    std::vector<int32_t> tokens;
    for (int i = 0; i < 8; ++i) {
        ASSERT_TRUE(s->step().ok());
        logits.push_back(logits_of(*s));
        tokens.push_back(s->steps().back()->token);
    }
    for (int k : {1, 4}) {
        ASSERT_TRUE(s->rewind(k).ok());
        EXPECT_EQ(s->n_pos(), 15 - k);
        EXPECT_EQ(s->cache().n_pos(), 15 - k);
        EXPECT_EQ(logits_of(*s), logits[size_t(7 - k)]);
        for (int i = 8 - k; i < 8; ++i) {
            ASSERT_TRUE(s->step().ok());
            EXPECT_EQ(s->steps().back()->token, tokens[size_t(i)]) << "k " << k << " step " << i;
            EXPECT_EQ(logits_of(*s), logits[size_t(i)]) << "k " << k << " step " << i;  // bit for bit
        }
    }
}

TEST_P(SessionFlow, RewindIntoThePromptEvaluatesTheNewLastPosition) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab());
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    ASSERT_TRUE(s->step().ok());
    ASSERT_TRUE(s->rewind(4).ok());
    EXPECT_EQ(s->n_pos(), 4);
    EXPECT_EQ(s->n_prompt(), 4);
    EXPECT_TRUE(s->steps().back()->has_next);
    ASSERT_TRUE(s->logits());
    ASSERT_TRUE(s->step().ok());
    EXPECT_EQ(s->n_pos(), 5);
    EXPECT_FALSE(s->rewind(6).ok());
    EXPECT_FALSE(s->rewind(0).ok());
}

TEST_P(SessionFlow, BranchPutsTheChosenTokenAtPosAndContinues) {
    SessionOptions opt;
    opt.n_batch = 1;  // single-token evaluation everywhere, so the reference below matches bit for bit
    auto model  = tiny::load_tiny_with_vocab();
    auto s      = tiny::make_session(model, opt);
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->step().ok());
    const std::vector<StepTracePtr> before = s->steps();
    const int32_t forced                   = 9;
    ASSERT_TRUE(s->branch(9, forced).ok());
    ASSERT_EQ(s->n_pos(), 10);
    const StepTrace& st = *s->steps()[9];
    EXPECT_EQ(st.token, forced);
    EXPECT_EQ(st.source, TokenSource::Forced);
    EXPECT_EQ(st.branch_id, 1u);
    EXPECT_GT(st.p_token, 0.0f);
    EXPECT_LT(st.p_token, 1.0f);
    for (int p = 0; p < 9; ++p) EXPECT_EQ(s->steps()[size_t(p)]->token, before[size_t(p)]->token);
    ASSERT_TRUE(s->step().ok());
    EXPECT_EQ(s->steps()[10]->branch_id, 1u);

    // The same sequence evaluated from scratch gives the same logits.
    std::vector<int32_t> ids = s->tokens();
    auto ref                 = tiny::make_session(model, opt);
    ASSERT_TRUE(ref->set_prompt_ids(ids).ok());
    ASSERT_TRUE(ref->prefill().ok());
    EXPECT_EQ(logits_of(*ref), logits_of(*s));

    // A branch at the end appends; a branch at 0 replaces everything.
    ASSERT_TRUE(s->branch(s->n_pos(), 4).ok());
    EXPECT_EQ(s->steps().back()->token, 4);
    ASSERT_TRUE(s->branch(0, 1).ok());
    EXPECT_EQ(s->n_pos(), 1);
    EXPECT_FALSE(s->branch(0, 37).ok());
    EXPECT_FALSE(s->branch(5, 3).ok());
}

TEST_P(SessionFlow, ResampleChangesOnlyTheSampledTokenAndTheView) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab());
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(s->step().ok());
    const StepTracePtr before = s->steps().back();
    const auto logits         = s->logits();
    const int n_cache         = s->cache().n_pos();

    // Same settings: the replayed draw gives the same token.
    ASSERT_TRUE(s->resample().ok());
    EXPECT_EQ(s->steps().back()->next_token, before->next_token);

    sample::SamplerSettings hot = s->sampler().settings();
    hot.temp                    = 3.0f;
    hot.top_k                   = 0;
    hot.top_p                   = 1.0f;
    hot.min_p                   = 0.0f;
    ASSERT_TRUE(s->set_sampler(hot).ok());
    ASSERT_TRUE(s->resample().ok());
    const StepTrace& after = *s->steps().back();
    EXPECT_EQ(after.pos, before->pos);
    EXPECT_EQ(after.token, before->token);
    EXPECT_EQ(after.record, before->record);  // shared, not copied
    EXPECT_EQ(after.layers.size(), before->layers.size());
    EXPECT_EQ(after.kv.bytes_total, before->kv.bytes_total);
    EXPECT_EQ(after.rng_before, before->rng_before);
    EXPECT_EQ(after.settings.temp, 3.0f);
    EXPECT_GT(after.sampler.stages[2].entropy, before->sampler.stages[2].entropy);  // temperature flattened it
    EXPECT_EQ(s->logits(), logits);                                                 // no forward pass
    EXPECT_EQ(s->cache().n_pos(), n_cache);
    EXPECT_EQ(s->n_pos(), before->pos + 1);

    // Fresh draws continue the stream: over a few of them at T = 3 the token changes.
    bool changed = false;
    for (int i = 0; i < 20 && !changed; ++i) {
        ASSERT_TRUE(s->resample(/*fresh_draw=*/true).ok());
        changed = s->steps().back()->next_token != before->next_token;
    }
    EXPECT_TRUE(changed);
    // Stepping takes the resampled proposal.
    const int32_t proposal = s->steps().back()->next_token;
    ASSERT_TRUE(s->step().ok());
    EXPECT_EQ(s->steps().back()->token, proposal);
}

TEST_P(SessionFlow, AFullContextIsAStateNotAWrapAround) {
    SessionOptions opt;
    opt.n_ctx = 10;
    auto s    = tiny::make_session(tiny::load_tiny_with_vocab(), opt);
    EXPECT_FALSE(s->set_prompt_ids(std::vector<int32_t>(11, 5)).ok());
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    auto r = s->run(100);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->generated, 3);
    EXPECT_EQ(r->reason, StopReason::ContextFull);
    EXPECT_TRUE(s->context_full());
    auto st = s->step();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("context is full (10 tokens)"), std::string::npos);
    EXPECT_EQ(s->n_pos(), 10);
    EXPECT_TRUE(s->resample().ok());  // the last position still has logits and a proposal
    ASSERT_TRUE(s->rewind(1).ok());
    EXPECT_FALSE(s->context_full());
    EXPECT_TRUE(s->step().ok());
}

TEST_P(SessionFlow, RunStopsAtTheEndOfText) {
    SessionOptions opt;
    opt.sampler.temp = 0;  // greedy; all logits tie, so id 0 (EOS) wins
    auto s           = tiny::make_session(tiny::load_tiny_with_vocab({}, /*zero_output=*/true), opt);
    ASSERT_TRUE(s->set_prompt("the cat").ok());
    EXPECT_EQ(s->pending().front(), 1);  // BOS
    auto r = s->run(5);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->generated, 1);
    EXPECT_EQ(r->reason, StopReason::EndOfText);
    EXPECT_TRUE(s->at_end_of_text());
}

TEST_P(SessionFlow, RunReportsEachTokenOnceInOrder) {
    auto model = tiny::load_tiny_with_vocab();
    auto s     = tiny::make_session(model);
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    std::vector<int32_t> reported;
    std::vector<int> progress;
    RunHooks hooks;
    hooks.progress = [&](int done, int total) {
        if (total == 6) progress.push_back(done);
    };
    hooks.on_token = [&](const StepTrace& from) {
        reported.push_back(from.next_token);
        EXPECT_EQ(from.pos + 2, s->n_pos());  // already appended
        return true;
    };
    auto r = s->run(6, hooks);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->generated, 6);
    EXPECT_EQ(r->evaluated, 6);
    EXPECT_EQ(r->reason, StopReason::Count);
    EXPECT_EQ(progress, (std::vector<int>{1, 2, 3, 4, 5, 6}));
    const auto ids = s->tokens();
    EXPECT_EQ(reported, std::vector<int32_t>(ids.begin() + 7, ids.end()));
}

// The command line's mode: a token is reported when proposed and evaluated only when another is wanted. The
// tokens are those of the evaluating run, with one forward pass fewer.
TEST_P(SessionFlow, RunWithoutEvaluatingTheLastTokenReportsTheSameTokens) {
    auto model = tiny::load_tiny_with_vocab();
    auto eager = tiny::make_session(model);
    ASSERT_TRUE(eager->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(eager->run(6).ok());
    auto lazy = tiny::make_session(model);
    ASSERT_TRUE(lazy->set_prompt_ids(kPrompt).ok());
    std::vector<int32_t> reported;
    RunHooks hooks;
    hooks.evaluate_last = false;
    hooks.on_token      = [&](const StepTrace& from) {
        EXPECT_EQ(from.pos + 1, lazy->n_pos());  // proposed, not appended
        reported.push_back(from.next_token);
        return true;
    };
    auto r = lazy->run(6, hooks);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->generated, 6);
    EXPECT_EQ(r->evaluated, 5);
    EXPECT_EQ(lazy->n_pos(), 7 + 5);
    const auto ids = eager->tokens();
    EXPECT_EQ(reported, std::vector<int32_t>(ids.begin() + 7, ids.end()));
    EXPECT_EQ(lazy->steps().back()->next_token, ids.back());
}

TEST_P(SessionFlow, RunWithoutEvaluatingStopsBeforeTheEndOfTextToken) {
    SessionOptions opt;
    opt.sampler.temp = 0;  // greedy; all logits tie, so id 0 (EOS) wins
    auto s           = tiny::make_session(tiny::load_tiny_with_vocab({}, /*zero_output=*/true), opt);
    ASSERT_TRUE(s->set_prompt("the cat").ok());
    RunHooks hooks;
    hooks.evaluate_last = false;
    auto r              = s->run(5, hooks);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->generated, 1);
    EXPECT_EQ(r->evaluated, 0);
    EXPECT_EQ(r->reason, StopReason::EndOfText);
    EXPECT_FALSE(s->at_end_of_text());  // proposed, never evaluated
    EXPECT_EQ(s->steps().back()->next_token, 0);
}

TEST_P(SessionFlow, RunStopsWhenTheTokenHookSaysSo) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab());
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    int calls = 0;
    RunHooks hooks;
    hooks.on_token = [&](const StepTrace&) { return ++calls < 3; };
    auto r         = s->run(10, hooks);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->generated, 3);
    EXPECT_EQ(r->reason, StopReason::Cancelled);
    EXPECT_EQ(s->n_pos(), 7 + 3);
}

TEST_P(SessionFlow, CancelledPrefillGoesOnWhereItStopped) {
    SessionOptions opt;
    opt.n_batch = 2;
    auto model  = tiny::load_tiny_with_vocab();
    auto s      = tiny::make_session(model, opt);
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    int polls = 0, last_done = 0;
    LongOp op;
    op.cancelled = [&] { return ++polls > 2; };
    op.progress  = [&](int done, int total) {
        last_done = done;
        EXPECT_EQ(total, 7);
    };
    const Status st = s->prefill(op);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Code::kCancelled);
    EXPECT_EQ(last_done, 4);
    EXPECT_EQ(s->n_pos(), 4);
    EXPECT_EQ(s->pending().size(), 3u);
    EXPECT_FALSE(s->step().ok());
    ASSERT_TRUE(s->prefill().ok());
    EXPECT_EQ(s->n_pos(), 7);

    auto ref = tiny::make_session(model, opt);
    ASSERT_TRUE(ref->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(ref->prefill().ok());
    EXPECT_EQ(logits_of(*ref), logits_of(*s));
    EXPECT_EQ(ref->steps().back()->next_token, s->steps().back()->next_token);
}

TEST_P(SessionFlow, TraceBudgetKeepsTheNewestRecords) {
    auto model       = tiny::load_tiny_with_vocab();
    const size_t per = record_bytes_per_position(model->hp);
    SessionOptions opt;
    opt.trace_budget = 3 * per;
    auto s           = tiny::make_session(model, opt);
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    EXPECT_EQ(s->trace_bytes(), 3 * per);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(s->step().ok());
    EXPECT_LE(s->trace_bytes(), opt.trace_budget);
    for (int p = 0; p < s->n_pos(); ++p) EXPECT_EQ(bool(s->steps()[size_t(p)]->record), p >= 7) << p;
    for (int p = 0; p < s->n_pos(); ++p) EXPECT_GT(s->steps()[size_t(p)]->layers[1].resid_norm_ffn, 0.0f);
    EXPECT_TRUE(s->attention_row(1, 0, 9).ok());
    EXPECT_FALSE(s->attention_row(1, 0, 2).ok());
    ASSERT_TRUE(s->rewind(2).ok());
    EXPECT_EQ(s->trace_bytes(), per);
}

TEST_P(SessionFlow, RecordingOffKeepsNormsAndSamplerViews) {
    SessionOptions opt;
    opt.record = false;
    auto s     = tiny::make_session(tiny::load_tiny_with_vocab(), opt);
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    ASSERT_TRUE(s->step().ok());
    EXPECT_EQ(s->trace_bytes(), 0u);
    EXPECT_FALSE(s->steps().back()->record);
    EXPECT_GT(s->steps().back()->layers[0].resid_norm_attn, 0.0f);
    EXPECT_FALSE(s->steps().back()->sampler.stages.empty());
}

TEST_P(SessionFlow, DerivedRowsOfTheSessionSumToOne) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab());
    ASSERT_TRUE(s->set_prompt("the cat").ok());
    ASSERT_TRUE(s->prefill().ok());
    ASSERT_TRUE(s->step().ok());
    auto row = s->attention_row(0, 1, s->n_pos() - 1);
    ASSERT_TRUE(row.ok());
    double sum = 0;
    for (float p : row->probs) sum += p;
    EXPECT_NEAR(sum, 1.0, 1e-6);
    auto lens = s->logit_lens(s->n_pos() - 1);
    ASSERT_TRUE(lens.ok());
    const auto want = sample::top_candidates(*s->logits(), 10);
    EXPECT_EQ(lens->back().top.front().id, want.front().id);
    EXPECT_EQ(lens->back().top.front().logit, want.front().logit);
}

TEST_P(SessionFlow, GeneratesWhatAPlainForwardAndSamplerLoopGenerates) {
    // The command line's loop (Forward + Sampler, no observer, no views): a session must give the same tokens and
    // logits, so the CLI can switch to it for --trace without changing its output.
    SessionOptions opt;
    opt.n_batch = 4;
    auto model  = tiny::load_tiny_with_vocab();
    auto s      = tiny::make_session(model, opt);
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->run(10).ok());

    ThreadPool pool(opt.n_threads);
    Forward fwd(*model, 48, 4);
    auto cache = fwd.make_cache();
    std::vector<float> logits(37);
    ASSERT_TRUE(fwd.eval(*cache, kPrompt.data(), 7, 0, logits.data(), LogitRows::Last, pool).ok());
    sample::Sampler sampler(opt.sampler);
    sampler.accept(kPrompt);
    std::vector<int32_t> ids = kPrompt;
    for (int i = 0; i < 10; ++i) {
        const int32_t id = sampler.sample(logits)->id;
        sampler.accept(id);
        ids.push_back(id);
        ASSERT_TRUE(fwd.eval(*cache, &id, 1, int(ids.size()) - 1, logits.data(), LogitRows::Last, pool).ok());
    }
    EXPECT_EQ(s->tokens(), ids);
    EXPECT_EQ(logits_of(*s), logits);
}

TEST_P(SessionFlow, ResetGoesBackToTheEndOfThePrompt) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab());
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    const int32_t first = s->steps().back()->next_token;
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(s->step().ok());
    ASSERT_TRUE(s->reset().ok());
    EXPECT_EQ(s->n_pos(), 7);
    EXPECT_EQ(s->steps().back()->next_token, first);
}

}  // namespace
}  // namespace ts::core
