// BranchTree (see branch_tree.hpp).
#include "core/session/branch_tree.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace ts::core {

void BranchTree::clear() {
    nodes_.clear();
    undo_.clear();
    redo_.clear();
    current_ = -1;
}

int BranchTree::child(int parent, int32_t token, bool prompt) const {
    auto match = [&](int id) {
        const BranchNode& n = nodes_[size_t(id)];
        return n.parent == parent && n.token == token && (n.source == TokenSource::Prompt) == prompt;
    };
    if (parent >= 0) {
        for (int c : nodes_[size_t(parent)].children)
            if (match(c)) return c;
        return -1;
    }
    for (int id = 0; id < int(nodes_.size()); ++id)
        if (match(id)) return id;
    return -1;
}

int BranchTree::add(int parent, const PathToken& t) {
    BranchNode n;
    n.parent = parent;
    n.depth  = parent >= 0 ? nodes_[size_t(parent)].depth + 1 : 0;
    n.token  = t.token;
    n.source = t.source;
    n.p      = t.p;
    if (t.source != TokenSource::Prompt) n.settings = t.settings;
    nodes_.push_back(std::move(n));
    const int id = int(nodes_.size()) - 1;
    if (parent >= 0) nodes_[size_t(parent)].children.push_back(id);
    return id;
}

void BranchTree::set_alive(const std::vector<int>& ids, bool alive) {
    for (int id : ids) nodes_[size_t(id)].alive = alive;
}

std::vector<int> BranchTree::roots() const {
    std::vector<int> r;
    for (int id = 0; id < int(nodes_.size()); ++id)
        if (nodes_[size_t(id)].parent < 0 && nodes_[size_t(id)].alive) r.push_back(id);
    return r;
}

std::vector<int> BranchTree::path_to(int node) const {
    std::vector<int> p;
    for (int id = node; id >= 0; id = nodes_[size_t(id)].parent) p.push_back(id);
    std::reverse(p.begin(), p.end());
    return p;
}

std::vector<PathToken> BranchTree::path_tokens(int node) const {
    std::vector<PathToken> p;
    for (int id : path_to(node)) {
        const BranchNode& n = nodes_[size_t(id)];
        p.push_back(PathToken{n.token, n.source, n.p, n.settings});
    }
    return p;
}

std::vector<int> BranchTree::subtree(int node) const {
    std::vector<int> out{node};
    for (size_t i = 0; i < out.size(); ++i)
        for (int c : nodes_[size_t(out[i])].children)
            if (nodes_[size_t(c)].alive) out.push_back(c);
    return out;
}

std::vector<int> BranchTree::leaves() const {
    std::vector<int> out;
    std::function<void(int)> visit = [&](int id) {
        bool any = false;
        for (int c : nodes_[size_t(id)].children)
            if (nodes_[size_t(c)].alive) {
                any = true;
                visit(c);
            }
        if (!any) out.push_back(id);
    };
    for (int r : roots()) visit(r);
    return out;
}

int BranchTree::n_alive() const {
    return int(std::count_if(nodes_.begin(), nodes_.end(), [](const BranchNode& n) { return n.alive; }));
}

std::vector<int> BranchTree::walk(const Session& s) {
    std::vector<int> added;
    int parent = -1;
    for (const StepTracePtr& st : s.steps()) {
        const bool prompt = st->source == TokenSource::Prompt;
        int c             = child(parent, st->token, prompt);
        if (c < 0) {
            PathToken t{st->token, st->source, st->p_token, std::nullopt};
            if (st->pos > 0) t.settings = s.steps()[size_t(st->pos - 1)]->settings;
            c = add(parent, t);
            added.push_back(c);
        } else if (!nodes_[size_t(c)].alive) {
            nodes_[size_t(c)].alive = true;
            added.push_back(c);
        }
        BranchNode& n = nodes_[size_t(c)];
        // A sampled token drawn again by a proposal with other settings (resampled, then stepped to the same token):
        // the node keeps the settings of the last proposal that drew it, as the session's path has them.
        if (st->source == TokenSource::Sampled && st->pos > 0) {
            const StepTrace& prev = *s.steps()[size_t(st->pos - 1)];
            if (prev.has_next && prev.next_token == st->token) n.settings = prev.settings;
        }
        n.trace = st;
        if (!std::isnan(st->p_token)) n.p = st->p_token;
        parent = c;
    }
    current_ = parent;
    return added;
}

