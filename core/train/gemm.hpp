// Dense f32 matrix products for the trainer: C = A·B (or C += A·B) with A and B given by element strides, so the
// three products of a linear layer (forward y = x·Wᵀ, input gradient dx = dy·W, weight gradient dW = dyᵀ·x) all use
// one cache-blocked kernel without transposing anything in memory.
// Determinism: every element of C is summed over k in the same order whatever the thread count (threads split the
// rows of C), so a seed gives the same weights on 1 or 2 threads.
#pragma once

#include <cstdint>

#include "core/tensor/thread_pool.hpp"

namespace ts::core::train {

// A strided read-only matrix view: element (r, c) is p[r * rs + c * cs].
struct MatView {
    const float* p = nullptr;
    int64_t rs     = 0;
    int64_t cs     = 1;
    float at(int64_t r, int64_t c) const { return p[r * rs + c * cs]; }
};

// Row-major [rows][cols] matrix as a view, and its transpose.
inline MatView rows_of(const float* p, int64_t cols) {
    return MatView{p, cols, 1};
}
inline MatView transposed(const float* p, int64_t cols) {
    return MatView{p, 1, cols};
}

// C[m][n] (row-major, row stride ldc) = (accumulate ? C[m][n] : 0) + sum_k A(m, k) * B(k, n).
// pool may be null (run on the caller).
void gemm(int64_t m, int64_t n, int64_t k, MatView a, MatView b, float* c, int64_t ldc, bool accumulate,
          ThreadPool* pool);

// Plain triple loop with the same contract, in double precision: the reference the tests compare against.
void gemm_reference(int64_t m, int64_t n, int64_t k, MatView a, MatView b, float* c, int64_t ldc, bool accumulate);

}  // namespace ts::core::train
