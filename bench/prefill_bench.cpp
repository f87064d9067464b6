// prefill_bench: prefill and decode speed of a model through core/model's Forward alone (no session, no sampler),
// in wall-clock and in CPU time of the whole process. On a shared machine the CPU-time figure (tokens per
// CPU-second, summed over the threads) is what compares two kernels; the wall figure is what a user sees.
// Usage: prefill_bench -m MODEL [-p N_PROMPT] [-n N_GEN] [-t THREADS] [-b N_BATCH] [-r REPEATS]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/model/forward.hpp"
#include "core/model/model.hpp"
#include "core/tensor/ops.hpp"

using namespace ts::core;

namespace {

struct Clocks {
    double wall, cpu;
};

Clocks now() {
    timespec w{}, c{};
    clock_gettime(CLOCK_MONOTONIC, &w);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
    return {double(w.tv_sec) + 1e-9 * double(w.tv_nsec), double(c.tv_sec) + 1e-9 * double(c.tv_nsec)};
}

}  // namespace

int main(int argc, char** argv) {
    std::string path;
    int n_prompt = 128, n_gen = 32, threads = 2, n_batch = Forward::kDefaultBatch, repeats = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next           = [&] {
            return i + 1 < argc ? argv[++i] : (std::fprintf(stderr, "missing value\n"), std::exit(2), argv[0]);
        };
        if (a == "-m") {
            path = next();
        } else if (a == "-p") {
            n_prompt = std::atoi(next());
        } else if (a == "-n") {
            n_gen = std::atoi(next());
        } else if (a == "-t") {
            threads = std::atoi(next());
        } else if (a == "-b") {
            n_batch = std::atoi(next());
        } else if (a == "-r") {
            repeats = std::atoi(next());
        } else {
            std::fprintf(stderr,
                         "usage: prefill_bench -m MODEL [-p N] [-n N] [-t THREADS] [-b N_BATCH] [-r REPEATS]\n");
            return 2;
        }
    }
    if (path.empty() || n_prompt < 1 || n_gen < 0 || threads < 1 || n_batch < 1 || repeats < 1) {
        std::fprintf(stderr, "prefill_bench: -m MODEL is required; counts must be positive\n");
        return 2;
    }
    auto loaded = load_model(path);
    if (!loaded) {
        std::fprintf(stderr, "error: %s\n", loaded.error().message.c_str());
        return 1;
    }
    const Model& m = **loaded;
    ThreadPool pool(threads);
    Forward fwd(m, n_prompt + n_gen + 1, n_batch);
    auto cache = fwd.make_cache(DType::F32);
    if (!cache) {
        std::fprintf(stderr, "error: %s\n", cache.error().message.c_str());
        return 1;
    }
    std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
    for (int i = 0; i < n_prompt; ++i) prompt[size_t(i)] = 1 + i % (m.hp.n_vocab - 1);
    std::vector<float> logits(static_cast<size_t>(m.hp.n_vocab));

    // warm-up: one token touches every weight page
    if (auto st = fwd.eval(*cache, prompt.data(), 1, 0, logits.data(), LogitRows::Last, pool); !st.ok()) {
        std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
        return 1;
    }
    std::printf("%s: %d threads, n_batch %d, simd %s\n", path.c_str(), threads, fwd.n_batch(),
                simd_name(active_simd()));
    std::printf("%-8s %6s %10s %10s %12s\n", "test", "tokens", "wall s", "tok/s", "tok/cpu-s");
    for (int r = 0; r < repeats; ++r) {
        const Clocks a = now();
        (void)fwd.eval(*cache, prompt.data(), n_prompt, 0, logits.data(), LogitRows::Last, pool);
        const Clocks b = now();
        int32_t next   = 0;
        for (int i = 0; i < n_gen; ++i) {
            next = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
            (void)fwd.eval(*cache, &next, 1, n_prompt + i, logits.data(), LogitRows::Last, pool);
        }
        const Clocks c = now();
        std::printf("%-8s %6d %10.3f %10.2f %12.2f\n", "prefill", n_prompt, b.wall - a.wall,
                    n_prompt / (b.wall - a.wall), n_prompt / (b.cpu - a.cpu));
        if (n_gen > 0)
            std::printf("%-8s %6d %10.3f %10.2f %12.2f\n", "decode", n_gen, c.wall - b.wall, n_gen / (c.wall - b.wall),
                        n_gen / (c.cpu - b.cpu));
    }
    return 0;
}
