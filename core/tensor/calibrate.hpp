// Which SIMD level is fastest on this CPU, by measurement rather than by vendor name: on some CPUs the 512-bit
// kernels win, on others (AMD Zen 4 runs 512-bit instructions as two halves) the AVX2 ones may. time_simd_levels
// runs matvec and a 16-token matmul (decode and prefill) of the common weight types (Q4_0, Q8_0, Q4_K, F16; one 1024 x
// 2048 matrix each, hot in the caches) at every level from AVX2 up that the CPU has, interleaved and repeated, and
// keeps each level's best total; fastest_level picks from such timings (pure, so a test can force any outcome). Every
// level is exact within itself (kernels.hpp), so the choice changes speed and the last bits between levels, never the
// consistency of one run. The app caches the choice per CPU model (app/cli/simd_choice.cpp).
#pragma once

#include <vector>

#include "core/tensor/ops.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::core {

struct LevelTiming {
    SimdLevel level = SimdLevel::Scalar;
    double seconds  = 0;  // one round of the types' matvecs and matmuls, the best of the repeats
};

// The level with the smallest time; a higher level wins unless a lower one is faster by more than `margin` (a
// fraction: noise must not flip the choice away from the wider kernels). Scalar if `timings` is empty.
SimdLevel fastest_level(const std::vector<LevelTiming>& timings, double margin = 0.05);

// Timings of every level from AVX2 to detected_simd() (none on a CPU without AVX2); restores the active level.
std::vector<LevelTiming> time_simd_levels(ThreadPool& pool, int repeats = 5);

}  // namespace ts::core
