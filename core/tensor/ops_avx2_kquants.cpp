// AVX2 dot kernels of the K-quants (Q4_K Q5_K Q6_K against Q8_K), compiled with -mavx2 -mfma -mf16c.
// Per 256-element super-block: integer dot products per sub-block (maddubs, then madd with the sub-block scales),
// summed as int32 lanes; the mins (Q4_K/Q5_K) and Q6_K's -32 offset are applied once per super-block through
// Q8_K's bsums, so the inner loops see only unsigned weights.
#include "core/tensor/blocks.hpp"
#include "core/tensor/kernels.hpp"
#include "core/tensor/simd_avx2.hpp"

namespace ts::core::kernels {
namespace avx2 {
namespace {

// sum_s mn[s] * (sum of y over sub-block s of 32), from the 16 bsums of 16 elements.
inline __m128i mins_dot(const uint8_t* mn, const int16_t* bsums) {
    const __m256i bs   = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bsums));
    const __m128i bs32 = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
    const __m128i m16  = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mn)));
    return _mm_madd_epi16(m16, bs32);
}

// The K4 family's core: sum over the 4 chunks of 64 of scale-weighted (q . y), as 8 int32 lanes.
// q_lo / q_hi of chunk c are the unsigned levels of sub-blocks 2c / 2c+1.
template <bool kFive>
inline __m256i k4_sumi(const uint8_t* qs, const uint8_t* qh, const int8_t* y, const uint8_t* sc) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256i hbits    = kFive ? load256(qh) : _mm256_setzero_si256();
    __m256i sumi     = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
        const __m256i q = load256(qs + 32 * c);
        __m256i lo      = _mm256_and_si256(q, m4);
        __m256i hi      = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
        if constexpr (kFive) {
            lo    = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(hbits, _mm256_set1_epi8(1)), 4));
            hi    = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(hbits, _mm256_set1_epi8(2)), 3));
            hbits = _mm256_srli_epi16(hbits, 2);
        }
        const __m256i p0 = _mm256_maddubs_epi16(lo, load256(y + 64 * c));
        const __m256i p1 = _mm256_maddubs_epi16(hi, load256(y + 64 * c + 32));
        sumi             = _mm256_add_epi32(sumi, _mm256_madd_epi16(p0, _mm256_set1_epi16(sc[2 * c])));
        sumi             = _mm256_add_epi32(sumi, _mm256_madd_epi16(p1, _mm256_set1_epi16(sc[2 * c + 1])));
    }
    return sumi;
}

template <bool kFive, typename Block>
float dot_k4(int64_t n, const void* w, const void* x) {
    const auto* a = static_cast<const Block*>(w);
    const auto* b = static_cast<const BlockQ8_K*>(x);
    __m256 acc    = _mm256_setzero_ps();
    __m128 accm   = _mm_setzero_ps();
    for (int64_t i = 0; i < n / kQKK; ++i) {
        uint8_t sc[8], mn[8];
        unpack_k4(a[i].scales, sc, mn);
        const float d     = f16(a[i].d) * b[i].d;
        const float dmin  = f16(a[i].dmin) * b[i].d;
        const uint8_t* qh = nullptr;
        if constexpr (kFive) qh = a[i].qh;
        const __m256i sumi = k4_sumi<kFive>(a[i].qs, qh, b[i].qs, sc);
        acc                = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
        accm               = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(mins_dot(mn, b[i].bsums)), accm);
    }
    return hsum(acc) - hsum(accm);
}

// Q6_K: the four 32-element groups of one half (128 elements) as unsigned 6-bit levels (0..63), in element order.
struct Q6Half {
    __m256i q[4];
};

inline Q6Half q6_half(const uint8_t* ql, const uint8_t* qh) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i l0 = load256(ql), l1 = load256(ql + 32), h = load256(qh);
    Q6Half r;
    r.q[0] =
        _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(h, _mm256_set1_epi8(0x03)), 4));
    r.q[1] =
        _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(h, _mm256_set1_epi8(0x0C)), 2));
    r.q[2] =
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(h, _mm256_set1_epi8(0x30)));
    r.q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                             _mm256_srli_epi16(_mm256_and_si256(h, _mm256_set1_epi8(char(0xC0))), 2));
    return r;
}

// Scale vectors of one half: group k covers sub-blocks 2k (low 128 bits) and 2k+1 (high 128 bits) as int16.
struct Q6Scales {
    __m256i s[4];
};

inline Q6Scales q6_scales(const int8_t* sc8) {
    const __m128i s16 = _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc8)));
    const __m256i s   = _mm256_set_m128i(s16, s16);
    Q6Scales r;
    for (int k = 0; k < 4; ++k) {
        // bytes of int16 #2k in the low lane, of #2k+1 in the high lane
        const char lo0 = char(4 * k), lo1 = char(4 * k + 1), hi0 = char(4 * k + 2), hi1 = char(4 * k + 3);
        const __m256i idx =
            _mm256_setr_epi8(lo0, lo1, lo0, lo1, lo0, lo1, lo0, lo1, lo0, lo1, lo0, lo1, lo0, lo1, lo0, lo1, hi0, hi1,
                             hi0, hi1, hi0, hi1, hi0, hi1, hi0, hi1, hi0, hi1, hi0, hi1, hi0, hi1);
        r.s[k] = _mm256_shuffle_epi8(s, idx);
    }
    return r;
}

// 32 * sum_g scale_g * bsum_g: the -32 offset of every level, applied once.
inline __m256i q6_offset(const int8_t* scales, const int16_t* bsums) {
    const __m256i sc = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
    return _mm256_slli_epi32(_mm256_madd_epi16(sc, load256(bsums)), 5);
}

