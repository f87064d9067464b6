// Which SIMD level the kernels use, and why. TS_SIMD=scalar|avx2|avx512|vnni forces a level (an unknown name, or a
// level this CPU does not have, is an error); without it the kernels use the fastest level this CPU has
// (core/tensor/ops.hpp: preferred_simd). main() applies the choice once, before any verb; `tokenscope info` and
// `bench` print it.
#pragma once

#include <string>

#include "core/base/result.hpp"
#include "core/tensor/ops.hpp"

namespace ts::app {

struct SimdChoice {
    core::SimdLevel level = core::SimdLevel::Scalar;
    std::string why;  // "TS_SIMD=avx2", "the best level this CPU has"
};

// The choice for a TS_SIMD value (null or empty: unset), on a CPU whose best level is `detected`. Pure, for tests.
[[nodiscard]] core::Result<SimdChoice> choose_simd(const char* ts_simd, core::SimdLevel detected,
                                                   core::SimdLevel preferred);

// Reads TS_SIMD, sets the level; the error names the variable, its value and the levels this CPU has.
[[nodiscard]] core::Status apply_simd_env();

// "avx512vnni (the best level this CPU has; detected avx512vnni)" — what apply_simd_env chose.
std::string simd_summary();

}  // namespace ts::app
