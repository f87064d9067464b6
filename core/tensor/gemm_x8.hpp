// Internal: the driver of the X8 int8 matmul (kernels.hpp) shared by the AVX2 and AVX-512 VNNI kernel files:
// weight rows decoded to unsigned bytes and f32 scales, kRows at a time, then a register tile of R rows x T
// groups of 8 tokens (the Tile policy: the one part that differs between instruction sets) over every token
// group, the next rows prefetched meanwhile. Include only from files compiled with -mavx2 -mfma -mf16c or more;
// internal linkage for the reason given in simd_avx2.hpp.
#pragma once

#include <algorithm>
#include <array>
#include <type_traits>
#include <utility>

#include "core/tensor/blocks.hpp"
#include "core/tensor/kernels.hpp"
#include "core/tensor/simd_avx2.hpp"

namespace ts::core::kernels::x8 {
namespace {  // NOLINT(google-build-namespaces): see the file comment

using avx2::f16;
using avx2::load256;
using avx2::load_u32;
using avx2::nibbles;
using avx2::unpack_k4;

constexpr int kTok = kX8Tokens;  // tokens per group = int32 lanes of a register

// ---- weight rows to unsigned bytes (value + offset, element order), f32 scales and minimums --------------------
// A decoder fills u[32 nb] and the scales d; the types with an additive term per block also m (see Form below for
// what they hold and how many per block).

inline void decode_q8_0(const void* row, int64_t nb, uint8_t* u, float* d, float*) {
    const auto* b = static_cast<const BlockQ8_0*>(row);
    for (int64_t i = 0; i < nb; ++i) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(u + 32 * i),
                           _mm256_xor_si256(load256(b[i].qs), _mm256_set1_epi8(char(0x80))));
        d[i] = f16(b[i].d);
    }
}

inline void decode_q4_0(const void* row, int64_t nb, uint8_t* u, float* d, float*) {
    const auto* b = static_cast<const BlockQ4_0*>(row);
    for (int64_t i = 0; i < nb; ++i) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(u + 32 * i), nibbles(b[i].qs));
        d[i] = f16(b[i].d);
    }
}

inline void decode_q5_0(const void* row, int64_t nb, uint8_t* u, float* d, float*) {
    const auto* b = static_cast<const BlockQ5_0*>(row);
    for (int64_t i = 0; i < nb; ++i) {
        const __m256i hi = _mm256_and_si256(avx2::bytes_from_bits(load_u32(b[i].qh)), _mm256_set1_epi8(0x10));
        _mm256_store_si256(reinterpret_cast<__m256i*>(u + 32 * i), _mm256_or_si256(nibbles(b[i].qs), hi));
        d[i] = f16(b[i].d);
    }
}

// Q4_1 / Q5_1: value d * q + m with unsigned q (4 or 5 bits); m is added, so it goes to m as it is.
template <bool kFive>
inline void decode_q_1(const void* row, int64_t nb, uint8_t* u, float* d, float* m) {
    using Block   = std::conditional_t<kFive, BlockQ5_1, BlockQ4_1>;
    const auto* b = static_cast<const Block*>(row);
    for (int64_t i = 0; i < nb; ++i) {
        __m256i q = nibbles(b[i].qs);
        if constexpr (kFive)
            q = _mm256_or_si256(q, _mm256_and_si256(avx2::bytes_from_bits(load_u32(b[i].qh)), _mm256_set1_epi8(0x10)));
        _mm256_store_si256(reinterpret_cast<__m256i*>(u + 32 * i), q);
        d[i] = f16(b[i].d);
        m[i] = f16(b[i].m);
    }
}

// Q4_K / Q5_K: per chunk c of 64 elements, the 32 bytes of qs hold sub-block 2c in their low nibbles and 2c + 1 in
// their high ones; Q5_K's fifth bits are bits 2c and 2c + 1 of the 32 qh bytes.
template <bool kFive>
inline void decode_k4(const void* row, int64_t nb, uint8_t* u, float* d, float* m) {
    using Block         = std::conditional_t<kFive, BlockQ5_K, BlockQ4_K>;
    const auto* b       = static_cast<const Block*>(row);
    const __m256i low4  = _mm256_set1_epi8(0x0F);
    const __m256i fifth = _mm256_set1_epi8(0x10);
    for (int64_t i = 0; i < nb / 8; ++i, u += 256, d += 8, m += 8) {
        const float sd = f16(b[i].d), smin = f16(b[i].dmin);
        uint8_t sc[8], mn[8];
        unpack_k4(b[i].scales, sc, mn);
        __m256i qh = _mm256_setzero_si256();
        if constexpr (kFive) qh = load256(b[i].qh);
        for (int c = 0; c < 4; ++c) {
            const __m256i q = load256(b[i].qs + 32 * c);
            __m256i lo      = _mm256_and_si256(q, low4);
            __m256i hi      = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
            if constexpr (kFive) {
                // bit 2c of each qh byte to bit 4 of sub-block 2c's levels, bit 2c + 1 to sub-block 2c + 1's
                lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(qh, 2 * c), 4), fifth));
                hi = _mm256_or_si256(hi,
                                     _mm256_and_si256(_mm256_slli_epi16(_mm256_srli_epi16(qh, 2 * c + 1), 4), fifth));
            }
            _mm256_store_si256(reinterpret_cast<__m256i*>(u + 64 * c), lo);
            _mm256_store_si256(reinterpret_cast<__m256i*>(u + 64 * c + 32), hi);
        }
        // d = sd * sc and m = -smin * mn for the 8 sub-blocks at once (the same products as one at a time)
        const auto bytes8 = [](const uint8_t* p) {
            return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
        };
        _mm256_storeu_ps(d, _mm256_mul_ps(_mm256_set1_ps(sd), bytes8(sc)));
        _mm256_storeu_ps(m, _mm256_mul_ps(_mm256_set1_ps(-smin), bytes8(mn)));
    }
}