void BranchTree::adopt(const Session& s) {
    ++tick_;
    for (int id : path_to(current_)) nodes_[size_t(id)].last_use = tick_;
    // Another intervention list: the other branches' records are of another forward pass (the active path's were
    // evaluated again by the session), so they go.
    const std::vector<Intervention>& ivs = s.interventions();
    const bool same_list                 = ivs.size() == interventions_.size() &&
                           std::equal(ivs.begin(), ivs.end(), interventions_.begin(), [](const auto& a, const auto& b) {
                               return a.same_edit(b) && a.enabled == b.enabled;
                           });
    if (!same_list) {
        for (BranchNode& n : nodes_)
            if (n.last_use != tick_ && n.trace && n.trace->record) {
                auto copy    = std::make_shared<StepTrace>(*n.trace);
                copy->record = nullptr;
                n.trace      = std::move(copy);
            }
        interventions_ = ivs;
    }
    const size_t budget = s.options().trace_budget;
    budget_             = budget > s.trace_bytes() ? budget - s.trace_bytes() : 0;
    // The other branches' records, least recently active first, until they fit.
    std::vector<int> held;
    size_t bytes = 0;
    for (int id = 0; id < int(nodes_.size()); ++id) {
        const BranchNode& n = nodes_[size_t(id)];
        if (n.last_use != tick_ && n.trace && n.trace->record) {
            held.push_back(id);
            bytes += n.trace->record->bytes();
        }
    }
    std::sort(held.begin(), held.end(), [&](int a, int b) {
        return nodes_[size_t(a)].last_use < nodes_[size_t(b)].last_use ||
               (nodes_[size_t(a)].last_use == nodes_[size_t(b)].last_use && a < b);
    });
    for (int id : held) {
        if (bytes <= budget_) break;
        BranchNode& n = nodes_[size_t(id)];
        bytes -= n.trace->record->bytes();
        auto copy    = std::make_shared<StepTrace>(*n.trace);
        copy->record = nullptr;
        n.trace      = std::move(copy);
    }
}

size_t BranchTree::inactive_record_bytes() const {
    size_t bytes = 0;
    for (const BranchNode& n : nodes_)
        if (n.last_use != tick_ && n.trace && n.trace->record) bytes += n.trace->record->bytes();
    return bytes;
}

size_t BranchTree::node_bytes() const {
    size_t bytes = nodes_.capacity() * sizeof(BranchNode);
    for (const BranchNode& n : nodes_) bytes += n.children.capacity() * sizeof(int);
    return bytes;
}

void BranchTree::push(Edit e) {
    undo_.push_back(std::move(e));
    redo_.clear();
}

void BranchTree::sync(const Session& s) {
    if (!s.pending().empty() || s.n_pos() == 0) return;
    const bool first          = n_alive() == 0;
    const int before          = current_;
    const std::vector<int> in = walk(s);
    adopt(s);
    if (first) return;
    if (!in.empty())
        push(Edit{EditKind::Add, in, before, current_});
    else if (before != current_)
        push(Edit{EditKind::Switch, {}, before, current_});
}

Status BranchTree::go(Session& s, int node, const LongOp& op) {
    const std::vector<PathToken> path = path_tokens(node);
    const Status st                   = s.follow(path, op);
    if (s.pending().empty() && s.n_pos() > 0) {  // what was evaluated, also of a cancelled switch
        walk(s);
        adopt(s);
    }
    return st;
}

Status BranchTree::switch_to(Session& s, int node, const LongOp& op) {
    if (!alive(node)) return make_error(Code::kInvalidArgument, "switch: there is no branch node %d", node);
    const int before = current_;
    const Status st  = go(s, node, op);
    if (current_ != before) push(Edit{EditKind::Switch, {}, before, current_});
    return st;
}

Status BranchTree::delete_branch(Session& s, int node, const LongOp& op) {
    if (!alive(node)) return make_error(Code::kInvalidArgument, "delete: there is no branch node %d", node);
    const std::vector<int> gone = subtree(node);
    const int before            = current_;
    if (std::find(gone.begin(), gone.end(), current_) != gone.end()) {
        int target = nodes_[size_t(node)].parent;
        if (target < 0) {  // a whole root: go to another one's first leaf
            for (int leaf : leaves())
                if (path_to(leaf).front() != node) {
                    target = leaf;
                    break;
                }
            if (target < 0) return make_error(Code::kInvalidArgument, "delete: that is the only path");
        }
        TS_TRY(go(s, target, op));
    }
    set_alive(gone, false);
    push(Edit{EditKind::Delete, gone, before, current_});
    return {};
}

Status BranchTree::undo(Session& s, const LongOp& op) {
    if (undo_.empty()) return make_error(Code::kInvalidArgument, "undo: nothing to undo");
    Edit e = undo_.back();
    if (e.kind == EditKind::Delete) set_alive(e.nodes, true);
    const Status st = go(s, e.from, op);
    if (!st.ok()) {
        if (e.kind == EditKind::Delete) set_alive(e.nodes, false);
        return st;
    }
    if (e.kind == EditKind::Add) set_alive(e.nodes, false);
    undo_.pop_back();
    redo_.push_back(std::move(e));
    return {};
}

