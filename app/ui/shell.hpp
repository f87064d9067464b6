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
// The central area's panels by CenterTab: the tab title ("Q·K scores"), the short name of `shot --panel` and of
// imgui.ini ("qk"), the panel drawn into the current window (needs ui.summary), and the tab of a short name
// (kCount when none).
const char* center_tab_title(CenterTab tab);
const char* center_tab_name(CenterTab tab);
void draw_center_panel(UiState& ui, CenterTab tab);
CenterTab center_tab_named(const std::string& name);
// draw_single_panel(ui, "model").
void draw_model_only(UiState& ui);

}  // namespace ts::app