// Where the next rows of a weight matrix are, to prefetch them while this tile computes (rows are decoded
// just before use, so without it every tile would begin with a wait for memory).
struct Prefetch {
    const uint8_t* rows = nullptr;  // null: nothing to fetch
    int n_rows          = 0;
    size_t stride       = 0;  // bytes between rows
    size_t step         = 0;  // bytes of a row per block of 32 elements
};

// Issues the prefetches of block b of the next rows (at most one line per row and block).
inline void prefetch_block(const Prefetch& pf, int64_t b) {
    for (int r = 0; r < pf.n_rows; ++r)
        _mm_prefetch(reinterpret_cast<const char*>(pf.rows + size_t(r) * pf.stride + size_t(b) * pf.step),
                     _MM_HINT_T1);  // to L2: the activations streaming through L1 would evict them
}

// The same, but only where block b starts a new cache line (a block's bytes, `step`, are fewer than a line's 64
// for every X8 type, so every line holds a block start): gemv_x8's compute is too short per block to pay for a
// prefetch per row and block.
inline void prefetch_new_lines(const Prefetch& pf, int64_t b) {
    const size_t at = size_t(b) * pf.step;
    if (b > 0 && at / 64 == (at - pf.step) / 64) return;
    for (int r = 0; r < pf.n_rows; ++r)
        _mm_prefetch(reinterpret_cast<const char*>(pf.rows + size_t(r) * pf.stride + at), _MM_HINT_T1);
}

constexpr int kRows = kX8MaxRows;  // rows decoded at a time

// ---- the float side of a tile, per block of 32 (shared by the instruction sets) ---------------------------------
//
// How a type's integer sums become floats. s[r][t] holds sum(u . x) of row r and token lane t over a block, or over
// half a block for Scaled, started from initial_sum(); the tile calls part() (Scaled: part_scaled()) after each:
//   Offset  (Q8_0 Q4_0 Q5_0)  s from corr = -offset * sum(x):                 acc += d_w d_x s
//   Mins    (Q4_K Q5_K Q4_1   s from 0, corr = +sum(x), m = the block's       acc += d_x (d_w s + m_w sum(x))
//            Q5_1)            additive term (-min for the K-quants)
//   Scaled  (Q6_K)            an int8 scale sc per 16 elements; corr holds the halves' sums as two int16 and each
//                             half's s starts from -32 * its sum (the offset of Q6_K's levels). The scaled sums
//                             stay integers over the whole super-block of 256, S += sc_h s_h (exact: |S| < 2^28),
//                             and only then become a float:                    acc += (d_w d_x) S
//                             once per 256 elements instead of once per 16 (as Q6_K's reference dot does it).
// Scales (and minimums): kScales (1, or 2 for Scaled) per block, row stride kScales * nb. Scaled's d holds the int8
// scales (as floats, exact) and its m the super-block's d_w, at every index of the super-block.
enum class Form { Offset, Mins, Scaled };

template <Form F>
constexpr int kScales = F == Form::Scaled ? 2 : 1;

// The int32 sums a block (Scaled: half `half` of it) starts from, for token lane group t.
template <Form F>
inline __m256i initial_sum(const uint8_t* xb, size_t gs, int t, int half = 0) {
    if constexpr (F == Form::Mins) return _mm256_setzero_si256();
    const __m256i corr = load256(xb + size_t(t) * gs + 288);
    if constexpr (F == Form::Offset) return corr;
    // Scaled: -32 * the half's sum, sign-extended from its int16 (-32 * 2032 still fits an int32 comfortably)
    const __m256i sum = half == 0 ? _mm256_srai_epi32(_mm256_slli_epi32(corr, 16), 16) : _mm256_srai_epi32(corr, 16);
    return _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(sum, 5));
}

template <int T>
inline void load_dx(const uint8_t* xb, size_t gs, __m256 (&dx)[T]) {
    for (int t = 0; t < T; ++t) dx[t] = _mm256_loadu_ps(reinterpret_cast<const float*>(xb + size_t(t) * gs + 256));
}

