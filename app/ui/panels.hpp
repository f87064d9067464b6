// Entry points of the explorer's panels (DESIGN §6): one file each, one function each. A panel reads UiState and the
// data it is given, draws into the current window, and keeps no state of its own.
#pragma once

#include "app/ui/model_summary.hpp"
#include "app/ui/ui_state.hpp"

namespace ts::app {

void draw_model_panel(UiState& ui, const ModelSummary& summary);  // app/ui/panel_model.cpp

}  // namespace ts::app
