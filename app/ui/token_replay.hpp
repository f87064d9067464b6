// The Tokens panel's tokenizer replay (issue 16): the word around the selected position, replayed by the model's
// tokenizer step by step (core::Tokenizer::replay: the first symbols, every merge in the order the encoder applied
// it, byte fallback, the ids), then each id's embedding row as a strip. The replay comes from core; this file only
// picks the word and draws.
#pragma once

#include <string>

#include "app/ui/ui_state.hpp"

namespace ts::app {

// The text of the word that holds position `pos`: the tokens from the nearest one at or before `pos` that starts with
// a space or a new line (or the first position) up to the next such token. "" when the model has no tokenizer.
[[nodiscard]] std::string word_at(const core::Snapshot& snap, int pos);

// Replays ui.token_replay.text when it changed (and takes the selected position's word when the selection changed).
void refresh_token_replay(UiState& ui, const core::Snapshot& snap);

// The "Tokenizer replay" window (open while ui.token_replay.open).
void draw_token_replay_window(UiState& ui, const core::Snapshot& snap);

}  // namespace ts::app
