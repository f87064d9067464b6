// GPU colouring of value grids: upload as an R32F texture, draw one quad into an FBO with the LUT shader.
#include "app/gl/heatmap.hpp"

#include "app/gl/gl.hpp"
#include "app/gl/shaders.hpp"

namespace ts::app::gl {
namespace {

unsigned make_texture(GLint internal, int w, int h, GLenum format, GLenum type, const void* data) {
    GLuint t = 0;
    glGenTextures(1, &t);
    glBindTexture(GL_TEXTURE_2D, t);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, internal, w, h, 0, format, type, data);
    return t;
}

}  // namespace

HeatmapTexture::~HeatmapTexture() {
    if (fbo_) glDeleteFramebuffers(1, &fbo_);
    if (color_tex_) glDeleteTextures(1, &color_tex_);
    if (value_tex_) glDeleteTextures(1, &value_tex_);
}

core::Result<std::unique_ptr<HeatmapRenderer>> HeatmapRenderer::create() {
    auto prog = ShaderProgram::build("heatmap", kShader_heatmap_vert, kShader_heatmap_frag);
    if (!prog) return prog.error();
    std::unique_ptr<HeatmapRenderer> r(new HeatmapRenderer());
    r->program_ = std::move(*prog);

    static constexpr float kQuad[] = {0, 0, 1, 0, 0, 1, 1, 1};  // triangle strip over the unit square
    glGenVertexArrays(1, &r->vao_);
    glGenBuffers(1, &r->vbo_);
    glBindVertexArray(r->vao_);
    glBindBuffer(GL_ARRAY_BUFFER, r->vbo_);
    glBufferData(GL_ARRAY_BUFFER, sizeof kQuad, kQuad, GL_STATIC_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 2 * sizeof(float), nullptr);
    glBindVertexArray(0);

    const Colormap maps[2] = {Colormap::Viridis, Colormap::Magma};
    for (int i = 0; i < 2; ++i) {
        const auto lut = colormap_lut(maps[i]);
        r->lut_[i]     = make_texture(GL_RGB8, kLutSize, 1, GL_RGB, GL_UNSIGNED_BYTE, lut.data());
    }
    const GLenum err = glGetError();
    if (err != GL_NO_ERROR)
        return core::make_error(core::Code::kInternal, "heatmap: GL error 0x%x while creating resources",
                                unsigned(err));
    return r;
}

HeatmapRenderer::~HeatmapRenderer() {
    if (vbo_) glDeleteBuffers(1, &vbo_);
    if (vao_) glDeleteVertexArrays(1, &vao_);
    glDeleteTextures(2, lut_);
}

void HeatmapRenderer::render(const float* values, int rows, int cols, float v_min, float v_max, Colormap map,
                             HeatmapTexture& out) const {
    if (rows <= 0 || cols <= 0) return;
    if (out.rows_ != rows || out.cols_ != cols || !out.fbo_) {
        if (out.fbo_) glDeleteFramebuffers(1, &out.fbo_);
        if (out.color_tex_) glDeleteTextures(1, &out.color_tex_);
        if (out.value_tex_) glDeleteTextures(1, &out.value_tex_);
        out.value_tex_ = make_texture(GL_R32F, cols, rows, GL_RED, GL_FLOAT, nullptr);
        out.color_tex_ = make_texture(GL_RGBA8, cols, rows, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);
        glGenFramebuffers(1, &out.fbo_);
        glBindFramebuffer(GL_FRAMEBUFFER, out.fbo_);
        glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, out.color_tex_, 0);
        out.rows_ = rows;
        out.cols_ = cols;
    }
    glBindTexture(GL_TEXTURE_2D, out.value_tex_);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, cols, rows, GL_RED, GL_FLOAT, values);

    GLint viewport[4];
    glGetIntegerv(GL_VIEWPORT, viewport);
    glBindFramebuffer(GL_FRAMEBUFFER, out.fbo_);
    glViewport(0, 0, cols, rows);
    glDisable(GL_BLEND);
    glDisable(GL_SCISSOR_TEST);
    glUseProgram(program_.id());
    // Value row r is texel row r of the colour texture: ImGui::Image (v = 0 at the top) shows row 0 on top.
    glUniform4f(program_.uniform("u_rect"), -1.0f, -1.0f, 1.0f, 1.0f);
    glUniform2f(program_.uniform("u_range"), v_min, v_max);
    glUniform4f(program_.uniform("u_masked"), 0.25f, 0.25f, 0.27f, 1.0f);
    glUniform1i(program_.uniform("u_values"), 0);
    glUniform1i(program_.uniform("u_lut"), 1);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, out.value_tex_);
    glActiveTexture(GL_TEXTURE1);
    glBindTexture(GL_TEXTURE_2D, lut_[map == Colormap::Magma ? 1 : 0]);
    glBindVertexArray(vao_);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    glBindVertexArray(0);
    glActiveTexture(GL_TEXTURE0);
    glUseProgram(0);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glViewport(viewport[0], viewport[1], viewport[2], viewport[3]);
}

}  // namespace ts::app::gl
