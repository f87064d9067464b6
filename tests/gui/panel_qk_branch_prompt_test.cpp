// Two of issue 15's loose ends in the explorer, over a tiny model's engine: the prompt box shows the prompt of the
// branch on screen (a branch made by editing the prompt, switched to and back, undone and redone; a rewind into the
// prompt keeps the prompt as set), and the Q·K table keeps its columns readable in a narrow panel (a split at 200 %)
// by scrolling sideways instead of cutting them off.
#include <gtest/gtest.h>
#include <imgui.h>
#include <imgui_internal.h>

#include <string>

#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

class BranchPrompt : public test::PanelFrames {
protected:
    void settle() {
        ASSERT_TRUE(ui_.bridge.wait_for(ui_.bridge.last_ticket(), std::chrono::seconds(20)));
        shell_frame();
        shell_frame();
    }
    std::string box() const { return ui_.prompt.data(); }
    // The alive node at the end of the path that does not hold the current node (the other branch's leaf).
    int other_leaf() const {
        for (const core::BranchRow& r : ui_.snap->branches->rows)
            if (!r.on_path && r.indent > 0) return r.nodes.back();
        return -1;
    }
};

TEST_F(BranchPrompt, ThePromptBoxShowsTheSelectedBranchsPrompt) {
    start("the model", 3);
    settle();
    EXPECT_EQ(box(), "the model");
    // A second prompt, typed and run: a branch beside the first (they share "the").
    std::snprintf(ui_.prompt.data(), ui_.prompt.size(), "%s", "the cat");
    ASSERT_TRUE(submit_prompt(ui_));
    ui_.bridge.push(core::cmd::Run{2});
    settle();
    ASSERT_EQ(ui_.snap->branches->n_leaves, 2);
    EXPECT_EQ(box(), "the cat");
    const int cat_leaf = ui_.snap->branches->current;

    // Switching to the first branch: the box shows its prompt, as it was typed; nothing waits to be sent.
    const int model_leaf = other_leaf();
    ASSERT_GE(model_leaf, 0);
    ui_.bridge.push(core::cmd::SwitchBranch{model_leaf});
    settle();
    EXPECT_EQ(ui_.snap->branches->current, model_leaf);
    EXPECT_EQ(box(), "the model");
    EXPECT_FALSE(ui_.prompt_dirty);
    EXPECT_EQ(ui_.applied_prompt, "the model");
    // Step goes on from this branch (it does not send the box as a new prompt).
    const size_t n = ui_.snap->steps.size();
    step_token(ui_);
    settle();
    EXPECT_EQ(ui_.snap->steps.size(), n + 1);
    EXPECT_EQ(box(), "the model");

    // Undo (back onto the switch's origin), redo: the box follows both ways.
    ui_.bridge.push(core::cmd::UndoTree{});
    settle();
    ui_.bridge.push(core::cmd::UndoTree{});
    settle();
    EXPECT_EQ(ui_.snap->branches->current, cat_leaf);
    EXPECT_EQ(box(), "the cat");
    ui_.bridge.push(core::cmd::RedoTree{});
    settle();
    EXPECT_EQ(box(), "the model");

    // A rewind into the prompt is not another prompt: the box keeps the prompt as set (Reset returns to it).
    const int n_prompt = ui_.snap->n_prompt;
    ui_.bridge.push(core::cmd::Rewind{int(ui_.snap->steps.size()) - n_prompt + 1});
    settle();
    EXPECT_LT(int(ui_.snap->steps.size()), n_prompt);
    EXPECT_EQ(box(), "the model");
}

// A branch whose prompt was never typed in this session (a saved exploration's) shows its tokens decoded.
TEST_F(BranchPrompt, APromptNeverTypedHereIsDecoded) {
    start("the model", 2);
    settle();
    const auto ids = prompt_ids_of("a token the", *ui_.model);
    ASSERT_TRUE(ids.ok());
    ui_.bridge.push(core::cmd::SetPrompt{"", *ids});  // as a restore or a tree switch sets it, not the box
    settle();
    // The tiny vocabulary spells these words in byte tokens, which decode to "▁" for a space (as llama.cpp's do):
    // the box holds a text that the engine takes as the same tokens, so Step does not send it as a new prompt.
    EXPECT_NE(box(), "the model");
    const auto back = prompt_ids_of(box(), *ui_.model);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, *ids) << box();
    EXPECT_FALSE(ui_.prompt_dirty);
    const size_t n = ui_.snap->steps.size();
    step_token(ui_);
    settle();
    EXPECT_EQ(ui_.snap->steps.size(), n + 1);
}

class QkWidth : public test::PanelFrames {
protected:
    // The Q·K table as the last frame drew it.
    ImGuiTable* table() {
        ImGuiWindow* w = ImGui::FindWindowByName("panel");
        return w ? ImGui::TableFindByID(w->GetID("qk")) : nullptr;
    }
    void draw_until_row() {
        ASSERT_TRUE(frames_until(draw_qk_panel, [&] {
            const core::Derived* d = current_derived(ui_, *ui_.snap);
            return d && d->has_row;
        }));
        frame(draw_qk_panel);
    }
};

// A panel half a window wide at 200 % is about 320 pixels at 100 %: every column keeps its width and the table
// scrolls sideways; a wide panel needs no scrolling and fits every column.
TEST_F(QkWidth, ColumnsScrollInANarrowPanelInsteadOfClipping) {
    start("the model", 4);
    ImGui::GetIO().DisplaySize = ImVec2(320.0f, 800.0f);
    draw_until_row();
    ImGuiTable* t = table();
    ASSERT_NE(t, nullptr);
    EXPECT_TRUE(t->Flags & ImGuiTableFlags_ScrollX) << "a narrow panel scrolls the table sideways";
    const float em = ImGui::GetFontSize();
    for (int c = 0; c < t->ColumnsCount; ++c)  // no column squeezed below a readable width
        EXPECT_GE(t->Columns[c].WidthGiven, 2.5f * em) << "column " << c;

    ImGui::GetIO().DisplaySize = ImVec2(1600.0f, 800.0f);
    frame(draw_qk_panel);
    frame(draw_qk_panel);
    t = table();
    ASSERT_NE(t, nullptr);
    EXPECT_FALSE(t->Flags & ImGuiTableFlags_ScrollX);
    for (int c = 0; c < t->ColumnsCount; ++c) {  // every column at its width, starting inside the panel
        EXPECT_GE(t->Columns[c].WidthGiven, 2.5f * em) << "column " << c;
        EXPECT_LT(t->Columns[c].MinX, t->OuterRect.Max.x) << "column " << c;
    }
}

}  // namespace
}  // namespace ts::app
