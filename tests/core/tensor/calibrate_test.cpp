// Choosing the SIMD level by measurement (calibrate.hpp): the choice from forced timings, and the timings of this CPU.
#include "core/tensor/calibrate.hpp"

#include <gtest/gtest.h>

namespace ts::core {
namespace {

TEST(Calibrate, TheFastestLevelWins) {
    EXPECT_EQ(fastest_level({{SimdLevel::Avx2, 1.0}, {SimdLevel::Avx512Vnni, 0.8}}), SimdLevel::Avx512Vnni);
    EXPECT_EQ(fastest_level({{SimdLevel::Avx2, 0.8}, {SimdLevel::Avx512, 0.9}, {SimdLevel::Avx512Vnni, 1.0}}),
              SimdLevel::Avx2);
    EXPECT_EQ(fastest_level({{SimdLevel::Avx2, 1.0}, {SimdLevel::Avx512, 0.7}, {SimdLevel::Avx512Vnni, 0.9}}),
              SimdLevel::Avx512);
}

TEST(Calibrate, NoiseWithinTheMarginKeepsTheWiderKernels) {
    EXPECT_EQ(fastest_level({{SimdLevel::Avx2, 0.97}, {SimdLevel::Avx512Vnni, 1.0}}), SimdLevel::Avx512Vnni);
    EXPECT_EQ(fastest_level({{SimdLevel::Avx2, 0.97}, {SimdLevel::Avx512Vnni, 1.0}}, 0.0), SimdLevel::Avx2);
    EXPECT_EQ(fastest_level({}), SimdLevel::Scalar);
}

TEST(Calibrate, TimesEveryLevelFromAvx2UpAndRestoresTheActiveOne) {
    set_simd_level(SimdLevel::Scalar);
    ThreadPool pool(2);
    const auto t = time_simd_levels(pool, 1);
    EXPECT_EQ(active_simd(), SimdLevel::Scalar);
    set_simd_level(preferred_simd());
    const int n = detected_simd() >= SimdLevel::Avx2 ? int(detected_simd()) - int(SimdLevel::Avx2) + 1 : 0;
    ASSERT_EQ(int(t.size()), n);
    for (int i = 0; i < n; ++i) {
        EXPECT_EQ(t[size_t(i)].level, SimdLevel(int(SimdLevel::Avx2) + i));
        EXPECT_GT(t[size_t(i)].seconds, 0.0);
    }
    if (n > 0) {
        EXPECT_GE(int(fastest_level(t)), int(SimdLevel::Avx2));
    }
}

}  // namespace
}  // namespace ts::core
