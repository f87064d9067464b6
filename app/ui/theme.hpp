// The explorer's look: ImGui's dark style with our colours and spacing, or a high-contrast variant (View ▸ High
// contrast: white text on black, bordered controls) for projectors; sizes scaled by `scale` (monitor × UI scale).
#pragma once

namespace ts::app {

// Replaces the current ImGui context's style. Called at start and whenever the scale or the theme changes.
void apply_style(float scale, bool high_contrast);

}  // namespace ts::app
