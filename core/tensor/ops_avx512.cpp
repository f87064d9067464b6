// AVX-512 (F/BW/VL/DQ) dot kernels, compiled with those flags and used only when the CPU has them: Q8_0 and Q4_0
// two blocks per 512-bit register, Q4_K one chunk of 64 per register, Q6_K one half of 128 in two registers, and
// the float types 16 lanes at a time. Entries not overridden here keep their AVX2 kernels.
// GCC 12 warns about _mm512_undefined_* inside its own intrinsics once they are inlined (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>
#include <array>
#include <utility>

#include "core/tensor/blocks.hpp"
#include "core/tensor/kernels.hpp"
#include "core/tensor/simd_avx2.hpp"

namespace ts::core::kernels {
namespace avx512 {
namespace {

using avx2::f16;
using avx2::load256;

inline __m512i load512(const void* p) {
    return _mm512_loadu_si512(p);
}

inline __m512i join(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

inline __m512 scales2(float lo, float hi) {
    return _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(lo), _mm512_set1_ps(hi));
}

// ---- float types --------------------------------------------------------------------------------------------

float dot_f32_f32(const float* a, const float* b, int64_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
    }
    for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    if (i < n) {
        const __mmask16 m = __mmask16((1u << (n - i)) - 1);
        s1                = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s1);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

void axpy(float a, const float* x, float* y, int64_t n) {
    const __m512 va = _mm512_set1_ps(a);
    int64_t i       = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        const __mmask16 m = __mmask16((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(y + i, m,
                              _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
    }
}

float dot_f32(int64_t n, const void* w, const void* x) {
    return dot_f32_f32(static_cast<const float*>(w), static_cast<const float*>(x), n);
}

inline __m512 load_f16x16(const uint16_t* p) {
    return _mm512_cvtph_ps(load256(p));
}

inline __m512 load_bf16x16(const uint16_t* p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(load256(p)), 16));
}

float bf16_scalar(uint16_t b) {
    const uint32_t u = uint32_t(b) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

template <__m512 (*Load)(const uint16_t*), float (*Scalar)(uint16_t)>
float dot_half(int64_t n, const void* w, const void* x) {
    const auto* h  = static_cast<const uint16_t*>(w);
    const auto* xf = static_cast<const float*>(x);
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(Load(h + i), _mm512_loadu_ps(xf + i), s0);
        s1 = _mm512_fmadd_ps(Load(h + i + 16), _mm512_loadu_ps(xf + i + 16), s1);
        s2 = _mm512_fmadd_ps(Load(h + i + 32), _mm512_loadu_ps(xf + i + 32), s2);
        s3 = _mm512_fmadd_ps(Load(h + i + 48), _mm512_loadu_ps(xf + i + 48), s3);
    }
    for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(Load(h + i), _mm512_loadu_ps(xf + i), s0);
    float s = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    for (; i < n; ++i) s += Scalar(h[i]) * xf[i];
    return s;
}

// ---- Q8_0 / Q4_0: two blocks per register ------------------------------------------------------------------

// The f16 scales of blocks p[0..7] as 8 floats (16-bit inserts, one conversion).
template <typename Block>
inline __m256 scales8(const Block* p) {
    __m128i v = _mm_cvtsi32_si128(p[0].d);
    v         = _mm_insert_epi16(v, p[1].d, 1);
    v         = _mm_insert_epi16(v, p[2].d, 2);
    v         = _mm_insert_epi16(v, p[3].d, 3);
    v         = _mm_insert_epi16(v, p[4].d, 4);
    v         = _mm_insert_epi16(v, p[5].d, 5);
    v         = _mm_insert_epi16(v, p[6].d, 6);
    v         = _mm_insert_epi16(v, p[7].d, 7);
    return _mm256_cvtph_ps(v);
}

inline __m512i q8_0_pair(const BlockQ8_0& b0, const BlockQ8_0& b1) {
    return join(load256(b0.qs), load256(b1.qs));
}

// Two Q4_0 blocks' unsigned levels (0..15, value + 8) in element order: [lo(a0) hi(a0) lo(a1) hi(a1)] as 128-bit lanes.
inline __m512i q4_0_pair(const BlockQ4_0& b0, const BlockQ4_0& b1) {
    const __m256i q  = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b1.qs)),
                                        _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0.qs)));
    const __m512i qq = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 1, 0, 1, 2, 3, 2, 3), _mm512_castsi256_si512(q));
    const __m512i v  = _mm512_mask_blend_epi64(0xCC, qq, _mm512_srli_epi16(qq, 4));
    return _mm512_and_si512(v, _mm512_set1_epi8(0x0F));
}