template <Form F, int R, int T>
inline void part(__m256 (&acc)[R][T], __m256i (&s)[R][T], const float* d, const float* m, int64_t nb, int64_t b,
                 int half, const uint8_t* xb, size_t gs, const __m256 (&dx)[T]) {
    constexpr int kS   = kScales<F>;
    const size_t at    = size_t(kS) * size_t(b) + size_t(half);
    const size_t rstep = size_t(kS) * size_t(nb);
    if constexpr (F == Form::Mins) {
        __m256 sx[T];
        for (int t = 0; t < T; ++t) sx[t] = _mm256_cvtepi32_ps(load256(xb + size_t(t) * gs + 288));
        for (int r = 0; r < R; ++r) {
            const __m256 dw = _mm256_set1_ps(d[size_t(r) * rstep + at]);
            const __m256 mw = _mm256_set1_ps(m[size_t(r) * rstep + at]);
            for (int t = 0; t < T; ++t)
                acc[r][t] = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_cvtepi32_ps(s[r][t]), dw, _mm256_mul_ps(mw, sx[t])),
                                            dx[t], acc[r][t]);
        }
        return;
    }
    for (int r = 0; r < R; ++r) {
        const __m256 dw = _mm256_set1_ps(d[size_t(r) * rstep + at]);
        for (int t = 0; t < T; ++t)
            acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[r][t]), _mm256_mul_ps(dw, dx[t]), acc[r][t]);
    }
}

// Scaled (Q6_K): S += sc * s for the half just summed; the second half then starts from its own offset term, and
// after the last half of a super-block its float step: acc += (d_w d_x) S, S back to 0.
template <int R, int T>
inline void part_scaled(__m256 (&acc)[R][T], __m256i (&S)[R][T], __m256i (&s)[R][T], const float* d, const float* m,
                        int64_t nb, int64_t b, int half, const uint8_t* xb, size_t gs) {
    constexpr Form F   = Form::Scaled;
    const size_t at    = 2 * size_t(b) + size_t(half);
    const size_t rstep = 2 * size_t(nb);
    for (int r = 0; r < R; ++r) {
        const __m256i sc = _mm256_set1_epi32(int32_t(d[size_t(r) * rstep + at]));
        for (int t = 0; t < T; ++t) S[r][t] = _mm256_add_epi32(S[r][t], _mm256_mullo_epi32(s[r][t], sc));
    }
    if (half == 0) {
        for (int t = 0; t < T; ++t) {
            const __m256i s1 = initial_sum<F>(xb, gs, t, 1);
            for (int r = 0; r < R; ++r) s[r][t] = s1;
        }
        return;
    }
    if (b % 8 != 7) return;
    __m256 dx[T];
    load_dx(xb, gs, dx);
    for (int r = 0; r < R; ++r) {
        const __m256 dw = _mm256_set1_ps(m[size_t(r) * rstep + at]);
        for (int t = 0; t < T; ++t) {
            acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(S[r][t]), _mm256_mul_ps(dw, dx[t]), acc[r][t]);
            S[r][t]   = _mm256_setzero_si256();
        }
    }
}

// Q6_K: levels q (6 bits: 4 in ql, 2 in qh) in element order, a scale per 16 elements, value d * sc * (q - 32);
// d gets the scales and m the super-block's d (the Scaled form).
// Per half of 128: bytes l of ql[0..32) / ql[32..64) / qh give elements l (low nibble of ql[l], qh bits 0-1),
// 32 + l (ql[32 + l], bits 2-3), 64 + l (high nibble of ql[l], bits 4-5) and 96 + l (ql[32 + l], bits 6-7).
inline void decode_q6_k(const void* row, int64_t nb, uint8_t* u, float* d, float* m) {
    const auto* b        = static_cast<const BlockQ6_K*>(row);
    const __m256i low4   = _mm256_set1_epi8(0x0F);
    const __m256i bits45 = _mm256_set1_epi8(0x30);
    for (int64_t i = 0; i < nb / 8; ++i) {
        const float sd = f16(b[i].d);
        for (int h = 0; h < 2; ++h, u += 128) {
            const __m256i l0 = load256(b[i].ql + 64 * h), l1 = load256(b[i].ql + 64 * h + 32);
            const __m256i qh = load256(b[i].qh + 32 * h);
            const __m256i q0 =
                _mm256_or_si256(_mm256_and_si256(l0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45));
            const __m256i q1 =
                _mm256_or_si256(_mm256_and_si256(l1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45));
            const __m256i q2 =
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), low4), _mm256_and_si256(qh, bits45));
            const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), low4),
                                               _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45));
            _mm256_store_si256(reinterpret_cast<__m256i*>(u), q0);
            _mm256_store_si256(reinterpret_cast<__m256i*>(u + 32), q1);
            _mm256_store_si256(reinterpret_cast<__m256i*>(u + 64), q2);
            _mm256_store_si256(reinterpret_cast<__m256i*>(u + 96), q3);
        }
        for (int j = 0; j < 16; j += 8, d += 8, m += 8) {  // the int8 scales (exact as floats), and d per scale
            const __m128i s8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b[i].scales + j));
            _mm256_storeu_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(s8)));
            _mm256_storeu_ps(m, _mm256_set1_ps(sd));
        }
    }
}

