// The shell: menu bar, the fixed split layout (controls | tabbed centre / token strip), status bar, modals,
// keyboard shortcuts. It places the panels; the panels draw the content.
#pragma once

#include <string>
#include <vector>

#include "app/ui/ui_state.hpp"

namespace ts::app {

// One frame of the whole explorer window.
void draw_shell(UiState& ui);
// One frame with a single panel filling the window (`tokenscope shot --panel NAME`): model, tokens, attention, qk,
// softmax, logits, kv, layers, geometry.
void draw_single_panel(UiState& ui, const std::string& name);
// The names draw_single_panel knows, listed once in shell.cpp: every tab of the explorer and the token strip, in the
// order `shot --help` shows them.
std::vector<std::string> panel_names();
bool is_known_panel(const std::string& name);  // "all" (the whole window) or one of panel_names()
std::string known_panels();                    // panel_names() as "model tokens attention qk …", for help
// draw_single_panel(ui, the model panel).
void draw_model_only(UiState& ui);

}  // namespace ts::app