float dot_q6_k(int64_t n, const void* w, const void* x) {
    const auto* a = static_cast<const BlockQ6_K*>(w);
    const auto* b = static_cast<const BlockQ8_K*>(x);
    __m256 acc    = _mm256_setzero_ps();
    for (int64_t i = 0; i < n / kQKK; ++i) {
        __m256i sumi = _mm256_sub_epi32(_mm256_setzero_si256(), q6_offset(a[i].scales, b[i].bsums));
        for (int h = 0; h < 2; ++h) {
            const Q6Half q   = q6_half(a[i].ql + 64 * h, a[i].qh + 32 * h);
            const Q6Scales s = q6_scales(a[i].scales + 8 * h);
            const int8_t* y  = b[i].qs + 128 * h;
            for (int k = 0; k < 4; ++k) {
                const __m256i p = _mm256_maddubs_epi16(q.q[k], load256(y + 32 * k));
                sumi            = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, s.s[k]));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(a[i].d) * b[i].d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum(acc);
}

// ---- one weight row against 4 activation rows ------------------------------------------------------------------

inline const BlockQ8_K* xrow(const void* x, size_t xs, int k) {
    return reinterpret_cast<const BlockQ8_K*>(static_cast<const uint8_t*>(x) + size_t(k) * xs);
}

void dot4_q4_k(int64_t n, const void* w, const void* x, size_t xs, float* out) {
    const auto* a         = static_cast<const BlockQ4_K*>(w);
    const BlockQ8_K* b[4] = {xrow(x, xs, 0), xrow(x, xs, 1), xrow(x, xs, 2), xrow(x, xs, 3)};
    const __m256i m4      = _mm256_set1_epi8(0x0F);
    __m256 acc[4]         = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    __m128 accm[4]        = {_mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps()};
    for (int64_t i = 0; i < n / kQKK; ++i) {
        uint8_t sc[8], mn[8];
        unpack_k4(a[i].scales, sc, mn);
        __m256i sumi[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                           _mm256_setzero_si256()};
        for (int c = 0; c < 4; ++c) {
            const __m256i q  = load256(a[i].qs + 32 * c);
            const __m256i lo = _mm256_and_si256(q, m4);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            const __m256i s0 = _mm256_set1_epi16(sc[2 * c]), s1 = _mm256_set1_epi16(sc[2 * c + 1]);
            for (int k = 0; k < 4; ++k) {
                const __m256i p0 = _mm256_maddubs_epi16(lo, load256(b[k][i].qs + 64 * c));
                const __m256i p1 = _mm256_maddubs_epi16(hi, load256(b[k][i].qs + 64 * c + 32));
                sumi[k] =
                    _mm256_add_epi32(sumi[k], _mm256_add_epi32(_mm256_madd_epi16(p0, s0), _mm256_madd_epi16(p1, s1)));
            }
        }
        const float da = f16(a[i].d), dmin = f16(a[i].dmin);
        for (int k = 0; k < 4; ++k) {
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(da * b[k][i].d), _mm256_cvtepi32_ps(sumi[k]), acc[k]);
            accm[k] =
                _mm_fmadd_ps(_mm_set1_ps(dmin * b[k][i].d), _mm_cvtepi32_ps(mins_dot(mn, b[k][i].bsums)), accm[k]);
        }
    }
    for (int k = 0; k < 4; ++k) out[k] = hsum(acc[k]) - hsum(accm[k]);
}

void dot4_q6_k(int64_t n, const void* w, const void* x, size_t xs, float* out) {
    const auto* a         = static_cast<const BlockQ6_K*>(w);
    const BlockQ8_K* b[4] = {xrow(x, xs, 0), xrow(x, xs, 1), xrow(x, xs, 2), xrow(x, xs, 3)};
    __m256 acc[4]         = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t i = 0; i < n / kQKK; ++i) {
        __m256i sumi[4];
        for (int k = 0; k < 4; ++k)
            sumi[k] = _mm256_sub_epi32(_mm256_setzero_si256(), q6_offset(a[i].scales, b[k][i].bsums));
        for (int h = 0; h < 2; ++h) {
            const Q6Half q   = q6_half(a[i].ql + 64 * h, a[i].qh + 32 * h);
            const Q6Scales s = q6_scales(a[i].scales + 8 * h);
            for (int g = 0; g < 4; ++g) {
                for (int k = 0; k < 4; ++k) {
                    const __m256i p = _mm256_maddubs_epi16(q.q[g], load256(b[k][i].qs + 128 * h + 32 * g));
                    sumi[k]         = _mm256_add_epi32(sumi[k], _mm256_madd_epi16(p, s.s[g]));
                }
            }
        }
        const float da = f16(a[i].d);
        for (int k = 0; k < 4; ++k)
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(da * b[k][i].d), _mm256_cvtepi32_ps(sumi[k]), acc[k]);
    }
    for (int k = 0; k < 4; ++k) out[k] = hsum(acc[k]);
}

}  // namespace

void fill_kquants(KernelTable& t) {
    t.dot[uint32_t(DType::Q4_K)]  = dot_k4<false, BlockQ4_K>;
    t.dot[uint32_t(DType::Q5_K)]  = dot_k4<true, BlockQ5_K>;
    t.dot[uint32_t(DType::Q6_K)]  = dot_q6_k;
    t.dot4[uint32_t(DType::Q4_K)] = dot4_q4_k;
    t.dot4[uint32_t(DType::Q6_K)] = dot4_q6_k;
}

}  // namespace avx2
}  // namespace ts::core::kernels
