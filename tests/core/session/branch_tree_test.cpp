// The branch tree (issue 15 item 1): branching, resampling and stepping add nodes instead of destroying the old
// continuation; switching, undo / redo, deleting and evicting an old branch's records then recomputing it all leave
// every node's logits bit-identical to a fresh session run of that node's tokens.
#include "core/session/branch_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/session/exploration.hpp"
#include "core/session/worker.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

const std::vector<int32_t> kPrompt = {1, 5, 36, 9, 17, 17, 2};

SessionOptions sampled(int n_batch = Forward::kDefaultBatch) {
    SessionOptions opt;
    opt.sampler.temp = 0.9f;
    opt.sampler.seed = 5;
    opt.n_batch      = n_batch;
    return opt;
}

// A fresh session's logits after the path's tokens: the prompt prefilled, each later token appended one at a time
// (branch(): a forward call per token), which is not how follow() evaluates them.
std::vector<float> fresh_logits(std::shared_ptr<const Model> model, const std::vector<PathToken>& path) {
    auto s = tiny::make_session(std::move(model), sampled());
    std::vector<int32_t> prompt;
    size_t i = 0;
    for (; i < path.size() && path[i].source == TokenSource::Prompt; ++i) prompt.push_back(path[i].token);
    EXPECT_TRUE(s->set_prompt_ids(prompt).ok());
    EXPECT_TRUE(s->prefill().ok());
    for (; i < path.size(); ++i) EXPECT_TRUE(s->branch(int(i), path[i].token).ok());
    return *s->logits();
}

std::vector<int32_t> ids(const std::vector<PathToken>& path) {
    std::vector<int32_t> out;
    for (const PathToken& t : path) out.push_back(t.token);
    return out;
}

// The session is on `node` and its newest logits are a fresh run's.
void expect_on(const BranchTree& t, const Session& s, int node) {
    ASSERT_EQ(t.current(), node);
    const auto path = t.path_tokens(node);
    EXPECT_EQ(s.tokens(), ids(path));
    ASSERT_NE(s.logits(), nullptr);
    EXPECT_EQ(*s.logits(), fresh_logits(s.model_ptr(), path)) << "node " << node;  // bit for bit
}

// prompt, 3 steps, a forced token at n_prompt + 1 with 2 steps, then other settings resampled and stepped.
struct Built {
    std::unique_ptr<Session> s;
    BranchTree t;
    int first_leaf = -1, forced_leaf = -1, resampled = -1;
};

Built build(SessionOptions opt = sampled()) {
    Built b;
    b.s        = tiny::make_session(tiny::load_tiny_with_vocab(), opt);
    Session& s = *b.s;
    EXPECT_TRUE(s.set_prompt_ids(kPrompt).ok());
    EXPECT_TRUE(s.prefill().ok());
    b.t.sync(s);
    for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(s.step().ok());
        b.t.sync(s);
    }
    b.first_leaf        = b.t.current();
    const int at        = int(kPrompt.size()) + 1;
    const int32_t other = s.steps()[size_t(at)]->token == 7 ? 8 : 7;
    EXPECT_TRUE(s.branch(at, other).ok());
    b.t.sync(s);
    for (int i = 0; i < 2; ++i) {
        EXPECT_TRUE(s.step().ok());
        b.t.sync(s);
    }
    b.forced_leaf = b.t.current();
    EXPECT_TRUE(s.rewind(1).ok());
    b.t.sync(s);
    sample::SamplerSettings hot = s.sampler().settings();
    hot.temp                    = 2.5f;
    hot.seed                    = 77;
    EXPECT_TRUE(s.set_sampler(hot).ok());
    for (int tries = 0; tries < 20 && s.steps().back()->next_token == b.t.nodes()[size_t(b.forced_leaf)].token; ++tries)
        EXPECT_TRUE(s.resample(/*fresh_draw=*/true).ok());
    EXPECT_TRUE(s.step().ok());
    b.t.sync(s);
    b.resampled = b.t.current();
    return b;
}

