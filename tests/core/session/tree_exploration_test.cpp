// A saved exploration's tree and its restore (issue 15's weak points): every node keeps the sampler settings of the
// proposal that chose it through save → open, also on the branches that are not on screen; restoring evaluates the
// saved path in batches and still lands bit for bit where a token-by-token restore lands.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/sample/settings_json.hpp"
#include "core/session/exploration.hpp"
#include "core/session/worker.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

using namespace std::chrono_literals;

const std::vector<int32_t> kPrompt = {1, 5, 36, 9, 17, 17, 2};

SessionOptions sampled() {
    SessionOptions opt;
    opt.sampler.temp = 0.9f;
    opt.sampler.seed = 5;
    return opt;
}

std::shared_ptr<const Snapshot> done(EngineWorker& w, uint64_t ticket) {
    EXPECT_TRUE(w.wait_for(ticket, 20s));
    return w.snapshot();
}

// The tree's leaves as (tokens, settings of each generated token), in a fixed order.
struct Leaf {
    std::vector<int32_t> tokens;
    std::vector<std::optional<sample::SamplerSettings>> settings;
    bool operator<(const Leaf& o) const { return tokens < o.tokens; }
};
std::vector<Leaf> leaves(const TreePaths& tp) {
    std::vector<Leaf> out;
    for (const auto& p : tp.paths) {
        Leaf& l = out.emplace_back();
        for (const PathToken& t : p) {
            l.tokens.push_back(t.token);
            l.settings.push_back(t.settings);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

void expect_same_settings(const std::vector<Leaf>& a, const std::vector<Leaf>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a[i].tokens, b[i].tokens) << "leaf " << i;
        for (size_t p = 0; p < a[i].settings.size(); ++p) {
            ASSERT_EQ(a[i].settings[p].has_value(), b[i].settings[p].has_value()) << "leaf " << i << " pos " << p;
            if (a[i].settings[p]) {
                EXPECT_TRUE(sample::same_settings(*a[i].settings[p], *b[i].settings[p]))
                    << "leaf " << i << " pos " << p << ": " << sample::settings_json(*a[i].settings[p]).dump() << " vs "
                    << sample::settings_json(*b[i].settings[p]).dump();
            }
        }
    }
}

// Three branches made with three settings (a hot one, a cool top-k one, a re-seeded one); the file holds each node's
// settings and the opened tree has them again on every node, the branches off screen included.
TEST(TreeExploration, EveryNodeKeepsItsSamplerSettings) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab(), sampled()));
    w.push(cmd::SetPrompt{"", kPrompt});
    w.push(cmd::Run{3});
    sample::SamplerSettings cool = sampled().sampler;
    cool.temp                    = 0.3f;
    cool.top_k                   = 4;
    // Rewind two, draw again with the cool settings, step: a second branch beside the first.
    done(w, w.push(cmd::Rewind{2}));
    done(w, w.push(cmd::SetSampler{cool, true}));
    w.push(cmd::Run{3});
    sample::SamplerSettings reseeded = cool;
    reseeded.seed                    = 77;
    reseeded.top_p                   = 0.8f;
    done(w, w.push(cmd::Rewind{1}));
    done(w, w.push(cmd::SetSampler{reseeded, true}));
    auto snap = done(w, w.push(cmd::Run{2}));
    ASSERT_TRUE(snap->error.empty()) << snap->error;
    const auto before = leaves(snap->branches->paths);
    ASSERT_GE(before.size(), 2u);
    // Every generated node knows its settings, and the branches were made with different ones.
    int n_cool = 0;
    for (const Leaf& l : before)
        for (size_t p = kPrompt.size(); p < l.settings.size(); ++p) {
            ASSERT_TRUE(l.settings[p].has_value());
            n_cool += l.settings[p]->top_k == 4 ? 1 : 0;
        }
    EXPECT_GT(n_cool, 0);

    Exploration e = make_exploration("tiny.gguf", snap->steps, kPrompt, "", reseeded, {}, Json::object());
    add_tree_paths(e, snap->branches->paths);
    ASSERT_EQ(e.paths.size(), before.size());
    const std::string text = exploration_json(e);
    auto back              = parse_exploration(text, "tree.tscope");
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->version, 1);  // a key version 1 defines on every path: older readers still open the file
    expect_same_settings(leaves(tree_paths_of(*back)), before);

    EngineWorker w2(tiny::make_session(tiny::load_tiny_with_vocab(), sampled()));
    auto snap2 = done(w2, w2.push(cmd::Restore{std::make_shared<const Exploration>(std::move(*back))}));
    ASSERT_TRUE(snap2->error.empty()) << snap2->error;
    expect_same_settings(leaves(snap2->branches->paths), before);
    EXPECT_EQ(*snap2->logits, *snap->logits);
}

