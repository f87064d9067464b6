#include "core/tensor/calibrate.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <random>

#include "core/tensor/quant.hpp"
#include "core/tensor/tensor.hpp"

namespace ts::core {

SimdLevel fastest_level(const std::vector<LevelTiming>& timings, double margin) {
    if (timings.empty()) return SimdLevel::Scalar;
    // From the highest level down: a lower level replaces the choice only when clearly faster.
    std::vector<LevelTiming> t = timings;
    std::sort(t.begin(), t.end(), [](const LevelTiming& a, const LevelTiming& b) { return a.level > b.level; });
    LevelTiming best = t.front();
    for (const LevelTiming& c : t)
        if (c.seconds < best.seconds * (1.0 - margin)) best = c;
    return best.level;
}

std::vector<LevelTiming> time_simd_levels(ThreadPool& pool, int repeats) {
    std::vector<LevelTiming> out;
    if (detected_simd() < SimdLevel::Avx2) return out;
    constexpr int64_t kN = 2048, kRows = 1024;  // ~1 to 4 MB per type: measures the kernels, not memory
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    constexpr int64_t kBatch = 16;  // a short prompt: prefill's kernels count too
    std::vector<float> values(static_cast<size_t>(kN * kRows)), x(static_cast<size_t>(kN * kBatch)),
        y(static_cast<size_t>(kRows * kBatch));
    for (float& v : values) v = uniform(rng);
    for (float& v : x) v = uniform(rng);

    struct Matrix {
        std::vector<uint8_t> bytes;
        Tensor t;
    };
    std::vector<Matrix> mats;
    for (DType type : {DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::F16}) {
        Matrix m;
        const size_t rs = row_bytes(type, kN);
        m.bytes.resize(rs * size_t(kRows));
        for (int64_t r = 0; r < kRows; ++r)
            quantize_row(type, values.data() + r * kN, m.bytes.data() + rs * size_t(r), kN);
        m.t.type   = type;
        m.t.n_dims = 2;
        m.t.ne     = {kN, kRows, 1, 1};
        mats.push_back(std::move(m));
    }
    for (Matrix& m : mats) {
        m.t.data   = m.bytes.data();
        m.t.nbytes = m.bytes.size();
    }

    const SimdLevel was = active_simd();
    for (int l = int(SimdLevel::Avx2); l <= int(detected_simd()); ++l)
        out.push_back({SimdLevel(l), std::numeric_limits<double>::infinity()});
    for (int rep = 0; rep <= repeats; ++rep) {  // round 0 warms up (pages, caches, clocks) and is not counted
        for (LevelTiming& lt : out) {
            set_simd_level(lt.level);
            const auto t0 = std::chrono::steady_clock::now();
            for (const Matrix& m : mats) {
                matvec(m.t, x.data(), y.data(), pool);
                matmul(m.t, x.data(), kBatch, y.data(), pool);
            }
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (rep > 0) lt.seconds = std::min(lt.seconds, s);
        }
    }
    set_simd_level(was);
    return out;
}

}  // namespace ts::core
