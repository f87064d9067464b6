// AVX-512 VNNI int8 matmul of batched prefill (compiled with -mavx512vnni -mavx512vl ..., used only when the CPU
// has them): the X8 kernel of kernels.hpp on 256-bit registers. 256 bits because Zen 4 runs 512-bit integer
// multiplies as two halves anyway, and AVX-512VL gives the 32 registers that a 6-row x 16-token tile needs.
//
// A tile is R weight rows x T groups of 8 tokens. Per block of 32 elements and per group g of 4 elements, the 4
// weight bytes of a row are broadcast to all 8 lanes and meet the same 4 elements of 8 tokens (one vpdpbusd), so
// each int32 lane is one (row, token) dot and the block's sum needs no horizontal add: one convert and one
// multiply-add by d_w * d_x per block turn the R x T integer sums into floats. Each weight byte is used by 8T
// tokens, each activation byte by R rows.
#include <algorithm>
#include <array>
#include <utility>

#include "core/tensor/blocks.hpp"
#include "core/tensor/kernels.hpp"
#include "core/tensor/simd_avx2.hpp"

namespace ts::core::kernels {
namespace vnni {
namespace {

using avx2::f16;
using avx2::load256;
using avx2::load_u32;
using avx2::nibbles;

constexpr int kTok = kX8Tokens;  // tokens per group = int32 lanes of a register

// ---- weight rows to unsigned bytes (value + offset, element order) and f32 scales --------------------------------

void decode_q8_0(const void* row, int64_t nb, uint8_t* u, float* d) {
    const auto* b = static_cast<const BlockQ8_0*>(row);
    for (int64_t i = 0; i < nb; ++i) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(u + 32 * i),
                           _mm256_xor_si256(load256(b[i].qs), _mm256_set1_epi8(char(0x80))));
        d[i] = f16(b[i].d);
    }
}

void decode_q4_0(const void* row, int64_t nb, uint8_t* u, float* d) {
    const auto* b = static_cast<const BlockQ4_0*>(row);
    for (int64_t i = 0; i < nb; ++i) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(u + 32 * i), nibbles(b[i].qs));
        d[i] = f16(b[i].d);
    }
}

void decode_q5_0(const void* row, int64_t nb, uint8_t* u, float* d) {
    const auto* b = static_cast<const BlockQ5_0*>(row);
    for (int64_t i = 0; i < nb; ++i) {
        const __m256i hi = _mm256_and_si256(avx2::bytes_from_bits(load_u32(b[i].qh)), _mm256_set1_epi8(0x10));
        _mm256_store_si256(reinterpret_cast<__m256i*>(u + 32 * i), _mm256_or_si256(nibbles(b[i].qs), hi));
        d[i] = f16(b[i].d);
    }
}

// ---- the register tile -----------------------------------------------------------------------------------------

// Where the next rows of a weight matrix are, to prefetch them while this tile computes (rows are decoded
// just before use, so without it every tile would begin with a wait for memory).
struct Prefetch {
    const uint8_t* rows = nullptr;  // null: nothing to fetch
    int n_rows          = 0;
    size_t stride       = 0;  // bytes between rows
    size_t step         = 0;  // bytes of a row per block of 32 elements
};

// out[r][8t + j] = dot(row r, token 8t + j) for R decoded rows (u: bytes, row stride n; d: scales, row stride nb)
// and T groups of packed x (x: group 0, group stride gs bytes).
template <int R, int T>
void tile(int64_t nb, const uint8_t* u, const float* d, int64_t n, const uint8_t* x, size_t gs, float* out,
          Prefetch pf) {
    __m256 acc[R][T];
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
        const uint8_t* xb = x + size_t(b) * kX8BlockBytes;
        for (int r = 0; r < pf.n_rows; ++r)
            _mm_prefetch(reinterpret_cast<const char*>(pf.rows + size_t(r) * pf.stride + size_t(b) * pf.step),
                         _MM_HINT_T1);  // to L2: the activations streaming through L1 would evict them
        __m256i s[R][T];
        for (int t = 0; t < T; ++t) {
            const __m256i corr = load256(xb + size_t(t) * gs + 288);  // -offset * sum(x), per token
            for (int r = 0; r < R; ++r) s[r][t] = corr;
        }
        for (int g = 0; g < 8; ++g) {
            __m256i xv[T];
            for (int t = 0; t < T; ++t) xv[t] = load256(xb + size_t(t) * gs + 32 * g);
            for (int r = 0; r < R; ++r) {
                const __m256i wv = _mm256_set1_epi32(int32_t(load_u32(u + size_t(r) * size_t(n) + 32 * b + 4 * g)));
                for (int t = 0; t < T; ++t) s[r][t] = _mm256_dpbusd_epi32(s[r][t], wv, xv[t]);
            }
        }
        __m256 dx[T];
        for (int t = 0; t < T; ++t) dx[t] = _mm256_loadu_ps(reinterpret_cast<const float*>(xb + size_t(t) * gs + 256));
        for (int r = 0; r < R; ++r) {
            const __m256 dw = _mm256_set1_ps(d[size_t(r) * size_t(nb) + size_t(b)]);
            for (int t = 0; t < T; ++t)
                acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s[r][t]), _mm256_mul_ps(dw, dx[t]), acc[r][t]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) _mm256_storeu_ps(out + r * (T * kTok) + t * kTok, acc[r][t]);
}

