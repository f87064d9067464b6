// quantize_row / dequantize_row (quant.hpp): the per-type dispatch, plus the plain float types.
#include "core/tensor/quant.hpp"

#include <cstring>

#include "core/base/check.hpp"
#include "core/base/fp16.hpp"
#include "core/tensor/quant/quant_internal.hpp"

namespace ts::core {

void dequantize_row(DType t, const void* src, float* dst, int64_t n) {
    TS_CHECK(n % dtype_info(t).block_size == 0, "dequantize_row: n is not a multiple of the block size");
    switch (t) {
        case DType::F32:
            std::memcpy(dst, src, size_t(n) * sizeof(float));
            return;
        case DType::F16: {
            const auto* h = static_cast<const uint16_t*>(src);
            for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_f32(h[i]);
            return;
        }
        case DType::BF16: {
            const auto* h = static_cast<const uint16_t*>(src);
            for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(h[i]);
            return;
        }
        case DType::Q4_0:
            quant::dequantize_q4_0(src, dst, n);
            return;
        case DType::Q4_1:
            quant::dequantize_q4_1(src, dst, n);
            return;
        case DType::Q5_0:
            quant::dequantize_q5_0(src, dst, n);
            return;
        case DType::Q5_1:
            quant::dequantize_q5_1(src, dst, n);
            return;
        case DType::Q8_0:
            quant::dequantize_q8_0(src, dst, n);
            return;
        case DType::Q4_K:
            quant::dequantize_q4_k(src, dst, n);
            return;
        case DType::Q5_K:
            quant::dequantize_q5_k(src, dst, n);
            return;
        case DType::Q6_K:
            quant::dequantize_q6_k(src, dst, n);
            return;
        case DType::Q8_K:
            quant::dequantize_q8_k(src, dst, n);
            return;
        default:
            TS_CHECK(false, "dequantize_row: unsupported type (callers check dtype_info().supported)");
    }
}

bool can_quantize(DType t) {
    switch (t) {
        case DType::F32:
        case DType::F16:
        case DType::BF16:
        case DType::Q4_0:
        case DType::Q4_1:
        case DType::Q5_0:
        case DType::Q5_1:
        case DType::Q8_0:
        case DType::Q4_K:
        case DType::Q6_K:
        case DType::Q8_K:
            return true;
        default:
            return false;
    }
}

void quantize_row(DType t, const float* src, void* dst, int64_t n) {
    TS_CHECK(n % dtype_info(t).block_size == 0, "quantize_row: n is not a multiple of the block size");
    switch (t) {
        case DType::F32:
            std::memcpy(dst, src, size_t(n) * sizeof(float));
            return;
        case DType::F16: {
            auto* h = static_cast<uint16_t*>(dst);
            for (int64_t i = 0; i < n; ++i) h[i] = f32_to_fp16(src[i]);
            return;
        }
        case DType::BF16: {
            auto* h = static_cast<uint16_t*>(dst);
            for (int64_t i = 0; i < n; ++i) h[i] = f32_to_bf16(src[i]);
            return;
        }
        case DType::Q4_0:
            quant::quantize_q4_0(src, dst, n);
            return;
        case DType::Q4_1:
            quant::quantize_q4_1(src, dst, n);
            return;
        case DType::Q5_0:
            quant::quantize_q5_0(src, dst, n);
            return;
        case DType::Q5_1:
            quant::quantize_q5_1(src, dst, n);
            return;
        case DType::Q8_0:
            quant::quantize_q8_0(src, dst, n);
            return;
        case DType::Q4_K:
            quant::quantize_q4_k(src, dst, n);
            return;
        case DType::Q6_K:
            quant::quantize_q6_k(src, dst, n);
            return;
        case DType::Q8_K:
            quant::quantize_q8_k(src, dst, n);
            return;
        default:
            TS_CHECK(false, "quantize_row: unsupported type (check can_quantize first)");
    }
}

}  // namespace ts::core
