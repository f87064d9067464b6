// The scalar reference kernels: the specification every SIMD kernel is tested against. Plain loops, integer sums
// per block exactly as the block layouts in blocks.hpp define the values, one float accumulation per block.
#include <cmath>
#include <cstring>

#include "core/base/fp16.hpp"
#include "core/tensor/blocks.hpp"
#include "core/tensor/kernels.hpp"

namespace ts::core::kernels {
namespace {

float dot_f32_ref(const float* a, const float* b, int64_t n) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
}

void axpy_f32_ref(float a, const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

float dot_f32_w(int64_t n, const void* w, const void* x) {
    return dot_f32_ref(static_cast<const float*>(w), static_cast<const float*>(x), n);
}

float dot_f16_w(int64_t n, const void* w, const void* x) {
    const auto* h  = static_cast<const uint16_t*>(w);
    const auto* xf = static_cast<const float*>(x);
    float s        = 0.0f;
    for (int64_t i = 0; i < n; ++i) s += fp16_to_f32(h[i]) * xf[i];
    return s;
}

float dot_bf16_w(int64_t n, const void* w, const void* x) {
    const auto* h  = static_cast<const uint16_t*>(w);
    const auto* xf = static_cast<const float*>(x);
    float s        = 0.0f;
    for (int64_t i = 0; i < n; ++i) s += bf16_to_f32(h[i]) * xf[i];
    return s;
}

uint32_t load_qh(const uint8_t* qh) {
    uint32_t v;
    std::memcpy(&v, qh, 4);
    return v;
}

float dot_q4_0(int64_t n, const void* w, const void* x) {
    const auto* a = static_cast<const BlockQ4_0*>(w);
    const auto* b = static_cast<const BlockQ8_0*>(x);
    float s       = 0.0f;
    for (int64_t i = 0; i < n / kQK32; ++i) {
        int sumi = 0;
        for (int j = 0; j < 16; ++j) {
            sumi += ((a[i].qs[j] & 0xF) - 8) * b[i].qs[j];
            sumi += ((a[i].qs[j] >> 4) - 8) * b[i].qs[j + 16];
        }
        s += float(sumi) * (fp16_to_f32(a[i].d) * fp16_to_f32(b[i].d));
    }
    return s;
}

float dot_q4_1(int64_t n, const void* w, const void* x) {
    const auto* a = static_cast<const BlockQ4_1*>(w);
    const auto* b = static_cast<const BlockQ8_0*>(x);
    float s       = 0.0f;
    for (int64_t i = 0; i < n / kQK32; ++i) {
        int sumi = 0, sumy = 0;
        for (int j = 0; j < 16; ++j) {
            sumi += (a[i].qs[j] & 0xF) * b[i].qs[j] + (a[i].qs[j] >> 4) * b[i].qs[j + 16];
            sumy += b[i].qs[j] + b[i].qs[j + 16];
        }
        const float dy = fp16_to_f32(b[i].d);
        s += float(sumi) * (fp16_to_f32(a[i].d) * dy) + float(sumy) * (fp16_to_f32(a[i].m) * dy);
    }
    return s;
}

float dot_q5_0(int64_t n, const void* w, const void* x) {
    const auto* a = static_cast<const BlockQ5_0*>(w);
    const auto* b = static_cast<const BlockQ8_0*>(x);
    float s       = 0.0f;
    for (int64_t i = 0; i < n / kQK32; ++i) {
        const uint32_t qh = load_qh(a[i].qh);
        int sumi          = 0;
        for (int j = 0; j < 16; ++j) {
            const int q0 = ((a[i].qs[j] & 0xF) | int(((qh >> j) & 1) << 4)) - 16;
            const int q1 = ((a[i].qs[j] >> 4) | int(((qh >> (j + 16)) & 1) << 4)) - 16;
            sumi += q0 * b[i].qs[j] + q1 * b[i].qs[j + 16];
        }
        s += float(sumi) * (fp16_to_f32(a[i].d) * fp16_to_f32(b[i].d));
    }
    return s;
}

float dot_q5_1(int64_t n, const void* w, const void* x) {
    const auto* a = static_cast<const BlockQ5_1*>(w);
    const auto* b = static_cast<const BlockQ8_0*>(x);
    float s       = 0.0f;
    for (int64_t i = 0; i < n / kQK32; ++i) {
        const uint32_t qh = load_qh(a[i].qh);
        int sumi = 0, sumy = 0;
        for (int j = 0; j < 16; ++j) {
            const int q0 = (a[i].qs[j] & 0xF) | int(((qh >> j) & 1) << 4);
            const int q1 = (a[i].qs[j] >> 4) | int(((qh >> (j + 16)) & 1) << 4);
            sumi += q0 * b[i].qs[j] + q1 * b[i].qs[j + 16];
            sumy += b[i].qs[j] + b[i].qs[j + 16];
        }
        const float dy = fp16_to_f32(b[i].d);
        s += float(sumi) * (fp16_to_f32(a[i].d) * dy) + float(sumy) * (fp16_to_f32(a[i].m) * dy);
    }
    return s;
}

float dot_q8_0(int64_t n, const void* w, const void* x) {
    const auto* a = static_cast<const BlockQ8_0*>(w);
    const auto* b = static_cast<const BlockQ8_0*>(x);
    float s       = 0.0f;
    for (int64_t i = 0; i < n / kQK32; ++i) {
        int sumi = 0;
        for (int j = 0; j < kQK32; ++j) sumi += a[i].qs[j] * b[i].qs[j];
        s += float(sumi) * (fp16_to_f32(a[i].d) * fp16_to_f32(b[i].d));
    }
    return s;
}

// Activations to Q8_0 as ggml's CPU backend quantises them on x86 (quantize_row_q8_0 of arch/x86/quants.c, and
// the same in its repacked Q4_0 path), which is not its reference quantiser (quantize_row, used for weights): the
// inverse scale is 127 / amax (not 1 / (amax / 127), which can be one ulp away) and levels round half to even (not
// away from zero). Either difference moves a level by one step now and then (about 2 values in a million), as
// often as the engines' different summation orders do; each such step is visible in the logits of Q8_0 models.
void quantize_q8_0_act(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ8_0*>(dst);
    for (int64_t i = 0; i < n / kQK32; ++i, x += kQK32) {
        float amax = 0.0f;
        for (int j = 0; j < kQK32; ++j) amax = std::fmax(amax, std::fabs(x[j]));
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        b[i].d         = f32_to_fp16(amax / 127.0f);
        for (int j = 0; j < kQK32; ++j) b[i].qs[j] = int8_t(std::nearbyint(x[j] * id));  // ties to even
    }
}

// Q4_K / Q5_K: d * sum_s scale_s * (q . y)_s - dmin * sum_s min_s * (sum of y over sub-block s, from bsums).
float dot_q4_k(int64_t n, const void* w, const void* x) {
    const auto* a = static_cast<const BlockQ4_K*>(w);
    const auto* b = static_cast<const BlockQ8_K*>(x);
    float s       = 0.0f;
    for (int64_t i = 0; i < n / kQKK; ++i) {
        uint8_t sc[8], mn[8];
        unpack_scales_k4(a[i].scales, sc, mn);
        int sumi = 0, summ = 0;
        for (int c = 0; c < 4; ++c) {
            int s0 = 0, s1 = 0;
            for (int l = 0; l < 32; ++l) {
                s0 += (a[i].qs[32 * c + l] & 0xF) * b[i].qs[64 * c + l];
                s1 += (a[i].qs[32 * c + l] >> 4) * b[i].qs[64 * c + 32 + l];
            }
            sumi += sc[2 * c] * s0 + sc[2 * c + 1] * s1;
        }
        for (int j = 0; j < 8; ++j) summ += mn[j] * (b[i].bsums[2 * j] + b[i].bsums[2 * j + 1]);
        s += fp16_to_f32(a[i].d) * b[i].d * float(sumi) - fp16_to_f32(a[i].dmin) * b[i].d * float(summ);
    }
    return s;
}

float dot_q5_k(int64_t n, const void* w, const void* x) {
    const auto* a = static_cast<const BlockQ5_K*>(w);
    const auto* b = static_cast<const BlockQ8_K*>(x);
    float s       = 0.0f;
    for (int64_t i = 0; i < n / kQKK; ++i) {
        uint8_t sc[8], mn[8];
        unpack_scales_k4(a[i].scales, sc, mn);
        int sumi = 0, summ = 0;
        for (int c = 0; c < 4; ++c) {
            int s0 = 0, s1 = 0;
            for (int l = 0; l < 32; ++l) {
                const int q0 = (a[i].qs[32 * c + l] & 0xF) | (((a[i].qh[l] >> (2 * c)) & 1) << 4);
                const int q1 = (a[i].qs[32 * c + l] >> 4) | (((a[i].qh[l] >> (2 * c + 1)) & 1) << 4);
                s0 += q0 * b[i].qs[64 * c + l];
                s1 += q1 * b[i].qs[64 * c + 32 + l];
            }
            sumi += sc[2 * c] * s0 + sc[2 * c + 1] * s1;
        }
        for (int j = 0; j < 8; ++j) summ += mn[j] * (b[i].bsums[2 * j] + b[i].bsums[2 * j + 1]);
        s += fp16_to_f32(a[i].d) * b[i].d * float(sumi) - fp16_to_f32(a[i].dmin) * b[i].d * float(summ);
    }
    return s;
}

float dot_q6_k(int64_t n, const void* w, const void* x) {
    const auto* a = static_cast<const BlockQ6_K*>(w);
    const auto* b = static_cast<const BlockQ8_K*>(x);
    float s       = 0.0f;
    for (int64_t i = 0; i < n / kQKK; ++i) {
        int q[kQKK];
        for (int h = 0; h < 2; ++h) {
            const uint8_t* ql = a[i].ql + 64 * h;
            const uint8_t* qh = a[i].qh + 32 * h;
            int* qo           = q + 128 * h;
            for (int l = 0; l < 32; ++l) {
                qo[l]      = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                qo[l + 32] = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                qo[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                qo[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            }
        }
        int sumi = 0;
        for (int g = 0; g < 16; ++g) {
            int sg = 0;
            for (int j = 0; j < 16; ++j) sg += q[16 * g + j] * b[i].qs[16 * g + j];
            sumi += a[i].scales[g] * sg;
        }
        s += fp16_to_f32(a[i].d) * b[i].d * float(sumi);
    }
    return s;
}

}  // namespace

void fill_ref(KernelTable& t) {
    set_dot(t, DType::F32, dot_f32_w);
    set_dot(t, DType::F16, dot_f16_w);
    set_dot(t, DType::BF16, dot_bf16_w);
    set_dot(t, DType::Q4_0, dot_q4_0);
    set_dot(t, DType::Q4_1, dot_q4_1);
    set_dot(t, DType::Q5_0, dot_q5_0);
    set_dot(t, DType::Q5_1, dot_q5_1);
    set_dot(t, DType::Q8_0, dot_q8_0);
    set_dot(t, DType::Q4_K, dot_q4_k);
    set_dot(t, DType::Q5_K, dot_q5_k);
    set_dot(t, DType::Q6_K, dot_q6_k);
    t.quantize_q8_0 = quantize_q8_0_act;
    t.dot_f32       = dot_f32_ref;
    t.axpy_f32      = axpy_f32_ref;
}

}  // namespace ts::core::kernels
