// Dot kernels (ops.hpp): the scalar reference equals the dot of the dequantised rows, and every SIMD level equals
// the scalar reference, for every weight type and row lengths that exercise the kernels' tails.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/tensor/blocks.hpp"
#include "core/tensor/ops.hpp"
#include "tensor_test_util.hpp"

namespace ts::core {
namespace {

using testing::available_levels;
using testing::random_normal;
using testing::random_row;
using testing::SimdLevelGuard;

std::vector<int64_t> lengths_for(DType t) {
    const int64_t bs = dtype_info(t).block_size;
    if (bs == 1) return {1, 7, 8, 15, 16, 31, 33, 64, 100, 257, 2048};
    if (bs == 32) return {32, 64, 96, 224, 320, 352, 2048, 2080};  // 8-block steps, then pairs, then one
    return {256, 512, 768, 2048};
}

// dot of the dequantised weight row with the dequantised companion row of x, in double: what the kernels compute.
double exact_dot(DType t, const std::vector<uint8_t>& w, const std::vector<float>& x, int64_t n, double* abs_sum) {
    std::vector<float> wf(static_cast<size_t>(n)), xf(static_cast<size_t>(n));
    dequantize_row(t, w.data(), wf.data(), n);
    const DType ct = companion_type(t);
    if (ct == DType::F32) {
        xf = x;
    } else {
        std::vector<uint8_t> xq(row_bytes(ct, n));
        quantize_activations(ct, x.data(), xq.data(), n);
        dequantize_row(ct, xq.data(), xf.data(), n);
    }
    double s = 0, a = 0;
    for (int64_t i = 0; i < n; ++i) {
        s += double(wf[size_t(i)]) * xf[size_t(i)];
        a += std::fabs(double(wf[size_t(i)]) * xf[size_t(i)]);
    }
    *abs_sum = a;
    return s;
}

TEST(Ops, ScalarReferenceEqualsDotOfDequantisedRows) {
    SimdLevelGuard guard;
    set_simd_level(SimdLevel::Scalar);
    for (DType t : testing::kWeightTypes) {
        for (int64_t n : lengths_for(t)) {
            const auto w      = random_row(t, n, uint32_t(n) + 1);
            const auto x      = random_normal(size_t(n), uint32_t(n) + 2);
            double abs_sum    = 0;
            const double want = exact_dot(t, w, x, n, &abs_sum);
            EXPECT_NEAR(dot_row(t, w.data(), x.data(), n), want, 2e-6 * abs_sum + 1e-6) << dtype_name(t) << " n=" << n;
        }
    }
}

TEST(Ops, EverySimdLevelEqualsScalarReference) {
    SimdLevelGuard guard;
    for (DType t : testing::kWeightTypes) {
        for (int64_t n : lengths_for(t)) {
            for (uint32_t seed = 0; seed < 3; ++seed) {
                const auto w   = random_row(t, n, seed * 100 + uint32_t(n));
                const auto x   = random_normal(size_t(n), seed * 100 + uint32_t(n) + 7);
                double abs_sum = 0;
                exact_dot(t, w, x, n, &abs_sum);
                set_simd_level(SimdLevel::Scalar);
                const float ref = dot_row(t, w.data(), x.data(), n);
                for (SimdLevel l : available_levels()) {
                    set_simd_level(l);
                    EXPECT_NEAR(dot_row(t, w.data(), x.data(), n), ref, 2e-6 * abs_sum + 1e-6)
                        << dtype_name(t) << " n=" << n << " " << simd_name(l);
                }
            }
        }
    }
}

TEST(Ops, ExtremeQ8LevelsDoNotSaturate) {
    // Weights at -128 / 127 and activations at +-127 stress maddubs' int16 saturation in the SIMD kernels.
    SimdLevelGuard guard;
    const int64_t n = 256;
    std::vector<uint8_t> w(row_bytes(DType::Q8_0, n));
    auto* b = reinterpret_cast<BlockQ8_0*>(w.data());
    for (int64_t i = 0; i < n / 32; ++i) {
        b[i].d = f32_to_fp16(1.0f);
        for (int j = 0; j < 32; ++j) b[i].qs[j] = int8_t(j % 2 ? 127 : -128);
    }
    std::vector<float> x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) x[size_t(i)] = i % 2 ? 1.0f : -1.0f;
    set_simd_level(SimdLevel::Scalar);
    const float ref = dot_row(DType::Q8_0, w.data(), x.data(), n);
    EXPECT_NEAR(ref, double(n / 2) * (128 + 127), 4.0);  // x = +-1 quantises to +-127 * f16(1/127), not 1
    for (SimdLevel l : available_levels()) {
        set_simd_level(l);
        EXPECT_FLOAT_EQ(dot_row(DType::Q8_0, w.data(), x.data(), n), ref) << simd_name(l);
    }
}

TEST(Ops, DotF32AndAxpyMatchNaiveLoopsAtEveryLength) {
    SimdLevelGuard guard;
    for (SimdLevel l : available_levels()) {
        set_simd_level(l);
        for (int64_t n = 0; n <= 131; ++n) {
            const auto a = random_normal(size_t(n), uint32_t(n) + 11), b = random_normal(size_t(n), uint32_t(n) + 12);
            double want = 0, abs_sum = 0;
            for (int64_t i = 0; i < n; ++i) {
                want += double(a[size_t(i)]) * b[size_t(i)];
                abs_sum += std::fabs(double(a[size_t(i)]) * b[size_t(i)]);
            }
            EXPECT_NEAR(dot_f32(a.data(), b.data(), n), want, 1e-6 * abs_sum + 1e-7) << simd_name(l) << " n=" << n;

            std::vector<float> y = b;
            axpy_f32(0.75f, a.data(), y.data(), n);
            for (int64_t i = 0; i < n; ++i)
                ASSERT_NEAR(y[size_t(i)], b[size_t(i)] + 0.75f * a[size_t(i)], 1e-6f) << simd_name(l) << " n=" << n;
        }
    }
}

TEST(Ops, ActivationQuantisersEqualTheScalarReferenceAtEveryLevel) {
    SimdLevelGuard guard;
    std::vector<std::vector<float>> inputs;
    inputs.push_back(random_normal(1024, 21));
    inputs.push_back(random_normal(1024, 22, 1e-3f));
    // ties: with amax = 127 (Q8_0: id = 1) halves round to even; Q8_K: -127/max scaling
    std::vector<float> ties(1024);
    for (size_t i = 0; i < ties.size(); ++i) ties[i] = float(int(i % 64) - 32) + (i % 3 == 0 ? 0.5f : 0.0f);
    for (size_t b = 0; b < ties.size(); b += 32) ties[b] = 127.0f;
    inputs.push_back(ties);
    std::vector<float> with_zero_blocks = random_normal(1024, 23);
    std::fill(with_zero_blocks.begin(), with_zero_blocks.begin() + 256, 0.0f);
    inputs.push_back(with_zero_blocks);
    std::vector<float> negative_extreme = random_normal(1024, 24);
    negative_extreme[5]                 = -9.0f;
    negative_extreme[6]                 = 9.0f;  // same magnitude later: the first one sets the sign
    inputs.push_back(negative_extreme);
    for (DType t : {DType::Q8_0, DType::Q8_K}) {
        for (const auto& x : inputs) {
            std::vector<uint8_t> want(row_bytes(t, 1024)), got(want.size());
            set_simd_level(SimdLevel::Scalar);
            quantize_activations(t, x.data(), want.data(), 1024);
            if (t == DType::Q8_K) {  // Q8_K's activations are quantize_row's, as in ggml
                std::vector<uint8_t> row(want.size());
                quantize_row(t, x.data(), row.data(), 1024);
                EXPECT_EQ(row, want);
            }
            for (SimdLevel l : available_levels()) {
                set_simd_level(l);
                std::fill(got.begin(), got.end(), uint8_t(0xAA));
                quantize_activations(t, x.data(), got.data(), 1024);
                EXPECT_EQ(got, want) << dtype_name(t) << " " << simd_name(l);
            }
        }
    }
}

// Q8_0 activations as ggml's CPU backend quantises them on x86 (quantize_row_q8_0 of arch/x86/quants.c: inverse
// scale 127 / amax, _mm256_round_ps to nearest even), not as its reference quantiser (quantize_row, for weights:
// 1 / (amax / 127), roundf). Values where the two differ, found by search; llama.cpp's level is the one shown.
TEST(Ops, Q8_0ActivationsRoundAsGgmlsX86Kernel) {
    SimdLevelGuard guard;
    auto bits = [](uint32_t u) {
        float f;
        std::memcpy(&f, &u, 4);
        return f;
    };
    // Block 0: amax 127, so both inverse scales are 1: 2.5 → 2 and -2.5 → -2 (ties to even), 3.5 → 4.
    // Block 1: amax 3.8548305 (1 / (amax / 127) is one ulp below 127 / amax): 1.7756503 · id = 58.500004 → 59,
    // where the reference quantiser's 58.499996 gives 58.
    std::vector<float> x(64, 0.0f);
    x[0]  = 127.0f;
    x[1]  = 2.5f;
    x[2]  = -2.5f;
    x[3]  = 3.5f;
    x[32] = bits(1081521547u);
    x[33] = bits(1071859842u);
    BlockQ8_0 row[2], act[2];
    quantize_row(DType::Q8_0, x.data(), row, 64);
    EXPECT_EQ(row[0].qs[1], 3);
    EXPECT_EQ(row[0].qs[2], -3);
    EXPECT_EQ(row[1].qs[1], 58);
    for (SimdLevel l : available_levels()) {
        set_simd_level(l);
        quantize_activations(DType::Q8_0, x.data(), act, 64);
        EXPECT_EQ(act[0].qs[0], 127) << simd_name(l);
        EXPECT_EQ(act[0].qs[1], 2) << simd_name(l);
        EXPECT_EQ(act[0].qs[2], -2) << simd_name(l);
        EXPECT_EQ(act[0].qs[3], 4) << simd_name(l);
        EXPECT_EQ(act[1].qs[0], 127) << simd_name(l);
        EXPECT_EQ(act[1].qs[1], 59) << simd_name(l);
        EXPECT_EQ(act[1].d, row[1].d) << simd_name(l);  // the scale itself is the same
    }
}

TEST(Ops, SetSimdLevelIsClampedToDetected) {
    SimdLevelGuard guard;
    set_simd_level(SimdLevel::Avx512);
    EXPECT_LE(int(active_simd()), int(detected_simd()));
    set_simd_level(SimdLevel::Scalar);
    EXPECT_EQ(active_simd(), SimdLevel::Scalar);
    EXPECT_STREQ(simd_name(SimdLevel::Avx2), "avx2");
    EXPECT_LE(int(preferred_simd()), int(detected_simd()));
}

}  // namespace
}  // namespace ts::core
