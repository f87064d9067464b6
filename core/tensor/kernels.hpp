// Internal: the table of kernels of one SIMD level. ops.cpp picks a table at run time; ops_ref.cpp fills the
// scalar reference (the spec), ops_avx2.cpp / ops_avx512*.cpp override the entries they accelerate. Where a level
// has a batched kernel for a type (gemm_x8, gemm_f32), one token goes through its one-token form (gemv_x8, the float
// tile with one token), never through `dot`, so those levels fill no dot of their own for such types (the entry
// is the level below's, for dot_row and the tests).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/tensor/dtype.hpp"

namespace ts::core::kernels {

// dot(w row, x row) of n elements: w in the weight type, x in its companion type (companion_type in blocks.hpp).
using DotFn = float (*)(int64_t n, const void* w, const void* x);
// The same weight row against 4 companion rows x, x + x_stride, ... (bytes): out[k] = dot(w, x_k). The weight
// row is decoded once for the 4 tokens, which is what makes batched prefill cheaper than 4 single dots.
using Dot4Fn   = void (*)(int64_t n, const void* w, const void* x, size_t x_stride, float* out);
using DotF32Fn = float (*)(const float* a, const float* b, int64_t n);
// Quantises n activations to a companion type (Q8_0 or Q8_K), byte-identical at every level to the scalar
// reference: Q8_0 as ggml's CPU backend does on x86 (ops_ref.cpp: quantize_q8_0_act), Q8_K as quantize_row.
using QuantizeFn = void (*)(const float* x, void* dst, int64_t n);
using AxpyFn     = void (*)(float a, const float* x, float* y, int64_t n);

// ---- batched prefill: int8 matmul over activations packed in groups of 8 tokens -------------------------------
//
// The 32-element block types whose values are an unsigned level minus a fixed offset (Q8_0: byte + 128 - 128,
// Q4_0: nibble - 8, Q5_0: 5-bit - 16) go through one register-blocked kernel: a weight row is decoded once to
// unsigned bytes u = q + offset, and dot(q, x) = u . x - offset * sum(x) is one unsigned x signed int8 dot
// (vpdpbusd) per 4 elements, with sum(x) prepared once per token and block.
//
// Packed activations ("X8"), per group of 8 tokens, per block b of 32 elements (kX8BlockBytes each, in order):
//   qs   [8 groups of 4 elements][8 tokens][4]  int8   (bytes 0..255): Q8_0 values of elements 4g..4g+3 of token t
//   d    [8 tokens]                           float  (bytes 256..287): the tokens' Q8_0 block scales
//   corr [8 tokens]                           int32  (bytes 288..319): -offset * sum of the block's 32 values
// A group is nb * kX8BlockBytes bytes; tokens past the end of the batch are zero (they add nothing).
//
// Q4_K and Q5_K (256-element super-blocks with a scale and a minimum per sub-block of 32: w = d_s * q - m_s) use it
// too, one X8 block per sub-block: their activations are Q8_K (the companion of matvec), so the packed d is the
// super-block's scale for each of its 8 sub-blocks and `corr` holds +sum(x) of the sub-block, which the tile
// multiplies by the row's -m_s. The integer sums are those of the Q8_K dot kernels: prefill equals decode.
// Q6_K (a scale per 16 elements, levels 0..63 with offset 32) too: its `corr` holds the sums of the block's two
// halves as two int16 (Q8_K's bsums), low half first, and the sums times their int8 scales stay one integer per
// super-block until a single float step (gemm_x8.hpp's Scaled form).
inline constexpr int kX8Tokens     = 8;
inline constexpr int kX8BlockBytes = 320;

// The offset of an X8 weight type (the value of its level 0); -1 for the types with an additive term per block
// (Q4_1 Q5_1: +m; Q4_K Q5_K: -min per sub-block), whose `corr` is +sum(x); 0 if the type does not use X8.
constexpr int32_t x8_offset(DType t) {
    switch (t) {
        case DType::Q8_0:
            return 128;
        case DType::Q4_0:
            return 8;
        case DType::Q5_0:
            return 16;
        case DType::Q4_1:
        case DType::Q5_1:
        case DType::Q4_K:
        case DType::Q5_K:
            return -1;
        case DType::Q6_K:
            return 32;  // applied by the tile per half (its corr holds the halves' sums, see above)
        default:
            return 0;
    }
}

// Y for rows [0, n_rows) of w (row r at w + r * w_stride bytes) and tokens [0, n_tok) of the packed x (groups of
// 8, one after the other): y[t * y_stride + r] = dot(row r, token t). scratch: x8_scratch_bytes(n), 64-aligned,
// the caller's own (one per thread).
using GemmX8Fn = void (*)(int64_t n, const void* w, size_t w_stride, int64_t n_rows, const void* x, int64_t n_tok,
                          float* y, int64_t y_stride, void* scratch);
// Batched prefill of the float weight types (F32, F16, BF16): y[t * y_stride + r] = dot(row r, x + t * n) for rows
// [0, n_rows) of w (row stride w_stride bytes) and tokens [0, n_tok) of f32 x. A register tile of rows x tokens
// converts each weight vector once for several tokens.
using GemmF32Fn = void (*)(int64_t n, const void* w, size_t w_stride, int64_t n_rows, const float* x, int64_t n_tok,
                           float* y, int64_t y_stride);

// One token (decode) through the same arithmetic ("X1"): y[r] = dot(row r, x) for rows [0, n_rows), computed per
// row exactly as a GemmX8Fn computes each (row, token) pair, so that a token's outputs do not depend on whether it
// came in a batch or alone (gemm_x8.hpp, gemv_x8). x1 holds the token as X8 would pack it, unpacked:
//   values [n]    int8   the companion-type values of the token, in element order
//   d      [nb]   float  each block's scale (the d of X8)
//   corr   [nb]   int32  each block's corr (the corr of X8)
// scratch: gemv_scratch_bytes(n), 64-aligned, the caller's own.
using GemvX8Fn = void (*)(int64_t n, const void* w, size_t w_stride, int64_t n_rows, const void* x1, float* y,
                          void* scratch);
inline constexpr int kGemvRows = 8;  // rows a GemvX8Fn computes at a time (the lanes of a 256-bit register)
inline size_t x1_bytes(int64_t n) {
    return size_t(n) + 8 * size_t(n / 32);
}
// 8 decoded rows (n bytes each) and four [8][2 nb + 8] float arrays of scales and minimums (two per block at most).
inline size_t gemv_scratch_bytes(int64_t n) {
    return 16 * size_t(n) + 1024 + 64;
}

inline constexpr int kX8MaxRows = 6;  // rows decoded at a time by a GemmX8Fn
// Per decoded row: n unsigned bytes, then up to two scales (Q6_K: one per 16) and two additive terms per block of 32
// as f32.
inline size_t x8_scratch_bytes(int64_t n) {
    return size_t(kX8MaxRows) * (size_t(n) + 4 * size_t(n / 32) * sizeof(float)) + 64;
}

inline constexpr uint32_t kMaxTypeId = 32;

struct KernelTable {
    DotFn dot[kMaxTypeId]          = {};       // indexed by the DType id; null = not supported as weights
    Dot4Fn dot4[kMaxTypeId]        = {};       // optional; null = four dot calls
    GemmX8Fn gemm_x8[kMaxTypeId]   = {};       // optional; set: matmul packs x in groups of 8 and calls this
    GemvX8Fn gemv_x8[kMaxTypeId]   = {};       // set with gemm_x8: matvec (one token) calls this
    GemmF32Fn gemm_f32[kMaxTypeId] = {};       // optional, float weight types; set: matmul calls this on f32 x
    QuantizeFn quantize_q8_0       = nullptr;  // the reference table sets it
    QuantizeFn quantize_q8_k       = nullptr;
    DotF32Fn dot_f32               = nullptr;
    AxpyFn axpy_f32                = nullptr;
};

inline void set_dot(KernelTable& t, DType type, DotFn f) {
    t.dot[uint32_t(type)] = f;
}
inline void set_dot4(KernelTable& t, DType type, Dot4Fn f) {
    t.dot4[uint32_t(type)] = f;
}

void fill_ref(KernelTable& t);          // every entry
void fill_avx2(KernelTable& t);         // overrides of the AVX2 + FMA + F16C level
void fill_avx512(KernelTable& t);       // overrides of the AVX-512 F/BW/VL/DQ level (call after fill_avx2)
void fill_avx512_gemm(KernelTable& t);  // the float-type prefill matmul (256-bit, AVX-512VL's 32 registers)
void fill_avx512_vnni(KernelTable& t);  // AVX-512 VNNI (+VL) overrides: the int8 matmul (call after fill_avx512)

}  // namespace ts::core::kernels
