// Cache-blocked f32 GEMM (GotoBLAS layout, written from the textbook description): B is packed in KC×NC blocks
// of NR-wide panels, A in MC×KC blocks of MR-tall panels, and a 6×16 register tile accumulates one k-block.
// The AVX2+FMA kernel is chosen at run time; the portable kernel does the same arithmetic in scalar code.
#include "core/train/gemm.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace ts::core::train {
namespace {

constexpr int64_t kMr = 6;    // rows of the register tile
constexpr int64_t kNr = 16;   // columns of the register tile (two AVX vectors)
constexpr int64_t kKc = 256;  // depth of a packed block
constexpr int64_t kMc = 96;   // rows of a packed A block (multiple of kMr)
constexpr int64_t kNc = 512;  // columns of a packed B block (multiple of kNr)

// acc[kMr][kNr] = sum over kc of ap[k][r] * bp[k][j]  (ap: [kc][kMr], bp: [kc][kNr], both zero-padded)
__attribute__((target("avx2,fma"))) void tile_avx2(int64_t kc, const float* ap, const float* bp, float* acc) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps();
    __m256 c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps();
    __m256 c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int64_t p = 0; p < kc; ++p) {
        const __m256 b0 = _mm256_loadu_ps(bp);
        const __m256 b1 = _mm256_loadu_ps(bp + 8);
        __m256 a        = _mm256_broadcast_ss(ap + 0);
        c00             = _mm256_fmadd_ps(a, b0, c00);
        c01             = _mm256_fmadd_ps(a, b1, c01);
        a               = _mm256_broadcast_ss(ap + 1);
        c10             = _mm256_fmadd_ps(a, b0, c10);
        c11             = _mm256_fmadd_ps(a, b1, c11);
        a               = _mm256_broadcast_ss(ap + 2);
        c20             = _mm256_fmadd_ps(a, b0, c20);
        c21             = _mm256_fmadd_ps(a, b1, c21);
        a               = _mm256_broadcast_ss(ap + 3);
        c30             = _mm256_fmadd_ps(a, b0, c30);
        c31             = _mm256_fmadd_ps(a, b1, c31);
        a               = _mm256_broadcast_ss(ap + 4);
        c40             = _mm256_fmadd_ps(a, b0, c40);
        c41             = _mm256_fmadd_ps(a, b1, c41);
        a               = _mm256_broadcast_ss(ap + 5);
        c50             = _mm256_fmadd_ps(a, b0, c50);
        c51             = _mm256_fmadd_ps(a, b1, c51);
        ap += kMr;
        bp += kNr;
    }
    _mm256_storeu_ps(acc + 0 * kNr, c00);
    _mm256_storeu_ps(acc + 0 * kNr + 8, c01);
    _mm256_storeu_ps(acc + 1 * kNr, c10);
    _mm256_storeu_ps(acc + 1 * kNr + 8, c11);
    _mm256_storeu_ps(acc + 2 * kNr, c20);
    _mm256_storeu_ps(acc + 2 * kNr + 8, c21);
    _mm256_storeu_ps(acc + 3 * kNr, c30);
    _mm256_storeu_ps(acc + 3 * kNr + 8, c31);
    _mm256_storeu_ps(acc + 4 * kNr, c40);
    _mm256_storeu_ps(acc + 4 * kNr + 8, c41);
    _mm256_storeu_ps(acc + 5 * kNr, c50);
    _mm256_storeu_ps(acc + 5 * kNr + 8, c51);
}

void tile_portable(int64_t kc, const float* ap, const float* bp, float* acc) {
    std::fill(acc, acc + kMr * kNr, 0.0f);
    for (int64_t p = 0; p < kc; ++p) {
        for (int64_t r = 0; r < kMr; ++r) {
            const float a = ap[r];
            float* row    = acc + r * kNr;
            for (int64_t j = 0; j < kNr; ++j) row[j] += a * bp[j];
        }
        ap += kMr;
        bp += kNr;
    }
}

using TileFn = void (*)(int64_t, const float*, const float*, float*);

TileFn pick_tile() {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return tile_avx2;
    return tile_portable;
}

