// Conversions between f32 and every supported element type. Block layouts are ggml's (block_q4_0 etc.),
// so rows read from GGUF files are used as they are.
#pragma once

#include <cstdint>

#include "core/base/result.hpp"
#include "core/tensor/dtype.hpp"

namespace ts::core {

// Dequantises n elements (a multiple of the block size) of type t at src into dst.
// Supported: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q4_K Q5_K Q6_K (and Q8_K).
void dequantize_row(DType t, const void* src, float* dst, int64_t n);

// Whether quantize_row supports t (at least F32 F16 BF16 Q8_0 Q4_0 Q4_K, plus the activation types Q8_K).
bool can_quantize(DType t);

// Quantises n elements (a multiple of the block size) of src into dst (row_bytes(t, n) bytes), using ggml's
// reference rounding so blocks are byte-identical to ggml's reference quantiser where feasible.
void quantize_row(DType t, const float* src, void* dst, int64_t n);

}  // namespace ts::core
