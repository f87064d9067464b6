// BranchTree: every path a session has taken (ARCHITECTURE §3, issue 15 "Explore without losing anything"). The
// Session keeps ONE active path — its KV cache, records and logits; the tree remembers all of them as nodes (a token,
// where it came from, its probability, the sampler settings that proposed it) with children and a current node.
//
//   BranchTree tree;
//   tree.sync(s);                  // after any session edit: its path is added (new nodes, or a switch)
//   s.branch(5, id); tree.sync(s); // the old continuation stays in the tree as a sibling
//   tree.switch_to(s, node);       // s.follow(path): shared prefix kept, divergent suffix evaluated (batched)
//   tree.undo(s); tree.redo(s);    // tree edits: add nodes / switch / delete a branch
//
// Nodes are identified by (parent, token): stepping, forcing, resampling then stepping, or a settings change that
// changes the proposal that is then stepped all add a node beside the old continuation instead of destroying it.
// Node ids never change; deleted nodes stay in the list (alive = false) so that undo can bring them back.
//
// Records: each node keeps the StepTrace it had when last evaluated. The active path's traces are the session's own
// (shared pointers, no copy); the other branches' records count against what the session's trace budget leaves, the
// least recently active dropped first (the node keeps the rest of its trace); switching to a node evaluates its path
// again, so a dropped record is recomputed on demand — with the same logits, bit for bit. A new intervention list
// drops the other branches' records (they are of another forward pass); a branch comparison reuses the records kept.
//
// A tree serialises as its root-to-leaf paths (each a token list with sources and probabilities) plus the current
// node (leaf_paths / from_paths): the .tscope file's "paths" array.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.hpp"
#include "core/session/session.hpp"

namespace ts::core {

struct BranchNode {
    int parent         = -1;  // -1: a first token (each prompt's first token is a root)
    int depth          = 0;   // its position
    int32_t token      = -1;
    TokenSource source = TokenSource::Prompt;
    float p            = std::nanf("");  // StepTrace::p_token when it was (last) evaluated
    // The settings of the proposal at the position before that chose the token (for a sampled token drawn again
    // with other settings, the last one that drew it); unset for a prompt token or where not known.
    std::optional<sample::SamplerSettings> settings;
    std::vector<int> children;  // in the order they were added (dead ones included)
    bool alive = true;
    StepTracePtr trace;     // as last evaluated (null: never, e.g. read from a file)
    uint64_t last_use = 0;  // when it was last on the active path (the record budget drops the oldest first)
};

// The tree as paths: every root-to-leaf path, and the current node as (path, length): the first `current_len`
// tokens of paths[current_path].
struct TreePaths {
    std::vector<std::vector<PathToken>> paths;
    int current_path = -1;
    int current_len  = 0;
};

// The tree as rows for a view (the Branches panel): each row is a chain of nodes between forks — a root or a child of
// a node with several children, down to the next fork or a leaf — indented one step deeper than the row it forks
// from, rows in depth-first order.
struct BranchRow {
    std::vector<int> nodes;  // node ids, the first at position first_pos
    std::vector<int32_t> tokens;
    std::vector<float> p;  // each token's probability when it was chosen (NaN: a prompt token or unknown)
    std::vector<TokenSource> sources;
    int first_pos  = 0;
    int indent     = 0;
    int parent_row = -1;     // the row it forks from
    double log_p   = 0;      // Σ log p over the row's tokens that have a probability (its joint probability, as a log)
    int current    = -1;     // index in nodes of the current node, when it is in this row
    bool on_path   = false;  // some node of the row is on the current path
};

struct BranchView {
    std::vector<BranchRow> rows;
    int current   = -1;  // node id
    int n_nodes   = 0;   // alive
    int n_leaves  = 0;
    bool can_undo = false, can_redo = false;
    size_t inactive_record_bytes = 0;
    TreePaths paths;  // the tree as a saved exploration holds it (BranchTree::leaf_paths)
};

class BranchTree;
BranchView branch_view(const BranchTree& t);

class BranchTree {
public:
    enum class EditKind : uint8_t { Add, Switch, Delete };
    struct Edit {
        EditKind kind = EditKind::Add;
        std::vector<int> nodes;  // added or deleted
        int from = -1, to = -1;  // the current node before and after
    };

    // Records the session's evaluated path (nothing while prompt tokens are pending): nodes it lacks are added (one
    // Add edit), and a current node that changed otherwise is a Switch edit. The first path of an empty tree is
    // not an edit (there is nothing to undo to).
    void sync(const Session& s);
    // Makes `node`'s path the session's (Session::follow) and records a Switch edit.
    [[nodiscard]] Status switch_to(Session& s, int node, const LongOp& op = {});
    // Deletes `node` and everything below it (a Delete edit); when the current node is among them, the session
    // switches to node's parent first. Errors: the last root, an unknown or deleted node.
    [[nodiscard]] Status delete_branch(Session& s, int node, const LongOp& op = {});
    [[nodiscard]] Status undo(Session& s, const LongOp& op = {});
    [[nodiscard]] Status redo(Session& s, const LongOp& op = {});
    bool can_undo() const { return !undo_.empty(); }
    bool can_redo() const { return !redo_.empty(); }
    void clear();

    const std::vector<BranchNode>& nodes() const { return nodes_; }
    int current() const { return current_; }
    bool alive(int node) const { return node >= 0 && node < int(nodes_.size()) && nodes_[size_t(node)].alive; }
    std::vector<int> roots() const;            // alive first tokens
    std::vector<int> path_to(int node) const;  // node ids, root first
    std::vector<PathToken> path_tokens(int node) const;
    std::vector<int> leaves() const;  // alive nodes without alive children, in depth-first order
    int n_alive() const;

    // Records of the branches not on the active path: their bytes, and the cap (what the session's trace budget
    // leaves beyond its own records; set by sync).
    size_t inactive_record_bytes() const;
    size_t node_bytes() const;  // the nodes themselves and their traces without records (an estimate)

    TreePaths leaf_paths() const;
    // A tree of those paths (shared prefixes become one node), current node as given; no traces (switch_to the
    // current node to evaluate it). Errors: no path, an empty path, a current node outside the paths.
    [[nodiscard]] static Result<BranchTree> from_paths(const TreePaths& tp);

private:
    // Any child (alive or not) of `parent` with that token, prompt or not as asked, or -1.
    int child(int parent, int32_t token, bool prompt) const;
    int add(int parent, const PathToken& t);
    void set_alive(const std::vector<int>& nodes, bool alive);
    std::vector<int> subtree(int node) const;
    Status go(Session& s, int node, const LongOp& op);  // switch without an edit
    std::vector<int> walk(const Session& s);            // the session's path into the tree: nodes added or revived
    void adopt(const Session& s);                       // use times of the active path, the record budget
    void push(Edit e);

    std::vector<BranchNode> nodes_;
    int current_   = -1;
    uint64_t tick_ = 0;
    size_t budget_ = 0;
    std::vector<Intervention> interventions_;  // the session's list the records were made with
    std::vector<Edit> undo_, redo_;
};

}  // namespace ts::core
