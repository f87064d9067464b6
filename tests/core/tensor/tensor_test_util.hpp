// Helpers shared by the tensor tests: random rows of every type (valid blocks with sane scales) and error measures.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/base/fp16.hpp"
#include "core/tensor/blocks.hpp"
#include "core/tensor/dtype.hpp"
#include "core/tensor/ops.hpp"
#include "core/tensor/quant.hpp"

namespace ts::core::testing {

inline const DType kWeightTypes[] = {DType::F32,  DType::F16,  DType::BF16, DType::Q4_0, DType::Q4_1, DType::Q5_0,
                                     DType::Q5_1, DType::Q8_0, DType::Q4_K, DType::Q5_K, DType::Q6_K};

inline std::vector<float> random_normal(size_t n, uint32_t seed, float sigma = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, sigma);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// A row of n elements of type t. Types with a quantiser quantise N(0,1) data; the others (Q5_K, Q6_K) get random
// bytes with their f16 scale fields replaced by small positive values, which exercises every bit of the layout.
inline std::vector<uint8_t> random_row(DType t, int64_t n, uint32_t seed) {
    std::vector<uint8_t> row(row_bytes(t, n));
    if (can_quantize(t)) {
        const std::vector<float> x = random_normal(size_t(n), seed);
        quantize_row(t, x.data(), row.data(), n);
        return row;
    }
    std::mt19937 rng(seed);
    for (auto& b : row) b = uint8_t(rng());
    std::uniform_real_distribution<float> scale(0.001f, 0.02f);
    if (t == DType::Q5_K) {
        auto* b = reinterpret_cast<BlockQ5_K*>(row.data());
        for (int64_t i = 0; i < n / kQKK; ++i) {
            b[i].d    = f32_to_fp16(scale(rng));
            b[i].dmin = f32_to_fp16(scale(rng));
        }
    }
    return row;
}

// Normalised mean squared error: sum (a - b)^2 / sum b^2.
inline double nmse(const std::vector<float>& a, const std::vector<float>& ref) {
    double num = 0, den = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        num += (double(a[i]) - ref[i]) * (double(a[i]) - ref[i]);
        den += double(ref[i]) * ref[i];
    }
    return den > 0 ? num / den : num;
}

// The SIMD levels this CPU can run (Scalar first).
inline std::vector<SimdLevel> available_levels() {
    std::vector<SimdLevel> v;
    for (int l = 0; l <= int(detected_simd()); ++l) v.push_back(SimdLevel(l));
    return v;
}

// Restores the default level when a test ends, so one test's forcing never leaks into the next.
struct SimdLevelGuard {
    ~SimdLevelGuard() { set_simd_level(preferred_simd()); }
};

}  // namespace ts::core::testing
