// The shell: menu bar, the fixed split layout (controls | tabbed centre / token strip), status bar, modals,
// keyboard shortcuts. It places the panels; the panels draw the content.
#pragma once

#include <string>

#include "app/ui/ui_state.hpp"

namespace ts::app {

// One frame of the whole explorer window.
void draw_shell(UiState& ui);
// One frame with a single panel filling the window (`tokenscope shot --panel NAME`): model, tokens, attention, qk,
// softmax, logits, kv, layers, geometry.
void draw_single_panel(UiState& ui, const std::string& name);
// draw_single_panel(ui, "model").
void draw_model_only(UiState& ui);

}  // namespace ts::app