TEST(BranchTree, EditsAddNodesAndKeepTheOldContinuation) {
    Built b             = build();
    const BranchTree& t = b.t;
    const int n         = int(kPrompt.size());
    EXPECT_EQ(t.n_alive(), n + 3 + 3 + 1);  // prompt, 3 steps, forced + 2 steps, 1 resampled step
    EXPECT_EQ(t.leaves().size(), 3u);
    EXPECT_NE(b.resampled, b.forced_leaf);
    EXPECT_EQ(t.nodes()[size_t(b.resampled)].parent, t.nodes()[size_t(b.forced_leaf)].parent);
    ASSERT_TRUE(t.nodes()[size_t(b.resampled)].settings.has_value());
    EXPECT_EQ(t.nodes()[size_t(b.resampled)].settings->temp, 2.5f);  // the settings that proposed it
    // The branch point (position n + 1) has two children: the sampled one and the forced one.
    const auto first = t.path_to(b.first_leaf), forced = t.path_to(b.forced_leaf);
    EXPECT_EQ(first[size_t(n)], forced[size_t(n)]);
    EXPECT_NE(first[size_t(n + 1)], forced[size_t(n + 1)]);
    EXPECT_EQ(t.nodes()[size_t(forced[size_t(n + 1)])].source, TokenSource::Forced);
    EXPECT_TRUE(t.can_undo());
}

TEST(BranchTree, SwitchingToEveryNodeGivesAFreshRunsLogits) {
    Built b = build(sampled(/*n_batch=*/2));  // suffixes longer than a batch
    for (int id = 0; id < int(b.t.nodes().size()); ++id) {
        ASSERT_TRUE(b.t.switch_to(*b.s, id).ok());
        expect_on(b.t, *b.s, id);
    }
    // Switching keeps the shared prefix: from one leaf to another only the divergent suffix is new.
    ASSERT_TRUE(b.t.switch_to(*b.s, b.first_leaf).ok());
    const StepTracePtr shared = b.s->steps()[kPrompt.size()];
    ASSERT_TRUE(b.t.switch_to(*b.s, b.forced_leaf).ok());
    EXPECT_EQ(b.s->steps()[kPrompt.size()], shared);  // the same trace object: not evaluated again
    expect_on(b.t, *b.s, b.forced_leaf);
}

TEST(BranchTree, UndoRedoOfSwitchAddAndDelete) {
    Built b       = build();
    BranchTree& t = b.t;
    Session& s    = *b.s;
    ASSERT_TRUE(t.switch_to(s, b.first_leaf).ok());
    ASSERT_TRUE(t.undo(s).ok());  // the switch
    expect_on(t, s, b.resampled);
    ASSERT_TRUE(t.undo(s).ok());  // the resampled step: its node goes
    EXPECT_FALSE(t.alive(b.resampled));
    EXPECT_EQ(t.current(), t.nodes()[size_t(b.resampled)].parent);
    expect_on(t, s, t.current());
    ASSERT_TRUE(t.redo(s).ok());
    EXPECT_TRUE(t.alive(b.resampled));
    expect_on(t, s, b.resampled);
    ASSERT_TRUE(t.redo(s).ok());
    expect_on(t, s, b.first_leaf);
    EXPECT_FALSE(t.redo(s).ok());

    // Deleting the branch the session is on moves to its parent; undo brings it back.
    const int fork = t.path_to(b.forced_leaf)[kPrompt.size() + 1];
    ASSERT_TRUE(t.switch_to(s, b.forced_leaf).ok());
    ASSERT_TRUE(t.delete_branch(s, fork).ok());
    EXPECT_FALSE(t.alive(b.forced_leaf));
    EXPECT_FALSE(t.alive(b.resampled));
    expect_on(t, s, t.nodes()[size_t(fork)].parent);
    EXPECT_EQ(t.leaves().size(), 1u);
    ASSERT_TRUE(t.undo(s).ok());
    EXPECT_TRUE(t.alive(b.forced_leaf));
    expect_on(t, s, b.forced_leaf);
    ASSERT_TRUE(t.redo(s).ok());
    EXPECT_FALSE(t.alive(b.forced_leaf));
    // A new edit clears the redo stack.
    ASSERT_TRUE(t.undo(s).ok());
    ASSERT_TRUE(s.step().ok());
    t.sync(s);
    EXPECT_FALSE(t.can_redo());
}

