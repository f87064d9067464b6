// f16 / bf16 conversions (core/base/fp16.hpp): special values, rounding to nearest even, exhaustive round trips,
// and agreement with the CPU's own F16C conversion where the CPU has it.
#include "core/base/fp16.hpp"

#include <gtest/gtest.h>
#include <immintrin.h>

#include <cmath>
#include <limits>
#include <random>

namespace ts::core {
namespace {

TEST(Fp16, SpecialValuesDecode) {
    EXPECT_EQ(fp16_to_f32(0x0000), 0.0f);
    EXPECT_TRUE(std::signbit(fp16_to_f32(0x8000)));
    EXPECT_EQ(fp16_to_f32(0x3C00), 1.0f);
    EXPECT_EQ(fp16_to_f32(0xC000), -2.0f);
    EXPECT_EQ(fp16_to_f32(0x7BFF), 65504.0f);                  // largest finite
    EXPECT_EQ(fp16_to_f32(0x0400), std::ldexp(1.0f, -14));     // smallest normal
    EXPECT_EQ(fp16_to_f32(0x0001), std::ldexp(1.0f, -24));     // smallest subnormal
    EXPECT_EQ(fp16_to_f32(0x03FF), std::ldexp(1023.0f, -24));  // largest subnormal
    EXPECT_EQ(fp16_to_f32(0x7C00), std::numeric_limits<float>::infinity());
    EXPECT_EQ(fp16_to_f32(0xFC00), -std::numeric_limits<float>::infinity());
    EXPECT_TRUE(std::isnan(fp16_to_f32(0x7E00)));
    EXPECT_TRUE(std::isnan(fp16_to_f32(0x7C01)));
}

TEST(Fp16, SpecialValuesEncode) {
    EXPECT_EQ(f32_to_fp16(0.0f), 0x0000);
    EXPECT_EQ(f32_to_fp16(-0.0f), 0x8000);
    EXPECT_EQ(f32_to_fp16(1.0f), 0x3C00);
    EXPECT_EQ(f32_to_fp16(65504.0f), 0x7BFF);
    EXPECT_EQ(f32_to_fp16(65519.0f), 0x7BFF);  // below the halfway point to 65536
    EXPECT_EQ(f32_to_fp16(65520.0f), 0x7C00);  // halfway, ties to even = overflow to inf
    EXPECT_EQ(f32_to_fp16(1e10f), 0x7C00);
    EXPECT_EQ(f32_to_fp16(-1e10f), 0xFC00);
    EXPECT_EQ(f32_to_fp16(std::numeric_limits<float>::infinity()), 0x7C00);
    const uint16_t nan = f32_to_fp16(std::numeric_limits<float>::quiet_NaN());
    EXPECT_EQ(nan & 0x7C00, 0x7C00);
    EXPECT_NE(nan & 0x03FF, 0);
    EXPECT_EQ(f32_to_fp16(std::ldexp(1.0f, -24)), 0x0001);
    EXPECT_EQ(f32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);     // halfway to the smallest subnormal: even
    EXPECT_EQ(f32_to_fp16(std::ldexp(1.5f, -25)), 0x0001);     // above halfway
    EXPECT_EQ(f32_to_fp16(std::ldexp(3.0f, -25)), 0x0002);     // 1.5 ulp ties to even (2)
    EXPECT_EQ(f32_to_fp16(std::ldexp(1.0f, -26)), 0x0000);     // underflow
    EXPECT_EQ(f32_to_fp16(std::ldexp(2047.0f, -25)), 0x0400);  // rounds up from subnormal into the normals
}

TEST(Fp16, RoundsToNearestEven) {
    const float ulp = std::ldexp(1.0f, -10);                    // spacing of f16 at 1.0
    EXPECT_EQ(f32_to_fp16(1.0f + ulp / 2), 0x3C00);             // tie, 0x3C00 is even
    EXPECT_EQ(f32_to_fp16(1.0f + 3 * ulp / 2), 0x3C02);         // tie, 0x3C02 is even
    EXPECT_EQ(f32_to_fp16(1.0f + ulp / 2 + ulp / 64), 0x3C01);  // just above the tie
}

TEST(Fp16, EveryHalfRoundTrips) {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = fp16_to_f32(uint16_t(h));
        if (std::isnan(f)) continue;
        ASSERT_EQ(f32_to_fp16(f), h) << "h=" << h;
    }
}

// _mm_cvtps_ph rather than _cvtss_sh: clang's _cvtss_sh macro is a compound literal, which -Wpedantic rejects.
__attribute__((target("f16c"))) uint16_t hardware_f16(float x) {
    return uint16_t(_mm_cvtsi128_si32(_mm_cvtps_ph(_mm_set_ss(x), 0)) & 0xFFFF);
}
__attribute__((target("f16c"))) float hardware_f32(uint16_t h) {
    return _cvtsh_ss(h);
}

TEST(Fp16, MatchesF16cHardware) {
    if (!__builtin_cpu_supports("avx2")) GTEST_SKIP() << "no F16C";
    std::mt19937 rng(7);
    for (int i = 0; i < 1000000; ++i) {
        const uint32_t bits = rng();
        float f;
        std::memcpy(&f, &bits, 4);
        if (std::isnan(f)) continue;
        ASSERT_EQ(f32_to_fp16(f), hardware_f16(f)) << "bits=" << bits;
    }
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float a = fp16_to_f32(uint16_t(h)), b = hardware_f32(uint16_t(h));
        if (std::isnan(b)) {
            ASSERT_TRUE(std::isnan(a));
        } else {
            ASSERT_EQ(a, b) << "h=" << h;
        }
    }
}

TEST(Bf16, ConvertsSpecialValuesAndRoundsToEven) {
    EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
    EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
    EXPECT_EQ(bf16_to_f32(0xC000), -2.0f);
    EXPECT_EQ(f32_to_bf16(-0.0f), 0x8000);
    EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
    EXPECT_EQ(f32_to_bf16(-std::numeric_limits<float>::infinity()), 0xFF80);
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
    // a signalling-looking NaN whose payload sits only in the low 16 bits must not become inf
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(f32_from_bits(0x7F800001)))));
    EXPECT_EQ(f32_to_bf16(f32_from_bits(0x3F808000)), 0x3F80);  // tie, even stays
    EXPECT_EQ(f32_to_bf16(f32_from_bits(0x3F818000)), 0x3F82);  // tie, odd rounds up
    EXPECT_EQ(f32_to_bf16(f32_from_bits(0x3F808001)), 0x3F81);  // above the tie
    EXPECT_EQ(f32_to_bf16(f32_from_bits(0x7F7FFFFF)), 0x7F80);  // max float rounds to inf
}

TEST(Bf16, EveryBf16RoundTrips) {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = bf16_to_f32(uint16_t(h));
        if (std::isnan(f)) continue;
        ASSERT_EQ(f32_to_bf16(f), h);
    }
}

}  // namespace
}  // namespace ts::core
