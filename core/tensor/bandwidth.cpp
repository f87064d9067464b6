#include "core/tensor/bandwidth.hpp"

#include <algorithm>
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
    // Each thread reads its slice as kStreams interleaved sequential streams: one stream per core leaves the memory
    // system idle between the hardware prefetcher's requests (a sequential sum measured 15.6 GB/s on 2 cores of a
    // machine where 4 streams per core reach 21), and the kernels read several rows at once too.
    constexpr size_t kStreams = 4;
    const auto job            = [&](int ith, int) {
        const size_t per        = n / 8 / size_t(nth) / kStreams * 8;  // words per stream, whole groups of 8
        const uint64_t* base    = data + per * kStreams * size_t(ith);
        uint64_t a[kStreams][4] = {};
        for (size_t i = 0; i < per; i += 8)
            for (size_t k = 0; k < kStreams; ++k) {
                const uint64_t* p = base + k * per + i;
                a[k][0] += p[0] + p[4];
                a[k][1] += p[1] + p[5];
                a[k][2] += p[2] + p[6];
                a[k][3] += p[3] + p[7];
            }
        uint64_t sum = 0;
        for (const auto& ak : a) sum += ak[0] + ak[1] + ak[2] + ak[3];
        sums[size_t(ith) * 8] = sum;
    };
    double best = 0;
    for (int p = 0; p < passes; ++p) {
        const auto t0 = std::chrono::steady_clock::now();
        pool.run(std::cref(job));
        const double s    = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const size_t read = n / 8 / size_t(nth) / kStreams * 8 * kStreams * size_t(nth) * sizeof(uint64_t);
        if (s > 0) best = std::max(best, double(read) / s);
    }
    // The sums must be used, or the compiler could drop the loads.
    uint64_t total = 0;
    for (uint64_t s : sums) total += s;
    volatile uint64_t sink = total;
    (void)sink;
    return Bandwidth{best, n * sizeof(uint64_t), nth, passes};
}

}  // namespace ts::core
