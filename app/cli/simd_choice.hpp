// Which SIMD level the kernels use, and why:
//   1. TS_SIMD=scalar|avx2|avx512|vnni forces a level (an unknown name, or a level this CPU lacks, is an error);
//   2. otherwise the level measured fastest on this CPU model (core/tensor/calibrate.hpp), cached in
//      $XDG_CACHE_HOME/tokenscope/simd-level (or ~/.cache/…) so that it is measured once per machine and build and
//      every later run uses the same kernels (another build has other kernels: it measures again);
//   3. without a cache and without measuring (verbs that run no model), the best level the CPU has.
// main() applies the choice once, before any verb; `tokenscope info` and `bench` print it.
#pragma once

#include <optional>
#include <string>

#include "core/base/result.hpp"
#include "core/tensor/simd.hpp"

namespace ts::app {

struct SimdChoice {
    core::SimdLevel level = core::SimdLevel::Scalar;
    std::string why;  // "TS_SIMD=avx2", "measured fastest on this CPU (cached in …)", …
};

// The choice for a TS_SIMD value (null or empty: unset → `fallback`), on a CPU whose best level is `detected`.
[[nodiscard]] core::Result<SimdChoice> choose_simd(const char* ts_simd, core::SimdLevel detected,
                                                   const SimdChoice& fallback);

// The cache file's text for a CPU model, a build ("0.1.0 146ead8c1d2e": version and commit) and a level, and the
// level it records for `cpu` and `build` (nullopt: another CPU, another build, a level this CPU lacks, or not a
// cache file).
std::string format_simd_cache(const std::string& cpu, const std::string& build, core::SimdLevel level);
std::optional<core::SimdLevel> parse_simd_cache(const std::string& text, const std::string& cpu,
                                                const std::string& build);

// Applies TS_SIMD, else the cached level for this CPU; with `measure`, a CPU without a cached level is measured now
// (about a tenth of a second) and the result cached. The error names TS_SIMD, its value and this CPU's levels.
[[nodiscard]] core::Status apply_simd_env(bool measure);

// "avx512vnni (measured fastest on this CPU …; this CPU has up to avx512vnni)" — what apply_simd_env chose.
std::string simd_summary();

}  // namespace ts::app
