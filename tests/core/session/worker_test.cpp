// The engine worker driven from other threads while the test reads snapshots (run under the tsan preset too):
// tickets, snapshots that never change once published, live sampler changes, pause, cancel, derived numbers.
#include "core/session/worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

using namespace std::chrono_literals;

const std::vector<int32_t> kPrompt = {1, 5, 36, 9, 17, 17, 2};

// Every published snapshot must describe one consistent sequence.
void expect_consistent(const Snapshot& s) {
    for (size_t p = 0; p < s.steps.size(); ++p) {
        ASSERT_TRUE(s.steps[p]);
        EXPECT_EQ(s.steps[p]->pos, int(p));
    }
    if (!s.steps.empty() && s.n_pending == 0) {
        EXPECT_TRUE(s.steps.back()->has_next);
        ASSERT_TRUE(s.logits);
    }
    EXPECT_LE(int(s.steps.size()), s.n_ctx);
}

TEST(CommandQueue, TicketsFollowPushOrderAcrossThreads) {
    CommandQueue<int> q;
    std::vector<std::thread> producers;
    for (int t = 0; t < 4; ++t)
        producers.emplace_back([&q, t] {
            for (int i = 0; i < 100; ++i) q.push(t * 1000 + i);
        });
    std::vector<int> last(4, -1);
    int popped = 0;
    while (popped < 400) {
        auto v = q.pop_wait(1000ms);
        ASSERT_TRUE(v);
        const int t = *v / 1000;
        EXPECT_GT(*v % 1000, last[size_t(t)]);  // each producer's commands arrive in its order
        last[size_t(t)] = *v % 1000;
        ++popped;
    }
    for (auto& p : producers) p.join();
    EXPECT_TRUE(q.empty());
    EXPECT_FALSE(q.try_pop());
    EXPECT_EQ(q.push(7), 401u);
}

// Greedy, so that the token counts below do not depend on whether a draw hits the end-of-text token.
SessionOptions greedy(int n_ctx = 48) {
    SessionOptions opt;
    opt.n_ctx        = n_ctx;
    opt.sampler.temp = 0;
    return opt;
}

TEST(EngineWorker, RunsCommandsWhileTheCallerReadsSnapshots) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab(), greedy());
    EngineWorker w(std::move(s));
    std::atomic<bool> reading{true};
    std::atomic<int> seen{0};
    std::thread reader([&] {
        uint64_t last_version = 0;
        while (reading.load()) {
            const auto snap = w.snapshot();
            EXPECT_GE(snap->version, last_version);
            last_version = snap->version;
            expect_consistent(*snap);
            (void)w.progress_done();
            seen.fetch_add(1);
        }
    });
    w.push(cmd::SetPrompt{"", kPrompt});
    w.push(cmd::Run{6});
    w.push(cmd::Rewind{2});
    w.push(cmd::Branch{8, 4});
    const uint64_t t = w.push(cmd::Step{});
    ASSERT_TRUE(w.wait_for(t, 10s));
    reading.store(false);
    reader.join();
    EXPECT_GT(seen.load(), 0);
    const auto snap = w.snapshot();
    EXPECT_TRUE(snap->error.empty()) << snap->error;
    ASSERT_EQ(snap->steps.size(), 10u);  // 7 + 6 - 2 → 11, branch at 8 → 9, step → 10
    EXPECT_EQ(snap->steps[8]->token, 4);
    EXPECT_EQ(snap->steps[8]->source, TokenSource::Forced);
    EXPECT_EQ(snap->n_prompt, 7);
}

TEST(EngineWorker, PublishedSnapshotsNeverChange) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab()));
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetPrompt{"", kPrompt}), 10s));
    const auto old          = w.snapshot();
    const size_t n          = old->steps.size();
    const StepTracePtr last = old->steps.back();
    const int32_t proposal  = last->next_token;
    ASSERT_TRUE(w.wait_for(w.push(cmd::Run{5}), 10s));
    ASSERT_TRUE(w.wait_for(w.push(cmd::Rewind{3}), 10s));
    EXPECT_EQ(old->steps.size(), n);
    EXPECT_EQ(old->steps.back(), last);
    EXPECT_EQ(last->next_token, proposal);
    EXPECT_GT(w.snapshot()->version, old->version);
}