constexpr int kRows   = kX8MaxRows;  // rows per tile
constexpr int kGroups = 2;           // token groups per tile

using TileFn = void (*)(int64_t, const uint8_t*, const float*, int64_t, const uint8_t*, size_t, float*, Prefetch);

// tile<R, 1> .. tile<R, kGroups>, indexed by T - 1.
template <int R, int... T>
constexpr auto make_tiles(std::integer_sequence<int, T...>) {
    return std::array<TileFn, sizeof...(T)>{tile<R, T + 1>...};
}

// R rows (decoded) against every token group: tiles of kGroups groups, then what is left.
template <int R>
void rows_x_tokens(int64_t n, const uint8_t* u, const float* d, const uint8_t* x, int64_t n_tok, float* y,
                   int64_t y_stride, Prefetch pf) {
    static constexpr auto kTiles = make_tiles<R>(std::make_integer_sequence<int, kGroups>{});
    const int64_t nb = n / kQK32, n_groups = (n_tok + kTok - 1) / kTok;
    const size_t gs = size_t(nb) * kX8BlockBytes;
    alignas(32) float out[R * kGroups * kTok];
    for (int64_t g0 = 0; g0 < n_groups;) {
        const int T = int(std::min<int64_t>(kGroups, n_groups - g0));
        kTiles[size_t(T - 1)](nb, u, d, n, x + size_t(g0) * gs, gs, out, pf);
        pf = Prefetch{};  // the first tile fetched them
        // token by token: the R values of a token are adjacent in y (rows of y are far apart)
        for (int j = 0; j < T * kTok && g0 * kTok + j < n_tok; ++j)
            for (int r = 0; r < R; ++r) y[(g0 * kTok + j) * y_stride + r] = out[r * T * kTok + j];
        g0 += T;
    }
}

using RowsFn = void (*)(int64_t, const uint8_t*, const float*, const uint8_t*, int64_t, float*, int64_t, Prefetch);

template <int... R>
constexpr auto make_rows(std::integer_sequence<int, R...>) {
    return std::array<RowsFn, sizeof...(R)>{rows_x_tokens<R + 1>...};
}

template <void (*Decode)(const void*, int64_t, uint8_t*, float*)>
void gemm_x8(int64_t n, const void* w, size_t w_stride, int64_t n_rows, const void* x, int64_t n_tok, float* y,
             int64_t y_stride, void* scratch) {
    static constexpr auto kRowFns = make_rows(std::make_integer_sequence<int, kRows>{});
    const int64_t nb              = n / kQK32;
    auto* u                       = static_cast<uint8_t*>(scratch);  // [kRows][n] (64-aligned, n % 32 == 0)
    auto* d                       = reinterpret_cast<float*>(u + kRows * size_t(n));  // [kRows][nb]
    const auto* wb                = static_cast<const uint8_t*>(w);
    const auto* xb                = static_cast<const uint8_t*>(x);
    for (int64_t r0 = 0; r0 < n_rows; r0 += kRows) {
        const int R = int(std::min<int64_t>(kRows, n_rows - r0));
        for (int r = 0; r < R; ++r) Decode(wb + size_t(r0 + r) * w_stride, nb, u + size_t(r) * size_t(n), d + r * nb);
        const int64_t r_next = r0 + R;
        const Prefetch pf{wb + size_t(r_next) * w_stride, int(std::min<int64_t>(kRows, n_rows - r_next)), w_stride,
                          w_stride / size_t(nb)};
        kRowFns[size_t(R - 1)](n, u, d, xb, n_tok, y + r0, y_stride, pf);
    }
}

}  // namespace
}  // namespace vnni

void fill_avx512_vnni(KernelTable& t) {
    t.gemm_x8[uint32_t(DType::Q8_0)] = vnni::gemm_x8<vnni::decode_q8_0>;
    t.gemm_x8[uint32_t(DType::Q4_0)] = vnni::gemm_x8<vnni::decode_q4_0>;
    t.gemm_x8[uint32_t(DType::Q5_0)] = vnni::gemm_x8<vnni::decode_q5_0>;
}

}  // namespace ts::core::kernels
