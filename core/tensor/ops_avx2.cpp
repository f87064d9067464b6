// AVX2 + FMA + F16C kernels (this file is compiled with -mavx2 -mfma -mf16c and only called when the CPU has them):
// the float dots, Q8_0's dot / dot4 (its levels saturate maddubs, so it has no X8 tile at this level), the X8 tiles
// and one-token kernels of the other int8 types (gemm_x8.hpp), and the activation quantisers. Each is tested against
// its scalar reference in ops_ref.cpp.
#include "core/tensor/blocks.hpp"
#include "core/tensor/gemm_x8.hpp"
#include "core/tensor/kernels.hpp"
#include "core/tensor/simd_avx2.hpp"

namespace ts::core::kernels {
namespace avx2 {

namespace {

// ---- float types --------------------------------------------------------------------------------------------

float dot_f32_f32(const float* a, const float* b, int64_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; ++i) s += a[i] * b[i];
    return s;
}

void axpy(float a, const float* x, float* y, int64_t n) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i       = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += a * x[i];
}

float dot_f32(int64_t n, const void* w, const void* x) {
    return dot_f32_f32(static_cast<const float*>(w), static_cast<const float*>(x), n);
}

inline __m256 load_f16x8(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

inline __m256 load_bf16x8(const uint16_t* p) {
    const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

template <__m256 (*Load)(const uint16_t*), float (*Scalar)(uint16_t)>
float dot_half(int64_t n, const void* w, const void* x) {
    const auto* h  = static_cast<const uint16_t*>(w);
    const auto* xf = static_cast<const float*>(x);
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(Load(h + i), _mm256_loadu_ps(xf + i), s0);
        s1 = _mm256_fmadd_ps(Load(h + i + 8), _mm256_loadu_ps(xf + i + 8), s1);
        s2 = _mm256_fmadd_ps(Load(h + i + 16), _mm256_loadu_ps(xf + i + 16), s2);
        s3 = _mm256_fmadd_ps(Load(h + i + 24), _mm256_loadu_ps(xf + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(Load(h + i), _mm256_loadu_ps(xf + i), s0);
    float s = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; ++i) s += Scalar(h[i]) * xf[i];
    return s;
}

float bf16_scalar(uint16_t b) {
    const uint32_t u = uint32_t(b) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// ---- 32-element blocks against Q8_0 ---------------------------------------------------------------------------

// The f16 scales of blocks p[0..7] as 8 floats: 16-bit inserts and one conversion, cheaper per block than a
// scalar conversion and product each (and than a gather, which is slow on Zen 4).
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

// Lane k of v in every lane.
inline __m256 lane(__m256 v, int k) {
    return _mm256_permutevar8x32_ps(v, _mm256_set1_epi32(k));
}

inline __m256i q8_0_values(const BlockQ8_0& blk) {
    return load256(blk.qs);
}

// ---- one weight row against 4 activation rows (batched prefill) ----------------------------------------------

// Each weight block is decoded once and meets K tokens (4; 1 for the one-token dot of a type that has no X8 tile
// at this level, so that prefill and decode do the same operations per token); the 8 blocks' scale products are
// computed as one vector.
template <typename Block, __m256i (*Values)(const Block&), int K = 4>
void dot4_blocks_q8_0(int64_t n, const void* w, const void* x, size_t xs, float* out) {
    const auto* a    = static_cast<const Block*>(w);
    const auto* xb   = static_cast<const uint8_t*>(x);
    const int64_t nb = n / kQK32;
    const BlockQ8_0* b[K];
    __m256 acc[K];
    for (int k = 0; k < K; ++k) {
        b[k]   = reinterpret_cast<const BlockQ8_0*>(xb + size_t(k) * xs);
        acc[k] = _mm256_setzero_ps();
    }
    int64_t i = 0;
    for (; i + 8 <= nb; i += 8) {
        const __m256 da = scales8(a + i);
        __m256 d[K];
        for (int k = 0; k < K; ++k) d[k] = _mm256_mul_ps(da, scales8(b[k] + i));
        for (int j = 0; j < 8; ++j) {
            const __m256i q  = Values(a[i + j]);
            const __m256i aq = _mm256_sign_epi8(q, q);
            for (int k = 0; k < K; ++k) {
                const __m256i p = dot_u8i8(aq, _mm256_sign_epi8(load256(b[k][i + j].qs), q));
                acc[k]          = _mm256_fmadd_ps(lane(d[k], j), _mm256_cvtepi32_ps(p), acc[k]);
            }
        }
    }
    for (; i < nb; ++i) {
        const __m256i q  = Values(a[i]);
        const __m256i aq = _mm256_sign_epi8(q, q);
        const float da   = f16(a[i].d);
        for (int k = 0; k < K; ++k) {
            const __m256i p = dot_u8i8(aq, _mm256_sign_epi8(load256(b[k][i].qs), q));
            acc[k]          = _mm256_fmadd_ps(_mm256_set1_ps(da * f16(b[k][i].d)), _mm256_cvtepi32_ps(p), acc[k]);
        }
    }
    for (int k = 0; k < K; ++k) out[k] = hsum(acc[k]);
}

// dot() as one token of dot4 (the same operations, so a token alone equals the token in a batch).
template <typename Block, __m256i (*Values)(const Block&)>
float dot1_blocks_q8_0(int64_t n, const void* w, const void* x) {
    float out;
    dot4_blocks_q8_0<Block, Values, 1>(n, w, x, 0, &out);
    return out;
}

// ---- batched prefill: the X8 int8 matmul (gemm_x8.hpp) without VNNI ------------------------------------------

// maddubs gives int16 sums of two u8 x s8 products, exact while the unsigned weight level is small: Q5_0 (<= 31)
// pairs reach 2 * 31 * 127 = 7874, so 4 groups add up in int16 (31496 < 32767) before one madd widens them to
// int32 (Q4_0 could sum all 8, but 4 measured 9% faster: shorter dependency chains); Q6_K's levels (<= 63) allow
// 2 groups (32004). Q8_0's levels reach 255 and would saturate: it keeps dot4 at this level.
template <int kSumGroups, x8::Form F = x8::Form::Offset>
struct Avx2Tile {
    static constexpr x8::Form kForm = F;
    static constexpr int kMaxRows   = 2;  // 4 float, 4 int16 and 4 int32 sums, 2 x, 1 w: the 16 registers of AVX2
    static constexpr int kGroups    = 2;
    static_assert(8 % kSumGroups == 0 && kSumGroups <= 4, "whole chunks of a block's (or half block's) groups");

    template <int R, int T>
    static void run(int64_t nb, const uint8_t* u, const float* d, const float* m, int64_t n, const uint8_t* x,
                    size_t gs, float* out, x8::Prefetch pf) {
        constexpr int kParts = F == x8::Form::Scaled ? 2 : 1;
        const __m256i ones   = _mm256_set1_epi16(1);
        __m256 acc[R][T];
        __m256i S[R][T];  // Scaled: the super-block's integer sums
        for (int r = 0; r < R; ++r)
            for (int t = 0; t < T; ++t) {
                acc[r][t] = _mm256_setzero_ps();
                S[r][t]   = _mm256_setzero_si256();
            }
        for (int64_t b = 0; b < nb; ++b) {
            const uint8_t* xb = x + size_t(b) * kX8BlockBytes;
            x8::prefetch_block(pf, b);
            __m256i s[R][T];
            for (int t = 0; t < T; ++t) {
                const __m256i s0 = x8::initial_sum<F>(xb, gs, t);
                for (int r = 0; r < R; ++r) s[r][t] = s0;
            }
            __m256 dx[T];
            if constexpr (F != x8::Form::Scaled) x8::load_dx(xb, gs, dx);  // Scaled: once per super-block
            for (int part = 0; part < kParts; ++part) {
                for (int g0 = part * 8 / kParts; g0 < (part + 1) * 8 / kParts; g0 += kSumGroups) {
                    __m256i h[R][T];  // int16 pair sums of groups g0 .. g0 + kSumGroups - 1
                    for (int g = g0; g < g0 + kSumGroups; ++g) {
                        __m256i xv[T];
                        for (int t = 0; t < T; ++t) xv[t] = load256(xb + size_t(t) * gs + 32 * g);
                        for (int r = 0; r < R; ++r) {
                            const __m256i wv =
                                _mm256_set1_epi32(int32_t(load_u32(u + size_t(r) * size_t(n) + 32 * b + 4 * g)));
                            for (int t = 0; t < T; ++t) {
                                const __m256i p = _mm256_maddubs_epi16(wv, xv[t]);
                                h[r][t]         = g == g0 ? p : _mm256_add_epi16(h[r][t], p);
                            }
                        }
                    }
                    for (int r = 0; r < R; ++r)
                        for (int t = 0; t < T; ++t)
                            s[r][t] = _mm256_add_epi32(s[r][t], _mm256_madd_epi16(h[r][t], ones));
                }
                if constexpr (F == x8::Form::Scaled)
                    x8::part_scaled<R, T>(acc, S, s, d, m, nb, b, part, xb, gs);
                else
                    x8::part<F, R, T>(acc, s, d, m, nb, b, part, xb, gs, dx);
            }
        }
        for (int r = 0; r < R; ++r)
            for (int t = 0; t < T; ++t) _mm256_storeu_ps(out + r * (T * x8::kTok) + t * x8::kTok, acc[r][t]);
    }
};

// The integer dot of gemv_x8 (one token, rows in lanes): maddubs then madd, exact for the levels of the X8 types of
// this level (<= 63; Q8_0 is not one of them, see above).
struct Avx2Dot {
    static constexpr int kBlocks = 1;
    static __m256i dot32(__m256i u, __m256i x) { return dot_u8i8(u, x); }
};

// ---- activation quantisers (byte-identical to quant/q_legacy.cpp and quant/q_k.cpp) -------------------------

inline float hmax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m        = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m        = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

// 32 int32 lanes (4 vectors) to 32 int8 in element order.
inline __m256i pack_i32_to_i8(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);  // lane-interleaved
    const __m256i v = _mm256_packs_epi16(ab, cd);
    return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

void quantize_q8_0(const float* x, void* dst, int64_t n) {
    auto* b                = static_cast<BlockQ8_0*>(dst);
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / kQK32; ++i, x += kQK32) {
        __m256 v[4];
        __m256 amax = _mm256_setzero_ps();
        for (int k = 0; k < 4; ++k) {
            v[k] = _mm256_loadu_ps(x + 8 * k);
            amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign_mask, v[k]));
        }
        const float mx = hmax(amax);
        const float id = mx != 0.0f ? 127.0f / mx : 0.0f;  // as ops_ref.cpp's quantize_q8_0_act (ggml's x86 kernel)
        b[i].d         = uint16_t(_mm_cvtsi128_si32(_mm_cvtps_ph(_mm_set_ss(mx / 127.0f), 0)));
        __m256i q[4];
        for (int k = 0; k < 4; ++k)  // cvtps rounds to nearest, ties to even (the default rounding mode)
            q[k] = _mm256_cvtps_epi32(_mm256_mul_ps(v[k], _mm256_set1_ps(id)));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(b[i].qs), pack_i32_to_i8(q[0], q[1], q[2], q[3]));
    }
}

void quantize_q8_k(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ8_K*>(dst);
    for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
        // the signed value of largest magnitude, the first one on ties (as the scalar loop finds it)
        float amax = 0.0f, max = 0.0f;
        {
            __m256 vmax = _mm256_setzero_ps();
            for (int j = 0; j < kQKK; j += 8)
                vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_loadu_ps(x + j)));
            amax = hmax(vmax);
            for (int j = 0; j < kQKK; ++j) {
                if (x[j] == amax || x[j] == -amax) {
                    max = x[j];
                    break;
                }
            }
        }
        if (amax == 0.0f) {
            std::memset(&b[i], 0, sizeof(BlockQ8_K));
            continue;
        }
        const float iscale = -127.0f / max;
        const __m256 vs    = _mm256_set1_ps(iscale);
        for (int g = 0; g < kQKK; g += 32) {
            __m256i q[4];
            for (int k = 0; k < 4; ++k) {
                const __m256 r = _mm256_round_ps(_mm256_mul_ps(vs, _mm256_loadu_ps(x + g + 8 * k)),
                                                 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                q[k]           = _mm256_min_epi32(_mm256_cvtps_epi32(r), _mm256_set1_epi32(127));
            }
            const __m256i bytes = pack_i32_to_i8(q[0], q[1], q[2], q[3]);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(b[i].qs + g), bytes);
            // bsums of the two groups of 16
            const __m256i s16 =
                _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), bytes), _mm256_set1_epi16(1));
            const __m128i s        = _mm_hadd_epi32(_mm256_castsi256_si128(s16), _mm256_extracti128_si256(s16, 1));
            const __m128i s2       = _mm_hadd_epi32(s, s);  // [sum 0..15, sum 16..31, ...]
            b[i].bsums[g / 16]     = int16_t(_mm_cvtsi128_si32(s2));
            b[i].bsums[g / 16 + 1] = int16_t(_mm_extract_epi32(s2, 1));
        }
        b[i].d = 1.0f / iscale;
    }
}

}  // namespace
}  // namespace avx2

