// Axes, ticks and labels of a plot drawn with ImGui's draw list.
#include "app/ui/plot_frame.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

namespace ts::app {
namespace {

double map_y(const PlotAxes& ax, double y) {
    if (!ax.y_log) return y;
    return std::log10(std::max(y, 1e-30));
}

// Labels printed with no decimals ("%.0f", "%d"-like) need whole-number ticks, or two ticks would read the same.
bool integer_format(const char* fmt) {
    return fmt && std::strstr(fmt, ".0f") != nullptr;
}

// The axis' ticks as (fraction along the axis, value).
std::vector<std::pair<double, double>> axis_ticks(double lo, double hi, int n, bool log_axis, bool integer) {
    std::vector<std::pair<double, double>> out;
    if (n <= 0) return out;
    if (log_axis) {
        const double a = std::log10(std::max(lo, 1e-300)), b = std::log10(std::max(hi, 1e-300));
        for (int i = 0; i <= n; ++i) out.emplace_back(double(i) / n, std::pow(10.0, a + (b - a) * double(i) / n));
        return out;
    }
    for (double v : nice_ticks(lo, hi, n, integer)) out.emplace_back(hi > lo ? (v - lo) / (hi - lo) : 0.5, v);
    return out;
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target, bool integer) {
    std::vector<double> out;
    if (!(hi > lo) || target <= 0 || !std::isfinite(lo) || !std::isfinite(hi)) {
        if (std::isfinite(lo)) out.push_back(lo);
        return out;
    }
    const double raw = (hi - lo) / double(target);
    double step      = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (step * m >= raw * (1.0 - 1e-9)) {
            step *= m;
            break;
        }
    if (integer) step = std::max(step, 1.0);
    const double first = std::ceil(lo / step - 1e-9) * step;
    for (int i = 0; i < 1000; ++i) {
        double v = first + step * double(i);
        if (v > hi + step * 1e-9) break;
        if (std::abs(v) < step * 1e-9) v = 0.0;  // no "-0"
        out.push_back(v);
    }
    return out;
}

ImVec2 PlotFrame::to_screen(double x, double y) const {
    const double xs = ax.x_max > ax.x_min ? (x - ax.x_min) / (ax.x_max - ax.x_min) : 0.5;
    const double y0 = map_y(ax, ax.y_min), y1 = map_y(ax, ax.y_max);
    const double ys = y1 > y0 ? (map_y(ax, y) - y0) / (y1 - y0) : 0.5;
    return ImVec2(p0.x + float(xs) * width(), p1.y - float(ys) * height());
}

double PlotFrame::x_from_screen(float sx) const {
    const double t = width() > 0 ? double(sx - p0.x) / double(width()) : 0.0;
    return ax.x_min + t * (ax.x_max - ax.x_min);
}

double PlotFrame::y_from_screen(float sy) const {
    const double t  = height() > 0 ? double(p1.y - sy) / double(height()) : 0.0;
    const double y0 = map_y(ax, ax.y_min), y1 = map_y(ax, ax.y_max);
    const double v = y0 + t * (y1 - y0);
    return ax.y_log ? std::pow(10.0, v) : v;
}

PlotFrame begin_plot(const char* id, ImVec2 size, const PlotAxes& axes) {
    PlotFrame f;
    f.ax               = axes;
    f.dl               = ImGui::GetWindowDrawList();
    const ImVec2 start = ImGui::GetCursorScreenPos();
    size.x             = std::max(size.x, 60.0f);
    size.y             = std::max(size.y, 40.0f);
    ImGui::InvisibleButton(id, size);
    const float line = ImGui::GetTextLineHeight();

    // Room for the tick labels on the left, the y label on top, the tick labels and x label below.
    char buf[64];
    float y_label_w    = 0;
    const auto y_ticks = axis_ticks(axes.y_min, axes.y_max, axes.y_ticks, axes.y_log, integer_format(axes.y_fmt));
    const auto x_ticks = axis_ticks(axes.x_min, axes.x_max, axes.x_ticks, false, integer_format(axes.x_fmt));
    for (const auto& [t, v] : y_ticks) {
        std::snprintf(buf, sizeof buf, axes.y_fmt, v);
        y_label_w = std::max(y_label_w, ImGui::CalcTextSize(buf).x);
    }
    f.p0 = ImVec2(start.x + y_label_w + 8.0f, start.y + line + 4.0f);
    f.p1 = ImVec2(start.x + size.x - 8.0f, start.y + size.y - 2.0f * line - 6.0f);
    if (f.p1.x < f.p0.x + 10) f.p1.x = f.p0.x + 10;
    if (f.p1.y < f.p0.y + 10) f.p1.y = f.p0.y + 10;
    const ImU32 text = ImGui::GetColorU32(ImGuiCol_Text);
    const ImU32 dim  = ImGui::GetColorU32(ImGuiCol_TextDisabled);

    f.dl->AddRectFilled(f.p0, f.p1, ImGui::GetColorU32(ImGuiCol_FrameBg));
    // y ticks and grid
    for (const auto& [t, v] : y_ticks) {
        const float y = f.p1.y - float(t) * f.height();
        f.dl->AddLine(ImVec2(f.p0.x, y), ImVec2(f.p1.x, y), plot_colors::kGrid);
        std::snprintf(buf, sizeof buf, axes.y_fmt, v);
        const ImVec2 ts = ImGui::CalcTextSize(buf);
        f.dl->AddText(ImVec2(f.p0.x - ts.x - 4.0f, y - ts.y * 0.5f), dim, buf);
    }
    // x ticks
    for (const auto& [t, v] : x_ticks) {
        const float x = f.p0.x + float(t) * f.width();
        f.dl->AddLine(ImVec2(x, f.p1.y), ImVec2(x, f.p1.y + 3.0f), plot_colors::kAxis);
        std::snprintf(buf, sizeof buf, axes.x_fmt, v);
        const ImVec2 ts = ImGui::CalcTextSize(buf);
        const float lx  = std::clamp(x - ts.x * 0.5f, f.p0.x - y_label_w, f.p1.x - ts.x + 6.0f);
        f.dl->AddText(ImVec2(lx, f.p1.y + 3.0f), dim, buf);
    }
    f.dl->AddLine(ImVec2(f.p0.x, f.p0.y), ImVec2(f.p0.x, f.p1.y), plot_colors::kAxis);
    f.dl->AddLine(ImVec2(f.p0.x, f.p1.y), ImVec2(f.p1.x, f.p1.y), plot_colors::kAxis);
    // axis labels
    if (axes.y_label && *axes.y_label) f.dl->AddText(ImVec2(start.x, start.y), text, axes.y_label);
    if (axes.x_label && *axes.x_label) {
        const ImVec2 ts = ImGui::CalcTextSize(axes.x_label);
        f.dl->AddText(ImVec2((f.p0.x + f.p1.x - ts.x) * 0.5f, f.p1.y + line + 4.0f), text, axes.x_label);
    }
    f.mouse   = ImGui::GetIO().MousePos;
    f.hovered = ImGui::IsItemHovered() && f.mouse.x >= f.p0.x && f.mouse.x <= f.p1.x && f.mouse.y >= f.p0.y &&
                f.mouse.y <= f.p1.y;
    return f;
}

void bar_ticks(const PlotFrame& f, int n, int first) {
    if (n <= 0) return;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%d", first + n - 1);
    const float label_w = ImGui::CalcTextSize(buf).x + 8.0f;
    const float bw      = f.width() / float(n);
    int step            = 1;
    while (bw * float(step) < label_w) step = step < 5 ? step + (step == 1 ? 1 : 3) : step * 2;  // 1, 2, 5, 10, 20…
    const ImU32 dim = ImGui::GetColorU32(ImGuiCol_TextDisabled);
    for (int i = 0; i < n; i += step) {
        const float x = f.p0.x + bw * (float(i) + 0.5f);
        f.dl->AddLine(ImVec2(x, f.p1.y), ImVec2(x, f.p1.y + 3.0f), plot_colors::kAxis);
        std::snprintf(buf, sizeof buf, "%d", first + i);
        const ImVec2 ts = ImGui::CalcTextSize(buf);
        f.dl->AddText(ImVec2(x - ts.x * 0.5f, f.p1.y + 3.0f), dim, buf);
    }
}

}  // namespace ts::app
