// Drawing helpers shared by the panels: headings, explained key/value tables, tooltips.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "app/ui/model_summary.hpp"
#include "app/ui/ui_state.hpp"

namespace ts::app {

// A tooltip with wrapped text, shown when the last item is hovered.
void item_tooltip(const char* text);
// A heading in the title font with a separator under it.
void section_heading(const UiState& ui, const char* text);
// A two-column table (label | value in the mono font); hovering a row shows its help sentence.
void info_table(const UiState& ui, const char* id, const std::vector<InfoRow>& rows, float label_width);
// Wrapped text in the disabled (grey) colour.
void disabled_wrapped(const char* text);

// The selected position's step when the model's next-token logits were computed there (the last prompt position and
// every generated one). Otherwise draws why there is nothing to show — `nothing_yet` before anything was evaluated —
// and returns nullptr. Shared by the panels that show a next-token distribution.
const core::StepTrace* step_with_next_token(const UiState& ui, const core::Snapshot& snap, const char* nothing_yet);
// ImGui's sliders with the value always readable: the value is drawn again, centred, over a dark backing, so the
// grab (a quarter of the slider for a 4-layer model) never hides it. Same arguments and result as ImGui's.
bool slider_int(const char* label, int* v, int v_min, int v_max, const char* format = "%d");
bool slider_float(const char* label, float* v, float v_min, float v_max, const char* format = "%.3f");
// The layer and head sliders of the panels that show one head (Attention, Q·K), on one line, selecting through
// select_layer_head(); the head slider is disabled when `head_enabled` is false (a view of every head).
void layer_head_sliders(UiState& ui, const core::Hparams& hp, bool head_enabled = true);
// "head 5 reads K/V head 1, shared with heads 4–7" under grouped-query attention, in `layer` (its own kv heads; on
// a gemma4 KV-sharing layer "… K/V head 1 (in layer 3's cache), …"); "" when every head has its own.
std::string kv_sharing_note(const core::Hparams& hp, int head, int layer = -1);
// `text` cut at a character boundary and ended with "…" so it is at most `max_width` wide in the current font;
// the whole text when it fits, "" when not even one character and the ellipsis fit.
[[nodiscard]] std::string elide_to_width(std::string_view text, float max_width);
// Text centred horizontally in the current window/child, wrapped at `wrap_width`.
void centered_text(const char* text, float wrap_width);

// A modal that asks for a file path, centred and 34 em wide: `prompt` above a focused full-width field (Enter
// accepts; `field_tip` as its tooltip), `note` (or nothing) below it, then `accept` (tooltip `accept_tip`, or none)
// and Cancel (or Escape). True in the frame the user accepts, the popup then closed. Open it with
// ImGui::OpenPopup(title).
struct PathModal {
    const char* title;
    const char* prompt;
    const char* field_tip;
    const char* note;
    const char* accept;
    const char* accept_tip;
};
bool path_modal(const PathModal& m, std::array<char, 1024>& path);
// The Softmax and Logits panels' mark over a what-if at an older position (ui_state.hpp's ShownSampler::what_if):
// "what-if at position N — not what was sampled", with why and how far the numbers can be trusted.
void draw_what_if_mark(int pos, bool complete, bool sampled);

}  // namespace ts::app
