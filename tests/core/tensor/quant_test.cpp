// Quantisation and dequantisation (quant.hpp): round-trip error limits per type, hand-built blocks whose values are
// computed by hand (they pin ggml's element order and the packed K-quant scales), and the reference rounding.
#include "core/tensor/quant.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "core/base/fp16.hpp"
#include "core/tensor/blocks.hpp"
#include "tensor_test_util.hpp"

namespace ts::core {
namespace {

using testing::nmse;
using testing::random_normal;

double round_trip_nmse(DType t, int64_t n, uint32_t seed) {
    const std::vector<float> x = random_normal(size_t(n), seed);
    std::vector<uint8_t> q(row_bytes(t, n));
    std::vector<float> y(static_cast<size_t>(n));
    quantize_row(t, x.data(), q.data(), n);
    dequantize_row(t, q.data(), y.data(), n);
    return nmse(y, x);
}

// Limits for N(0,1) data, n = 8192 (measured values in the comments, with some margin).
TEST(Quant, RoundTripErrorWithinPerTypeLimits) {
    struct Case {
        DType t;
        double limit;
    };
    const Case cases[] = {
        {DType::F32, 0.0},   {DType::F16, 1e-7},  // ~3.6e-8
        {DType::BF16, 1e-5},                      // ~2.2e-6
        {DType::Q8_0, 1e-4},                      // ~2.4e-5
        {DType::Q8_K, 1e-4},                      // ~3.0e-5
        {DType::Q5_0, 3e-3},                      // ~1.9e-3
        {DType::Q5_1, 3e-3},                      // ~1.6e-3
        {DType::Q4_0, 1e-2},                      // ~8.6e-3
        {DType::Q4_1, 1e-2},                      // ~7.4e-3
        {DType::Q4_K, 6e-3},                      // ~5.0e-3
        {DType::Q6_K, 4e-4},                      // ~2.9e-4
    };
    for (const Case& c : cases) {
        const double e = round_trip_nmse(c.t, 8192, 1234);
        EXPECT_LE(e, c.limit) << dtype_name(c.t);
        std::printf("  %-5s round-trip NMSE %.3g\n", std::string(dtype_name(c.t)).c_str(), e);
    }
}

TEST(Quant, ZerosStayZeroWithoutNaN) {
    const int64_t n = 512;
    const std::vector<float> x(size_t(n), 0.0f);
    for (DType t :
         {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q8_0, DType::Q4_K, DType::Q6_K, DType::Q8_K}) {
        std::vector<uint8_t> q(row_bytes(t, n));
        std::vector<float> y(size_t(n), 1.0f);
        quantize_row(t, x.data(), q.data(), n);
        dequantize_row(t, q.data(), y.data(), n);
        for (float v : y) ASSERT_EQ(v, 0.0f) << dtype_name(t);
    }
}

TEST(Quant, Q4_0HandBuiltBlockDecodesLowNibblesFirst) {
    BlockQ4_0 b{};
    b.d = f32_to_fp16(1.0f);
    for (int j = 0; j < 16; ++j) b.qs[j] = uint8_t(j | ((15 - j) << 4));
    float y[32];
    dequantize_row(DType::Q4_0, &b, y, 32);
    for (int j = 0; j < 16; ++j) {
        EXPECT_EQ(y[j], float(j - 8)) << j;       // low nibble of qs[j] is element j
        EXPECT_EQ(y[j + 16], float(7 - j)) << j;  // high nibble of qs[j] is element j + 16
    }
}

TEST(Quant, Q4_1HandBuiltBlockAddsMin) {
    BlockQ4_1 b{};
    b.d      = f32_to_fp16(0.5f);
    b.m      = f32_to_fp16(-1.0f);
    b.qs[0]  = 0x3A;  // element 0 = 10, element 16 = 3
    b.qs[15] = 0xF0;  // element 15 = 0, element 31 = 15
    float y[32];
    dequantize_row(DType::Q4_1, &b, y, 32);
    EXPECT_EQ(y[0], 4.0f);   // 10 * 0.5 - 1
    EXPECT_EQ(y[16], 0.5f);  // 3 * 0.5 - 1
    EXPECT_EQ(y[15], -1.0f);
    EXPECT_EQ(y[31], 6.5f);  // 15 * 0.5 - 1
    EXPECT_EQ(y[1], -1.0f);
}

TEST(Quant, Q5_0HighBitsComeFromQhLittleEndian) {
    BlockQ5_0 b{};
    b.d = f32_to_fp16(2.0f);
    // bit 0 -> element 0, bit 9 -> element 9, bit 16 -> element 16, bit 31 -> element 31
    const uint32_t qh = (1u << 0) | (1u << 9) | (1u << 16) | (1u << 31);
    std::memcpy(b.qh, &qh, 4);
    b.qs[0]  = 0x21;  // element 0 low = 1, element 16 low = 2
    b.qs[9]  = 0x00;
    b.qs[15] = 0xF0;  // element 15 low = 0, element 31 low = 15
    float y[32];
    dequantize_row(DType::Q5_0, &b, y, 32);
    EXPECT_EQ(y[0], 2.0f * (17 - 16));
    EXPECT_EQ(y[16], 2.0f * (18 - 16));
    EXPECT_EQ(y[9], 2.0f * (16 - 16));
    EXPECT_EQ(y[15], 2.0f * (0 - 16));
    EXPECT_EQ(y[31], 2.0f * (31 - 16));
    EXPECT_EQ(y[1], 2.0f * (0 - 16));
}

TEST(Quant, Q5_1HandBuiltBlock) {
    BlockQ5_1 b{};
    b.d               = f32_to_fp16(0.25f);
    b.m               = f32_to_fp16(1.0f);
    const uint32_t qh = 1u << 20;  // element 20 gets +16
    std::memcpy(b.qh, &qh, 4);
    b.qs[4] = 0x53;  // element 4 = 3, element 20 = 5 | 16 = 21
    float y[32];
    dequantize_row(DType::Q5_1, &b, y, 32);
    EXPECT_EQ(y[4], 3 * 0.25f + 1.0f);
    EXPECT_EQ(y[20], 21 * 0.25f + 1.0f);
    EXPECT_EQ(y[0], 1.0f);
}

TEST(Quant, Q8_0HandBuiltBlock) {
    BlockQ8_0 b{};
    b.d = f32_to_fp16(0.5f);
    for (int j = 0; j < 32; ++j) b.qs[j] = int8_t(j * 8 - 128);
    float y[32];
    dequantize_row(DType::Q8_0, &b, y, 32);
    for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.5f * float(j * 8 - 128));
}

// Q4_K scales bytes chosen by hand; the 6-bit values they hold are worked out in the comments.
TEST(Quant, Q4_KPackedScalesAndNibbleOrder) {
    BlockQ4_K b{};
    b.d                      = f32_to_fp16(1.0f);
    b.dmin                   = f32_to_fp16(0.5f);
    const uint8_t scales[12] = {
        0x41,  // scale 0 = 1; top bits 01 -> scale 4 gets +16
        0x02,  // scale 1 = 2
        0xC3,  // scale 2 = 3; top bits 11 -> scale 6 gets +48
        0x04,  // scale 3 = 4
        0x05,  // min 0 = 5
        0x86,  // min 1 = 6; top bits 10 -> min 5 gets +32
        0x07,  // min 2 = 7
        0x08,  // min 3 = 8
        0x21,  // scale 4 = 16 + 1 = 17, min 4 = 2
        0x43,  // scale 5 = 3,  min 5 = 32 + 4 = 36
        0x05,  // scale 6 = 48 + 5 = 53, min 6 = 0
        0xF0,  // scale 7 = 0, min 7 = 15
    };
    std::memcpy(b.scales, scales, 12);
    for (int l = 0; l < 128; ++l) b.qs[l] = uint8_t((l % 16) | ((15 - l % 16) << 4));
    std::vector<float> y(256);
    dequantize_row(DType::Q4_K, &b, y.data(), 256);
    // element e: chunk c = e / 64, sub-block 2c (+1 for the high half), q from qs[32c + e % 32]
    EXPECT_EQ(y[3], 1.0f * 1 * 3 - 0.5f * 5);           // sub-block 0, low nibble of qs[3] = 3
    EXPECT_EQ(y[32 + 3], 1.0f * 2 * 12 - 0.5f * 6);     // sub-block 1, high nibble of qs[3] = 12
    EXPECT_EQ(y[64 + 5], 1.0f * 3 * 5 - 0.5f * 7);      // sub-block 2, low nibble of qs[32 + 5]
    EXPECT_EQ(y[96 + 17], 1.0f * 4 * 14 - 0.5f * 8);    // sub-block 3, high nibble of qs[32 + 17] = 15 - 1
    EXPECT_EQ(y[128 + 2], 1.0f * 17 * 2 - 0.5f * 2);    // sub-block 4
    EXPECT_EQ(y[160 + 0], 1.0f * 3 * 15 - 0.5f * 36);   // sub-block 5, high nibble of qs[64] = 15
    EXPECT_EQ(y[192 + 31], 1.0f * 53 * 15 - 0.5f * 0);  // sub-block 6, low nibble of qs[96 + 31] = 15
    EXPECT_EQ(y[224 + 1], 1.0f * 0 * 14 - 0.5f * 15);   // sub-block 7
}

TEST(Quant, Q4_KScalePackingRoundTrips) {
    uint8_t sc[8] = {0, 63, 17, 32, 5, 48, 63, 1}, mn[8] = {63, 0, 31, 16, 47, 2, 33, 60};
    uint8_t packed[12], sc2[8], mn2[8];
    pack_scales_k4(sc, mn, packed);
    unpack_scales_k4(packed, sc2, mn2);
    for (int j = 0; j < 8; ++j) {
        EXPECT_EQ(sc2[j], sc[j]);
        EXPECT_EQ(mn2[j], mn[j]);
    }
}

TEST(Quant, Q5_KFifthBitsComeFromQhBitPairs) {
    BlockQ5_K b{};
    b.d           = f32_to_fp16(1.0f);
    b.dmin        = f32_to_fp16(0.0f);
    uint8_t sc[8] = {1, 1, 1, 1, 1, 1, 1, 1}, mn[8] = {};
    pack_scales_k4(sc, mn, b.scales);
    b.qh[7] = 0x24;  // bit 2: element 64*1 + 7 (chunk 1, low half); bit 5: element 64*2 + 32 + 7 (chunk 2, high)
    std::vector<float> y(256);
    dequantize_row(DType::Q5_K, &b, y.data(), 256);
    EXPECT_EQ(y[64 + 7], 16.0f);
    EXPECT_EQ(y[128 + 32 + 7], 16.0f);
    EXPECT_EQ(y[7], 0.0f);
    EXPECT_EQ(y[64 + 32 + 7], 0.0f);
}

TEST(Quant, Q6_KElementPositions) {
    BlockQ6_K b{};
    b.d = f32_to_fp16(1.0f);
    for (int g = 0; g < 16; ++g) b.scales[g] = int8_t(g + 1);
    std::memset(b.ql, 0, sizeof b.ql);
    std::memset(b.qh, 0, sizeof b.qh);
    // element 200 = half 1, position 72 = l + 64 with l = 8: high nibble of ql[64 + 8], bits 4-5 of qh[32 + 8]
    b.ql[64 + 8] = 0x70;
    b.qh[32 + 8] = 0x20;  // bits 4-5 = 2 -> +32
    // element 40 = half 0, position 40 = l + 32 with l = 8: low nibble of ql[40], bits 2-3 of qh[8]
    b.ql[40] = 0x05;
    b.qh[8]  = 0x0C;  // bits 2-3 = 3 -> +48
    std::vector<float> y(256);
    dequantize_row(DType::Q6_K, &b, y.data(), 256);
    EXPECT_EQ(y[200], float(200 / 16 + 1) * float((7 | 32) - 32));
    EXPECT_EQ(y[40], float(40 / 16 + 1) * float((5 | 48) - 32));
    EXPECT_EQ(y[0], 1.0f * -32.0f);
    EXPECT_EQ(y[255], 16.0f * -32.0f);
}

TEST(Quant, Q8_KMapsSignedExtremeToMinus127AndFillsBsums) {
    std::vector<float> x = random_normal(256, 5);
    x[17]                = 10.0f;  // the extreme
    BlockQ8_K b{};
    quantize_row(DType::Q8_K, x.data(), &b, 256);
    EXPECT_EQ(b.qs[17], -127);
    EXPECT_FLOAT_EQ(b.d, -10.0f / 127.0f);
    for (int g = 0; g < 16; ++g) {
        int s = 0;
        for (int j = 0; j < 16; ++j) s += b.qs[16 * g + j];
        EXPECT_EQ(b.bsums[g], s);
    }
}

TEST(Quant, Q8_0RoundsHalfAwayFromZero) {
    float x[32] = {};
    x[0]        = 127.0f;  // d = 1 exactly
    x[1]        = 2.5f;
    x[2]        = -2.5f;
    x[3]        = 3.5f;
    BlockQ8_0 b{};
    quantize_row(DType::Q8_0, x, &b, 32);
    EXPECT_EQ(fp16_to_f32(b.d), 1.0f);
    EXPECT_EQ(b.qs[0], 127);
    EXPECT_EQ(b.qs[1], 3);
    EXPECT_EQ(b.qs[2], -3);
    EXPECT_EQ(b.qs[3], 4);
}

TEST(Quant, Q4_0MapsSignedExtremeToLevelZero) {
    float x[32];
    for (int j = 0; j < 32; ++j) x[j] = float(j - 16);  // extreme is -16 at j = 0, so d = -16 / -8 = 2
    BlockQ4_0 b{};
    quantize_row(DType::Q4_0, x, &b, 32);
    EXPECT_EQ(fp16_to_f32(b.d), 2.0f);
    // level = min(15, trunc(x / 2 + 8.5)): x0 = -16 -> 0, x1 = -15 -> 1, x16 = 0 -> 8, x31 = 15 -> 15
    EXPECT_EQ(b.qs[0] & 0xF, 0);
    EXPECT_EQ(b.qs[1] & 0xF, 1);
    EXPECT_EQ(b.qs[0] >> 4, 8);
    EXPECT_EQ(b.qs[15] >> 4, 15);
}

TEST(Quant, Q4_KQuantiseIsStableOnItsOwnOutput) {
    // Re-quantising dequantised Q4_K data must not lose more: the grid is representable.
    const std::vector<float> x = random_normal(1024, 9);
    std::vector<uint8_t> q(row_bytes(DType::Q4_K, 1024)), q2(q.size());
    std::vector<float> y(1024), y2(1024);
    quantize_row(DType::Q4_K, x.data(), q.data(), 1024);
    dequantize_row(DType::Q4_K, q.data(), y.data(), 1024);
    quantize_row(DType::Q4_K, y.data(), q2.data(), 1024);
    dequantize_row(DType::Q4_K, q2.data(), y2.data(), 1024);
    EXPECT_LT(nmse(y2, y), 2e-3);
}

TEST(Quant, F16AndBf16RowsConvertExactlyRepresentableValues) {
    const float x[4] = {1.0f, -2.5f, 0.125f, 1024.0f};
    uint16_t h[4];
    float y[4];
    for (DType t : {DType::F16, DType::BF16}) {
        quantize_row(t, x, h, 4);
        dequantize_row(t, h, y, 4);
        for (int i = 0; i < 4; ++i) EXPECT_EQ(y[i], x[i]) << dtype_name(t);
    }
}

}  // namespace
}  // namespace ts::core
