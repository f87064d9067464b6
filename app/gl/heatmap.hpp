// HeatmapRenderer: colours a grid of floats (attention weights, Q·K scores) on the GPU with the colour-map shader
// (shaders/heatmap.*) into an RGBA texture that ImGui can draw with ImGui::Image. One value per texel, nearest
// filtering, NaN = masked. The attention panel (a later issue) builds on this; the shaders compile at start-up.
#pragma once

#include <memory>

#include "app/gl/colormap.hpp"
#include "app/gl/shader.hpp"
#include "core/base/result.hpp"

namespace ts::app::gl {

// A coloured heatmap: an RGBA8 texture of cols x rows texels (row 0 = first query row at the top of the image).
class HeatmapTexture {
public:
    HeatmapTexture() = default;
    ~HeatmapTexture();
    HeatmapTexture(const HeatmapTexture&)            = delete;
    HeatmapTexture& operator=(const HeatmapTexture&) = delete;

    unsigned texture() const { return color_tex_; }  // for ImGui::Image((ImTextureID)(intptr_t)texture(), ...)
    unsigned framebuffer() const { return fbo_; }    // to read the colours back (tests, PNG export)
    int rows() const { return rows_; }
    int cols() const { return cols_; }

private:
    friend class HeatmapRenderer;
    unsigned color_tex_ = 0, value_tex_ = 0, fbo_ = 0;
    int rows_ = 0, cols_ = 0;
};

class HeatmapRenderer {
public:
    [[nodiscard]] static core::Result<std::unique_ptr<HeatmapRenderer>> create();
    ~HeatmapRenderer();
    HeatmapRenderer(const HeatmapRenderer&)            = delete;
    HeatmapRenderer& operator=(const HeatmapRenderer&) = delete;

    // values: [rows][cols] row-major; v_min..v_max maps to the colour map's ends; NaN cells get the masked grey.
    // Leaves the default framebuffer bound and restores the viewport.
    void render(const float* values, int rows, int cols, float v_min, float v_max, Colormap map,
                HeatmapTexture& out) const;

private:
    HeatmapRenderer() = default;
    ShaderProgram program_;
    unsigned vao_ = 0, vbo_ = 0;
    unsigned lut_[2] = {0, 0};  // viridis, magma
};

}  // namespace ts::app::gl
