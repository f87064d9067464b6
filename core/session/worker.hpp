// EngineWorker: the engine thread of ARCHITECTURE §4. It owns the Session; nothing else touches it. The UI pushes small
// commands (a std::variant) into a CommandQueue and reads immutable Snapshots that the worker publishes through
// std::atomic<std::shared_ptr<const Snapshot>> after every command and every generated token. A Snapshot holds
// shared_ptrs to the (immutable) StepTraces, so publishing copies pointers, not traces. The UI never waits on a
// forward pass: snapshot() is one atomic load.
//
//   EngineWorker w(std::move(session));
//   w.push(cmd::SetPrompt{"Once upon a time"});     // prefill runs on the worker
//   w.push(cmd::Run{64});
//   ... each frame: auto snap = w.snapshot(); if (snap->version != seen) rebuild the panel's view of it
//   w.cancel();                                     // stops a prefill between batches, a run between tokens
//
// Derived numbers (derive.hpp) need the KV cache, which only the worker may read, so the UI names what it shows
// with cmd::SetFocus and the worker publishes them in Snapshot::derived when it is idle, and also between the tokens
// of a run (at most every Focus::live_interval_ms, and at most a fifth of the run's time) so heatmaps move with it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "core/session/atlas_job.hpp"
#include "core/session/branch_tree.hpp"
#include "core/session/command_queue.hpp"
#include "core/session/exploration.hpp"
#include "core/session/model_compare_job.hpp"
#include "core/session/session.hpp"
#include "core/trace/branch_compare.hpp"
#include "core/trace/geometry.hpp"

