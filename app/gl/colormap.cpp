// Viridis and magma: matplotlib's perceptually uniform maps (public domain, CC0), given here as their colours at
// ten evenly spaced stops (t = 0, 1/9, ..., 1) and interpolated linearly in between. Ten stops keep the maps
// within a few levels of the 256-entry originals while staying short enough to check by eye.
#include "app/gl/colormap.hpp"

#include <algorithm>
#include <cmath>

namespace ts::app::gl {
namespace {

constexpr int kStops = 10;
using Stops          = std::array<uint32_t, kStops>;  // 0xRRGGBB

constexpr Stops kViridis = {0x440154, 0x482878, 0x3e4a89, 0x31688e, 0x26828e,
                            0x1f9e89, 0x35b779, 0x6dcd59, 0xb4de2c, 0xfde725};
constexpr Stops kMagma   = {0x000004, 0x180f3d, 0x440f76, 0x721f81, 0x9e2f7f,
                            0xcd4071, 0xf1605d, 0xfd9668, 0xfec98d, 0xfcfdbf};

const Stops& stops(Colormap map) {
    return map == Colormap::Magma ? kMagma : kViridis;
}

Rgb unpack(uint32_t c) {
    return {float((c >> 16) & 0xff) / 255.0f, float((c >> 8) & 0xff) / 255.0f, float(c & 0xff) / 255.0f};
}

uint8_t to_byte(float v) {
    return uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
}

}  // namespace

Rgb colormap_rgb(Colormap map, float t) {
    if (!(t > 0.0f)) t = 0.0f;  // also catches NaN
    if (t > 1.0f) t = 1.0f;
    const float x = t * float(kStops - 1);
    const int i   = std::min(int(x), kStops - 2);
    const float f = x - float(i);
    const Rgb a   = unpack(stops(map)[size_t(i)]);
    const Rgb b   = unpack(stops(map)[size_t(i) + 1]);
    return {a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
}

uint32_t colormap_u32(Colormap map, float t) {
    const Rgb c = colormap_rgb(map, t);
    return uint32_t(to_byte(c.r)) | uint32_t(to_byte(c.g)) << 8 | uint32_t(to_byte(c.b)) << 16 | 0xff000000u;
}

std::array<uint8_t, kLutSize * 3> colormap_lut(Colormap map) {
    std::array<uint8_t, kLutSize * 3> lut{};
    for (int i = 0; i < kLutSize; ++i) {
        const Rgb c            = colormap_rgb(map, float(i) / float(kLutSize - 1));
        lut[size_t(i) * 3 + 0] = to_byte(c.r);
        lut[size_t(i) * 3 + 1] = to_byte(c.g);
        lut[size_t(i) * 3 + 2] = to_byte(c.b);
    }
    return lut;
}

float luminance(Rgb c) {
    return 0.2126f * c.r + 0.7152f * c.g + 0.0722f * c.b;
}

const char* colormap_name(Colormap map) {
    return map == Colormap::Magma ? "magma" : "viridis";
}

}  // namespace ts::app::gl
