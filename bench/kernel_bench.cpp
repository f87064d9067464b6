// kernel_bench: times matvec (one token, decode) and matmul (a batch of tokens, prefill) for a weight matrix of
// every supported type at every SIMD level the CPU has, and prints GB/s of weight bytes streamed.
// Usage: kernel_bench [-t THREADS] [-n N_IN] [-r ROWS] [-b BATCH] [--type NAME] [--ms MS] [--cache-mb MB] [--cpu-time]
// Defaults: 2 threads, the TinyLlama FFN shape n = 2048, rows = 5632, batch 64. The matvec cycles through enough
// copies of the matrix to exceed --cache-mb (default 256 MB > this machine's 32 MB L3), so it measures memory
// bandwidth like a real decode does; --cache-mb 0 keeps one hot copy (the kernels' compute speed).
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/tensor/ops.hpp"
#include "core/tensor/quant.hpp"

using namespace ts::core;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds of the calling thread: with -t 1 and --cpu-time this ignores the time other processes hold the
// core, which on this shared machine is the only way to compare kernels.
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

bool g_cpu_time = false;  // set once from the command line

// Median seconds per call of fn, repeated for about budget_ms.
template <typename Fn>
double time_call(Fn fn, double budget_ms) {
    fn();  // warm-up
    std::vector<double> t;
    const auto start = std::chrono::steady_clock::now();
    while (t.size() < 5 || (seconds_since(start) * 1e3 < budget_ms && t.size() < 10000)) {
        const auto t0   = std::chrono::steady_clock::now();
        const double c0 = thread_cpu_seconds();
        fn();
        t.push_back(g_cpu_time ? thread_cpu_seconds() - c0 : seconds_since(t0));
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    int threads = 2;
    int64_t n = 2048, rows = 5632, batch = 64;
    double budget_ms = 1000, cache_mb = 256;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next           = [&] {
            return i + 1 < argc ? argv[++i] : (std::fprintf(stderr, "missing value\n"), std::exit(2), argv[0]);
        };
        if (a == "-t") {
            threads = std::atoi(next());
        } else if (a == "-n") {
            n = std::atoll(next());
        } else if (a == "-r") {
            rows = std::atoll(next());
        } else if (a == "-b") {
            batch = std::atoll(next());
        } else if (a == "--type") {
            only = next();
        } else if (a == "--ms") {
            budget_ms = std::atof(next());
        } else if (a == "--cache-mb") {
            cache_mb = std::atof(next());
        } else if (a == "--cpu-time") {
            g_cpu_time = true;
        } else {
            std::fprintf(stderr,
                         "usage: kernel_bench [-t THREADS] [-n N_IN] [-r ROWS] [-b BATCH] [--type NAME] [--ms MS]\n"
                         "                    [--cache-mb MB] [--cpu-time]\n");
            return 2;
        }
    }

    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> wf(size_t(n * rows)), x(size_t(n * batch)), y(size_t(rows * batch));
    for (auto& v : wf) v = normal(rng);
    for (auto& v : x) v = normal(rng);

    ThreadPool pool(threads);
    {
        // dispatch latency: an empty job on every thread, back to back (decode does ~160 per token)
        const auto noop = [](int, int) {};
        const double s  = time_call([&] { pool.run(std::cref(noop)); }, budget_ms / 4);
        std::printf("thread pool: %d threads, empty dispatch %.2f us (median)\n", threads, s * 1e6);
        std::printf("simd: detected %s, default %s\n", simd_name(detected_simd()), simd_name(preferred_simd()));
    }
    const DType types[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_1,
                           DType::Q5_0, DType::Q5_1, DType::Q4_K, DType::Q5_K, DType::Q6_K};
    std::printf(
        "matvec %lld x %lld, %d threads, matmul batch %lld (median of repeated calls; the machine is shared, "
        "so numbers are noisy)\n",
        (long long)rows, (long long)n, threads, (long long)batch);
    std::printf("%-6s %-7s %10s %9s %12s %12s\n", "type", "simd", "MB", "us/call", "GB/s", "matmul tok/s");
    for (DType t : types) {
        if (!only.empty() && only != dtype_name(t)) continue;
        const DTypeInfo info = dtype_info(t);
        if (n % info.block_size != 0) continue;
        std::vector<uint8_t> wq(row_bytes(t, n) * size_t(rows));
        if (can_quantize(t)) {
            for (int64_t r = 0; r < rows; ++r)
                quantize_row(t, wf.data() + r * n, wq.data() + size_t(r) * row_bytes(t, n), n);
        } else {  // Q5_K / Q6_K have no quantiser: random bytes still time the kernel exactly
            for (auto& b : wq) b = uint8_t(rng());
        }
        // copies of the matrix, used in turn, so successive calls do not find the weights in the caches
        const size_t n_copies = std::max<size_t>(1, size_t(cache_mb * 1e6 / double(wq.size())) + 1);
        std::vector<std::vector<uint8_t>> copies(n_copies, wq);
        std::vector<Tensor> ws(n_copies);
        for (size_t c = 0; c < n_copies; ++c) {
            ws[c].type   = t;
            ws[c].n_dims = 2;
            ws[c].ne     = {n, rows, 1, 1};
            ws[c].data   = copies[c].data();
            ws[c].nbytes = copies[c].size();
        }
        size_t next_copy = 0;
        auto w           = [&]() -> const Tensor& { return ws[next_copy++ % n_copies]; };
        const double mb  = double(wq.size()) / 1e6;
        for (int l = 0; l <= int(detected_simd()); ++l) {
            set_simd_level(SimdLevel(l));
            const double s  = time_call([&] { matvec(w(), x.data(), y.data(), pool); }, budget_ms);
            const double sm = time_call([&] { matmul(w(), x.data(), batch, y.data(), pool); }, budget_ms);
            std::printf("%-6s %-7s %10.2f %9.1f %12.2f %12.1f\n", std::string(dtype_name(t)).c_str(),
                        simd_name(SimdLevel(l)), mb, s * 1e6, mb / 1e3 / s, double(batch) / sm);
        }
    }
    set_simd_level(preferred_simd());
    return 0;
}
