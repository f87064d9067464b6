// Where the explorer keeps its settings (imgui.ini in the user's config folder, never the working directory) and
// its [TokenScope] sections: [Layout] (split sizes, the two-panel split, recent files) and [View] (the Attention
// panel's view, colour map and log scale; the Q·K panel's key order).
#pragma once

#include <ctime>
#include <string>

#include "app/ui/ui_state.hpp"

namespace ts::app {

// $XDG_CONFIG_HOME/tokenscope/imgui.ini, else ~/.config/tokenscope/imgui.ini; the folder is created. "" when
// neither can be determined or created (settings are then not saved).
[[nodiscard]] std::string default_ini_path();

// Where File ▸ Save screenshot writes: ~/Pictures, created when missing (or $HOME when it cannot be, or the working
// directory when there is no home)
// /tokenscope-YYYYMMDD-HHMMSS.png for the local time `when`; a -2, -3 … suffix when that name exists.
[[nodiscard]] std::string screenshot_path(std::time_t when);
// ~/SUB ("Pictures", "Documents"), created when missing; $HOME when it cannot be, "." when there is no home.
[[nodiscard]] std::string home_folder(const char* sub);
// folder/STEM-YYYYMMDD-HHMMSS.EXT for the local time `when`, with a -2, -3 … suffix when that name exists.
[[nodiscard]] std::string dated_path(const std::string& folder, const std::string& stem, const std::string& ext,
                                     std::time_t when);

// Registers the [TokenScope] ini section with the current ImGui context (before the first frame) and points
// ImGui at `ui.ini_path` ("" = do not read or write any file).
void install_settings(UiState& ui);

}  // namespace ts::app
