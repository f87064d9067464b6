// The explorer's modal windows and boxes: Open model, the error box, About, Keyboard shortcuts, and (from their own
// files) the exploration and compare-model dialogs. Drawn once per frame by the shell.
#pragma once

#include "app/ui/ui_state.hpp"

namespace ts::app {

void draw_dialogs(UiState& ui);

}  // namespace ts::app
