// The explorer's ImGui style (theme.hpp).
#include "app/ui/theme.hpp"

#include <imgui.h>

namespace ts::app {

void apply_style(float scale, bool high_contrast) {
    ImGui::StyleColorsDark();
    ImGuiStyle& st            = ImGui::GetStyle();
    st.WindowRounding         = 4.0f;
    st.FrameRounding          = 3.0f;
    st.GrabRounding           = 3.0f;
    st.TabRounding            = 3.0f;
    st.PopupRounding          = 4.0f;
    st.ScrollbarRounding      = 6.0f;
    st.WindowPadding          = ImVec2(10.0f, 8.0f);
    st.FramePadding           = ImVec2(7.0f, 4.0f);
    st.ItemSpacing            = ImVec2(8.0f, 5.0f);
    st.CellPadding            = ImVec2(6.0f, 3.0f);
    st.WindowBorderSize       = 0.0f;
    st.ChildBorderSize        = 0.0f;
    ImVec4* c                 = st.Colors;
    c[ImGuiCol_WindowBg]      = ImVec4(0.10f, 0.105f, 0.115f, 1.0f);
    c[ImGuiCol_ChildBg]       = ImVec4(0.0f, 0.0f, 0.0f, 0.0f);
    c[ImGuiCol_MenuBarBg]     = ImVec4(0.13f, 0.135f, 0.15f, 1.0f);
    c[ImGuiCol_TableRowBgAlt] = ImVec4(1.0f, 1.0f, 1.0f, 0.035f);
    c[ImGuiCol_Header]        = ImVec4(0.20f, 0.33f, 0.45f, 0.55f);
    c[ImGuiCol_HeaderHovered] = ImVec4(0.24f, 0.42f, 0.58f, 0.70f);
    c[ImGuiCol_PlotHistogram] = ImVec4(0.13f, 0.57f, 0.55f, 1.0f);  // viridis teal for bars
    if (high_contrast) {
        // Black and white first, colour only where it carries meaning: for projectors and weak eyes.
        st.WindowBorderSize        = 1.0f;
        st.ChildBorderSize         = 1.0f;
        st.FrameBorderSize         = 1.0f;
        c[ImGuiCol_Text]           = ImVec4(1.0f, 1.0f, 1.0f, 1.0f);
        c[ImGuiCol_TextDisabled]   = ImVec4(0.80f, 0.80f, 0.80f, 1.0f);
        c[ImGuiCol_WindowBg]       = ImVec4(0.0f, 0.0f, 0.0f, 1.0f);
        c[ImGuiCol_PopupBg]        = ImVec4(0.0f, 0.0f, 0.0f, 1.0f);
        c[ImGuiCol_MenuBarBg]      = ImVec4(0.0f, 0.0f, 0.0f, 1.0f);
        c[ImGuiCol_Border]         = ImVec4(0.85f, 0.85f, 0.85f, 1.0f);
        c[ImGuiCol_FrameBg]        = ImVec4(0.0f, 0.0f, 0.0f, 1.0f);
        c[ImGuiCol_FrameBgHovered] = ImVec4(0.0f, 0.30f, 0.55f, 1.0f);
        c[ImGuiCol_FrameBgActive]  = ImVec4(0.0f, 0.40f, 0.70f, 1.0f);
        c[ImGuiCol_Button]         = ImVec4(0.0f, 0.27f, 0.55f, 1.0f);
        c[ImGuiCol_ButtonHovered]  = ImVec4(0.0f, 0.40f, 0.75f, 1.0f);
        c[ImGuiCol_ButtonActive]   = ImVec4(0.0f, 0.50f, 0.90f, 1.0f);
        c[ImGuiCol_Header]         = ImVec4(0.0f, 0.35f, 0.65f, 1.0f);
        c[ImGuiCol_HeaderHovered]  = ImVec4(0.0f, 0.45f, 0.80f, 1.0f);
        c[ImGuiCol_Tab]            = ImVec4(0.15f, 0.15f, 0.15f, 1.0f);
        c[ImGuiCol_TabActive]      = ImVec4(0.0f, 0.40f, 0.75f, 1.0f);
        c[ImGuiCol_TabHovered]     = ImVec4(0.0f, 0.50f, 0.90f, 1.0f);
        c[ImGuiCol_SliderGrab]     = ImVec4(1.0f, 0.75f, 0.0f, 1.0f);
        c[ImGuiCol_CheckMark]      = ImVec4(1.0f, 0.75f, 0.0f, 1.0f);
        c[ImGuiCol_Separator]      = ImVec4(0.85f, 0.85f, 0.85f, 1.0f);
        c[ImGuiCol_TableRowBgAlt]  = ImVec4(1.0f, 1.0f, 1.0f, 0.08f);
        c[ImGuiCol_PlotHistogram]  = ImVec4(0.0f, 0.75f, 0.70f, 1.0f);
    }
    st.ScaleAllSizes(scale);
}

}  // namespace ts::app
