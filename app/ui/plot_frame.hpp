// A small plotting frame for the Softmax, KV cache, Journey and Geometry panels (Debian's ImGui 1.86 has no plot
// library): reserves an area, draws the axes with ticks and their labels, and maps data to screen coordinates.
// The series themselves are drawn by the panel into the frame's draw list. Colours are colour-blind safe
// (Okabe–Ito for categories, viridis for magnitudes).
#pragma once

#include <imgui.h>

#include <vector>

namespace ts::app {

struct PlotAxes {
    const char* x_label = "";
    const char* y_label = "";
    double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
    int x_ticks = 5, y_ticks = 4;  // about this many tick intervals, at round values (0: no ticks on that axis);
                                   // a log axis has one tick per y_ticks-th of its exponent range
    const char* x_fmt = "%.0f";    // printf format of the tick labels
    const char* y_fmt = "%.2f";
    bool y_log        = false;  // y is log10-scaled (y_min, y_max are the exponents' bounds in data units > 0)
};

struct PlotFrame {
    ImDrawList* dl = nullptr;
    ImVec2 p0, p1;  // the data area on screen (p0 top-left, p1 bottom-right)
    PlotAxes ax;
    bool hovered = false;  // the mouse is over the data area
    ImVec2 mouse;

    ImVec2 to_screen(double x, double y) const;
    double x_from_screen(float sx) const;
    double y_from_screen(float sy) const;
    float width() const { return p1.x - p0.x; }
    float height() const { return p1.y - p0.y; }
};

// Tick values for a linear axis over [lo, hi]: the multiples of a round step (1, 2 or 5 × 10^k) that fall inside,
// with the step the smallest round one giving at most `target` intervals; `integer` axes never step below 1.
[[nodiscard]] std::vector<double> nice_ticks(double lo, double hi, int target, bool integer);

// Reserves `size` (an invisible button named `id`, so the plot takes the mouse) and draws the frame, the axes and
// their labels (y label above the axis, x label under it). Data outside the ranges is the caller's to clip.
PlotFrame begin_plot(const char* id, ImVec2 size, const PlotAxes& axes);

// Tick labels under the centres of n equal-width bars spanning the frame (label of bar i: first + i), every k-th
// bar so the labels do not overlap. For bar charts whose x axis has x_ticks = 0.
void bar_ticks(const PlotFrame& f, int n, int first = 0);

// Okabe–Ito colours (colour-blind safe) used across the panels.
namespace plot_colors {
inline constexpr ImU32 kBlue      = IM_COL32(0, 114, 178, 255);
inline constexpr ImU32 kSky       = IM_COL32(86, 180, 233, 255);
inline constexpr ImU32 kOrange    = IM_COL32(230, 159, 0, 255);
inline constexpr ImU32 kVermilion = IM_COL32(213, 94, 0, 255);
inline constexpr ImU32 kGreen     = IM_COL32(0, 158, 115, 255);
inline constexpr ImU32 kPurple    = IM_COL32(204, 121, 167, 255);
inline constexpr ImU32 kYellow    = IM_COL32(240, 228, 66, 255);
inline constexpr ImU32 kGrid      = IM_COL32(128, 128, 128, 60);
inline constexpr ImU32 kAxis      = IM_COL32(160, 160, 160, 255);
}  // namespace plot_colors

}  // namespace ts::app
