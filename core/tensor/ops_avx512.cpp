// AVX-512 (F/BW/VL/DQ) kernels, compiled with those flags and used only when the CPU has them: the f32 dot and axpy
// of attention and the F16 row dot (an F16 KV cache), 16 lanes at a time, and the float weight types' register tile
// (matmul, and matvec as its one-token form). Entries not overridden here keep their AVX2 kernels; the int8 types'
// matvec and matmul are the X8 kernels (AVX2's at this level, ops_avx512_vnni.cpp's at the next).
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

inline __m512 load_f16x16(const uint16_t* p) {
    return _mm512_cvtph_ps(load256(p));
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
    // The weight types' matvec / matmul take the tiles at this level (fill_avx512_gemm, and the X8 kernels of
    // fill_avx2); F16 rows are still dotted one by one by the attention over an F16 KV cache (dot_row).
    t.dot[uint32_t(DType::F16)] = avx512::dot_half<avx512::load_f16x16, avx2::f16>;
    t.dot_f32                   = avx512::dot_f32_f32;
    t.axpy_f32                  = avx512::axpy;
}

}  // namespace ts::core::kernels