// A file written before nodes had settings (only paths[0] has them) still opens: the other branches' nodes after
// the shared prefix have no settings (not known), the session's path has its own.
TEST(TreeExploration, AnOlderFileWithoutNodeSettingsOpens) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab(), sampled()));
    w.push(cmd::SetPrompt{"", kPrompt});
    w.push(cmd::Run{3});
    done(w, w.push(cmd::Branch{int(kPrompt.size()) + 1, 7}));
    auto snap     = done(w, w.push(cmd::Run{2}));
    Exploration e = make_exploration("tiny.gguf", snap->steps, kPrompt, "", sampled().sampler, {}, Json::object());
    add_tree_paths(e, snap->branches->paths);
    ASSERT_EQ(e.paths.size(), 2u);
    for (SavedToken& t : e.paths[1]) t.sampler.reset();  // as the first version of the writer left it
    auto back = parse_exploration(exploration_json(e), "old.tscope");
    ASSERT_TRUE(back.ok()) << back.error().message;
    const TreePaths tp = tree_paths_of(*back);
    EXPECT_TRUE(tp.paths[0].back().settings.has_value());
    EXPECT_FALSE(tp.paths[1].back().settings.has_value());
    EngineWorker w2(tiny::make_session(tiny::load_tiny_with_vocab(), sampled()));
    auto snap2 = done(w2, w2.push(cmd::Restore{std::make_shared<const Exploration>(std::move(*back))}));
    EXPECT_TRUE(snap2->error.empty()) << snap2->error;
    EXPECT_EQ(snap2->branches->n_leaves, 2);
}

