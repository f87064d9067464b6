// Screenshots: read the pixels of a framebuffer (the default one or an FBO) and write them as PNG.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/result.hpp"

namespace ts::app::gl {

struct Image {
    int width  = 0;
    int height = 0;
    std::vector<uint8_t> rgba;  // width * height * 4 bytes, top row first
};

// Reads a width x height region at the origin of framebuffer `fbo` (0: the window's back buffer) into an
// opaque RGBA image, top row first (GL's rows go bottom-up, so they are flipped). Needs a current context.
[[nodiscard]] core::Result<Image> read_framebuffer(unsigned fbo, int width, int height);

// Writes `img` as an 8-bit RGBA PNG; the error names the path.
[[nodiscard]] core::Status write_png(const Image& img, const std::string& path);

}  // namespace ts::app::gl
