// Zoom, pan and hit-testing of a heatmap grid on screen.
#include "app/ui/heatmap_view.hpp"

#include <algorithm>
#include <cmath>

namespace ts::app {
namespace {

constexpr float kMaxZoom = 64.0f;

}  // namespace

CellWindow visible_cells(int rows, int cols, float zoom, float pan_col, float pan_row) {
    CellWindow w;
    w.rows  = std::max(0, rows);
    w.cols  = std::max(0, cols);
    zoom    = std::clamp(std::isfinite(zoom) ? zoom : 1.0f, 1.0f, kMaxZoom);
    w.ncols = float(w.cols) / zoom;
    w.nrows = float(w.rows) / zoom;
    w.col0  = std::clamp(std::isfinite(pan_col) ? pan_col : 0.0f, 0.0f, float(w.cols) - w.ncols);
    w.row0  = std::clamp(std::isfinite(pan_row) ? pan_row : 0.0f, 0.0f, float(w.rows) - w.nrows);
    return w;
}

void window_uv(const CellWindow& win, float uv[4]) {
    const float c = std::max(1, win.cols), r = std::max(1, win.rows);
    uv[0] = win.col0 / c;
    uv[1] = win.row0 / r;
    uv[2] = (win.col0 + win.ncols) / c;
    uv[3] = (win.row0 + win.nrows) / r;
}

std::optional<CellHit> cell_at(const CellWindow& win, const ScreenRect& rect, float px, float py) {
    if (win.rows <= 0 || win.cols <= 0 || rect.w <= 0 || rect.h <= 0) return std::nullopt;
    const float fx = (px - rect.x) / rect.w, fy = (py - rect.y) / rect.h;
    if (!(fx >= 0.0f && fx < 1.0f && fy >= 0.0f && fy < 1.0f)) return std::nullopt;
    CellHit h;
    h.col = std::clamp(int(std::floor(win.col0 + fx * win.ncols)), 0, win.cols - 1);
    h.row = std::clamp(int(std::floor(win.row0 + fy * win.nrows)), 0, win.rows - 1);
    return h;
}

void cell_center(const CellWindow& win, const ScreenRect& rect, int row, int col, float* x, float* y) {
    *x = rect.x + (float(col) + 0.5f - win.col0) / std::max(win.ncols, 1e-6f) * rect.w;
    *y = rect.y + (float(row) + 0.5f - win.row0) / std::max(win.nrows, 1e-6f) * rect.h;
}

void zoom_about(int rows, int cols, const ScreenRect& rect, float px, float py, float factor, float* zoom,
                float* pan_col, float* pan_row) {
    const CellWindow before = visible_cells(rows, cols, *zoom, *pan_col, *pan_row);
    const float fx          = rect.w > 0 ? std::clamp((px - rect.x) / rect.w, 0.0f, 1.0f) : 0.5f;
    const float fy          = rect.h > 0 ? std::clamp((py - rect.y) / rect.h, 0.0f, 1.0f) : 0.5f;
    const float gx = before.col0 + fx * before.ncols, gy = before.row0 + fy * before.nrows;  // grid point under it
    *zoom          = std::clamp(*zoom * factor, 1.0f, kMaxZoom);
    const float nc = float(cols) / *zoom, nr = float(rows) / *zoom;
    const CellWindow after = visible_cells(rows, cols, *zoom, gx - fx * nc, gy - fy * nr);
    *pan_col               = after.col0;
    *pan_row               = after.row0;
}

}  // namespace ts::app
