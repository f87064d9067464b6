// The Geometry panel: headless frames of the panel once the worker delivered its numbers (the derivations
// themselves are tested in tests/core/session/geometry_test.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "app/ui/view_geometry.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

using GeometryFrames = test::PanelFrames;

TEST_F(GeometryFrames, PanelDrawsScattersAndFindsNeighbours) {
    start("the model", 5);
    const bool ready = frames_until(draw_geometry_panel, [&] {
        const core::Derived* d = ui_.snap->derived.get();
        return d && d->geometry && d->neighbours;
    });
    ASSERT_TRUE(ready);
    EXPECT_EQ(ui_.snap->derived->neighbours->list.size(), 12u);
    EXPECT_EQ(ui_.snap->derived->neighbours->token, ui_.snap->steps.back()->token);
    EXPECT_GT(frame(draw_geometry_panel), 1500);
}

}  // namespace
}  // namespace ts::app
