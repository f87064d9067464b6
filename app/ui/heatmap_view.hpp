// The geometry of a zoomable heatmap on screen: which cells of a rows × cols grid are visible at a zoom and pan,
// the texture coordinates that show them, the cell under a pixel (hover, click), and zooming about the cursor.
// Pure code (no ImGui, no GL), unit-tested: the Attention panel draws with it.
#pragma once

#include <optional>

namespace ts::app {

// The visible part of the grid, in cell units (fractions allowed when zoomed).
struct CellWindow {
    int rows = 0, cols = 0;
    float col0 = 0, row0 = 0;    // top-left visible cell
    float ncols = 0, nrows = 0;  // how many cells are visible across and down
};

// Screen rectangle the grid is drawn into.
struct ScreenRect {
    float x = 0, y = 0, w = 0, h = 0;
    // {x0, y0, x1, y1}: the form the panels' test hooks hand out.
    void corners(float out[4]) const {
        out[0] = x;
        out[1] = y;
        out[2] = x + w;
        out[3] = y + h;
    }
};

struct CellHit {
    int row = 0, col = 0;
};

// zoom >= 1 (1: the whole grid); pan = the top-left visible cell, clamped so the window stays inside the grid.
[[nodiscard]] CellWindow visible_cells(int rows, int cols, float zoom, float pan_col, float pan_row);
// Texture coordinates (u0, v0, u1, v1) for ImGui::Image: v = 0 is row 0, at the top.
void window_uv(const CellWindow& win, float uv[4]);
// The cell under pixel (px, py) of `rect`, or nothing outside it.
[[nodiscard]] std::optional<CellHit> cell_at(const CellWindow& win, const ScreenRect& rect, float px, float py);
// Where the centre of cell (row, col) lands on screen.
void cell_center(const CellWindow& win, const ScreenRect& rect, int row, int col, float* x, float* y);
// Zooms by `factor` keeping the grid point under pixel (px, py) where it is: updates zoom and pan.
void zoom_about(int rows, int cols, const ScreenRect& rect, float px, float py, float factor, float* zoom,
                float* pan_col, float* pan_row);

}  // namespace ts::app
