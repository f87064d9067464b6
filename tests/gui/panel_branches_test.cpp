// The Branches panel over a real engine: a forced token keeps the old continuation (two branches as indented rows),
// the keyboard moves between siblings and along a branch, Enter switches the session, Ctrl+Z / Ctrl+Shift+Z undo
// and redo, and "Compare with current" draws the comparison.
#include <gtest/gtest.h>

#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

using test::kEnter, test::kLeft, test::kUp;  // GLFW key codes (panel_fixture.hpp maps them)

class BranchesFrames : public test::PanelFrames {
protected:
    void settle() {
        ASSERT_TRUE(ui_.bridge.wait_for(ui_.bridge.last_ticket(), std::chrono::seconds(20)));
        shell_frame();
        shell_frame();
    }
    const core::BranchView& tree() const { return *ui_.snap->branches; }
};

TEST_F(BranchesFrames, TwoBranchesKeysSwitchUndoAndCompare) {
    start("the model", 6);
    const int n      = int(ui_.snap->steps.size());
    const int fork   = n - 3;
    const int32_t id = ui_.snap->steps[size_t(fork)]->token == 7 ? 8 : 7;
    branch_token(ui_, fork, id);  // what a click on a candidate in Logits does
    ui_.bridge.push(core::cmd::Run{2});
    wait(ui_.bridge.last_ticket());
    ui_.tab_request = CenterTab::Branches;
    shell_frame();
    settle();
    ASSERT_EQ(ui_.tab_shown, CenterTab::Branches);
    EXPECT_TRUE(branch_keys_active(ui_));
    ASSERT_EQ(tree().rows.size(), 3u);  // the shared part, the old continuation, the forced one
    EXPECT_EQ(tree().n_leaves, 2);
    const int forced_leaf = tree().current;
    EXPECT_GT(frame(draw_branches_panel), 1000);

    // ↑ goes to the sibling branch (the old continuation); Enter switches the session to it.
    press(kUp);
    press(kEnter);
    settle();
    EXPECT_NE(tree().current, forced_leaf);
    EXPECT_EQ(ui_.snap->steps[size_t(fork)]->source, core::TokenSource::Sampled);
    EXPECT_EQ(ui_.snap->steps.size(), size_t(n));
    // ← twice then Enter: two positions back along the branch (a switch to an ancestor).
    press(kLeft);
    press(kLeft);
    press(kEnter);
    settle();
    EXPECT_EQ(ui_.snap->steps.size(), size_t(n - 2));
    // Ctrl+Z undoes the switches, Ctrl+Shift+Z redoes one.
    ImGui::GetIO().KeyCtrl = true;
    press('Z');
    settle();
    EXPECT_EQ(ui_.snap->steps.size(), size_t(n));
    press('Z');
    settle();
    EXPECT_EQ(tree().current, forced_leaf);
    press('Z', /*shift=*/true);
    settle();
    ImGui::GetIO().KeyCtrl = false;
    EXPECT_NE(tree().current, forced_leaf);
    // The arrows did not step or rewind the session while the Branches tab was shown.
    EXPECT_EQ(ui_.snap->steps.size(), size_t(n));

    const int without = frame(draw_branches_panel);
    compare_branches(ui_, forced_leaf, tree().current);
    settle();
    ASSERT_NE(ui_.snap->comparison, nullptr);
    EXPECT_EQ(ui_.snap->comparison->n_shared, fork);
    EXPECT_GT(frame(draw_branches_panel), without + 500);  // the aligned table and the three grids
}

}  // namespace
}  // namespace ts::app
