// The branch tree's commands (ui_state.hpp, core/session/branch_tree.hpp): each pushes one worker command.
#include <algorithm>

#include "app/ui/ui_state.hpp"

namespace ts::app {

void switch_branch(UiState& ui, int node) {
    if (!ui.bridge.attached() || node < 0) return;
    ui.bridge.push(core::cmd::SwitchBranch{node});
    ui.sel.pos = -1;  // the switched-to node is the newest position: every panel shows it
}

void delete_branch(UiState& ui, int node) {
    if (!ui.bridge.attached() || node < 0) return;
    ui.bridge.push(core::cmd::DeleteBranch{node});
    ui.sel.pos = -1;
}

void undo_tree(UiState& ui) {
    if (!ui.bridge.attached() || !ui.snap || !ui.snap->branches || !ui.snap->branches->can_undo) return;
    ui.bridge.push(core::cmd::UndoTree{});
    ui.sel.pos = -1;
    ui.status  = "Undo (Ctrl+Shift+Z redoes it)";
}

void redo_tree(UiState& ui) {
    if (!ui.bridge.attached() || !ui.snap || !ui.snap->branches || !ui.snap->branches->can_redo) return;
    ui.bridge.push(core::cmd::RedoTree{});
    ui.sel.pos = -1;
    ui.status  = "Redo";
}

void compare_branches(UiState& ui, int node_a, int node_b, int pos) {
    if (!ui.bridge.attached() || node_a < 0 || node_b < 0) return;
    ui.bridge.push(core::cmd::CompareBranches{node_a, node_b, pos});
}

}  // namespace ts::app