namespace ts::core {

// What the UI looks at; the worker derives it exactly when the focus or the trace changes.
struct Focus {
    int layer                = 0;
    int head                 = 0;
    int query_pos            = -1;     // -1: the newest position
    int lens_pos             = -1;     // -1: the query position
    bool row                 = true;   // the score row of (layer, head, query_pos) and its softmax
    bool matrix              = true;   // the T×T matrix of (layer, head)
    bool summary             = false;  // mean / max over the heads of `layer` (n_head matrices: costly on large models)
    bool all_heads           = false;  // the T×T matrix of every head of `layer` (the explorer's small multiples)
    bool lens                = true;   // the logit lens of lens_pos
    bool journey             = false;  // every stage of query_pos, replayed (the explorer's Journey panel)
    bool geometry            = false;  // PCA of the context and the candidates of query_pos (the Geometry panel)
    int geometry_candidates  = 6;
    int32_t neighbours_of    = -1;  // a token whose nearest neighbours in embedding space are wanted (-1: none)
    int n_neighbours         = 12;
    int lens_top             = 10;
    int max_matrix_positions = 1024;  // matrix and summary are skipped beyond this many positions
    int live_interval_ms     = 100;   // during a run, derive again at most this often (0: after every token the
                                      // duty limit allows; < 0: only when idle)
    AtlasFocus atlas;                 // the head atlas job (atlas_job.hpp): worked on when idle, in Snapshot::atlas
    bool operator==(const Focus&) const = default;
};

struct Derived {
    Focus focus;          // as asked
    int query_pos  = -1;  // resolved
    int lens_pos   = -1;  // resolved
    uint64_t state = 0;   // Snapshot::state it was derived from
    bool has_row = false, has_matrix = false, has_summary = false, has_lens = false;
    derive::AttnRow row;
    derive::AttnMatrix matrix;
    derive::HeadSummary summary;
    bool has_heads = false;
    std::vector<derive::AttnMatrix> heads;  // [n_head], when focus.all_heads
    std::vector<derive::LensLayer> lens;
    std::shared_ptr<const Journey> journey;  // when focus.journey: of query_pos (kept while state and position hold)
    std::shared_ptr<const derive::Geometry> geometry;      // when focus.geometry (kept while state and position hold)
    std::shared_ptr<const derive::Neighbours> neighbours;  // when focus.neighbours_of >= 0 (kept for the same token)
    std::string error;  // why something asked for is missing (e.g. a position whose records the budget dropped)
};

enum class Activity : uint8_t { Idle, Prefilling, Running };

struct Snapshot {
    uint64_t version       = 0;  // increases with every publish
    uint64_t state         = 0;  // increases when the sequence / trace changed (not for progress-only publishes)
    uint64_t commands_done = 0;  // ticket of the last command handled
    std::shared_ptr<const Model> model;                // the session's model
    std::vector<StepTracePtr> steps;                   // [pos]
    std::shared_ptr<const std::vector<float>> logits;  // of the newest position: the UI may run_chain() on it
    int n_prompt = 0, n_pending = 0, n_ctx = 0;
    std::vector<int32_t> prompt;     // the prompt as set (Session::prompt(): what Reset returns to; a branch's own)
    DType kv_type     = DType::F32;  // the KV cache's element type (F32 or F16)
    bool context_full = false, end_of_text = false;
    sample::SamplerSettings settings;
    Activity activity    = Activity::Idle;
    StopReason last_stop = StopReason::Count;  // why the last run stopped
    std::string error;  // the last failed command's message; cleared by the next command that succeeds
    size_t trace_bytes = 0, trace_budget = 0;
    std::shared_ptr<const Derived> derived;
    bool derived_pending = false;  // the worker owes derived numbers for this state / focus (it derives when idle)
                                   // or work on the head atlas (Focus::atlas)
    std::shared_ptr<const AtlasState> atlas;  // the head atlas job's results and progress (never null)
    uint64_t live_derivations = 0;  // how many times derived numbers were refreshed between the tokens of a run
    // The session's interventions (never null; empty when none), and, while one is enabled, the newest position's
    // next-token distribution against the clean run (Δ logit, Δp per candidate, KL; null otherwise).
    std::shared_ptr<const std::vector<Intervention>> interventions;
    std::shared_ptr<const sample::LogitDiff> diff;
    // The cache's rows now, at the focus's query position and at position 0 (the KV panel compares them with the
    // digest the step took when it stored them: StepTrace::kv_written).
    std::vector<KvRowDigest> kv_now;
    // The branch tree (branch_tree.hpp) as rows, never null; and the last branch comparison asked for (null: none,
    // or the tree changed since).
    std::shared_ptr<const BranchView> branches;
    std::shared_ptr<const BranchComparison> comparison;
    int compare_a = -1, compare_b = -1;  // the nodes compared
    // The second model (cmd::CompareWith) and its comparison with the session's model on the session's tokens
    // (model_compare_job.hpp); never null. derived_pending includes a comparison the worker owes.
    std::shared_ptr<const ModelCompareState> model_compare;
};

namespace cmd {
struct SetPrompt {  // forgets everything, sets the prompt and prefills it
    std::string text;
    std::vector<int32_t> ids;  // used instead of text when not empty
};
struct Step {};  // one token (prefills pending prompt tokens first)
struct Run {     // tokens until n, end of text, a full context, or Pause / SetPrompt (commands behind it wait)
    int n = 1 << 30;
};
struct Pause {};  // stops a prefill / run; also what cancel() sends
struct Rewind {
    int k = 1;
};
struct Branch {
    int pos       = 0;
    int32_t token = 0;
};
struct Resample {
    bool fresh_draw = false;
};
struct SetSampler {  // applied live, also during a run
    sample::SamplerSettings settings;
    bool resample = true;  // and re-sample the current proposal with them (no forward pass)
};
struct SetFocus {  // applied live
    Focus focus;
};
struct Reset {};           // back to the prompt as set (Session::reset; the rest of a prompt rewound into is prefilled)
struct SetInterventions {  // the whole list (Session::set_interventions: re-evaluates what it changes)
    std::vector<Intervention> list;
};
struct Stop {};
struct Restore {  // a saved exploration's path, settings and interventions (restore_exploration)
    std::shared_ptr<const Exploration> exploration;
};
// The branch tree (branch_tree.hpp). Every command that changes the sequence is recorded in the tree as it ends
// (one edit per command: a Run's tokens are one edit).
struct SwitchBranch {  // the session follows that node's path (shared prefix kept, the rest evaluated)
    int node = -1;
};
struct DeleteBranch {
    int node = -1;
};
struct SetTree {  // replaces the tree (a saved exploration, BranchTree::from_paths) and switches to its current node
    TreePaths paths;
};
struct UndoTree {};
struct RedoTree {};
struct CompareBranches {  // compare_branches() of the paths of two nodes at position pos (-1: the last both have)
    int node_a = -1, node_b = -1;
    int pos = -1;
};
struct CompareWith {  // a second model of the same vocabulary, compared on the session's tokens (null: closes it)
    std::shared_ptr<const Model> model;
};
}  // namespace cmd

using Command = std::variant<cmd::SetPrompt, cmd::Step, cmd::Run, cmd::Pause, cmd::Rewind, cmd::Branch, cmd::Resample,
                             cmd::SetSampler, cmd::SetFocus, cmd::Reset, cmd::Stop, cmd::SetInterventions, cmd::Restore,
                             cmd::SwitchBranch, cmd::DeleteBranch, cmd::SetTree, cmd::UndoTree, cmd::RedoTree,
                             cmd::CompareBranches, cmd::CompareWith>;

class EngineWorker {
public:
    // Starts the thread on `session` (not null; a new model gets a new worker, see app/ui/bridge.hpp).
    // `on_publish`, when given, runs on the worker thread after every snapshot it publishes (a UI wakes its event
    // loop with it instead of polling); it must be cheap and safe to call from another thread.
    explicit EngineWorker(std::unique_ptr<Session> session, std::function<void()> on_publish = {});
    ~EngineWorker();  // stops the thread (cancelling what runs) and joins it
    EngineWorker(const EngineWorker&)            = delete;
    EngineWorker& operator=(const EngineWorker&) = delete;

