// "Predict the next token" (issue 16; key P): in the Softmax and Logits panels the distribution stays hidden until the
// student commits a guess for the selected position's next token, typed as a word or picked from a shuffled short
// list; then the guess's rank and probability are shown above the panel (core/trace/guess.hpp rates it).
#pragma once

#include "app/ui/ui_state.hpp"

namespace ts::app {

// Draws the guess box while no guess is committed for `st` and returns true: the panel then stops (its
// distribution stays hidden). Once committed (or when predict mode is off) it draws the rating, if any, and returns
// false. A new position (a step, a selection, a rewind) hides the answer again.
bool predict_gate(UiState& ui, const core::Snapshot& snap, const core::StepTrace& st);

// Commits a guess for the position the gate last showed: typed text (the tokenizer gives its first token) or a token.
// False (and ui.predict.error says why) when the text cannot be rated.
bool commit_guess_text(UiState& ui, const core::Snapshot& snap, const core::StepTrace& st, const std::string& text);
void commit_guess_token(UiState& ui, const core::Snapshot& snap, const core::StepTrace& st, int32_t id);

// Turns predict mode on or off (P).
void toggle_predict_mode(UiState& ui);

}  // namespace ts::app
