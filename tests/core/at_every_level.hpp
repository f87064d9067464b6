// A test fixture that runs a suite once per SIMD level (scalar, avx2, avx512, avx512vnni) in the same ctest run:
// each instance forces its level for the test and restores the default after it. A level this CPU lacks is
// skipped, so a machine with AVX-512 proves the AVX2 and scalar paths too, and an AVX2-only one reports the
// AVX-512 instances as skipped rather than passing them silently.
//
//   class Forward : public ts::core::testing::AtEveryLevel {};
//   TS_AT_EVERY_LEVEL(Forward);
//   TEST_P(Forward, DecodeEqualsBatchedPrefill) { ... }     // -> Simd/Forward.DecodeEqualsBatchedPrefill/avx2 ...
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/tensor/ops.hpp"

namespace ts::core::testing {

inline const SimdLevel kAllLevels[] = {SimdLevel::Scalar, SimdLevel::Avx2, SimdLevel::Avx512, SimdLevel::Avx512Vnni};

// Forces `level` for the life of the guard (skipping the test when the CPU lacks it) and restores the default.
inline bool enter_level(SimdLevel level) {
    if (int(level) > int(detected_simd())) return false;
    set_simd_level(level);
    return true;
}

template <typename Param>
class AtLevelBase : public ::testing::TestWithParam<Param> {
protected:
    virtual SimdLevel level() const = 0;
    void SetUp() override {
        if (!enter_level(level())) GTEST_SKIP() << simd_name(level()) << " is not supported by this CPU";
    }
    void TearDown() override { set_simd_level(preferred_simd()); }
};

class AtEveryLevel : public AtLevelBase<SimdLevel> {
protected:
    SimdLevel level() const override { return GetParam(); }
};

inline std::string level_name(const ::testing::TestParamInfo<SimdLevel>& info) {
    return simd_name(info.param);
}

}  // namespace ts::core::testing

#define TS_AT_EVERY_LEVEL(Suite)                                                                \
    INSTANTIATE_TEST_SUITE_P(Simd, Suite, ::testing::ValuesIn(::ts::core::testing::kAllLevels), \
                             ::ts::core::testing::level_name)