// Bp: ceil(nc / kNr) panels of [kc][kNr], columns past nc zero.
void pack_b(MatView b, int64_t k0, int64_t kc, int64_t n0, int64_t nc, float* bp) {
    for (int64_t j0 = 0; j0 < nc; j0 += kNr) {
        const int64_t nr = std::min(kNr, nc - j0);
        for (int64_t p = 0; p < kc; ++p) {
            float* dst = bp + p * kNr;
            for (int64_t j = 0; j < nr; ++j) dst[j] = b.at(k0 + p, n0 + j0 + j);
            for (int64_t j = nr; j < kNr; ++j) dst[j] = 0.0f;
        }
        bp += kc * kNr;
    }
}

// Ap: ceil(mc / kMr) panels of [kc][kMr], rows past mc zero.
void pack_a(MatView a, int64_t m0, int64_t mc, int64_t k0, int64_t kc, float* ap) {
    for (int64_t i0 = 0; i0 < mc; i0 += kMr) {
        const int64_t mr = std::min(kMr, mc - i0);
        for (int64_t p = 0; p < kc; ++p) {
            float* dst = ap + p * kMr;
            for (int64_t i = 0; i < mr; ++i) dst[i] = a.at(m0 + i0 + i, k0 + p);
            for (int64_t i = mr; i < kMr; ++i) dst[i] = 0.0f;
        }
        ap += kc * kMr;
    }
}

// Rows [m_begin, m_end) of C.
void gemm_rows(int64_t m_begin, int64_t m_end, int64_t n, int64_t k, MatView a, MatView b, float* c, int64_t ldc,
               bool accumulate, TileFn tile) {
    if (m_begin >= m_end) return;
    if (k == 0) {
        if (!accumulate)
            for (int64_t i = m_begin; i < m_end; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
        return;
    }
    std::vector<float> bp(size_t(kKc * kNc));
    std::vector<float> ap(size_t(kKc * kMc));
    float acc[kMr * kNr];
    for (int64_t jc = 0; jc < n; jc += kNc) {
        const int64_t nc = std::min(kNc, n - jc);
        for (int64_t pc = 0; pc < k; pc += kKc) {
            const int64_t kc = std::min(kKc, k - pc);
            const bool add   = accumulate || pc > 0;
            pack_b(b, pc, kc, jc, nc, bp.data());
            for (int64_t ic = m_begin; ic < m_end; ic += kMc) {
                const int64_t mc = std::min(kMc, m_end - ic);
                pack_a(a, ic, mc, pc, kc, ap.data());
                for (int64_t jr = 0; jr < nc; jr += kNr) {
                    const int64_t nr = std::min(kNr, nc - jr);
                    for (int64_t ir = 0; ir < mc; ir += kMr) {
                        const int64_t mr = std::min(kMr, mc - ir);
                        tile(kc, ap.data() + ir * kc, bp.data() + jr * kc, acc);
                        for (int64_t i = 0; i < mr; ++i) {
                            float* crow      = c + (ic + ir + i) * ldc + jc + jr;
                            const float* src = acc + i * kNr;
                            if (add) {
                                for (int64_t j = 0; j < nr; ++j) crow[j] += src[j];
                            } else {
                                std::memcpy(crow, src, size_t(nr) * sizeof(float));
                            }
                        }
                    }
                }
            }
        }
    }
}

}  // namespace

void gemm(int64_t m, int64_t n, int64_t k, MatView a, MatView b, float* c, int64_t ldc, bool accumulate,
          ThreadPool* pool) {
    static_assert(kMc % kMr == 0 && kNc % kNr == 0);
    if (m <= 0 || n <= 0) return;
    const TileFn tile = pick_tile();
    const int nth     = pool ? pool->n_threads() : 1;
    // Work below ~1 MFLOP is not worth waking the workers for.
    if (nth <= 1 || m < 2 * kMr || m * n * k < (int64_t(1) << 20)) {
        gemm_rows(0, m, n, k, a, b, c, ldc, accumulate, tile);
        return;
    }
    const int64_t n_tiles = (m + kMr - 1) / kMr;
    pool->run([&](int ith, int nt) {
        const int64_t t0 = n_tiles * ith / nt, t1 = n_tiles * (ith + 1) / nt;
        gemm_rows(t0 * kMr, std::min(m, t1 * kMr), n, k, a, b, c, ldc, accumulate, tile);
    });
}

void gemm_reference(int64_t m, int64_t n, int64_t k, MatView a, MatView b, float* c, int64_t ldc, bool accumulate) {
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            double s = accumulate ? double(c[i * ldc + j]) : 0.0;
            for (int64_t p = 0; p < k; ++p) s += double(a.at(i, p)) * double(b.at(p, j));
            c[i * ldc + j] = float(s);
        }
}

}  // namespace ts::core::train