TEST(EngineWorker, SetSamplerResamplesTheProposalWithoutAForwardPass) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab()));
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetPrompt{"", kPrompt}), 10s));
    const auto before           = w.snapshot();
    sample::SamplerSettings hot = before->settings;
    hot.temp                    = 4.0f;
    hot.top_k                   = 0;
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetSampler{hot}), 10s));
    const auto after = w.snapshot();
    EXPECT_EQ(after->steps.size(), before->steps.size());
    EXPECT_EQ(after->logits, before->logits);  // the same logits: nothing was evaluated
    EXPECT_EQ(after->steps.back()->settings.temp, 4.0f);
    EXPECT_EQ(after->steps.back()->record, before->steps.back()->record);
    EXPECT_EQ(after->settings.temp, 4.0f);
}

TEST(EngineWorker, InterventionsReachTheSnapshotWithTheDiff) {
    const auto model = tiny::load_tiny_with_vocab();
    EngineWorker w(tiny::make_session(model));
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetPrompt{"", kPrompt}), 10s));
    ASSERT_TRUE(w.wait_for(w.push(cmd::Run{3}), 10s));
    const auto plain = w.snapshot();
    ASSERT_TRUE(plain->interventions);
    EXPECT_TRUE(plain->interventions->empty());
    EXPECT_FALSE(plain->diff);

    auto iv = parse_intervention("skip-attn:1", model->hp);
    ASSERT_TRUE(iv.ok());
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetInterventions{{*iv}}), 10s));
    const auto cut = w.snapshot();
    EXPECT_TRUE(cut->error.empty()) << cut->error;
    ASSERT_EQ(cut->interventions->size(), 1u);
    EXPECT_EQ(intervention_spec(cut->interventions->front()), "skip-attn:1");
    ASSERT_EQ(cut->steps.size(), plain->steps.size());
    for (size_t p = 0; p < cut->steps.size(); ++p) EXPECT_EQ(cut->steps[p]->token, plain->steps[p]->token);
    EXPECT_NE(*cut->logits, *plain->logits);
    ASSERT_TRUE(cut->diff);
    EXPECT_EQ(cut->diff->pos, int(cut->steps.size()) - 1);
    EXPECT_GT(cut->diff->kl, 0.0);
    const auto* d = cut->diff->find(cut->diff->top.front().id);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->clean_logit, (*plain->logits)[size_t(d->id)]);  // the clean side is the plain run, bit for bit

    // a step keeps the diff current; a bad list is an error that changes nothing
    ASSERT_TRUE(w.wait_for(w.push(cmd::Step{}), 10s));
    EXPECT_EQ(w.snapshot()->diff->pos, int(w.snapshot()->steps.size()) - 1);
    Intervention bad = *iv;
    bad.layer        = 7;
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetInterventions{{bad}}), 10s));
    EXPECT_NE(w.snapshot()->error.find("layers 0 .. 1"), std::string::npos) << w.snapshot()->error;
    EXPECT_EQ(w.snapshot()->interventions->size(), 1u);
    // off again: no diff, the plain logits
    ASSERT_TRUE(w.wait_for(w.push(cmd::Rewind{1}), 10s));
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetInterventions{}), 10s));
    EXPECT_FALSE(w.snapshot()->diff);
    EXPECT_EQ(*w.snapshot()->logits, *plain->logits);
}

TEST(EngineWorker, PauseStopsARunAndBadCommandsReportErrors) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab(), greedy(64)));
    w.push(cmd::SetPrompt{"", kPrompt});
    w.push(cmd::Run{});  // until the context is full, unless paused
    const uint64_t t = w.cancel();
    ASSERT_TRUE(w.wait_for(t, 10s));
    auto snap = w.snapshot();
    EXPECT_EQ(snap->activity, Activity::Idle);
    EXPECT_TRUE(snap->error.empty());
    ASSERT_TRUE(w.wait_for(w.push(cmd::Rewind{1000}), 10s));
    EXPECT_NE(w.snapshot()->error.find("rewind"), std::string::npos);
    ASSERT_TRUE(w.wait_for(w.push(cmd::Run{}), 10s));
    snap = w.snapshot();
    EXPECT_TRUE(snap->error.empty()) << snap->error;
    EXPECT_TRUE(snap->context_full);
    EXPECT_EQ(snap->last_stop, StopReason::ContextFull);
    EXPECT_EQ(snap->steps.size(), 64u);
}

TEST(EngineWorker, AnEarlierCommandsErrorDoesNotStopTheNextRun) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab(), greedy(64)));
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetPrompt{"", kPrompt}), 10s));  // prefilled: nothing pending
    ASSERT_TRUE(w.wait_for(w.push(cmd::Rewind{1000}), 10s));
    EXPECT_FALSE(w.snapshot()->error.empty());
    ASSERT_TRUE(w.wait_for(w.push(cmd::Run{5}), 10s));
    auto snap = w.snapshot();
    EXPECT_TRUE(snap->error.empty()) << snap->error;
    EXPECT_EQ(snap->steps.size(), kPrompt.size() + 5);
    EXPECT_EQ(snap->last_stop, StopReason::Count);
}

