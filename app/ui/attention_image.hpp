// Attention matrices as images: the values a heatmap texture is coloured from (masked future cells and hidden
// columns as NaN, the masked grey; an optional log scale) and drawing a texture, or its stand-in without GL (headless
// frame tests). Shared by the Attention panel and the Heads panel's heatmaps.
#pragma once

#include <imgui.h>

#include <vector>

#include "app/gl/heatmap.hpp"

namespace ts::app {

inline constexpr float kAttentionLogFloor = -4.0f;  // log scale: weights <= 1e-4 get the lowest colour

// probs [n][n] (row i valid for j <= i) → display values: masked keys — future ones, and with window > 0 those
// `window` or more positions behind the query (a sliding-window layer) — and the columns in `hidden` NaN (drawn as
// masked, not as weight 0); log10 over [kAttentionLogFloor, 0] when log_scale.
void attention_values(const float* probs, int n, bool log_scale, const std::vector<int>& hidden, int window,
                      std::vector<float>& out);

// Colours probs into `tex` (nothing without a renderer: headless frames draw the stand-in).
void render_attention(gl::HeatmapRenderer* renderer, const float* probs, int n, bool log_scale, bool magma,
                      const std::vector<int>& hidden, int window, std::vector<float>& scratch, gl::HeatmapTexture& tex);

// Draws the texture (its part uv = u0, v0, u1, v1) into the rectangle a–b of the window, or a dark stand-in.
void draw_texture(const gl::HeatmapTexture& tex, ImVec2 a, ImVec2 b, const float uv[4]);

}  // namespace ts::app