// Q4_0 with unsigned nibbles: (q - 8) . y = q . y - 8 . y, no sign handling needed.
inline __m512i q4_0_pair_dot(const BlockQ4_0& a0, const BlockQ4_0& a1, __m512i y) {
    const __m512i p =
        _mm512_sub_epi16(_mm512_maddubs_epi16(q4_0_pair(a0, a1), y), _mm512_maddubs_epi16(_mm512_set1_epi8(8), y));
    return _mm512_madd_epi16(p, _mm512_set1_epi16(1));
}

// 8 blocks per step, two per register; the 8 scale products come as one vector and each pair's (lanes 0..7
// block k, 8..15 block k+1) is one permute. PairDot(a0, a1, y) gives two blocks' exact dots.
template <typename Block, __m512i (*PairDot)(const Block&, const Block&, __m512i)>
float dot_blocks_q8_0(int64_t n, const void* w, const void* x) {
    const auto* a    = static_cast<const Block*>(w);
    const auto* b    = static_cast<const BlockQ8_0*>(x);
    const int64_t nb = n / kQK32;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = acc0;
    int64_t i = 0;
    for (; i + 8 <= nb; i += 8) {
        const __m512 d = _mm512_castps256_ps512(_mm256_mul_ps(scales8(a + i), scales8(b + i)));
        for (int k = 0; k < 8; k += 4) {
            const __m512i p0 = PairDot(a[i + k], a[i + k + 1], q8_0_pair(b[i + k], b[i + k + 1]));
            const __m512i p1 = PairDot(a[i + k + 2], a[i + k + 3], q8_0_pair(b[i + k + 2], b[i + k + 3]));
            const __m512i i0 = _mm512_mask_blend_epi32(0xFF00, _mm512_set1_epi32(k), _mm512_set1_epi32(k + 1));
            const __m512i i1 = _mm512_add_epi32(i0, _mm512_set1_epi32(2));
            acc0             = _mm512_fmadd_ps(_mm512_permutexvar_ps(i0, d), _mm512_cvtepi32_ps(p0), acc0);
            acc1             = _mm512_fmadd_ps(_mm512_permutexvar_ps(i1, d), _mm512_cvtepi32_ps(p1), acc1);
        }
    }
    for (; i + 2 <= nb; i += 2) {
        const __m512i p = PairDot(a[i], a[i + 1], q8_0_pair(b[i], b[i + 1]));
        acc0            = _mm512_fmadd_ps(scales2(f16(a[i].d) * f16(b[i].d), f16(a[i + 1].d) * f16(b[i + 1].d)),
                                          _mm512_cvtepi32_ps(p), acc0);
    }
    float s = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    if (i < nb) {  // a last odd block: the pair helper with itself, upper half's scale zero
        const __m512i p = PairDot(a[i], a[i], q8_0_pair(b[i], b[i]));
        s += _mm512_reduce_add_ps(_mm512_mul_ps(scales2(f16(a[i].d) * f16(b[i].d), 0.0f), _mm512_cvtepi32_ps(p)));
    }
    return s;
}

// ---- K-quants ---------------------------------------------------------------------------------------------------

using avx2::unpack_k4;

// int16 vector whose lanes 0..15 hold s[2c] and 16..31 hold s[2c + 1] (one scale per 32 elements).
inline __m512i pair_scales(__m512i s16, int c) {
    const __m512i idx =
        _mm512_mask_blend_epi16(0xFFFF0000u, _mm512_set1_epi16(short(2 * c)), _mm512_set1_epi16(short(2 * c + 1)));
    return _mm512_permutexvar_epi16(idx, s16);
}

