// GL rendering under a real (virtual) display: the offscreen window, PNG capture, and the heatmap shader, whose
// colours must equal the CPU colour map's (what is shown is what was computed).
#include <GLFW/glfw3.h>
#include <gtest/gtest.h>
#include <imgui.h>
#include <stb_image.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "app/gl/capture.hpp"
#include "app/gl/colormap.hpp"
#include "app/gl/gl_window.hpp"
#include "app/gl/heatmap.hpp"

namespace ts::app::gl {
namespace {

std::unique_ptr<GlWindow> offscreen_window(int w, int h) {
    const char* display = std::getenv("DISPLAY");
    if (!display || !*display) {
        ADD_FAILURE() << "no DISPLAY: the GUI tests need an X server; run them under `xvfb-run -a` "
                         "(scripts/test.sh does)";
        return nullptr;
    }
    WindowConfig cfg;
    cfg.width     = w;
    cfg.height    = h;
    cfg.offscreen = true;
    auto win      = GlWindow::create(cfg);
    if (!win) {
        ADD_FAILURE() << win.error().message;
        return nullptr;
    }
    return std::move(*win);
}

TEST(Heatmap, ShaderColoursEqualTheColourMapTable) {
    auto win = offscreen_window(64, 64);
    ASSERT_TRUE(win);
    auto r = HeatmapRenderer::create();
    ASSERT_TRUE(r.ok()) << r.error().message;
    // 2 rows x 3 columns; NaN is a masked cell.
    const float values[6] = {0.0f, 0.5f, 1.0f, std::nanf(""), 0.25f, 2.0f};
    HeatmapTexture tex;
    (*r)->render(values, 2, 3, 0.0f, 1.0f, Colormap::Viridis, tex);
    ASSERT_NE(tex.texture(), 0u);
    auto img = read_framebuffer(tex.framebuffer(), 3, 2);
    ASSERT_TRUE(img.ok()) << img.error().message;
    const auto lut = colormap_lut(Colormap::Viridis);
    // read_framebuffer returns GL's last row first: value row 1 is image row 0.
    auto pixel      = [&](int value_row, int col) { return &img->rgba[size_t(((1 - value_row) * 3 + col) * 4)]; };
    auto expect_lut = [&](int value_row, int col, int lut_index) {
        const uint8_t* p = pixel(value_row, col);
        for (int c = 0; c < 3; ++c)
            EXPECT_NEAR(int(p[c]), int(lut[size_t(lut_index) * 3 + size_t(c)]), 1)
                << "cell " << value_row << "," << col << " channel " << c;
    };
    expect_lut(0, 0, 0);
    expect_lut(0, 1, 128);  // t = 0.5 -> texel centre 127.5 + 0.5 = entry 128
    expect_lut(0, 2, 255);
    expect_lut(1, 1, 64);   // 0.25 * 255 = 63.75 -> entry 64
    expect_lut(1, 2, 255);  // above the range clamps to the top
    const uint8_t* masked = pixel(1, 0);
    EXPECT_NEAR(masked[0], 64, 2);  // the masked grey (0.25, 0.25, 0.27)
    EXPECT_NEAR(masked[2], 69, 2);
}

// Reads the colour texture back as value rows (row 0 first) of RGB triples.
std::vector<uint8_t> colours_of(const HeatmapTexture& tex) {
    auto img = read_framebuffer(tex.framebuffer(), tex.cols(), tex.rows());
    if (!img) {
        ADD_FAILURE() << img.error().message;
        return {};
    }
    std::vector<uint8_t> out;
    for (int r = 0; r < tex.rows(); ++r)  // read_framebuffer returns GL's last row first
        for (int c = 0; c < tex.cols(); ++c)
            for (int k = 0; k < 3; ++k)
                out.push_back(img->rgba[size_t(((tex.rows() - 1 - r) * tex.cols() + c) * 4 + k)]);
    return out;
}

void expect_cells(const HeatmapTexture& tex, const std::vector<float>& values, float lo, float hi, Colormap map) {
    const auto got = colours_of(tex);
    ASSERT_EQ(got.size(), values.size() * 3);
    for (size_t i = 0; i < values.size(); ++i) {
        const Rgb want = colormap_rgb(map, (values[i] - lo) / (hi - lo));
        EXPECT_NEAR(got[i * 3 + 0], want.r * 255.0f, 2.5f) << "cell " << i;
        EXPECT_NEAR(got[i * 3 + 1], want.g * 255.0f, 2.5f) << "cell " << i;
        EXPECT_NEAR(got[i * 3 + 2], want.b * 255.0f, 2.5f) << "cell " << i;
    }
}

TEST(Heatmap, OneByOneGridIsOneTexel) {
    auto win = offscreen_window(32, 32);
    ASSERT_TRUE(win);
    auto r = HeatmapRenderer::create();
    ASSERT_TRUE(r.ok()) << r.error().message;
    HeatmapTexture tex;
    const std::vector<float> one = {0.75f};
    (*r)->render(one.data(), 1, 1, 0.0f, 1.0f, Colormap::Magma, tex);
    EXPECT_EQ(tex.rows(), 1);
    EXPECT_EQ(tex.cols(), 1);
    expect_cells(tex, one, 0.0f, 1.0f, Colormap::Magma);
}

TEST(Heatmap, NonSquareGridsKeepRowsAndColumnsApart) {
    auto win = offscreen_window(32, 32);
    ASSERT_TRUE(win);
    auto r = HeatmapRenderer::create();
    ASSERT_TRUE(r.ok()) << r.error().message;
    HeatmapTexture tex;
    // 5 rows x 3 columns, then 2 rows x 7 columns into the same texture (it is re-made for the new shape); odd
    // widths check the row stride of the upload.
    std::vector<float> tall(15), wide(14);
    for (size_t i = 0; i < tall.size(); ++i) tall[i] = float(i) / 14.0f;
    for (size_t i = 0; i < wide.size(); ++i) wide[i] = -4.0f + 4.0f * float(i) / 13.0f;  // a log10 range
    (*r)->render(tall.data(), 5, 3, 0.0f, 1.0f, Colormap::Viridis, tex);
    EXPECT_EQ(tex.rows(), 5);
    EXPECT_EQ(tex.cols(), 3);
    expect_cells(tex, tall, 0.0f, 1.0f, Colormap::Viridis);
    (*r)->render(wide.data(), 2, 7, -4.0f, 0.0f, Colormap::Viridis, tex);
    EXPECT_EQ(tex.rows(), 2);
    EXPECT_EQ(tex.cols(), 7);
    expect_cells(tex, wide, -4.0f, 0.0f, Colormap::Viridis);
}

TEST(Capture, WritesAPngWithTheFramebuffersSize) {
    auto win = offscreen_window(160, 90);
    ASSERT_TRUE(win);
    win->begin_frame(0.0);
    win->end_frame();
    auto img = win->capture();
    ASSERT_TRUE(img.ok()) << img.error().message;
    EXPECT_EQ(img->width, 160);
    EXPECT_EQ(img->height, 90);
    const std::string path = ::testing::TempDir() + "ts_gui_capture.png";
    ASSERT_TRUE(write_png(*img, path).ok());
    int w = 0, h = 0, n = 0;
    unsigned char* px = stbi_load(path.c_str(), &w, &h, &n, 4);
    ASSERT_NE(px, nullptr);
    EXPECT_EQ(w, 160);
    EXPECT_EQ(h, 90);
    stbi_image_free(px);
}

// GLFW offers no way to fake an OS drag-and-drop, but glfwSetDropCallback returns the callback it holds: calling
// that is exactly what GLFW does when files are dropped onto the window.
TEST(Window, FilesDroppedOntoItAreCollectedUntilTaken) {
    auto win = offscreen_window(64, 64);
    ASSERT_TRUE(win);
    GLFWwindow* gw        = win->glfw_window();
    GLFWdropfun installed = glfwSetDropCallback(gw, nullptr);
    ASSERT_NE(installed, nullptr) << "GlWindow must install a drop callback";
    glfwSetDropCallback(gw, installed);
    const char* first[]  = {"/models/a.gguf", "/models/b b.gguf"};
    const char* second[] = {"/models/ü.gguf"};
    installed(gw, 2, first);
    installed(gw, 1, second);
    const std::vector<std::string> want = {"/models/a.gguf", "/models/b b.gguf", "/models/ü.gguf"};
    EXPECT_EQ(win->take_dropped_paths(), want);
    EXPECT_TRUE(win->take_dropped_paths().empty());  // taken once
}

// File ▸ Save screenshot on a real (Xvfb) window: the frame is read from the back buffer before the swap.
TEST(Window, OnScreenFrameCaptureHasTheFramebufferSize) {
    const char* display = std::getenv("DISPLAY");
    ASSERT_TRUE(display && *display) << "run under xvfb-run -a";
    WindowConfig cfg;
    cfg.width  = 320;
    cfg.height = 200;
    auto win   = GlWindow::create(cfg);
    ASSERT_TRUE(win.ok()) << win.error().message;
    GlWindow& w = **win;
    w.set_clear_color(0.2f, 0.4f, 0.6f);
    EXPECT_FALSE(w.take_frame_capture().has_value());  // nothing asked for
    w.begin_frame(0.0);
    ImGui::Begin("hello");
    ImGui::TextUnformatted("a window with some text in it");
    ImGui::End();
    w.request_frame_capture();
    w.end_frame();
    auto img = w.take_frame_capture();
    ASSERT_TRUE(img.has_value());
    ASSERT_TRUE(img->ok()) << img->error().message;
    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(w.glfw_window(), &fb_w, &fb_h);
    EXPECT_EQ((*img)->width, fb_w);
    EXPECT_EQ((*img)->height, fb_h);
    // The clear colour fills the corner the ImGui window does not cover (bottom right).
    const size_t at = (size_t((*img)->height - 1) * size_t((*img)->width) + size_t((*img)->width - 1)) * 4;
    EXPECT_NEAR((*img)->rgba[at + 0], 51, 2);
    EXPECT_NEAR((*img)->rgba[at + 1], 102, 2);
    EXPECT_NEAR((*img)->rgba[at + 2], 153, 2);
    EXPECT_FALSE(w.take_frame_capture().has_value());  // taken once
}

TEST(Capture, ReportsAnUnwritablePath) {
    Image img;
    img.width  = 2;
    img.height = 2;
    img.rgba.assign(16, 255);
    auto st = write_png(img, "/nonexistent-dir/x.png");
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("/nonexistent-dir/x.png"), std::string::npos);
}

}  // namespace
}  // namespace ts::app::gl
