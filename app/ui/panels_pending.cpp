// Placeholders for panels another engineer is writing (Softmax, Logits, KV cache, Journey, Geometry): weak
// definitions that draw one line, so the shell links before their files exist. This file is compiled into the
// tokenscope executable and the GUI tests directly, never into the ts_ui archive (see app/gui.cmake): a weak
// definition in the same archive as panel_softmax.cpp could be picked before the strong one, which the linker
// would then never pull in.
#include <imgui.h>

#include "app/ui/panels.hpp"

namespace ts::app {
namespace {

void draw_coming(const char* what) {
    ImGui::Spacing();
    ImGui::TextDisabled("%s: coming in the next version.", what);
}

}  // namespace

__attribute__((weak)) void draw_softmax_panel(UiState&, const core::Snapshot&) { draw_coming("Softmax & sampling"); }
__attribute__((weak)) void draw_logits_panel(UiState&, const core::Snapshot&) { draw_coming("Logits"); }
__attribute__((weak)) void draw_kv_panel(UiState&, const core::Snapshot&) { draw_coming("KV cache"); }
__attribute__((weak)) void draw_layers_panel(UiState&, const core::Snapshot&) { draw_coming("Journey"); }
__attribute__((weak)) void draw_geometry_panel(UiState&, const core::Snapshot&) { draw_coming("Geometry"); }

}  // namespace ts::app
