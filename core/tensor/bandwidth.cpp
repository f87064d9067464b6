#include "core/tensor/bandwidth.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace ts::core {

Result<Bandwidth> measure_read_bandwidth(size_t bytes, int passes, ThreadPool& pool) {
    const size_t n = bytes / sizeof(uint64_t) / 8 * 8;  // whole groups of 8 words
    if (n == 0 || passes < 1) return Error{Code::kInvalidArgument, "bandwidth: nothing to measure"};
    std::vector<uint64_t> buf;
    try {
        buf.resize(n);
    } catch (const std::bad_alloc&) {
        return Error{Code::kOutOfMemory, "bandwidth: cannot allocate " + std::to_string(bytes >> 20) + " MiB"};
    }
    for (size_t i = 0; i < n; i += 512) buf[i] = i;  // every page touched and distinct (resize zeroed the rest)

    const int nth = pool.n_threads();
    std::vector<uint64_t> sums(size_t(nth) * 8);  // one cache line per thread: no false sharing of the results
    const uint64_t* data = buf.data();
    const auto job       = [&](int ith, int) {
        const size_t per = n / 8 / size_t(nth) * 8;
        const size_t i0 = per * size_t(ith), i1 = ith == nth - 1 ? n : i0 + per;
        uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (size_t i = i0; i < i1; i += 8) {
            a0 += data[i];
            a1 += data[i + 1];
            a2 += data[i + 2];
            a3 += data[i + 3];
            a4 += data[i + 4];
            a5 += data[i + 5];
            a6 += data[i + 6];
            a7 += data[i + 7];
        }
        sums[size_t(ith) * 8] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    };
    double best = 0;
    for (int p = 0; p < passes; ++p) {
        const auto t0 = std::chrono::steady_clock::now();
        pool.run(std::cref(job));
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (s > 0) best = std::max(best, double(n * sizeof(uint64_t)) / s);
    }
    // The sums must be used, or the loads could be dropped: fold them into the figure's lowest bit of nothing.
    uint64_t total = 0;
    for (uint64_t s : sums) total += s;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    volatile uint64_t sink = total;
    (void)sink;
    return Bandwidth{best, n * sizeof(uint64_t), nth, passes};
}

}  // namespace ts::core
