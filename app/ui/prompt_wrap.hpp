// Soft wrapping for the prompt box. Debian's ImGui 1.86 InputTextMultiline does not wrap, so the box edits a display
// copy of the prompt with line breaks of our own ("soft" breaks) inserted where a line would pass the box's width;
// every edit is mapped back to the prompt's own text (soft breaks removed, hard ones — Ctrl+Enter — kept) and
// wrapped again. Pure text logic with the text width passed in, so it is tested without a font; the box itself is
// drawn in app/ui/panel_controls.cpp.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ts::app {

// The display text and where the inserted breaks are.
struct WrappedText {
    std::string display;       // the text with a '\n' inserted at every soft break
    std::vector<size_t> soft;  // byte offsets in `display` of the inserted '\n', ascending
};

// Width in pixels of a run of text on one line.
using MeasureText = std::function<float(std::string_view)>;

// Greedy word wrap: a line breaks before the word that would pass `width` (the spaces after a word stay on its line);
// a word wider than a whole line breaks between characters (never inside a UTF-8 character). width <= 0: no wrap.
WrappedText wrap_text(std::string_view text, float width, const MeasureText& measure);

// The prompt's own text: `display` without the soft breaks.
std::string unwrap_text(const WrappedText& w);

// Offset in w.display of the byte at `text_index` of the unwrapped text (at a soft break: the start of the next line).
size_t display_index(const WrappedText& w, size_t text_index);

// The box's buffer went from `before.display` to `now` in one edit, with the cursor at `cursor` (a byte offset in
// `now`). The text it now holds, and the cursor in that text: breaks of `before` outside the changed bytes stay soft,
// every '\n' the edit brought is hard. An edit that only deleted soft breaks (Backspace at the start of a wrapped
// line, Delete at its end) deletes the character before the cursor (`backspace`) or after it instead, as it would
// in unwrapped text.
struct UnwrappedEdit {
    std::string text;
    size_t cursor = 0;
};
UnwrappedEdit unwrap_edit(const WrappedText& before, std::string_view now, size_t cursor, bool backspace);

}  // namespace ts::app
