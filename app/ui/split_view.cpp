// The split central area: two panels side by side.
#include "app/ui/split_view.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <iterator>

#include "app/ui/shell.hpp"
#include "app/ui/widgets.hpp"

namespace ts::app {
namespace {

constexpr float kMinFraction = 0.15f, kMaxFraction = 0.85f;

// One side: a picker naming the panel, then the panel in its own child window (so both sides scroll apart and
// their ImGui ids do not collide even when the same panel is on both sides).
void draw_side(UiState& ui, const char* id, CenterTab* tab, float width) {
    ImGui::BeginChild(id, ImVec2(width, 0.0f), false);
    const float em = ImGui::GetFontSize();
    ImGui::SetNextItemWidth(std::min(em * 14.0f, ImGui::GetContentRegionAvail().x));
    if (ImGui::BeginCombo("##panel", center_tab_title(*tab))) {
        for (int i = 0; i < int(CenterTab::kCount); ++i)
            if (ImGui::Selectable(center_tab_title(CenterTab(i)), *tab == CenterTab(i))) {
                *tab = CenterTab(i);
                ImGui::MarkIniSettingsDirty();
            }
        ImGui::EndCombo();
    }
    item_tooltip("Which panel this side shows (View ▸ Split presets has the usual pairs).");
    ImGui::BeginChild("content", ImVec2(0.0f, 0.0f), false);
    draw_center_panel(ui, *tab);
    ImGui::EndChild();
    ImGui::EndChild();
}

}  // namespace

void apply_split_preset(UiState& ui, const SplitPreset& preset) {
    ui.split.on    = true;
    ui.split.left  = preset.left;
    ui.split.right = preset.right;
    ImGui::MarkIniSettingsDirty();
}

void draw_split_menu(UiState& ui) {
    if (ImGui::MenuItem("Two panels side by side", nullptr, ui.split.on)) {
        ui.split.on = !ui.split.on;
        ImGui::MarkIniSettingsDirty();
    }
    if (ImGui::BeginMenu("Split presets")) {
        for (const SplitPreset& p : kSplitPresets)
            if (ImGui::MenuItem(p.title, nullptr, ui.split.on && ui.split.left == p.left && ui.split.right == p.right))
                apply_split_preset(ui, p);
        ImGui::EndMenu();
    }
}

void draw_split_view(UiState& ui) {
    // A View ▸ panel choice (or a shot's) while split: it goes to the left side.
    if (ui.tab_request != CenterTab::kCount) ui.split.left = ui.tab_request;
    ui.tab_request      = CenterTab::kCount;
    const float divider = 6.0f;
    const float avail   = ImGui::GetContentRegionAvail().x;
    const float usable  = std::max(1.0f, avail - divider);
    ui.split.fraction   = std::clamp(ui.split.fraction, kMinFraction, kMaxFraction);
    const float left_w  = std::max(1.0f, usable * ui.split.fraction);
    draw_side(ui, "split_left", &ui.split.left, left_w);
    ImGui::SameLine(0.0f, 0.0f);

    ImGui::InvisibleButton("##split_divider", ImVec2(divider, std::max(1.0f, ImGui::GetContentRegionAvail().y)));
    const bool active = ImGui::IsItemActive();
    if (ImGui::IsItemHovered() || active) ImGui::SetMouseCursor(ImGuiMouseCursor_ResizeEW);
    if (active && ImGui::GetIO().MouseDelta.x != 0.0f) {
        ui.split.fraction =
            std::clamp(ui.split.fraction + ImGui::GetIO().MouseDelta.x / usable, kMinFraction, kMaxFraction);
        ImGui::MarkIniSettingsDirty();
    }
    const ImVec2 a = ImGui::GetItemRectMin(), b = ImGui::GetItemRectMax();
    ImGui::GetWindowDrawList()->AddLine(ImVec2((a.x + b.x) * 0.5f, a.y), ImVec2((a.x + b.x) * 0.5f, b.y),
                                        ImGui::GetColorU32(active ? ImGuiCol_SeparatorActive : ImGuiCol_Separator),
                                        1.0f);
    ImGui::SameLine(0.0f, 0.0f);
    draw_side(ui, "split_right", &ui.split.right, 0.0f);
}

}  // namespace ts::app