// Tile: a policy with kMaxRows (<= kRows) and kGroups, and template <int R, int T> static void run(...) with the
// signature of TileFn: out[r][8t + j] = dot(row r, token 8t + j) for R decoded rows (u: bytes, row stride n; d:
// scales and m: minimums, row stride kScales * nb) and T groups of packed x (x: group 0, group stride gs bytes),
// prefetching pf meanwhile.

using TileFn = void (*)(int64_t, const uint8_t*, const float*, const float*, int64_t, const uint8_t*, size_t, float*,
                        Prefetch);

// Tile::run<R, 1> .. Tile::run<R, kGroups>, indexed by T - 1.
template <typename Tile, int R, int... T>
constexpr auto make_tiles(std::integer_sequence<int, T...>) {
    return std::array<TileFn, sizeof...(T)>{&Tile::template run<R, T + 1>...};
}

// R rows (decoded) against every token group: tiles of kGroups groups, then what is left.
template <typename Tile, int R>
void rows_x_tokens(int64_t n, const uint8_t* u, const float* d, const float* m, const uint8_t* x, int64_t n_tok,
                   float* y, int64_t y_stride, Prefetch pf) {
    constexpr int kGroups        = Tile::kGroups;
    static constexpr auto kTiles = make_tiles<Tile, R>(std::make_integer_sequence<int, kGroups>{});
    const int64_t nb = n / kQK32, n_groups = (n_tok + kTok - 1) / kTok;
    const size_t gs = size_t(nb) * kX8BlockBytes;
    alignas(32) float out[R * kGroups * kTok];
    for (int64_t g0 = 0; g0 < n_groups;) {
        const int T = int(std::min<int64_t>(kGroups, n_groups - g0));
        kTiles[size_t(T - 1)](nb, u, d, m, n, x + size_t(g0) * gs, gs, out, pf);
        pf = Prefetch{};  // the first tile fetched them
        // token by token: the R values of a token are adjacent in y (rows of y are far apart)
        for (int j = 0; j < T * kTok && g0 * kTok + j < n_tok; ++j)
            for (int r = 0; r < R; ++r) y[(g0 * kTok + j) * y_stride + r] = out[r * T * kTok + j];
        g0 += T;
    }
}

using RowsFn = void (*)(int64_t, const uint8_t*, const float*, const float*, const uint8_t*, int64_t, float*, int64_t,
                        Prefetch);

template <typename Tile, int... R>
constexpr auto make_rows(std::integer_sequence<int, R...>) {
    return std::array<RowsFn, sizeof...(R)>{rows_x_tokens<Tile, R + 1>...};
}

template <typename Tile, void (*Decode)(const void*, int64_t, uint8_t*, float*, float*)>
void gemm_x8(int64_t n, const void* w, size_t w_stride, int64_t n_rows, const void* x, int64_t n_tok, float* y,
             int64_t y_stride, void* scratch) {
    constexpr int kTileRows = Tile::kMaxRows;
    static_assert(kTileRows <= kRows, "the scratch holds kX8MaxRows decoded rows");
    static constexpr auto kRowFns = make_rows<Tile>(std::make_integer_sequence<int, kTileRows>{});
    const int64_t nb              = n / kQK32;
    auto* u                       = static_cast<uint8_t*>(scratch);  // [kRows][n] (64-aligned, n % 32 == 0)
    constexpr int64_t kS          = kScales<Tile::kForm>;
    auto* d                       = reinterpret_cast<float*>(u + kRows * size_t(n));  // [kRows][kS nb]
    float* m                      = d + kRows * kS * nb;                              // [kRows][kS nb]
    const auto* wb                = static_cast<const uint8_t*>(w);
    const auto* xb                = static_cast<const uint8_t*>(x);
    for (int64_t r0 = 0; r0 < n_rows; r0 += kTileRows) {
        const int R = int(std::min<int64_t>(kTileRows, n_rows - r0));
        for (int r = 0; r < R; ++r)
            Decode(wb + size_t(r0 + r) * w_stride, nb, u + size_t(r) * size_t(n), d + r * kS * nb, m + r * kS * nb);
        const int64_t r_next = r0 + R;
        const Prefetch pf{wb + size_t(r_next) * w_stride, int(std::min<int64_t>(kTileRows, n_rows - r_next)), w_stride,
                          w_stride / size_t(nb)};
        kRowFns[size_t(R - 1)](n, u, d, m, xb, n_tok, y + r0, y_stride, pf);
    }
}