TEST(BranchTree, EvictedRecordsAreRecomputedOnDemand) {
    SessionOptions opt = sampled();
    auto model         = tiny::load_tiny_with_vocab();
    // Room for the active path's records (11 positions) and one more.
    opt.trace_budget = record_bytes_per_position(model->hp) * (kPrompt.size() + 5);
    Built b          = build(opt);
    BranchTree& t    = b.t;
    ASSERT_TRUE(t.switch_to(*b.s, b.first_leaf).ok());
    ASSERT_TRUE(t.switch_to(*b.s, b.forced_leaf).ok());
    ASSERT_TRUE(t.switch_to(*b.s, b.resampled).ok());
    EXPECT_LE(t.inactive_record_bytes() + b.s->trace_bytes(), opt.trace_budget);
    // The oldest branch (first_leaf's own positions) lost its records, the newest inactive one kept some.
    const BranchNode& old = t.nodes()[size_t(b.first_leaf)];
    ASSERT_NE(old.trace, nullptr);
    EXPECT_EQ(old.trace->record, nullptr);
    EXPECT_NE(t.nodes()[size_t(b.forced_leaf)].trace->record, nullptr);
    ASSERT_TRUE(t.switch_to(*b.s, b.first_leaf).ok());  // recomputed
    expect_on(t, *b.s, b.first_leaf);
    EXPECT_NE(b.s->steps().back()->record, nullptr);
    EXPECT_NE(t.nodes()[size_t(b.first_leaf)].trace->record, nullptr);
}

TEST(BranchTree, PathsRoundTrip) {
    Built b = build();
    ASSERT_TRUE(b.t.switch_to(*b.s, b.t.path_to(b.forced_leaf)[kPrompt.size() + 1]).ok());
    const TreePaths tp = b.t.leaf_paths();
    ASSERT_EQ(tp.paths.size(), 3u);
    EXPECT_EQ(tp.current_len, int(kPrompt.size()) + 2);
    auto back = BranchTree::from_paths(tp);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->n_alive(), b.t.n_alive());
    EXPECT_EQ(back->leaf_paths().paths, tp.paths);
    auto s = tiny::make_session(b.s->model_ptr(), sampled());
    ASSERT_TRUE(back->switch_to(*s, back->current()).ok());
    EXPECT_EQ(s->tokens(), b.s->tokens());
    EXPECT_EQ(*s->logits(), *b.s->logits());

    TreePaths bad   = tp;
    bad.current_len = 99;
    EXPECT_FALSE(BranchTree::from_paths(bad).ok());
    EXPECT_FALSE(BranchTree::from_paths(TreePaths{}).ok());
    bad                    = tp;
    bad.paths[0][0].source = TokenSource::Sampled;
    EXPECT_FALSE(BranchTree::from_paths(bad).ok());
}

