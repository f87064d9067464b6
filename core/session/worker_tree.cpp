// EngineWorker: the branch tree's commands (worker.hpp, branch_tree.hpp).
#include <algorithm>

#include "core/session/worker.hpp"

namespace ts::core {

void EngineWorker::sync_tree() {
    tree_.sync(*session_);
    auto v = std::make_shared<const BranchView>(branch_view(tree_));
    // A comparison stays while both its nodes are alive.
    if (comparison_ && (!tree_.alive(compare_a_) || !tree_.alive(compare_b_))) {
        comparison_.reset();
        compare_a_ = compare_b_ = -1;
    }
    branches_ = std::move(v);
}

bool EngineWorker::handle_tree(Command& c) {
    Session& s = *session_;
    Status st;
    if (auto* sw = std::get_if<cmd::SwitchBranch>(&c)) {
        st = tree_.switch_to(s, sw->node, long_op());
    } else if (auto* d = std::get_if<cmd::DeleteBranch>(&c)) {
        st = tree_.delete_branch(s, d->node, long_op());
    } else if (auto* set = std::get_if<cmd::SetTree>(&c)) {
        auto t = BranchTree::from_paths(set->paths);
        if (!t) {
            note(t.error());
            return true;
        }
        BranchTree old = std::move(tree_);
        tree_          = std::move(*t);
        st             = tree_.switch_to(s, tree_.current(), long_op());
        if (!st.ok() && st.error().code != Code::kCancelled) tree_ = std::move(old);  // a tree that does not fit
        comparison_.reset();
        compare_a_ = compare_b_ = -1;
    } else if (std::holds_alternative<cmd::UndoTree>(c)) {
        st = tree_.undo(s, long_op());
    } else if (std::holds_alternative<cmd::RedoTree>(c)) {
        st = tree_.redo(s, long_op());
    } else if (auto* cb = std::get_if<cmd::CompareBranches>(&c)) {
        if (!tree_.alive(cb->node_a) || !tree_.alive(cb->node_b)) {
            note(make_error(Code::kInvalidArgument, "compare: nodes %d and %d are not both in the branch tree",
                            cb->node_a, cb->node_b));
            return true;
        }
        auto ids = [&](int node) {
            std::vector<int32_t> out;
            for (const PathToken& t : tree_.path_tokens(node)) out.push_back(t.token);
            return out;
        };
        // The nodes' kept records give their positions' logits (a plain forward pass's: none while intervening).
        auto kept = [&](int node) {
            std::vector<StepTracePtr> out;
            if (s.intervening()) return out;
            for (int id : tree_.path_to(node)) out.push_back(tree_.nodes()[size_t(id)].trace);
            return out;
        };
        const auto a = ids(cb->node_a), b = ids(cb->node_b);
        const int last = int(std::min(a.size(), b.size())) - 1;
        const int pos  = cb->pos < 0 ? last : std::min(cb->pos, last);
        auto r         = compare_branches(s.model(), a, b, pos, s.pool(), kept(cb->node_a), kept(cb->node_b));
        if (r) {
            comparison_ = std::make_shared<const BranchComparison>(std::move(*r));
            compare_a_  = cb->node_a;
            compare_b_  = cb->node_b;
            note({});
        } else {
            note(r.error());
        }
        return true;
    } else {
        return false;
    }
    note(st);
    publish(true);
    sync_tree();
    return true;
}

}  // namespace ts::core
