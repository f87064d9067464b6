// Colour-blind-safe sequential colour maps (viridis, magma) as tables, for heatmaps and probability colouring.
// Pure CPU code (no GL): the heatmap shader gets the same table as a 256x1 texture (app/gl/heatmap.hpp).
#pragma once

#include <array>
#include <cstdint>

namespace ts::app::gl {

enum class Colormap { Viridis, Magma };

struct Rgb {
    float r = 0, g = 0, b = 0;  // each in [0, 1]
};

inline constexpr int kLutSize = 256;

// The colour at t in [0, 1] (clamped; NaN gives the t = 0 colour).
[[nodiscard]] Rgb colormap_rgb(Colormap map, float t);
// Packed as ImGui's ImU32 (IM_COL32: r in the low byte), alpha 255.
[[nodiscard]] uint32_t colormap_u32(Colormap map, float t);
// kLutSize RGB triples, entry i = colormap_rgb(map, i / (kLutSize - 1)): the shader's lookup texture.
[[nodiscard]] std::array<uint8_t, kLutSize * 3> colormap_lut(Colormap map);
// Relative luminance (Rec. 709 weights on the sRGB values), used to pick readable text over a colour.
[[nodiscard]] float luminance(Rgb c);
const char* colormap_name(Colormap map);

}  // namespace ts::app::gl