TEST(BranchTree, FollowRefusesBadPaths) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab(), sampled());
    EXPECT_FALSE(s->follow({}).ok());
    const std::vector<PathToken> generated_first = {{1, TokenSource::Sampled}};
    EXPECT_FALSE(s->follow(generated_first).ok());
    const std::vector<PathToken> prompt_after = {
        {1, TokenSource::Prompt}, {5, TokenSource::Forced}, {6, TokenSource::Prompt}};
    EXPECT_FALSE(s->follow(prompt_after).ok());
    const std::vector<PathToken> outside = {{1, TokenSource::Prompt}, {999, TokenSource::Forced}};
    EXPECT_FALSE(s->follow(outside).ok());
    // Another prompt: the tree gets a second root, and switching between prompts works both ways.
    BranchTree t;
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    t.sync(*s);
    const int a = t.current();
    ASSERT_TRUE(s->set_prompt_ids({1, 5, 36, 9}).ok());
    ASSERT_TRUE(s->prefill().ok());
    t.sync(*s);
    const int b = t.current();
    EXPECT_EQ(t.roots().size(), 1u);  // they share their first tokens
    ASSERT_TRUE(t.switch_to(*s, a).ok());
    expect_on(t, *s, a);
    EXPECT_EQ(s->prompt(), kPrompt);
    ASSERT_TRUE(t.switch_to(*s, b).ok());
    expect_on(t, *s, b);
    EXPECT_EQ(s->n_prompt(), 4);
    EXPECT_TRUE(s->steps().back()->has_next);
    // b is inside a's prompt: after a, switching to b is a rewind into the prompt, and Reset returns to a's prompt.
    ASSERT_TRUE(t.switch_to(*s, a).ok());
    ASSERT_TRUE(t.switch_to(*s, b).ok());
    EXPECT_EQ(s->prompt(), kPrompt);
    ASSERT_TRUE(s->reset().ok());
    ASSERT_TRUE(s->prefill().ok());
    t.sync(*s);
    expect_on(t, *s, a);
}

}  // namespace
}  // namespace ts::core

namespace ts::core {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const Snapshot> done(EngineWorker& w, uint64_t ticket) {
    EXPECT_TRUE(w.wait_for(ticket, 20s));
    return w.snapshot();
}

// The worker records every command's path in the tree and publishes it as rows; tree commands switch, undo, redo,
// delete and compare.
TEST(BranchTreeWorker, CommandsAndSnapshotRows) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab(), sampled()));
    w.push(cmd::SetPrompt{"", kPrompt});
    w.push(cmd::Run{3});
    auto snap = done(w, w.push(cmd::Branch{int(kPrompt.size()) + 1, 7}));
    snap      = done(w, w.push(cmd::Run{2}));
    ASSERT_NE(snap->branches, nullptr);
    const BranchView& v = *snap->branches;
    ASSERT_EQ(v.rows.size(), 3u);  // the shared prefix, then the two continuations
    EXPECT_EQ(v.rows[0].first_pos, 0);
    EXPECT_EQ(int(v.rows[0].nodes.size()), int(kPrompt.size()) + 1);
    EXPECT_EQ(v.rows[1].indent, 1);
    EXPECT_EQ(v.rows[1].parent_row, 0);
    EXPECT_EQ(v.n_leaves, 2);
    EXPECT_TRUE(v.can_undo);
    const BranchRow forced = v.rows[2].tokens.front() == 7 ? v.rows[2] : v.rows[1];  // copies: snap moves on
    const BranchRow first  = v.rows[2].tokens.front() == 7 ? v.rows[1] : v.rows[2];
    EXPECT_TRUE(forced.on_path);
    EXPECT_EQ(forced.current, int(forced.nodes.size()) - 1);
    EXPECT_FALSE(first.on_path);
    EXPECT_EQ(forced.sources.front(), TokenSource::Forced);
    EXPECT_LT(first.log_p, 0.0);

    snap = done(w, w.push(cmd::SwitchBranch{first.nodes.back()}));
    EXPECT_TRUE(snap->error.empty()) << snap->error;
    EXPECT_EQ(snap->branches->current, first.nodes.back());
    EXPECT_EQ(snap->steps.back()->token, first.tokens.back());
    snap = done(w, w.push(cmd::UndoTree{}));
    EXPECT_EQ(snap->branches->current, forced.nodes.back());
    EXPECT_TRUE(snap->branches->can_redo);
    snap = done(w, w.push(cmd::RedoTree{}));
    EXPECT_EQ(snap->branches->current, first.nodes.back());

    snap = done(w, w.push(cmd::CompareBranches{first.nodes.back(), forced.nodes.back(), -1}));
    ASSERT_NE(snap->comparison, nullptr);
    EXPECT_EQ(snap->comparison->n_shared, int(kPrompt.size()) + 1);
    EXPECT_EQ(snap->comparison->positions.front().kl, 0.0);
    EXPECT_EQ(snap->compare_a, first.nodes.back());

    snap = done(w, w.push(cmd::DeleteBranch{forced.nodes.front()}));
    EXPECT_EQ(snap->branches->rows.size(), 1u);
    EXPECT_EQ(snap->comparison, nullptr);  // one of its nodes is gone
    snap = done(w, w.push(cmd::SwitchBranch{9999}));
    EXPECT_FALSE(snap->error.empty());

    // A saved tree (its paths, as the snapshot publishes them) loaded into a fresh worker lands on the same node.
    snap                  = done(w, w.push(cmd::UndoTree{}));  // the deleted branch back
    const TreePaths saved = snap->branches->paths;
    ASSERT_EQ(saved.paths.size(), 2u);
    EngineWorker w2(tiny::make_session(tiny::load_tiny_with_vocab(), sampled()));
    auto snap2 = done(w2, w2.push(cmd::SetTree{saved}));
    EXPECT_TRUE(snap2->error.empty()) << snap2->error;
    EXPECT_EQ(snap2->branches->paths.paths, saved.paths);
    ASSERT_EQ(snap2->steps.size(), snap->steps.size());
    for (size_t i = 0; i < snap->steps.size(); ++i) EXPECT_EQ(snap2->steps[i]->token, snap->steps[i]->token);
    EXPECT_EQ(*snap2->logits, *snap->logits);
    TreePaths bad         = saved;
    bad.paths[0][1].token = 999;  // outside the vocabulary: refused, the tree stays
    snap2                 = done(w2, w2.push(cmd::SetTree{bad}));
    EXPECT_FALSE(snap2->error.empty());
    EXPECT_EQ(snap2->branches->paths.paths, saved.paths);
}

