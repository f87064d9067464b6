// Two panels side by side (Debian's ImGui 1.86 has no docking, so this is our own split): each side has a panel
// picker and shows any panel, a divider between them drags, and presets name the pairs a lesson shows together.
// The controls column and the token strip stay where they are; the split replaces the tabs of the central area.
// Remembered in imgui.ini ([TokenScope][Layout]: Split, SplitLeft, SplitRight, SplitFraction; app/ui/settings.cpp).
#pragma once

#include "app/ui/ui_state.hpp"

namespace ts::app {

struct SplitPreset {
    const char* title;
    CenterTab left, right;
};
inline constexpr SplitPreset kSplitPresets[] = {
    {"Attention | Q·K scores", CenterTab::Attention, CenterTab::QkScores},
    {"Softmax | Logits", CenterTab::Softmax, CenterTab::Logits},
    {"Journey | Attention", CenterTab::Journey, CenterTab::Attention},
};

// Turns the split on with the preset's two panels.
void apply_split_preset(UiState& ui, const SplitPreset& preset);
// The View menu's split items: on/off and the presets.
void draw_split_menu(UiState& ui);
// The central area while ui.split.on: picker and panel on each side, the divider between (needs ui.summary).
void draw_split_view(UiState& ui);

}  // namespace ts::app
