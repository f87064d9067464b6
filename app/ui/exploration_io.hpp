// Saved explorations in the explorer (core/session/exploration.hpp): File ▸ Save exploration (Ctrl+S) writes what is
// on screen — the model file and its SHA-256, the prompt, the path of tokens, sampler settings, interventions, and
// the view (tab, split, layer, head, query position, the panels' toggles); opening one (File ▸ Open, Ctrl+O, a
// dropped .tscope, `gui --open`) loads its model when another is on screen, has the engine restore the path
// (cmd::Restore), then lands on the saved view. A missing or changed model file opens a modal that offers to pick
// the file (the Open dialog) or, for a changed one, to use it anyway.
#pragma once

#include <memory>
#include <string>

#include "app/ui/ui_state.hpp"
#include "core/base/json.hpp"
#include "core/base/result.hpp"
#include "core/session/exploration.hpp"

namespace ts::app {

// Whether `path` names a saved exploration (ends in .tscope).
bool is_exploration_file(const std::string& path);

// The view as a map of plain values (the "view" object of the file), and back: keys it does not know or values of
// another type are left alone, so an older or newer file never breaks the view.
core::Json view_of(const UiState& ui);
void apply_view(UiState& ui, const core::Json& view, int query_pos);

// What is on screen as an exploration (the SHA-256 of the model file included, computed once per model file).
// Errors: no model, the engine busy (pause first), the model file unreadable.
[[nodiscard]] core::Result<core::Exploration> exploration_of(UiState& ui);
// Saves it to `path`; the status bar says where, the error modal why not.
bool save_exploration_as(UiState& ui, const std::string& path);

// Whether the explorer may close now: not while a save waits for the model's hash (the window stays open, the status
// bar showing the hash's progress, until the file is written), so closing right after Save loses nothing.
bool may_close(const UiState& ui);

// Reads `file` and starts opening it (errors: the error modal).
void open_exploration(UiState& ui, const std::string& file);
// Starts opening an exploration already read: checks its model file (`model`: the file to use, "" : the one it
// names; check: compare the SHA-256) and loads it, or opens the model-problem modal. Returns the problem ("" : none).
std::string start_opening(UiState& ui, std::shared_ptr<const core::Exploration> e, const std::string& file,
                          const std::string& model = "", bool check = true);
// Once per frame: sends the restore when the exploration's model is on screen, applies the view once the engine
// has restored it. True while an exploration is being opened.
bool poll_exploration(UiState& ui);
// The modal of a missing or changed model file, and File ▸ Save exploration's dialog (shell.cpp draws them).
void draw_exploration_dialogs(UiState& ui);

}  // namespace ts::app
