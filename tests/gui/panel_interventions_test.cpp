// The Interventions strip and the Logits panel's Δ view, headless over a real engine: a bad spec is refused with
// the reason kept for the strip, a good one reaches the worker (the snapshot lists it and carries the diff), toggle,
// the factor slider's command and remove do what they say, and both panels draw in every state.
#include <gtest/gtest.h>

#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

class InterventionsStrip : public test::PanelFrames {
protected:
    static void draw(UiState& ui, const core::Snapshot& snap) {
        draw_interventions_strip(ui, &snap);
        draw_logits_panel(ui, snap);
    }
    void settle() { wait(ui_.interventions_ticket); }
};

TEST_F(InterventionsStrip, AddToggleScaleRemove) {
    start("the model", 4);
    EXPECT_GT(frame(draw), 0);
    EXPECT_TRUE(current_interventions(ui_).empty());

    EXPECT_FALSE(add_intervention(ui_, "melt:1"));
    EXPECT_NE(ui_.intervene_error.find("unknown kind"), std::string::npos) << ui_.intervene_error;
    EXPECT_FALSE(add_intervention(ui_, "zero-head:0.99"));
    EXPECT_NE(ui_.intervene_error.find("heads 0 .."), std::string::npos) << ui_.intervene_error;
    EXPECT_GT(frame(draw), 0);  // the error is drawn under the box

    ASSERT_TRUE(add_intervention(ui_, "zero-head:0.1"));
    EXPECT_TRUE(ui_.intervene_error.empty());
    ASSERT_TRUE(add_intervention(ui_, "scale-head:1.0:0.5"));  // built on the list in flight, not lost
    settle();
    ASSERT_EQ(ui_.snap->interventions->size(), 2u);
    EXPECT_EQ(core::intervention_spec((*ui_.snap->interventions)[0]), "zero-head:0.1");
    ASSERT_TRUE(ui_.snap->diff);
    EXPECT_EQ(ui_.snap->diff->pos, int(ui_.snap->steps.size()) - 1);
    EXPECT_GT(frame(draw), 0);

    set_intervention_factor(ui_, 1, 2.0f);
    settle();
    EXPECT_EQ((*ui_.snap->interventions)[1].factor, 2.0f);

    toggle_intervention(ui_, 0);
    toggle_intervention(ui_, 1);
    settle();
    EXPECT_FALSE((*ui_.snap->interventions)[0].enabled);
    EXPECT_FALSE(ui_.snap->diff);  // nothing enabled: nothing to compare
    EXPECT_GT(frame(draw), 0);

    remove_intervention(ui_, 0);
    remove_intervention(ui_, 0);
    settle();
    EXPECT_TRUE(ui_.snap->interventions->empty());
    EXPECT_GT(frame(draw), 0);
}

}  // namespace
}  // namespace ts::app
