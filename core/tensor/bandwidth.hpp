// How fast this machine reads memory: the ceiling of decode, which reads every weight once per token. A buffer
// much larger than the caches is summed by the pool's threads (each its own slice, read as 4 interleaved
// sequential streams with independent accumulators, so that the loads, not the adds, are the limit); the best of a few
// passes is reported. For `tokenscope bench` (decode as a fraction of this) and bench/membw_bench; never used by the
// engine itself.
#pragma once

#include <cstddef>

#include "core/base/result.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::core {

struct Bandwidth {
    double bytes_per_s = 0;  // best pass
    size_t bytes       = 0;  // buffer size
    int threads        = 0;
    int passes         = 0;
};

// Allocates and touches `bytes` (an error if the allocation fails), then sums it `passes` times.
[[nodiscard]] Result<Bandwidth> measure_read_bandwidth(size_t bytes, int passes, ThreadPool& pool);

}  // namespace ts::core