    // Queues a command; returns its ticket (Snapshot::commands_done reaches it once handled).
    uint64_t push(Command c);
    // Stops a prefill between batches or a run between tokens (a cmd::Pause).
    uint64_t cancel() { return push(cmd::Pause{}); }

    std::shared_ptr<const Snapshot> snapshot() const { return snap_.load(std::memory_order_acquire); }
    // Progress of the prefill / run in flight (tokens done of total), readable any time.
    int progress_done() const { return progress_done_.load(std::memory_order_relaxed); }
    int progress_total() const { return progress_total_.load(std::memory_order_relaxed); }
    Activity activity() const { return activity_.load(std::memory_order_relaxed); }

    // Polls until the command with `ticket` was handled (and, with derived, the derived numbers caught up) or the
    // timeout passes. For tests and command-line tools; the UI reads snapshot() instead.
    bool wait_for(uint64_t ticket, std::chrono::milliseconds timeout, bool derived = false) const;

private:
    void loop();
    bool handle(Command& c);       // false: stop
    bool handle_tree(Command& c);  // the branch tree's commands (worker_tree.cpp); false: not one of them
    void sync_tree();              // records the session's path in the tree and refreshes its rows
    void run_tokens(int n);
    void prefill_pending();
    // Between the tokens of a run: applies SetSampler / SetFocus at once, keeps other commands for after the run;
    // false when the run must stop (Pause, SetPrompt, Stop).
    bool take_live_commands();
    void note(const Status& st);
    void publish(bool state_changed);
    void update_derived();
    bool derived_stale() const;
    void derive_during_run();  // update_derived() between a run's tokens, rate- and duty-limited
    LongOp long_op();
    bool cancel_requested() const;

    std::unique_ptr<Session> session_;
    CommandQueue<Command> queue_;
    std::atomic<std::shared_ptr<const Snapshot>> snap_;
    std::atomic<int> progress_done_{0}, progress_total_{0};
    std::atomic<Activity> activity_{Activity::Idle};
    std::atomic<uint64_t> cancels_pushed_{0};  // Pause / SetPrompt / Stop pushed

    // Worker-thread state.
    uint64_t cancels_seen_ = 0;  // of those, how many the worker has taken from the queue
    uint64_t done_         = 0;
    uint64_t version_      = 0;
    uint64_t state_        = 0;
    std::vector<Command> deferred_;  // taken from the queue during a run, handled after it
    Focus focus_;
    bool focus_changed_ = true;
    std::shared_ptr<const Derived> derived_;
    std::function<void()> on_publish_;  // set before the thread starts, then only read
    std::chrono::steady_clock::time_point next_live_derive_{};
    uint64_t live_derivations_ = 0;
    std::string error_;
    StopReason last_stop_ = StopReason::Count;
    AtlasJob atlas_;  // idle work for Focus::atlas (after session_: destroyed before the model it reads)
    std::shared_ptr<const std::vector<Intervention>> interventions_;  // as published
    std::shared_ptr<const sample::LogitDiff> diff_;
    uint64_t diff_state_ = 0;  // the state diff_ belongs to
    BranchTree tree_;
    std::shared_ptr<const BranchView> branches_;
    std::shared_ptr<const BranchComparison> comparison_;
    int compare_a_ = -1, compare_b_ = -1;
    ModelCompareJob models_;  // the quantisation lens (cmd::CompareWith), worked on when idle

    std::thread thread_;  // last: starts after everything above is constructed
};

}  // namespace ts::core