// Restoring evaluates the generated part of the path in batched forward calls (StepTimings::batch > 1), and the state
// is the token-by-token one: same tokens, sources, p_token, proposals, Rng states, branch ids and records.
TEST(TreeExploration, RestoreEvaluatesThePathInBatches) {
    auto model = tiny::load_tiny_with_vocab();
    auto a     = tiny::make_session(model, sampled());
    ASSERT_TRUE(a->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(a->prefill().ok());
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(a->step().ok());
    ASSERT_TRUE(a->branch(a->n_pos(), 7).ok());
    ASSERT_TRUE(a->branch(a->n_pos(), 9).ok());  // two forced in a row: two branch ids
    sample::SamplerSettings cool = a->sampler().settings();
    cool.temp                    = 0.4f;
    ASSERT_TRUE(a->set_sampler(cool).ok());
    ASSERT_TRUE(a->resample().ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(a->step().ok());
    ASSERT_TRUE(a->resample(/*fresh_draw=*/true).ok());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(a->step().ok());

    const Exploration e = capture_exploration(*a, "", Json::object());
    // The token-by-token reference: each saved token appended on its own after its proposal was drawn again.
    auto ref = tiny::make_session(model, sampled());
    ASSERT_TRUE(ref->set_sampler(*e.paths[0][kPrompt.size() - 1].sampler).ok());
    ASSERT_TRUE(ref->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(ref->prefill().ok());
    sample::SamplerSettings want = *e.paths[0][kPrompt.size() - 1].sampler;
    for (size_t i = kPrompt.size(); i < e.paths[0].size(); ++i) {
        const SavedToken& t = e.paths[0][i];
        ASSERT_TRUE(ref->set_sampler(want).ok());
        ASSERT_TRUE(ref->resample_from(*e.paths[0][i - 1].rng).ok());
        ASSERT_TRUE(ref->append_recorded(t.id, t.source).ok());
        if (t.sampler) want = *t.sampler;
    }
    ASSERT_TRUE(ref->set_sampler(want).ok());
    ASSERT_TRUE(ref->resample_from(*e.paths[0].back().rng).ok());

    auto b = tiny::make_session(model, sampled());
    RestoreReport report;
    ASSERT_TRUE(restore_exploration(*b, e, &report).ok());
    EXPECT_EQ(report.not_reproduced, 0);
    ASSERT_EQ(b->n_pos(), a->n_pos());
    int batched = 0;
    for (int p = 0; p < a->n_pos(); ++p) {
        const StepTrace &x = *ref->steps()[size_t(p)], &y = *b->steps()[size_t(p)], &z = *a->steps()[size_t(p)];
        EXPECT_EQ(x.token, y.token) << p;
        EXPECT_EQ(x.source, y.source) << p;
        EXPECT_EQ(x.branch_id, y.branch_id) << p;
        EXPECT_EQ(std::memcmp(&x.p_token, &y.p_token, sizeof(float)), 0) << p;
        EXPECT_EQ(std::memcmp(&z.p_token, &y.p_token, sizeof(float)), 0) << p;
        EXPECT_EQ(x.next_token, y.next_token) << p;
        EXPECT_EQ(std::memcmp(&x.next_p, &y.next_p, sizeof(float)), 0) << p;
        EXPECT_TRUE(x.rng_before == y.rng_before) << p;
        EXPECT_TRUE(x.rng_after == y.rng_after) << p;
        EXPECT_TRUE(sample::same_settings(x.settings, y.settings)) << p;
        ASSERT_TRUE(x.record && y.record) << p;
        EXPECT_EQ(x.record->resid, y.record->resid) << p;
        EXPECT_EQ(x.record->q, y.record->q) << p;
        if (p >= int(kPrompt.size()) && y.t.batch > 1) ++batched;
    }
    EXPECT_EQ(*ref->logits(), *b->logits());
    EXPECT_EQ(*a->logits(), *b->logits());
    EXPECT_EQ(batched, a->n_pos() - int(kPrompt.size()));  // every generated position in a batch
    // Both go on alike.
    ASSERT_TRUE(ref->step().ok());
    ASSERT_TRUE(b->step().ok());
    EXPECT_EQ(ref->tokens(), b->tokens());
}

// A restore that is cancelled stops between batches with an error saying so.
TEST(TreeExploration, ARestoreCanBeCancelled) {
    auto model         = tiny::load_tiny_with_vocab();
    SessionOptions opt = sampled();
    opt.n_batch        = 2;
    auto a             = tiny::make_session(model, opt);
    ASSERT_TRUE(a->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(a->prefill().ok());
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(a->step().ok());
    const Exploration e = capture_exploration(*a, "", Json::object());
    auto b              = tiny::make_session(model, opt);
    int batches         = 0;
    LongOp op;
    op.cancelled    = [&] { return batches >= 6; };  // the prompt's 4 batches, then 2 of the path's
    op.progress     = [&](int, int) { ++batches; };
    const Status st = restore_exploration(*b, e, nullptr, -1, op);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Code::kCancelled);
}

void expect_same_comparison(const BranchComparison& x, const BranchComparison& y) {
    ASSERT_EQ(x.positions.size(), y.positions.size());
    for (size_t p = 0; p < x.positions.size(); ++p) {
        EXPECT_EQ(x.positions[p].kl, y.positions[p].kl) << p;  // bit for bit
        EXPECT_EQ(x.positions[p].top1_a, y.positions[p].top1_a) << p;
        EXPECT_EQ(x.positions[p].top1_b, y.positions[p].top1_b) << p;
    }
    EXPECT_EQ(x.mean_kl, y.mean_kl);
    EXPECT_EQ(x.agreement, y.agreement);
    EXPECT_EQ(x.layer_cosine, y.layer_cosine);
    EXPECT_EQ(x.head_js, y.head_js);
    EXPECT_EQ(x.attn_diff, y.attn_diff);
}

std::vector<StepTracePtr> traces(const Session& s) {
    return s.steps();
}

// A comparison takes the logits of positions with kept records from those records (the forward pass's last stage on
// the recorded residual stream) and evaluates only up to the selected position and the last position without one:
// the numbers are those of a comparison that evaluates everything, bit for bit.
TEST(TreeCompare, KeptRecordsGiveTheSameNumbers) {
    auto model = tiny::load_tiny_with_vocab();
    auto a     = tiny::make_session(model, sampled());
    ASSERT_TRUE(a->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(a->prefill().ok());
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(a->step().ok());
    auto b = tiny::make_session(model, sampled());
    ASSERT_TRUE(b->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(b->prefill().ok());
    ASSERT_TRUE(b->step().ok());
    ASSERT_TRUE(b->branch(b->n_pos(), 7).ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(b->step().ok());
    const auto ta = a->tokens(), tb = b->tokens();
    const int pos = int(kPrompt.size()) + 1;
    auto fresh    = compare_branches(*model, ta, tb, pos, a->pool());
    ASSERT_TRUE(fresh.ok()) << fresh.error().message;
    EXPECT_EQ(fresh->evaluated_a, int(ta.size()));
    auto kept = compare_branches(*model, ta, tb, pos, a->pool(), traces(*a), traces(*b));
    ASSERT_TRUE(kept.ok()) << kept.error().message;
    EXPECT_EQ(kept->evaluated_a, pos + 1);  // the rest from the records
    EXPECT_EQ(kept->evaluated_b, pos + 1);
    expect_same_comparison(*fresh, *kept);
    // An evicted record in the tail: evaluated up to it, the rest from records; still the same numbers.
    std::vector<StepTracePtr> holes = traces(*b);
    auto copy                       = std::make_shared<StepTrace>(*holes[holes.size() - 3]);
    copy->record                    = nullptr;
    holes[holes.size() - 3]         = copy;
    auto partly                     = compare_branches(*model, ta, tb, pos, a->pool(), traces(*a), holes);
    ASSERT_TRUE(partly.ok());
    EXPECT_EQ(partly->evaluated_b, int(tb.size()) - 2);
    expect_same_comparison(*fresh, *partly);
    // Records of other tokens are not used.
    auto other = compare_branches(*model, ta, tb, pos, a->pool(), traces(*b), traces(*a));
    ASSERT_TRUE(other.ok());
    expect_same_comparison(*fresh, *other);
}

// In the worker, the comparison of two branches uses the tree's records (the active path's and the other branch's
// while the trace budget keeps them): the numbers are those of a full evaluation; an intervention list makes the
// records another forward pass's, and then everything is evaluated again.
TEST(TreeCompare, TheWorkerReusesTheNodesRecords) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab(), sampled()));
    w.push(cmd::SetPrompt{"", kPrompt});
    w.push(cmd::Run{6});
    const int fork = int(kPrompt.size()) + 1;
    done(w, w.push(cmd::Branch{fork, 7}));
    auto snap = done(w, w.push(cmd::Run{5}));
    ASSERT_EQ(snap->branches->n_leaves, 2);
    const TreePaths tp = snap->branches->paths;
    const int cur      = snap->branches->current;
    int other          = -1;
    for (const BranchRow& r : snap->branches->rows)
        if (!r.on_path) other = r.nodes.back();
    ASSERT_GE(other, 0);
    snap = done(w, w.push(cmd::CompareBranches{cur, other, fork}));
    ASSERT_NE(snap->comparison, nullptr) << snap->error;
    const BranchComparison reused = *snap->comparison;
    EXPECT_EQ(reused.evaluated_a, fork + 1);
    EXPECT_EQ(reused.evaluated_b, fork + 1);
    ThreadPool pool(1);
    auto fresh = compare_branches(*snap->model, reused.tokens_a, reused.tokens_b, fork, pool);
    ASSERT_TRUE(fresh.ok());
    expect_same_comparison(*fresh, reused);

    done(w, w.push(cmd::SetInterventions{{parse_intervention("zero-head:0.1", snap->model->hp).value()}}));
    snap = done(w, w.push(cmd::CompareBranches{cur, other, fork}));
    ASSERT_NE(snap->comparison, nullptr) << snap->error;
    EXPECT_EQ(snap->comparison->evaluated_a, int(reused.tokens_a.size()));  // the records are of another pass
    expect_same_comparison(*fresh, *snap->comparison);
    done(w, w.push(cmd::SetInterventions{{}}));
    snap = done(w, w.push(cmd::CompareBranches{cur, other, fork}));
    ASSERT_NE(snap->comparison, nullptr) << snap->error;
    EXPECT_EQ(snap->comparison->evaluated_a, fork + 1);  // the active path evaluated again without it
    EXPECT_EQ(snap->comparison->evaluated_b, int(reused.tokens_b.size()));  // the other branch's dropped
    expect_same_comparison(*fresh, *snap->comparison);
}

}  // namespace
}  // namespace ts::core
