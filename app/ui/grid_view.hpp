// A grid of coloured cells with hover tooltips and in-cell labels, and the two colour scales the comparison views
// share (the Branches panel's comparison of two branches, the Models panel's comparison of two models).
//
//   grid("cosine", 1, n_layer, h, [&](int, int l) { return js_colour(1 - cos[l]); },
//        [&](int, int l) { ImGui::SetTooltip("layer %d", l); });
#pragma once

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace ts::app {

// 0 .. 1 → dark to yellow (viridis' ends): a divergence, bright where two things differ.
inline ImU32 js_colour(float x) {
    x = std::clamp(x, 0.0f, 1.0f);
    return IM_COL32(int(68 + x * (253 - 68)), int(1 + x * (231 - 1)), int(84 + x * (37 - 84)), 255);
}

// −1 .. 1 → blue, white, vermilion: a signed difference A − B.
inline ImU32 diff_colour(float d) {
    d             = std::clamp(d, -1.0f, 1.0f);
    const float a = std::abs(d);
    if (d < 0) return IM_COL32(int(255 - a * 255), int(255 - a * (255 - 114)), int(255 - a * (255 - 178)), 255);
    return IM_COL32(int(255 - a * (255 - 213)), int(255 - a * (255 - 94)), int(255 - a * 255), 255);
}

// Text readable on a cell of colour `bg`: black on a bright one, white on a dark one.
inline ImU32 text_on(ImU32 bg) {
    const int luma = int((bg >> IM_COL32_R_SHIFT) & 0xFF) * 3 + int((bg >> IM_COL32_G_SHIFT) & 0xFF) * 6 +
                     int((bg >> IM_COL32_B_SHIFT) & 0xFF);
    return luma > 1400 ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255);
}

inline std::string no_label(int, int) {
    return {};
}

// A grid of n_rows × n_cols cells coloured by `colour(i, j)`, with a hover tooltip and, where the cells are wide
// enough, `label(i, j)` written in them.
template <class Colour, class Tip, class Label = decltype(&no_label)>
void grid(const char* id, int n_rows, int n_cols, float height, Colour colour, Tip tip, Label label = &no_label) {
    const ImVec2 size(ImGui::GetContentRegionAvail().x, height);
    ImGui::InvisibleButton(id, size);
    const ImVec2 p0 = ImGui::GetItemRectMin();
    ImDrawList* dl  = ImGui::GetWindowDrawList();
    const float cw = size.x / float(std::max(1, n_cols)), ch = size.y / float(std::max(1, n_rows));
    for (int i = 0; i < n_rows; ++i)
        for (int j = 0; j < n_cols; ++j)
            dl->AddRectFilled(ImVec2(p0.x + cw * float(j), p0.y + ch * float(i)),
                              ImVec2(p0.x + cw * float(j + 1), p0.y + ch * float(i + 1)), colour(i, j));
    for (int i = 0; i < n_rows; ++i)
        for (int j = 0; j < n_cols; ++j) {
            const std::string t = label(i, j);
            if (t.empty() || ImGui::CalcTextSize(t.c_str()).x + 4 > cw) continue;
            dl->AddText(ImVec2(p0.x + cw * float(j) + 2, p0.y + ch * float(i) + 1), text_on(colour(i, j)), t.c_str());
        }
    if (ImGui::IsItemHovered()) {
        const ImVec2 m = ImGui::GetIO().MousePos;
        const int j = int((m.x - p0.x) / cw), i = int((m.y - p0.y) / ch);
        if (i >= 0 && i < n_rows && j >= 0 && j < n_cols) tip(i, j);
    }
}

}  // namespace ts::app