// ---- one token (decode): the same arithmetic with rows in the lanes -------------------------------------------
//
// gemv_x8 gives y[r] = dot(row r, x) for one token by the very operations the tiles above do for each (row, token)
// pair: the block's exact integer sum, started from the same corr, then the same float multiply-adds in the same
// order (part()). Only what sits in the lanes differs: 8 rows side by side instead of 8 tokens. So a token's
// outputs are bit-identical whether it came in a batch (gemm_x8) or alone (gemv_x8): prefill, decode and a
// re-evaluation after a rewind agree exactly (kernels.hpp). The integer sums are exact, so how a level adds them up
// (Isa::dot32 plus a reduction across lanes here, int32 lanes per token there) cannot change a bit.

// The integer sums of 8 rows over one block, by halves: from p[r], row r's 8 partial sums of 4 elements (lanes 0..3
// cover elements 0..15), h0[r] = the sum over elements 0..15 and h1[r] over 16..31.
inline void row_sums(const __m256i (&p)[kGemvRows], __m256i& h0, __m256i& h1) {
    const __m256i a = _mm256_hadd_epi32(_mm256_hadd_epi32(p[0], p[1]), _mm256_hadd_epi32(p[2], p[3]));
    const __m256i b = _mm256_hadd_epi32(_mm256_hadd_epi32(p[4], p[5]), _mm256_hadd_epi32(p[6], p[7]));
    h0              = _mm256_permute2x128_si256(a, b, 0x20);  // lanes 0..3: rows 0..3, lanes 4..7: rows 4..7
    h1              = _mm256_permute2x128_si256(a, b, 0x31);
}

