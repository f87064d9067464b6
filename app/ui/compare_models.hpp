// The quantisation lens in the explorer (issue 15 item 3): File ▸ Compare with another model… (Ctrl+M) loads a
// second model file on its own thread (ModelLoader, with the status bar's progress), checks that its vocabulary is
// the one on screen (check_same_vocabulary: otherwise the error modal says why), and hands it to the engine
// worker (cmd::CompareWith), which compares the two on the session's tokens whenever they change
// (core/session/model_compare_job.hpp). The Models panel (panel_models.cpp) shows the result. File ▸ Close the
// second model frees it. A new model on screen gets the second model again when their vocabularies still agree.
#pragma once

#include <string>

#include "app/ui/ui_state.hpp"
#include "core/base/result.hpp"

namespace ts::app {

// Starts loading `path` as the second model (refused with a status message without a model on screen or while
// another second model loads).
void request_compare_model(UiState& ui, const std::string& path);
// Hands a loaded second model to the engine, or says why not: a failed load or another vocabulary (the error is
// returned; the interactive explorer shows it in the error modal).
[[nodiscard]] core::Status accept_compare_model(UiState& ui, core::Result<LoadedModel> loaded, const std::string& path);
// Once per frame: takes a finished load of the second model (errors: the error modal).
void poll_compare_model(UiState& ui);
// Closes the second model: the engine drops it and its comparison; the memory goes with the last snapshot.
void close_compare_model(UiState& ui);
// After a new model on screen (accept_load): gives the new engine the second model when the vocabularies still
// agree, else closes it with a status message.
void rehand_compare_model(UiState& ui);

// The File menu's items (Compare with another model… Ctrl+M, Close the second model); the path dialog, which also
// handles its key (Ctrl+M, through handle_compare_keys).
void draw_compare_menu_items(UiState& ui);
void draw_compare_dialog(UiState& ui);
void handle_compare_keys(UiState& ui);

}  // namespace ts::app
