// Linear-algebra kernels the forward pass calls by name. Weight rows stay in their file type (used in place from
// the mmap); activations are quantised once per call to the weight type's companion ("vec_dot_type": Q8_0 for
// the 32-blocks, Q8_K for the K-quants, f32 for f32/f16/bf16), as ggml does, then dotted row by row.
// Every kernel has a plain scalar reference (ops_ref) that is the spec; AVX2 / AVX-512 versions are picked at run
// time from the CPU's features (and by measurement among those, calibrate.hpp).
//
// Numbers, within one level and between levels:
// - Within a level, one (row, token) dot is the same sequence of operations whether the token came alone (matvec,
//   decode) or in a batch of any size (matmul, prefill), on any number of threads: the one-token kernels are the
//   batched kernels' arithmetic with rows in the lanes instead of tokens (kernels.hpp). So a position's logits are
//   bit-identical in a batch, as a decode step and after a rewind (tests/core/model/paths_agree_test.cpp).
// - Between levels, integer block sums are exact everywhere; only the order of float additions (and, for the float
//   types, the vector width) differs. Each level stays within the reference's tolerances: NMSE against a naive f64
//   loop below 1e-10 for F32/F16/BF16 weights, 2e-4 for the Q8_0-companion types and 4e-4 for the K-quants
//   (activations quantised to Q8_K), per output (tests/core/tensor/matvec_test.cpp, dot_kernels_test.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/tensor/simd.hpp"
#include "core/tensor/tensor.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::core {

// y[r] = dot(W row r, x) for r in [0, rows): W is [rows][n] (ne = {n, rows}), x has n floats, y has rows floats.
void matvec(const Tensor& w, const float* x, float* y, ThreadPool& pool);

// Y[t][r] = dot(W row r, X[t]) for t in [0, n_tokens): X is [n_tokens][n], Y is [n_tokens][rows].
// Used by batched prefill: each weight row is read once per tile of tokens and meets several tokens per register
// tile (Q8_0 / Q4_0 / Q5_0 and the float types; see kernels.hpp).
void matmul(const Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);

// Dot product of one weight row (type t, n elements) with f32 x, via the same path matvec uses. For tests and the
// trace (logit lens on one row).
float dot_row(DType t, const void* row, const float* x, int64_t n);

// Quantises activations to Q8_0 or Q8_K with the active level's quantiser (what matvec does to x), the same bytes at
// every level. Q8_0 as ggml's CPU backend quantises activations on x86 (inverse scale 127 / amax, levels rounded
// half to even), which differs from quantize_row (ggml's reference quantiser, for weights) in about 2 values in a
// million; Q8_K as quantize_row.
void quantize_activations(DType t, const float* x, void* dst, int64_t n);

// Small f32 helpers used by the forward pass (vectorised where it matters).
float dot_f32(const float* a, const float* b, int64_t n);
void axpy_f32(float a, const float* x, float* y, int64_t n);  // y += a*x

}  // namespace ts::core