// dst[8 j + r] = src[r * stride + j] for r, j < 8: the scales of 8 rows x 8 blocks, rows into the lanes.
inline void transpose8(const float* src, int stride, float* dst) {
    __m256 r[8], t[8], v[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * stride);
    for (int i = 0; i < 8; i += 2) {
        t[i]     = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        v[i]     = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        v[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        v[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        v[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(dst + 8 * i, _mm256_permute2f128_ps(v[i], v[i + 4], 0x20));
        _mm256_storeu_ps(dst + 8 * (i + 4), _mm256_permute2f128_ps(v[i], v[i + 4], 0x31));
    }
}

// Isa: a policy with
//   static __m256i dot32(__m256i u, __m256i x): 8 int32 sums of 4 products (unsigned u, signed x), exact for the
//     type's levels;
//   kBlocks: 1, or 2 with static void sums2(const uint8_t* u, int64_t n, const int8_t* x, __m256i (&h0)[2],
//     __m256i (&h1)[2]): the halves' sums (as row_sums gives them) of blocks b and b + 1 at once, u and x at block b.
// x1 is the token in the X1 layout of kernels.hpp. As gemm_x8 does, 8 whole rows are decoded at a time (one
// sequential stream from memory), the next 8 prefetched while these compute.
template <typename Isa, Form F, void (*Decode)(const void*, int64_t, uint8_t*, float*, float*)>
void gemv_x8(int64_t n, const void* w, size_t w_stride, int64_t n_rows, const void* x1, float* y, void* scratch) {
    constexpr int kS = kScales<F>;
    const int64_t nb = n / kQK32;
    const int64_t ds = (kS * nb + 7) / 8 * 8;  // scales per row, padded to whole 8 x 8 transposes
    const auto* xs   = static_cast<const int8_t*>(x1);
    const auto* dx   = reinterpret_cast<const float*>(xs + n);
    const auto* corr = reinterpret_cast<const int32_t*>(dx + nb);
    auto* u          = static_cast<uint8_t*>(scratch);               // [8 rows][n]
    float* d         = reinterpret_cast<float*>(u + kGemvRows * n);  // [8 rows][ds] as decoded
    float* m         = d + kGemvRows * ds;                           // [8 rows][ds]
    float* dt        = m + kGemvRows * ds;                           // [ds][8 rows]: rows in the lanes
    float* mt        = dt + kGemvRows * ds;                          // [ds][8 rows]
    const auto* wb   = static_cast<const uint8_t*>(w);
    for (int64_t r0 = 0; r0 < n_rows; r0 += kGemvRows) {
        const int R = int(std::min<int64_t>(kGemvRows, n_rows - r0));
        if (R < kGemvRows) {  // lanes past the last row: zeros, computed and dropped
            std::memset(u, 0, size_t(kGemvRows) * size_t(n));
            std::memset(d, 0, size_t(2 * kGemvRows * ds) * sizeof(float));  // d and m
        }
        for (int r = 0; r < R; ++r) Decode(wb + size_t(r0 + r) * w_stride, nb, u + r * n, d + r * ds, m + r * ds);
        for (int64_t j = 0; j < ds; j += 8) {
            transpose8(d + j, int(ds), dt + j * kGemvRows);
            if constexpr (F != Form::Offset) transpose8(m + j, int(ds), mt + j * kGemvRows);
        }
        const int64_t r_next = r0 + R;
        const Prefetch pf{wb + size_t(r_next) * w_stride, int(std::min<int64_t>(kGemvRows, n_rows - r_next)), w_stride,
                          w_stride / size_t(nb)};
        __m256 acc = _mm256_setzero_ps();
        __m256i S  = _mm256_setzero_si256();  // Scaled: the super-block's integer sum
        // The float side of one block from its halves' sums: the operations of part() for one (row, token) pair.
        const auto block = [&](int64_t b, __m256i h0, __m256i h1) {
            const __m256 dxb = _mm256_set1_ps(dx[b]);
            const int32_t c  = corr[b];
            const float* dw  = dt + kS * kGemvRows * b;
            if constexpr (F == Form::Offset) {
                const __m256i s = _mm256_add_epi32(_mm256_set1_epi32(c), _mm256_add_epi32(h0, h1));
                acc             = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(_mm256_loadu_ps(dw), dxb), acc);
            } else if constexpr (F == Form::Mins) {
                const __m256 sx = _mm256_cvtepi32_ps(_mm256_set1_epi32(c));
                const __m256 mw = _mm256_loadu_ps(mt + kGemvRows * b);
                const __m256 s  = _mm256_cvtepi32_ps(_mm256_add_epi32(h0, h1));
                acc = _mm256_fmadd_ps(_mm256_fmadd_ps(s, _mm256_loadu_ps(dw), _mm256_mul_ps(mw, sx)), dxb, acc);
            } else {  // Scaled: each half from -32 * its sum (initial_sum), times its scale, into S
                const int32_t s0  = -(int32_t(int16_t(uint32_t(c) & 0xFFFF)) * 32);
                const int32_t s1  = -(int32_t(int16_t(uint32_t(c) >> 16)) * 32);
                const __m256i a0  = _mm256_add_epi32(_mm256_set1_epi32(s0), h0);
                const __m256i a1  = _mm256_add_epi32(_mm256_set1_epi32(s1), h1);
                const __m256i sc0 = _mm256_cvttps_epi32(_mm256_loadu_ps(dw));
                const __m256i sc1 = _mm256_cvttps_epi32(_mm256_loadu_ps(dw + 8));
                S = _mm256_add_epi32(S, _mm256_add_epi32(_mm256_mullo_epi32(a0, sc0), _mm256_mullo_epi32(a1, sc1)));
                if (b % 8 == 7) {
                    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(S),
                                          _mm256_mul_ps(_mm256_loadu_ps(mt + kS * kGemvRows * b), dxb), acc);
                    S   = _mm256_setzero_si256();
                }
            }
        };
        int64_t b = 0;
        if constexpr (Isa::kBlocks == 2) {
            for (; b + 2 <= nb; b += 2) {
                prefetch_new_lines(pf, b);
                prefetch_new_lines(pf, b + 1);
                __m256i h0[2], h1[2];
                Isa::sums2(u + 32 * b, n, xs + 32 * b, h0, h1);
                block(b, h0[0], h1[0]);
                block(b + 1, h0[1], h1[1]);
            }
        }
        for (; b < nb; ++b) {
            prefetch_new_lines(pf, b);
            const __m256i xv = load256(xs + 32 * b);
            __m256i p[kGemvRows];
            for (int r = 0; r < kGemvRows; ++r) p[r] = Isa::dot32(load256(u + r * n + 32 * b), xv);
            __m256i h0, h1;
            row_sums(p, h0, h1);
            block(b, h0, h1);
        }
        alignas(32) float out[kGemvRows];
        _mm256_store_ps(out, acc);
        for (int r = 0; r < R; ++r) y[r0 + r] = out[r];
    }
}

// ---- one token straight from the weights (gemv_direct) ----------------------------------------------------------
//
// gemv_x8 decodes 8 rows into a scratch copy and reads them back; for the Offset types whose levels are a few
// instructions away from their bytes (Q8_0: byte ^ 0x80, Q4_0: the nibbles) the bytes can go from memory straight
// into the registers instead, the rows' f16 scales loaded one by one. The arithmetic per (row, block) stays the
// tile's: the exact integer sum started from corr, then acc += s * (d_w * d_x) block after block, so decode still
// equals prefill to the bit. A type is a policy with kBlockBytes (its scale d at offset 0, the levels after it) and
// u1(blk): the 32 unsigned levels of the block at blk, in element order. The VNNI level takes two blocks per
// 512-bit register (ops_avx512_vnni.cpp) and this 256-bit step for an odd block left.
struct DirectQ8_0 {
    static constexpr size_t kBlockBytes = sizeof(BlockQ8_0);
    static __m256i u1(const uint8_t* blk) { return _mm256_xor_si256(load256(blk + 2), _mm256_set1_epi8(char(0x80))); }
};
struct DirectQ4_0 {
    static constexpr size_t kBlockBytes = sizeof(BlockQ4_0);
    static __m256i u1(const uint8_t* blk) { return nibbles(blk + 2); }
};

// Rows r0 .. r0 + 7 of a gemv_direct call (lanes past the last row repeat it: computed, then dropped).
struct DirectRows {
    const uint8_t* base;  // row r0
    const uint8_t* row[kGemvRows];
    size_t off[kGemvRows];  // row r's offset from base
    int n;                  // rows that are real

    DirectRows(const uint8_t* w, size_t w_stride, int64_t r0, int64_t n_rows)
        : base(w + size_t(r0) * w_stride), n(int(std::min<int64_t>(kGemvRows, n_rows - r0))) {
        for (int r = 0; r < kGemvRows; ++r) {
            off[r] = size_t(std::min(r, n - 1)) * w_stride;
            row[r] = base + off[r];
        }
    }
    // The f16 at offset at of each row, as f32 (8 loads: a gather is much slower where the CPU's microcode
    // mitigates Gather Data Sampling, e.g. Sapphire Rapids).
    __m256 f16x8(size_t at) const {
        const auto h = [&](int r) {
            uint16_t v;
            std::memcpy(&v, row[r] + at, 2);
            return short(v);
        };
        return _mm256_cvtph_ps(_mm_setr_epi16(h(0), h(1), h(2), h(3), h(4), h(5), h(6), h(7)));
    }
};

// acc += the float step of block b for the 8 rows, the integer sums by Isa::dot32 and row_sums.
template <typename Isa, typename D>
inline __m256 direct_block(const DirectRows& rows, int64_t b, const int8_t* xs, const float* dx, const int32_t* corr,
                           __m256 acc) {
    const size_t at  = size_t(b) * D::kBlockBytes;
    const __m256i xv = load256(xs + 32 * b);
    __m256i p[kGemvRows];
    for (int r = 0; r < kGemvRows; ++r) p[r] = Isa::dot32(D::u1(rows.row[r] + at), xv);
    __m256i h0, h1;
    row_sums(p, h0, h1);
    const __m256i s = _mm256_add_epi32(_mm256_set1_epi32(corr[b]), _mm256_add_epi32(h0, h1));
    const __m256 dw = rows.f16x8(at);
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(dw, _mm256_set1_ps(dx[b])), acc);
}

