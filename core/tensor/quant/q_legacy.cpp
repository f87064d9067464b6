// Q4_0 Q4_1 Q5_0 Q5_1 Q8_0: the 32-element block types. Dequantisation follows the layouts in blocks.hpp; the
// quantisers use ggml's reference rounding (quantize_row_*_ref), so their blocks are byte-identical to ggml's.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/base/fp16.hpp"
#include "core/tensor/blocks.hpp"
#include "core/tensor/quant/quant_internal.hpp"

namespace ts::core::quant {
namespace {

uint32_t load_qh(const uint8_t* qh) {
    uint32_t v;
    std::memcpy(&v, qh, 4);
    return v;
}

// The value of largest magnitude in x[0..31], with its sign (Q4_0 / Q5_0 map it to the extreme level -8 / -16).
float signed_absmax(const float* x) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK32; ++j) {
        if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            max  = x[j];
        }
    }
    return max;
}

}  // namespace

void dequantize_q4_0(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ4_0*>(src);
    for (int64_t i = 0; i < n / kQK32; ++i, dst += kQK32) {
        const float d = fp16_to_f32(b[i].d);
        for (int j = 0; j < 16; ++j) {
            dst[j]      = float((b[i].qs[j] & 0xF) - 8) * d;
            dst[j + 16] = float((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void dequantize_q4_1(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ4_1*>(src);
    for (int64_t i = 0; i < n / kQK32; ++i, dst += kQK32) {
        const float d = fp16_to_f32(b[i].d), m = fp16_to_f32(b[i].m);
        for (int j = 0; j < 16; ++j) {
            dst[j]      = float(b[i].qs[j] & 0xF) * d + m;
            dst[j + 16] = float(b[i].qs[j] >> 4) * d + m;
        }
    }
}

void dequantize_q5_0(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ5_0*>(src);
    for (int64_t i = 0; i < n / kQK32; ++i, dst += kQK32) {
        const float d     = fp16_to_f32(b[i].d);
        const uint32_t qh = load_qh(b[i].qh);
        for (int j = 0; j < 16; ++j) {
            const int h0 = int((qh >> j) & 1) << 4, h1 = int((qh >> (j + 16)) & 1) << 4;
            dst[j]      = float(((b[i].qs[j] & 0xF) | h0) - 16) * d;
            dst[j + 16] = float(((b[i].qs[j] >> 4) | h1) - 16) * d;
        }
    }
}

void dequantize_q5_1(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ5_1*>(src);
    for (int64_t i = 0; i < n / kQK32; ++i, dst += kQK32) {
        const float d = fp16_to_f32(b[i].d), m = fp16_to_f32(b[i].m);
        const uint32_t qh = load_qh(b[i].qh);
        for (int j = 0; j < 16; ++j) {
            const int h0 = int((qh >> j) & 1) << 4, h1 = int((qh >> (j + 16)) & 1) << 4;
            dst[j]      = float((b[i].qs[j] & 0xF) | h0) * d + m;
            dst[j + 16] = float((b[i].qs[j] >> 4) | h1) * d + m;
        }
    }
}

void dequantize_q8_0(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ8_0*>(src);
    for (int64_t i = 0; i < n / kQK32; ++i, dst += kQK32) {
        const float d = fp16_to_f32(b[i].d);
        for (int j = 0; j < kQK32; ++j) dst[j] = float(b[i].qs[j]) * d;
    }
}

// d = max / -8 so the extreme value lands exactly on level 0 (= -8); levels are truncated after adding 8.5.
void quantize_q4_0(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ4_0*>(dst);
    for (int64_t i = 0; i < n / kQK32; ++i, src += kQK32) {
        const float d  = signed_absmax(src) / -8.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d         = f32_to_fp16(d);
        for (int j = 0; j < 16; ++j) {
            const int q0 = std::min(15, int(int8_t(src[j] * id + 8.5f)));
            const int q1 = std::min(15, int(int8_t(src[j + 16] * id + 8.5f)));
            b[i].qs[j]   = uint8_t(q0 | (q1 << 4));
        }
    }
}

void quantize_q4_1(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ4_1*>(dst);
    for (int64_t i = 0; i < n / kQK32; ++i, src += kQK32) {
        const float mn = *std::min_element(src, src + kQK32), mx = *std::max_element(src, src + kQK32);
        const float d  = (mx - mn) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d         = f32_to_fp16(d);
        b[i].m         = f32_to_fp16(mn);
        for (int j = 0; j < 16; ++j) {
            const int q0 = std::min(15, int(int8_t((src[j] - mn) * id + 0.5f)));
            const int q1 = std::min(15, int(int8_t((src[j + 16] - mn) * id + 0.5f)));
            b[i].qs[j]   = uint8_t(q0 | (q1 << 4));
        }
    }
}

void quantize_q5_0(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ5_0*>(dst);
    for (int64_t i = 0; i < n / kQK32; ++i, src += kQK32) {
        const float d  = signed_absmax(src) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d         = f32_to_fp16(d);
        uint32_t qh    = 0;
        for (int j = 0; j < 16; ++j) {
            const int q0 = std::min(31, int(int8_t(src[j] * id + 16.5f)));
            const int q1 = std::min(31, int(int8_t(src[j + 16] * id + 16.5f)));
            b[i].qs[j]   = uint8_t((q0 & 0xF) | ((q1 & 0xF) << 4));
            qh |= uint32_t((q0 >> 4) & 1) << j;
            qh |= uint32_t((q1 >> 4) & 1) << (j + 16);
        }
        std::memcpy(b[i].qh, &qh, 4);
    }
}

void quantize_q5_1(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ5_1*>(dst);
    for (int64_t i = 0; i < n / kQK32; ++i, src += kQK32) {
        const float mn = *std::min_element(src, src + kQK32), mx = *std::max_element(src, src + kQK32);
        const float d  = (mx - mn) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d         = f32_to_fp16(d);
        b[i].m         = f32_to_fp16(mn);
        uint32_t qh    = 0;
        for (int j = 0; j < 16; ++j) {
            const int q0 = std::min(31, int(uint8_t((src[j] - mn) * id + 0.5f)));
            const int q1 = std::min(31, int(uint8_t((src[j + 16] - mn) * id + 0.5f)));
            b[i].qs[j]   = uint8_t((q0 & 0xF) | ((q1 & 0xF) << 4));
            qh |= uint32_t((q0 >> 4) & 1) << j;
            qh |= uint32_t((q1 >> 4) & 1) << (j + 16);
        }
        std::memcpy(b[i].qh, &qh, 4);
    }
}

// d = amax / 127, levels rounded half away from zero (roundf), as ggml's quantize_row_q8_0_ref.
void quantize_q8_0(const float* src, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ8_0*>(dst);
    for (int64_t i = 0; i < n / kQK32; ++i, src += kQK32) {
        float amax = 0.0f;
        for (int j = 0; j < kQK32; ++j) amax = std::max(amax, std::fabs(src[j]));
        const float d  = amax / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d         = f32_to_fp16(d);
        for (int j = 0; j < kQK32; ++j) b[i].qs[j] = int8_t(std::roundf(src[j] * id));
    }
}

}  // namespace ts::core::quant