TEST(EngineWorker, CancelStopsALongPrefillBetweenBatches) {
    SessionOptions opt;
    opt.n_ctx   = 512;
    opt.n_batch = 1;
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab(), opt));
    std::vector<int32_t> prompt(500);
    for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = int32_t(3 + i % 30);
    w.push(cmd::SetPrompt{"", prompt});
    while (w.progress_done() == 0) std::this_thread::sleep_for(100us);
    const uint64_t t = w.cancel();
    ASSERT_TRUE(w.wait_for(t, 10s));
    auto snap = w.snapshot();
    EXPECT_EQ(snap->activity, Activity::Idle);
    EXPECT_EQ(int(snap->steps.size()) + snap->n_pending, 500);
    EXPECT_GT(snap->n_pending, 0);
    EXPECT_EQ(snap->last_stop, StopReason::Cancelled);
    // A step finishes the prefill.
    ASSERT_TRUE(w.wait_for(w.push(cmd::Step{}), 30s));
    snap = w.snapshot();
    EXPECT_EQ(snap->n_pending, 0);
    EXPECT_EQ(snap->steps.size(), 500u);
}

TEST(EngineWorker, DerivesWhatTheFocusAsksFor) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab()));
    w.push(cmd::SetPrompt{"", kPrompt});
    Focus f;
    f.layer     = 1;
    f.head      = 2;
    f.query_pos = 4;
    f.summary   = true;
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetFocus{f}), 10s, /*derived=*/true));
    auto snap = w.snapshot();
    ASSERT_TRUE(snap->derived);
    const Derived& d = *snap->derived;
    EXPECT_TRUE(d.error.empty()) << d.error;
    ASSERT_TRUE(d.has_row && d.has_matrix && d.has_summary && d.has_lens);
    EXPECT_EQ(d.query_pos, 4);
    EXPECT_EQ(d.row.n, 7);
    for (int j = 0; j < 7; ++j) EXPECT_EQ(d.row.probs[size_t(j)], d.matrix.probs[size_t(4 * 7 + j)]);
    EXPECT_EQ(d.row.probs[5], 0.0f);
    EXPECT_EQ(int(d.lens.size()), 3);  // the embedding and the two layers
    // A new step makes the derived numbers stale until the worker catches up.
    ASSERT_TRUE(w.wait_for(w.push(cmd::Step{}), 10s, /*derived=*/true));
    EXPECT_EQ(w.snapshot()->derived->matrix.n, 8);
}

TEST(EngineWorker, RefreshesDerivedNumbersBetweenTheTokensOfARun) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab(), greedy(64)));
    w.push(cmd::SetPrompt{"", kPrompt});
    Focus f;
    f.live_interval_ms = 0;  // as often as the duty limit allows
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetFocus{f}), 10s, /*derived=*/true));
    EXPECT_EQ(w.snapshot()->live_derivations, 0u);  // idle derivations are not counted
    // The first token of a run is always followed by a refresh (nothing was derived during this run yet).
    const uint64_t run = w.push(cmd::Run{24});
    ASSERT_TRUE(w.wait_for(run, 10s, true));
    auto snap = w.snapshot();
    EXPECT_GE(snap->live_derivations, 1u);
    EXPECT_EQ(snap->derived->matrix.n, int(snap->steps.size()));

    // live_interval_ms < 0: derived only when idle.
    f.live_interval_ms = -1;
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetFocus{f}), 10s, true));
    const uint64_t before = w.snapshot()->live_derivations;
    ASSERT_TRUE(w.wait_for(w.push(cmd::Run{8}), 10s, true));
    EXPECT_EQ(w.snapshot()->live_derivations, before);
}

TEST(EngineWorker, CallsItsPublishHookForEverySnapshot) {
    std::atomic<uint64_t> calls{0};
    uint64_t published = 0;
    {
        EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab(), greedy(64)), [&] { ++calls; });
        ASSERT_TRUE(w.wait_for(w.push(cmd::SetPrompt{"", kPrompt}), 10s));
        ASSERT_TRUE(w.wait_for(w.push(cmd::Run{5}), 10s, true));
        published = w.snapshot()->version;
    }  // joined: every call of the hook has returned
    // Every published version called it once (the first, in the constructor, too), so the UI never misses news.
    EXPECT_GE(calls.load(), published);
    EXPECT_GT(published, 5u);
}

}  // namespace
}  // namespace ts::core