// Where the next 8 rows are, for the prefetches while these compute.
inline Prefetch next_rows(const uint8_t* w, size_t w_stride, int64_t r_next, int64_t n_rows, size_t block_bytes) {
    return Prefetch{w + size_t(r_next) * w_stride, int(std::min<int64_t>(kGemvRows, n_rows - r_next)), w_stride,
                    block_bytes};
}

// A GemvX8Fn for the Offset types of gemv_direct, one block at a time on 256-bit registers.
template <typename Isa, typename D>
void gemv_direct(int64_t n, const void* w, size_t w_stride, int64_t n_rows, const void* x1, float* y, void*) {
    const int64_t nb = n / kQK32;
    const auto* xs   = static_cast<const int8_t*>(x1);
    const auto* dx   = reinterpret_cast<const float*>(xs + n);
    const auto* corr = reinterpret_cast<const int32_t*>(dx + nb);
    const auto* wb   = static_cast<const uint8_t*>(w);
    for (int64_t r0 = 0; r0 < n_rows; r0 += kGemvRows) {
        const DirectRows rows(wb, w_stride, r0, n_rows);
        const Prefetch pf = next_rows(wb, w_stride, r0 + rows.n, n_rows, D::kBlockBytes);
        __m256 acc        = _mm256_setzero_ps();
        for (int64_t b = 0; b < nb; ++b) {
            prefetch_new_lines(pf, b);
            acc = direct_block<Isa, D>(rows, b, xs, dx, corr, acc);
        }
        alignas(32) float out[kGemvRows];
        _mm256_store_ps(out, acc);
        for (int r = 0; r < rows.n; ++r) y[r0 + r] = out[r];
    }
}

// Q4_K (Mins form) straight from the weights: per super-block the 8 rows' d and dmin and their 12 bytes of 6-bit
// scales and minimums loaded (rows in lanes) and unpacked as unpack_k4 does, then per chunk of 64 elements the
// two sub-blocks (low nibbles, high nibbles) against the token, and the Mins float step of part() per sub-block, in
// sub-block order. The scales are the products decode_k4 makes: d * sc and -dmin * mn.
// The scales and minimums of one Q4_K super-block of the 8 rows, rows in lanes: d * sc and -dmin * mn per sub-block.
struct K4Scales {
    __m256i sc[2], mn[2];  // bytes 0..3 and 4..7 of the 6-bit values, as unpack_k4 forms them
    __m256 sd, nmin;       // d and -dmin

