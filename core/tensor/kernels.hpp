// Internal: the table of dot kernels of one SIMD level. ops.cpp picks a table at run time; ops_ref.cpp fills the
// scalar reference (the spec), ops_avx2.cpp / ops_avx512.cpp override the entries they accelerate.
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
// Quantises n activations to a companion type (Q8_0 or Q8_K); byte-identical to quantize_row.
using QuantizeFn = void (*)(const float* x, void* dst, int64_t n);
using AxpyFn     = void (*)(float a, const float* x, float* y, int64_t n);

inline constexpr uint32_t kMaxTypeId = 32;

struct KernelTable {
    DotFn dot[kMaxTypeId]    = {};       // indexed by the DType id; null = not supported as weights
    Dot4Fn dot4[kMaxTypeId]  = {};       // optional; null = four dot calls
    QuantizeFn quantize_q8_0 = nullptr;  // null: quantize_row
    QuantizeFn quantize_q8_k = nullptr;
    DotF32Fn dot_f32         = nullptr;
    AxpyFn axpy_f32          = nullptr;
};

inline void set_dot(KernelTable& t, DType type, DotFn f) {
    t.dot[uint32_t(type)] = f;
}
inline void set_dot4(KernelTable& t, DType type, Dot4Fn f) {
    t.dot4[uint32_t(type)] = f;
}

void fill_ref(KernelTable& t);     // every entry
void fill_avx2(KernelTable& t);    // overrides of the AVX2 + FMA + F16C level
void fill_avx512(KernelTable& t);  // overrides of the AVX-512 F/BW/VL/DQ level (call after fill_avx2)

}  // namespace ts::core::kernels