float dot_q4_k(int64_t n, const void* w, const void* x) {
    const auto* a    = static_cast<const BlockQ4_K*>(w);
    const auto* b    = static_cast<const BlockQ8_K*>(x);
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    __m512 acc       = _mm512_setzero_ps();
    __m128 accm      = _mm_setzero_ps();
    for (int64_t i = 0; i < n / kQKK; ++i) {
        uint8_t sc[8], mn[8];
        unpack_k4(a[i].scales, sc, mn);
        const __m512i s16 =
            _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc))));
        __m512i sumi = _mm512_setzero_si512();
        for (int c = 0; c < 4; ++c) {
            const __m256i q = load256(a[i].qs + 32 * c);
            const __m512i v = _mm512_and_si512(join(q, _mm256_srli_epi16(q, 4)), m4);
            const __m512i p = _mm512_maddubs_epi16(v, load512(b[i].qs + 64 * c));
            sumi            = _mm512_add_epi32(sumi, _mm512_madd_epi16(p, pair_scales(s16, c)));
        }
        // mins: sum_s mn[s] * (bsums[2s] + bsums[2s+1])
        const __m256i bs   = load256(b[i].bsums);
        const __m128i bs32 = _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
        const __m128i m16  = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mn)));
        acc                = _mm512_fmadd_ps(_mm512_set1_ps(f16(a[i].d) * b[i].d), _mm512_cvtepi32_ps(sumi), acc);
        accm = _mm_fmadd_ps(_mm_set1_ps(f16(a[i].dmin) * b[i].d), _mm_cvtepi32_ps(_mm_madd_epi16(m16, bs32)), accm);
    }
    return _mm512_reduce_add_ps(acc) - avx2::hsum(accm);
}

float dot_q6_k(int64_t n, const void* w, const void* x) {
    const auto* a    = static_cast<const BlockQ6_K*>(w);
    const auto* b    = static_cast<const BlockQ8_K*>(x);
    const __m512i m4 = _mm512_set1_epi8(0x0F), m2 = _mm512_set1_epi8(0x03);
    // int16 lane j of 128-bit lane k takes scale k (first 64 elements) or 4 + k (second 64)
    const __m512i idx_lo = _mm512_setr_epi64(0, 0, 0x0001000100010001, 0x0001000100010001, 0x0002000200020002,
                                             0x0002000200020002, 0x0003000300030003, 0x0003000300030003);
    const __m512i idx_hi = _mm512_add_epi16(idx_lo, _mm512_set1_epi16(4));
    __m512 acc           = _mm512_setzero_ps();
    for (int64_t i = 0; i < n / kQKK; ++i) {
        const __m256i sc_all = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a[i].scales)));
        const __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(sc_all, load256(b[i].bsums)), 5);
        __m512i sumi         = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_zextsi256_si512(offset));
        for (int h = 0; h < 2; ++h) {
            const __m512i l  = load512(a[i].ql + 64 * h);
            const __m256i qh = load256(a[i].qh + 32 * h);
            const __m512i hh = join(qh, _mm256_srli_epi16(qh, 2));
            const __m512i q0 = _mm512_or_si512(_mm512_and_si512(l, m4), _mm512_slli_epi16(_mm512_and_si512(hh, m2), 4));
            const __m512i q1 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4),
                                               _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(hh, 4), m2), 4));
            const __m512i s16 = _mm512_castsi128_si512(
                _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a[i].scales + 8 * h))));
            const __m512i p0 = _mm512_maddubs_epi16(q0, load512(b[i].qs + 128 * h));
            const __m512i p1 = _mm512_maddubs_epi16(q1, load512(b[i].qs + 128 * h + 64));
            sumi             = _mm512_add_epi32(sumi, _mm512_madd_epi16(p0, _mm512_permutexvar_epi16(idx_lo, s16)));
            sumi             = _mm512_add_epi32(sumi, _mm512_madd_epi16(p1, _mm512_permutexvar_epi16(idx_hi, s16)));
        }
        acc = _mm512_fmadd_ps(_mm512_set1_ps(f16(a[i].d) * b[i].d), _mm512_cvtepi32_ps(sumi), acc);
    }
    return _mm512_reduce_add_ps(acc);
}

// ---- batched prefill of the float types: a register tile of R rows x T tokens ---------------------------------