    // the super-block at offset at of each row
    K4Scales(const DirectRows& rows, size_t at) {
        const auto word = [&](size_t k) {
            const auto w = [&](int r) { return int32_t(load_u32(rows.row[r] + at + k)); };
            return _mm256_setr_epi32(w(0), w(1), w(2), w(3), w(4), w(5), w(6), w(7));
        };
        const __m256i dd = word(0);       // d | dmin << 16
        const auto half  = [&](int lo) {  // bytes lo, lo + 1 of each dword, as f32
            const __m256i idx = _mm256_setr_epi8(
                 char(lo), char(lo + 1), char(lo + 4), char(lo + 5), char(lo + 8), char(lo + 9), char(lo + 12),
                 char(lo + 13), -1, -1, -1, -1, -1, -1, -1, -1, char(lo), char(lo + 1), char(lo + 4), char(lo + 5),
                 char(lo + 8), char(lo + 9), char(lo + 12), char(lo + 13), -1, -1, -1, -1, -1, -1, -1, -1);
            return _mm256_cvtph_ps(
                 _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_shuffle_epi8(dd, idx), 0x08)));
        };
        sd               = half(0);
        nmin             = _mm256_sub_ps(_mm256_setzero_ps(), half(2));
        const __m256i u0 = word(4), u1 = word(8), u2 = word(12);
        const __m256i m6 = _mm256_set1_epi32(0x3F3F3F3F), m4 = _mm256_set1_epi32(0x0F0F0F0F);
        const __m256i m2 = _mm256_set1_epi32(0x03030303);
        sc[0]            = _mm256_and_si256(u0, m6);
        sc[1]            = _mm256_or_si256(_mm256_and_si256(u2, m4),
                                           _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(u0, 6), m2), 4));
        mn[0]            = _mm256_and_si256(u1, m6);
        mn[1]            = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi32(u2, 4), m4),
                                           _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(u1, 6), m2), 4));
    }
    // acc += the Mins float step of part() for sub-block j of the super-block: s the 8 rows' integer sums, x's sum
    // and scale the token's.
    __m256 step(int j, __m256i s, int32_t x_sum, float x_d, __m256 acc) const {
        const __m256i byte = _mm256_set1_epi32(0xFF);
        const int sh       = 8 * (j % 4);
        const __m256 dw =
            _mm256_mul_ps(sd, _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(sc[j / 4], sh), byte)));
        const __m256 mw =
            _mm256_mul_ps(nmin, _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(mn[j / 4], sh), byte)));
        const __m256 sx = _mm256_cvtepi32_ps(_mm256_set1_epi32(x_sum));
        return _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_cvtepi32_ps(s), dw, _mm256_mul_ps(mw, sx)), _mm256_set1_ps(x_d),
                               acc);
    }
};

// Q4_K (Mins form) straight from the weights: per super-block the 8 rows' scales and minimums (K4Scales), then per
// chunk of 64 elements its two sub-blocks (low nibbles, high nibbles) against the token, and the Mins float step
// per sub-block in sub-block order. The scales are the products decode_k4 makes: d * sc and -dmin * mn.
template <typename Isa>
void gemv_direct_q4_k(int64_t n, const void* w, size_t w_stride, int64_t n_rows, const void* x1, float* y, void*) {
    constexpr size_t kSB = sizeof(BlockQ4_K);
    const int64_t nb     = n / kQK32;
    const auto* xs       = static_cast<const int8_t*>(x1);
    const auto* dx       = reinterpret_cast<const float*>(xs + n);
    const auto* corr     = reinterpret_cast<const int32_t*>(dx + nb);
    const auto* wb       = static_cast<const uint8_t*>(w);
    const __m256i low4   = _mm256_set1_epi8(0x0F);
    for (int64_t r0 = 0; r0 < n_rows; r0 += kGemvRows) {
        const DirectRows rows(wb, w_stride, r0, n_rows);
        const Prefetch pf = next_rows(wb, w_stride, r0 + rows.n, n_rows, kSB / 8);
        __m256 acc        = _mm256_setzero_ps();
        for (int64_t i = 0; i < nb / 8; ++i) {
            const K4Scales ks(rows, size_t(i) * kSB);
            for (int c = 0; c < 4; ++c) {
                const int64_t b = 8 * i + 2 * c;
                prefetch_new_lines(pf, b);
                prefetch_new_lines(pf, b + 1);
                const __m256i x0 = load256(xs + 32 * b), x1v = load256(xs + 32 * (b + 1));
                __m256i p0[kGemvRows], p1[kGemvRows];
                for (int r = 0; r < kGemvRows; ++r) {
                    const __m256i q = load256(rows.row[r] + size_t(i) * kSB + 16 + 32 * size_t(c));
                    p0[r]           = Isa::dot32(_mm256_and_si256(q, low4), x0);
                    p1[r]           = Isa::dot32(_mm256_and_si256(_mm256_srli_epi16(q, 4), low4), x1v);
                }
                __m256i h0, h1;
                row_sums(p0, h0, h1);
                acc = ks.step(2 * c, _mm256_add_epi32(h0, h1), corr[b], dx[b], acc);
                row_sums(p1, h0, h1);
                acc = ks.step(2 * c + 1, _mm256_add_epi32(h0, h1), corr[b + 1], dx[b + 1], acc);
            }
        }
        alignas(32) float out[kGemvRows];
        _mm256_store_ps(out, acc);
        for (int r = 0; r < rows.n; ++r) y[r0 + r] = out[r];
    }
}

}  // namespace
}  // namespace ts::core::kernels::x8