Status BranchTree::redo(Session& s, const LongOp& op) {
    if (redo_.empty()) return make_error(Code::kInvalidArgument, "redo: nothing to redo");
    Edit e = redo_.back();
    if (e.kind == EditKind::Add) set_alive(e.nodes, true);
    const Status st = go(s, e.to, op);
    if (!st.ok()) {
        if (e.kind == EditKind::Add) set_alive(e.nodes, false);
        return st;
    }
    if (e.kind == EditKind::Delete) set_alive(e.nodes, false);
    redo_.pop_back();
    undo_.push_back(std::move(e));
    return {};
}

TreePaths BranchTree::leaf_paths() const {
    TreePaths tp;
    for (int leaf : leaves()) {
        const std::vector<int> ids = path_to(leaf);
        if (tp.current_path < 0 && std::find(ids.begin(), ids.end(), current_) != ids.end()) {
            tp.current_path = int(tp.paths.size());
            tp.current_len  = nodes_[size_t(current_)].depth + 1;
        }
        tp.paths.push_back(path_tokens(leaf));
    }
    return tp;
}

Result<BranchTree> BranchTree::from_paths(const TreePaths& tp) {
    if (tp.paths.empty()) return make_error(Code::kInvalidArgument, "branch tree: no path");
    if (tp.current_path < 0 || tp.current_path >= int(tp.paths.size()) || tp.current_len < 1 ||
        tp.current_len > int(tp.paths[size_t(tp.current_path)].size()))
        return make_error(Code::kInvalidArgument, "branch tree: the current node (path %d, length %d) is not in it",
                          tp.current_path, tp.current_len);
    BranchTree t;
    for (size_t i = 0; i < tp.paths.size(); ++i) {
        const std::vector<PathToken>& path = tp.paths[i];
        if (path.empty()) return make_error(Code::kInvalidArgument, "branch tree: path %zu is empty", i);
        if (path.front().source != TokenSource::Prompt)
            return make_error(Code::kInvalidArgument, "branch tree: path %zu does not start with a prompt token", i);
        int parent = -1;
        for (size_t k = 0; k < path.size(); ++k) {
            const PathToken& pt = path[k];
            if (pt.source >= TokenSource::kCount)
                return make_error(Code::kInvalidArgument, "branch tree: path %zu token %zu has no valid source", i, k);
            if (k > 0 && pt.source == TokenSource::Prompt && path[k - 1].source != TokenSource::Prompt)
                return make_error(Code::kInvalidArgument,
                                  "branch tree: path %zu token %zu is a prompt token after generated ones", i, k);
            int c = t.child(parent, pt.token, pt.source == TokenSource::Prompt);
            if (c < 0) c = t.add(parent, pt);
            parent = c;
            if (int(i) == tp.current_path && int(k) + 1 == tp.current_len) t.current_ = c;
        }
    }
    return t;
}

}  // namespace ts::core

namespace ts::core {

BranchView branch_view(const BranchTree& t) {
    BranchView v;
    v.current               = t.current();
    v.n_nodes               = t.n_alive();
    v.n_leaves              = int(t.leaves().size());
    v.can_undo              = t.can_undo();
    v.can_redo              = t.can_redo();
    v.inactive_record_bytes = t.inactive_record_bytes();
    v.paths                 = t.leaf_paths();
    const auto& nodes       = t.nodes();
    std::vector<char> on_path(nodes.size(), 0);
    if (t.current() >= 0)
        for (int id : t.path_to(t.current())) on_path[size_t(id)] = 1;
    auto alive_children = [&](int id) {
        std::vector<int> out;
        for (int c : nodes[size_t(id)].children)
            if (nodes[size_t(c)].alive) out.push_back(c);
        return out;
    };
    std::function<void(int, int, int)> row_from = [&](int first, int indent, int parent_row) {
        BranchRow r;
        r.first_pos  = nodes[size_t(first)].depth;
        r.indent     = indent;
        r.parent_row = parent_row;
        std::vector<int> kids;
        for (int id = first;;) {
            const BranchNode& n = nodes[size_t(id)];
            if (id == t.current()) r.current = int(r.nodes.size());
            if (on_path[size_t(id)]) r.on_path = true;
            r.nodes.push_back(id);
            r.tokens.push_back(n.token);
            r.p.push_back(n.source == TokenSource::Prompt ? std::nanf("") : n.p);
            r.sources.push_back(n.source);
            if (n.source != TokenSource::Prompt && n.p > 0) r.log_p += std::log(double(n.p));
            kids = alive_children(id);
            if (kids.size() != 1) break;
            id = kids.front();
        }
        const int me = int(v.rows.size());
        v.rows.push_back(std::move(r));
        for (int c : kids) row_from(c, indent + 1, me);
    };
    for (int root : t.roots()) row_from(root, 0, -1);
    return v;
}

}  // namespace ts::core