// A saved exploration holds the tree: the session's path first (what restore replays exactly), the other leaves after
// it; a worker that restores the file lands on the same tokens and logits with the same tree around them.
TEST(BranchTreeWorker, AnExplorationKeepsTheTree) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab(), sampled()));
    w.push(cmd::SetPrompt{"", kPrompt});
    w.push(cmd::Run{3});
    done(w, w.push(cmd::Branch{int(kPrompt.size()) + 1, 7}));
    auto snap = done(w, w.push(cmd::Run{2}));
    ASSERT_EQ(snap->branches->paths.paths.size(), 2u);
    Exploration e = make_exploration("tiny.gguf", snap->steps, kPrompt, "", sampled().sampler, {}, Json::object());
    add_tree_paths(e, snap->branches->paths);
    ASSERT_EQ(e.paths.size(), 2u);  // the session's path, and the branch it left
    auto back = parse_exploration(exploration_json(e), "tree.tscope");
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(tree_paths_of(*back).paths.size(), 2u);

    EngineWorker w2(tiny::make_session(tiny::load_tiny_with_vocab(), sampled()));
    auto snap2 = done(w2, w2.push(cmd::Restore{std::make_shared<const Exploration>(std::move(*back))}));
    EXPECT_TRUE(snap2->error.empty()) << snap2->error;
    ASSERT_EQ(snap2->steps.size(), snap->steps.size());
    for (size_t i = 0; i < snap->steps.size(); ++i) EXPECT_EQ(snap2->steps[i]->token, snap->steps[i]->token);
    EXPECT_EQ(*snap2->logits, *snap->logits);
    auto leaves = [](const TreePaths& tp) {  // as token lists, in a fixed order
        std::vector<std::vector<int32_t>> out;
        for (const auto& p : tp.paths) {
            auto& o = out.emplace_back();
            for (const PathToken& t : p) o.push_back(t.token);
        }
        std::sort(out.begin(), out.end());
        return out;
    };
    EXPECT_EQ(leaves(snap2->branches->paths), leaves(snap->branches->paths));
    EXPECT_EQ(snap2->branches->n_leaves, 2);

    // A file of one path restores a tree of that path alone.
    Exploration single = make_exploration("tiny.gguf", snap->steps, kPrompt, "", sampled().sampler, {}, Json::object());
    snap2              = done(w2, w2.push(cmd::Restore{std::make_shared<const Exploration>(single)}));
    EXPECT_EQ(snap2->branches->n_leaves, 1);
}

}  // namespace
}  // namespace ts::core

