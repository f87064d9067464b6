// LayerNorm (gpt2) as ggml's CPU backend computes it on x86, at every SIMD level: the mean rounded to float before
// its division, the squares summed in float groups of the matching llama.cpp build's width (16 lanes for AVX-512,
// 8 for AVX2, one at the scalar level) added pairwise by halves, the scale in float. Traced against llama.cpp's own
// tensors on a GPT-2-small-shape Q8_0 file: with this order each LayerNorm output equals its build's bit for bit;
// the former double-precision variance differed in the last bit and, through an 8-bit rounding of the next
// product's input, moved whole layers (README, agreement with llama.cpp).
#include "core/model/layers.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "tests/core/at_every_level.hpp"

namespace ts::core {
namespace {

class LayerNorm : public testing::AtEveryLevel {};
TS_AT_EVERY_LEVEL(LayerNorm);

// The order written out group by group: a group of w squares is folded in halves (w -> w/2 -> ... -> 1).
std::vector<float> by_groups(const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& b,
                             float eps, int lanes) {
    const int n = int(x.size());
    double s    = 0.0;
    for (float v : x) s += double(v);
    const float mean = float(s) / float(n);
    double sq        = 0.0;
    int i            = 0;
    if (lanes > 1) {
        for (; i + lanes <= n; i += lanes) {
            std::vector<float> g(static_cast<size_t>(lanes), 0.0f);
            for (int j = 0; j < lanes; ++j) g[size_t(j)] = (x[size_t(i + j)] - mean) * (x[size_t(i + j)] - mean);
            for (int width = lanes; width > 1; width /= 2)
                for (int j = 0; j < width / 2; ++j) g[size_t(j)] += g[size_t(j + width / 2)];
            sq += double(g[0]);
        }
    }
    for (; i < n; ++i) sq += double((x[size_t(i)] - mean) * (x[size_t(i)] - mean));
    const float scale = 1.0f / std::sqrt(float(sq / double(n)) + eps);
    std::vector<float> out(static_cast<size_t>(n));
    for (int j = 0; j < n; ++j) out[size_t(j)] = ((x[size_t(j)] - mean) * scale) * w[size_t(j)] + b[size_t(j)];
    return out;
}

// All in double, then rounded: what layer_norm computed before it followed ggml.
std::vector<float> in_double(const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& b,
                             float eps) {
    const int n = int(x.size());
    double s    = 0.0;
    for (float v : x) s += double(v);
    const double mean = s / n;
    double var        = 0.0;
    for (float v : x) var += (double(v) - mean) * (double(v) - mean);
    const double scale = 1.0 / std::sqrt(var / n + double(eps));
    std::vector<float> out(static_cast<size_t>(n));
    for (int j = 0; j < n; ++j)
        out[size_t(j)] = float((double(x[size_t(j)]) - mean) * scale * w[size_t(j)] + b[size_t(j)]);
    return out;
}

// llama.cpp's AVX2 build sums 8 floats per group, its AVX-512 builds 16; the scalar level sums one at a time.
TEST(FloatLanes, AreTheMatchingLlamaCppBuildsVectorWidths) {
    EXPECT_EQ(float_lanes(SimdLevel::Scalar), 1);
    EXPECT_EQ(float_lanes(SimdLevel::Avx2), 8);
    EXPECT_EQ(float_lanes(SimdLevel::Avx512), 16);
    EXPECT_EQ(float_lanes(SimdLevel::Avx512Vnni), 16);
}

TEST_P(LayerNorm, SumsAsTheMatchingLlamaCppBuildDoes) {
    std::mt19937 rng(5);
    std::normal_distribution<float> gauss(0.0f, 1.0f);
    int differs_from_double = 0;
    for (int trial = 0; trial < 200; ++trial) {
        const int n = trial % 4 == 3 ? 771 : 768;  // GPT-2 small's width, and one with a tail past the groups
        std::vector<float> x(static_cast<size_t>(n)), w(static_cast<size_t>(n)), b(static_cast<size_t>(n)),
            out(static_cast<size_t>(n));
        const float offset = float(trial % 7) * 3.0f;  // a residual stream with a mean away from 0
        for (int j = 0; j < n; ++j) {
            x[size_t(j)] = offset + gauss(rng) * (1.0f + float(j % 5));
            w[size_t(j)] = 1.0f + 0.2f * gauss(rng);
            b[size_t(j)] = 0.1f * gauss(rng);
        }
        layer_norm(x.data(), w.data(), b.data(), 1e-5f, n, out.data());
        const auto want = by_groups(x, w, b, 1e-5f, float_lanes(GetParam()));
        ASSERT_EQ(0, std::memcmp(out.data(), want.data(), sizeof(float) * size_t(n))) << "trial " << trial;
        const auto dbl = in_double(x, w, b, 1e-5f);
        differs_from_double += std::memcmp(out.data(), dbl.data(), sizeof(float) * size_t(n)) != 0;
        for (int j = 0; j < n; ++j)
            ASSERT_NEAR(out[size_t(j)], dbl[size_t(j)], 1e-5f * (1.0f + std::fabs(dbl[size_t(j)])));
    }
    EXPECT_GT(differs_from_double, 0);  // the order is not the double computation's (so this test sees a revert)
}

}  // namespace
}  // namespace ts::core
