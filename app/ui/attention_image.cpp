// Attention matrices as images (see attention_image.hpp).
#include "app/ui/attention_image.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace ts::app {

void attention_values(const float* probs, int n, bool log_scale, const std::vector<int>& hidden, int window,
                      std::vector<float>& out) {
    const size_t N = size_t(std::max(n, 0));
    out.resize(N * N);
    std::vector<char> hide(N, 0);
    for (int c : hidden)
        if (c >= 0 && c < n) hide[size_t(c)] = 1;
    for (size_t i = 0; i < N; ++i)
        for (size_t j = 0; j < N; ++j) {
            const float p = probs[i * N + j];
            float& o      = out[i * N + j];
            if (j > i || hide[j] || (window > 0 && j + size_t(window) <= i))
                o = std::nanf("");
            else
                o = log_scale ? std::max(kAttentionLogFloor, std::log10(std::max(p, 1e-30f))) : p;
        }
}

void render_attention(gl::HeatmapRenderer* renderer, const float* probs, int n, bool log_scale, bool magma,
                      const std::vector<int>& hidden, int window, std::vector<float>& scratch,
                      gl::HeatmapTexture& tex) {
    if (!renderer || n <= 0 || !probs) return;
    attention_values(probs, n, log_scale, hidden, window, scratch);
    renderer->render(scratch.data(), n, n, log_scale ? kAttentionLogFloor : 0.0f, log_scale ? 0.0f : 1.0f,
                     magma ? gl::Colormap::Magma : gl::Colormap::Viridis, tex);
}

void draw_texture(const gl::HeatmapTexture& tex, ImVec2 a, ImVec2 b, const float uv[4]) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    if (tex.texture() != 0)
        dl->AddImage(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(tex.texture())), a, b, ImVec2(uv[0], uv[1]),
                     ImVec2(uv[2], uv[3]));
    else
        dl->AddRectFilled(a, b, IM_COL32(40, 42, 48, 255));  // no GL (headless frames)
}

}  // namespace ts::app