namespace ts::core {
namespace {

// The memory a 10-branch tree of 256 tokens holds on the default model (issue 15's report): the session's records and
// KV cache for the active path, the other branches' records, the nodes. Checks that they stay within the trace
// budget and prints the figures.
TEST(BranchTreeMemory, TenBranchesOf256TokensOnTheDefaultModel) {
    auto m = load_model(std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf");
    if (!m) GTEST_SKIP() << "no default model: " << m.error().message;
    SessionOptions opt;
    opt.n_ctx = 512;
    auto s    = Session::create(*m, opt).value();
    BranchTree t;
    ASSERT_TRUE(s->set_prompt("And God said").ok());
    ASSERT_TRUE(s->prefill().ok());
    // 256 tokens per branch with TS_TREE_MEMORY_FULL=1 (about a minute on a loaded 2-core machine), else 64.
    const char* full = std::getenv("TS_TREE_MEMORY_FULL");
    const int kLen   = full && *full == '1' ? 256 : 64;
    auto fill        = [&] {
        while (s->n_pos() < kLen) ASSERT_TRUE(s->step().ok());
        t.sync(*s);
    };
    fill();
    for (int b = 1; b < 10; ++b) {  // forks spread over the sequence, each grown to 256 tokens
        const int pos       = s->n_prompt() + b * (kLen - s->n_prompt() - 8) / 10;
        const int32_t other = s->steps()[size_t(pos)]->token == 100 + b ? 200 + b : 100 + b;
        ASSERT_TRUE(s->branch(pos, other).ok());
        fill();
    }
    EXPECT_EQ(t.leaves().size(), 10u);
    const size_t per_pos = record_bytes_per_position(s->model().hp);
    std::printf("default model: %d nodes, records %zu B/position\n", t.n_alive(), per_pos);
    std::printf(
        "session (active path of %d): records %zu B, KV cache %zu B used (%zu B allocated), logits kept %zu B\n",
        s->n_pos(), s->trace_bytes(), s->cache().bytes_used(), s->cache().bytes_capacity(),
        size_t(opt.keep_logits) * size_t(s->model().hp.n_vocab) * sizeof(float));
    // The rest of each node's StepTrace (sampler stage views, layer norms), shared with the session on the active path.
    size_t trace_rest = 0;
    for (const BranchNode& n : t.nodes()) {
        if (!n.trace) continue;
        trace_rest += sizeof(StepTrace) + n.trace->layers.capacity() * sizeof(LayerStep);
        for (const sample::StageView& st : n.trace->sampler.stages)
            trace_rest += sizeof(st) + st.top.capacity() * sizeof(sample::TokenProb);
    }
    std::printf("other branches: records %zu B; tree nodes %zu B; traces without records (all nodes) %zu B\n",
                t.inactive_record_bytes(), t.node_bytes(), trace_rest);
    EXPECT_LE(s->trace_bytes() + t.inactive_record_bytes(), opt.trace_budget);
    // Every node's record is kept (the default budget holds them all): one per distinct position.
    EXPECT_EQ(s->trace_bytes() + t.inactive_record_bytes(), size_t(t.n_alive()) * per_pos);
}

}  // namespace
}  // namespace ts::core
