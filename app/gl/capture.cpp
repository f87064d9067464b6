// PNG capture with glReadPixels and stb_image_write (Debian's libstb holds the implementation).
#include "app/gl/capture.hpp"

#include <stb_image_write.h>

#include <cerrno>
#include <cstring>

#include "app/gl/gl.hpp"

namespace ts::app::gl {

core::Result<Image> read_framebuffer(unsigned fbo, int width, int height) {
    if (width <= 0 || height <= 0)
        return core::make_error(core::Code::kInvalidArgument, "capture: bad size %dx%d", width, height);
    Image img;
    img.width  = width;
    img.height = height;
    img.rgba.resize(size_t(width) * size_t(height) * 4);
    std::vector<uint8_t> gl_rows(img.rgba.size());
    glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo);
    glReadBuffer(fbo ? GL_COLOR_ATTACHMENT0 : GL_BACK);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, gl_rows.data());
    const GLenum err = glGetError();
    if (err != GL_NO_ERROR)
        return core::make_error(core::Code::kInternal, "capture: glReadPixels of %dx%d failed (GL error 0x%x)", width,
                                height, unsigned(err));
    const size_t row = size_t(width) * 4;
    for (int y = 0; y < height; ++y)
        std::memcpy(img.rgba.data() + size_t(y) * row, gl_rows.data() + size_t(height - 1 - y) * row, row);
    for (size_t i = 3; i < img.rgba.size(); i += 4) img.rgba[i] = 255;  // a window is opaque
    return img;
}

core::Status write_png(const Image& img, const std::string& path) {
    if (img.width <= 0 || img.height <= 0 || img.rgba.size() != size_t(img.width) * size_t(img.height) * 4)
        return core::make_error(core::Code::kInvalidArgument, "%s: image to write has a bad size %dx%d", path.c_str(),
                                img.width, img.height);
    errno = 0;
    if (!stbi_write_png(path.c_str(), img.width, img.height, 4, img.rgba.data(), img.width * 4))
        return core::make_error(core::Code::kIo, "%s: cannot write PNG (%s)", path.c_str(),
                                errno ? std::strerror(errno) : "write failed");
    return {};
}

}  // namespace ts::app::gl