void fill_avx2(KernelTable& t) {
    t.dot[uint32_t(DType::F32)]   = avx2::dot_f32;
    t.dot[uint32_t(DType::F16)]   = avx2::dot_half<avx2::load_f16x8, avx2::f16>;
    t.dot[uint32_t(DType::BF16)]  = avx2::dot_half<avx2::load_bf16x8, avx2::bf16_scalar>;
    t.dot[uint32_t(DType::Q8_0)]  = avx2::dot1_blocks_q8_0<BlockQ8_0, avx2::q8_0_values>;
    t.dot4[uint32_t(DType::Q8_0)] = avx2::dot4_blocks_q8_0<BlockQ8_0, avx2::q8_0_values>;
    using x8::Form;
    t.gemm_x8[uint32_t(DType::Q4_0)] = x8::gemm_x8<avx2::Avx2Tile<4>, x8::decode_q4_0>;
    t.gemv_x8[uint32_t(DType::Q4_0)] = x8::gemv_direct<avx2::Avx2Dot, x8::DirectQ4_0>;
    t.gemm_x8[uint32_t(DType::Q5_0)] = x8::gemm_x8<avx2::Avx2Tile<4>, x8::decode_q5_0>;
    t.gemv_x8[uint32_t(DType::Q5_0)] = x8::gemv_x8<avx2::Avx2Dot, Form::Offset, x8::decode_q5_0>;
    t.gemm_x8[uint32_t(DType::Q4_1)] = x8::gemm_x8<avx2::Avx2Tile<4, Form::Mins>, x8::decode_q_1<false>>;
    t.gemv_x8[uint32_t(DType::Q4_1)] = x8::gemv_x8<avx2::Avx2Dot, Form::Mins, x8::decode_q_1<false>>;
    t.gemm_x8[uint32_t(DType::Q5_1)] = x8::gemm_x8<avx2::Avx2Tile<4, Form::Mins>, x8::decode_q_1<true>>;
    t.gemv_x8[uint32_t(DType::Q5_1)] = x8::gemv_x8<avx2::Avx2Dot, Form::Mins, x8::decode_q_1<true>>;
    t.gemm_x8[uint32_t(DType::Q4_K)] = x8::gemm_x8<avx2::Avx2Tile<4, Form::Mins>, x8::decode_k4<false>>;
    t.gemv_x8[uint32_t(DType::Q4_K)] = x8::gemv_direct_q4_k<avx2::Avx2Dot>;
    t.gemm_x8[uint32_t(DType::Q5_K)] = x8::gemm_x8<avx2::Avx2Tile<4, Form::Mins>, x8::decode_k4<true>>;
    t.gemv_x8[uint32_t(DType::Q5_K)] = x8::gemv_x8<avx2::Avx2Dot, Form::Mins, x8::decode_k4<true>>;
    t.gemm_x8[uint32_t(DType::Q6_K)] = x8::gemm_x8<avx2::Avx2Tile<2, Form::Scaled>, x8::decode_q6_k>;
    t.gemv_x8[uint32_t(DType::Q6_K)] = x8::gemv_x8<avx2::Avx2Dot, Form::Scaled, x8::decode_q6_k>;
    t.quantize_q8_0                  = avx2::quantize_q8_0;
    t.quantize_q8_k                  = avx2::quantize_q8_k;
    t.dot_f32                        = avx2::dot_f32_f32;
    t.axpy_f32                       = avx2::axpy;
}

}  // namespace ts::core::kernels
