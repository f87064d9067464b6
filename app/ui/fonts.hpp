// Fonts of the explorer: DejaVu Sans / Sans Mono / Sans Bold from the system, with glyph ranges built from the text
// we show (Latin, the symbols the UI uses, and the loaded vocabulary's characters) so nothing renders as '?'.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/ui/ui_state.hpp"

namespace ts::app {

// Symbols the UI draws: visible space and newline of token chips, menu and navigation arrows, math signs.
inline constexpr const char* kUiSymbols = "␣↵▸▾→←↑↓·×÷√θ≈≤≥…—–‖⟨⟩●○■□✓✗";

// A zero-terminated ImWchar (16-bit) range list: Latin (Basic, Latin-1, Extended-A/B), Greek, punctuation, arrows,
// math operators, control pictures, geometric shapes, dingbats, kUiSymbols, and every code point of `extra` that fits
// in 16 bits.
[[nodiscard]] std::vector<unsigned short> build_glyph_ranges(const std::vector<uint32_t>& extra);

// Where the font files are: assets/fonts/ under the source tree if present, else Debian's fonts-dejavu-core.
[[nodiscard]] std::string find_font(const char* file_name);

// Clears ImGui's font atlas and adds the three fonts at `scale` (1 = 15 px text). Call between frames, then
// GlWindow::reload_fonts(). Falls back to ImGui's built-in font (and says so on stderr) when DejaVu is missing.
void load_fonts(Fonts& fonts, const std::vector<uint32_t>& vocab_codepoints, float scale);

}  // namespace ts::app
