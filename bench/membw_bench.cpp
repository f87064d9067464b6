// membw_bench: this machine's memory read bandwidth, the ceiling of decode (every weight is read once per token).
// Sums a 1 GiB buffer (--mib to change) with 1 thread, then 2 (or -t N), best of 5 passes each.
//   cmake --build build/release --target membw_bench && build/release/bench/membw_bench
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/tensor/bandwidth.hpp"

int main(int argc, char** argv) {
    long mib = 1024, max_threads = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--mib") == 0) mib = std::strtol(argv[i + 1], nullptr, 10);
        if (std::strcmp(argv[i], "-t") == 0) max_threads = std::strtol(argv[i + 1], nullptr, 10);
    }
    if (mib < 1 || mib > (1 << 20) || max_threads < 1 || max_threads > 256) {
        std::fprintf(stderr, "usage: membw_bench [--mib MIB] [-t MAX_THREADS]\n");
        return 2;
    }
    std::printf("%-8s %10s %12s\n", "threads", "MiB", "read GB/s");
    for (int t = 1; t <= max_threads; t = t == 1 ? 2 : t * 2) {
        ts::core::ThreadPool pool(t);
        auto bw = ts::core::measure_read_bandwidth(size_t(mib) << 20, 5, pool);
        if (!bw) {
            std::fprintf(stderr, "error: %s\n", bw.error().message.c_str());
            return 1;
        }
        std::printf("%-8d %10ld %12.2f\n", t, mib, bw->bytes_per_s / 1e9);
        if (t >= max_threads) break;
    }
    return 0;
}