// The element types, as policies (a function pointer returning __m256 cannot be a class template argument
// without GCC dropping its vector attribute): W the stored element, load() 8 of them as floats, scalar() one.
struct F32 {
    using W = float;
    static __m256 load(const W* p) { return _mm256_loadu_ps(p); }
    static float scalar(W v) { return v; }
};
struct F16 {
    using W = uint16_t;
    static __m256 load(const W* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
    static float scalar(W v) { return f16(v); }
};
struct BF16 {
    using W = uint16_t;
    static __m256 load(const W* p) {
        const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
    }
    static float scalar(W v) { return bf16_scalar(v); }
};

constexpr int kTileRows = 4, kTileToks = 4;  // 16 accumulators + 8 operands: fits the 32 ymm registers

// out[r * T + t] = dot(w row r, x token t) of n elements; 256-bit vectors (Zen 4 splits 512-bit FMAs anyway),
// each weight vector converted once and used by T tokens, each x vector used by R rows.
template <typename E, int R, int T>
void tile_f(int64_t n, const typename E::W* w, size_t ws, const float* x, float* out) {
    __m256 acc[R][T];
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        if constexpr (T == 1) {  // decode: no compute to hide memory behind, so fetch the next rows' line ahead
            if ((i * int64_t(sizeof(typename E::W))) % 64 == 0)
                for (int r = 0; r < R; ++r)
                    _mm_prefetch(reinterpret_cast<const char*>(w + size_t(R + r) * ws + size_t(i)), _MM_HINT_T0);
        }
        __m256 xv[T];
        for (int t = 0; t < T; ++t) xv[t] = _mm256_loadu_ps(x + t * n + i);
        for (int r = 0; r < R; ++r) {
            const __m256 wv = E::load(w + size_t(r) * ws + size_t(i));
            for (int t = 0; t < T; ++t) acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) {
            float s = avx2::hsum(acc[r][t]);
            for (int64_t j = i; j < n; ++j) s += E::scalar(w[size_t(r) * ws + size_t(j)]) * x[t * n + j];
            out[r * T + t] = s;
        }
}

template <typename E>
struct GemmF {
    using W    = typename E::W;
    using Tile = void (*)(int64_t, const W*, size_t, const float*, float*);

    template <int R, int... T>
    static constexpr std::array<Tile, kTileToks> tiles_of(std::integer_sequence<int, T...>) {
        return {tile_f<E, R, T + 1>...};
    }
    template <int... R>
    static constexpr std::array<std::array<Tile, kTileToks>, kTileRows> all(std::integer_sequence<int, R...>) {
        return {tiles_of<R + 1>(std::make_integer_sequence<int, kTileToks>{})...};
    }
    static constexpr auto kTiles = all(std::make_integer_sequence<int, kTileRows>{});  // [R - 1][T - 1]

    static void run(int64_t n, const void* wp, size_t w_stride, int64_t n_rows, const float* x, int64_t n_tok, float* y,
                    int64_t y_stride) {
        const auto* w   = static_cast<const W*>(wp);
        const size_t ws = w_stride / sizeof(W);
        float out[kTileRows * kTileToks];
        for (int64_t r0 = 0; r0 < n_rows; r0 += kTileRows) {
            const int R = int(std::min<int64_t>(kTileRows, n_rows - r0));
            for (int64_t t0 = 0; t0 < n_tok; t0 += kTileToks) {
                const int T = int(std::min<int64_t>(kTileToks, n_tok - t0));
                kTiles[size_t(R - 1)][size_t(T - 1)](n, w + size_t(r0) * ws, ws, x + t0 * n, out);
                for (int r = 0; r < R; ++r)
                    for (int t = 0; t < T; ++t) y[(t0 + t) * y_stride + r0 + r] = out[r * T + t];
            }
        }
    }
};

}  // namespace
}  // namespace avx512

void fill_avx512_gemm(KernelTable& t) {
    t.gemm_f32[uint32_t(DType::F32)]  = avx512::GemmF<avx512::F32>::run;
    t.gemm_f32[uint32_t(DType::F16)]  = avx512::GemmF<avx512::F16>::run;
    t.gemm_f32[uint32_t(DType::BF16)] = avx512::GemmF<avx512::BF16>::run;
}

void fill_avx512(KernelTable& t) {
    t.dot[uint32_t(DType::F32)]  = avx512::dot_f32;
    t.dot[uint32_t(DType::F16)]  = avx512::dot_half<avx512::load_f16x16, avx2::f16>;
    t.dot[uint32_t(DType::BF16)] = avx512::dot_half<avx512::load_bf16x16, avx512::bf16_scalar>;
    t.dot[uint32_t(DType::Q4_0)] = avx512::dot_blocks_q8_0<BlockQ4_0, avx512::q4_0_pair_dot>;
    t.dot[uint32_t(DType::Q4_K)] = avx512::dot_q4_k;
    t.dot[uint32_t(DType::Q6_K)] = avx512::dot_q6_k;
    t.dot_f32                    = avx512::dot_f32_f32;
    t.axpy_f32                   = avx512::axpy;
}

}  // namespace ts::core::kernels
