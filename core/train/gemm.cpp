// Cache-blocked f32 GEMM (GotoBLAS layout, written from the textbook description): B is packed in KC×NC blocks
// of NR-wide panels, A in MC×KC blocks of MR-tall panels, and a 6×16 register tile accumulates one k-block.
// The AVX2+FMA kernel is chosen at run time; the portable kernel does the same arithmetic in scalar code.
#include "core/train/gemm.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace ts::core::train {
namespace {

constexpr int64_t kMr = 6;    // rows of the register tile
constexpr int64_t kNr = 16;   // columns of the register tile (two AVX vectors)
constexpr int64_t kKc = 256;  // depth of a packed block
constexpr int64_t kMc = 96;   // rows of a packed A block (multiple of kMr)
constexpr int64_t kNc = 512;  // columns of a packed B block (multiple of kNr)

// One register tile of C: rows [0, mr) (mr <= kMr), columns [0, nr) (nr <= kNr) at c (row stride ldc) become
// (add ? C : 0) + sum over p < kc of A(r, p) * bp[p][j]. A is either a packed panel ap[p * kMr + r] (lda == 0) or
// read in place from rows ap + r * lda (lda > 0; rows past mr repeat row 0, their results are dropped). bp is a
// packed, zero-padded [kc][kNr] panel. The sum runs in p order with one rounding per step in both kernels' paths,
// so a row's result does not depend on which path or tile shape computed it.
using TileFn = void (*)(int64_t kc, const float* ap, int64_t lda, const float* bp, float* c, int64_t ldc, int64_t mr,
                        int64_t nr, bool add);

#define TS_TILE_ROW(R, A)                      \
    a       = _mm256_broadcast_ss(A);          \
    c##R##0 = _mm256_fmadd_ps(a, b0, c##R##0); \
    c##R##1 = _mm256_fmadd_ps(a, b1, c##R##1);

__attribute__((target("avx2,fma"))) void tile_avx2(int64_t kc, const float* ap, int64_t lda, const float* bp, float* c,
                                                   int64_t ldc, int64_t mr, int64_t nr, bool add) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps();
    __m256 c11 = _mm256_setzero_ps(), c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps(), c40 = _mm256_setzero_ps();
    __m256 c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    __m256 a;
    if (lda == 0) {
        for (int64_t p = 0; p < kc; ++p, ap += kMr, bp += kNr) {
            const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
            TS_TILE_ROW(0, ap + 0)
            TS_TILE_ROW(1, ap + 1)
            TS_TILE_ROW(2, ap + 2) TS_TILE_ROW(3, ap + 3) TS_TILE_ROW(4, ap + 4) TS_TILE_ROW(5, ap + 5)
        }
    } else {
        const float* r0 = ap;
        const float* r1 = mr > 1 ? ap + lda : ap;
        const float* r2 = mr > 2 ? ap + 2 * lda : ap;
        const float* r3 = mr > 3 ? ap + 3 * lda : ap;
        const float* r4 = mr > 4 ? ap + 4 * lda : ap;
        const float* r5 = mr > 5 ? ap + 5 * lda : ap;
        for (int64_t p = 0; p < kc; ++p, bp += kNr) {
            const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
            TS_TILE_ROW(0, r0 + p)
            TS_TILE_ROW(1, r1 + p)
            TS_TILE_ROW(2, r2 + p) TS_TILE_ROW(3, r3 + p) TS_TILE_ROW(4, r4 + p) TS_TILE_ROW(5, r5 + p)
        }
    }
    const __m256 acc[kMr][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    if (nr == kNr) {
        for (int64_t r = 0; r < mr; ++r) {
            float* cr = c + r * ldc;
            if (add) {
                _mm256_storeu_ps(cr, _mm256_add_ps(_mm256_loadu_ps(cr), acc[r][0]));
                _mm256_storeu_ps(cr + 8, _mm256_add_ps(_mm256_loadu_ps(cr + 8), acc[r][1]));
            } else {
                _mm256_storeu_ps(cr, acc[r][0]);
                _mm256_storeu_ps(cr + 8, acc[r][1]);
            }
        }
        return;
    }
    alignas(32) float tmp[kNr];
    for (int64_t r = 0; r < mr; ++r) {
        _mm256_store_ps(tmp, acc[r][0]);
        _mm256_store_ps(tmp + 8, acc[r][1]);
        float* cr = c + r * ldc;
        for (int64_t j = 0; j < nr; ++j) cr[j] = add ? cr[j] + tmp[j] : tmp[j];
    }
}
#undef TS_TILE_ROW

void tile_portable(int64_t kc, const float* ap, int64_t lda, const float* bp, float* c, int64_t ldc, int64_t mr,
                   int64_t nr, bool add) {
    float acc[kMr][kNr] = {};
    for (int64_t p = 0; p < kc; ++p, bp += kNr)
        for (int64_t r = 0; r < mr; ++r) {
            const float a = lda == 0 ? ap[p * kMr + r] : ap[r * lda + p];
            for (int64_t j = 0; j < kNr; ++j) acc[r][j] = std::fma(a, bp[j], acc[r][j]);
        }
    for (int64_t r = 0; r < mr; ++r)
        for (int64_t j = 0; j < nr; ++j) c[r * ldc + j] = add ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}

TileFn pick_tile() {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return tile_avx2;
    return tile_portable;
}

// Bp: ceil(nc / kNr) panels of [kc][kNr], columns past nc zero.
void pack_b(MatView b, int64_t k0, int64_t kc, int64_t n0, int64_t nc, float* bp) {
    for (int64_t j0 = 0; j0 < nc; j0 += kNr) {
        const int64_t nr = std::min(kNr, nc - j0);
        if (b.cs == 1 && nr == kNr) {  // rows of B contiguous: copy 16 floats per k
            for (int64_t p = 0; p < kc; ++p)
                std::memcpy(bp + p * kNr, &b.p[(k0 + p) * b.rs + n0 + j0], sizeof(float) * kNr);
        } else if (b.rs == 1) {  // columns of B contiguous (a transposed weight): walk each column
            for (int64_t j = 0; j < kNr; ++j) {
                if (j < nr) {
                    const float* col = b.p + (n0 + j0 + j) * b.cs + k0;
                    for (int64_t p = 0; p < kc; ++p) bp[p * kNr + j] = col[p];
                } else {
                    for (int64_t p = 0; p < kc; ++p) bp[p * kNr + j] = 0.0f;
                }
            }
        } else {
            for (int64_t p = 0; p < kc; ++p) {
                float* dst = bp + p * kNr;
                for (int64_t j = 0; j < nr; ++j) dst[j] = b.at(k0 + p, n0 + j0 + j);
                for (int64_t j = nr; j < kNr; ++j) dst[j] = 0.0f;
            }
        }
        bp += kc * kNr;
    }
}

// Ap: ceil(mc / kMr) panels of [kc][kMr], rows past mc zero.
void pack_a(MatView a, int64_t m0, int64_t mc, int64_t k0, int64_t kc, float* ap) {
    for (int64_t i0 = 0; i0 < mc; i0 += kMr) {
        const int64_t mr = std::min(kMr, mc - i0);
        if (a.cs == 1) {  // rows of A contiguous: walk each row
            for (int64_t i = 0; i < kMr; ++i) {
                if (i < mr) {
                    const float* row = a.p + (m0 + i0 + i) * a.rs + k0;
                    for (int64_t p = 0; p < kc; ++p) ap[p * kMr + i] = row[p];
                } else {
                    for (int64_t p = 0; p < kc; ++p) ap[p * kMr + i] = 0.0f;
                }
            }
        } else {
            for (int64_t p = 0; p < kc; ++p) {
                float* dst = ap + p * kMr;
                for (int64_t i = 0; i < mr; ++i) dst[i] = a.at(m0 + i0 + i, k0 + p);
                for (int64_t i = mr; i < kMr; ++i) dst[i] = 0.0f;
            }
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
    // Packing buffers sized to this product (small products, e.g. one attention head, stay cheap).
    const int64_t kc_max = std::min(kKc, k);
    const int64_t nc_max = (std::min(kNc, n) + kNr - 1) / kNr * kNr;
    const int64_t mc_max = (std::min(kMc, m_end - m_begin) + kMr - 1) / kMr * kMr;
    std::vector<float> bp(static_cast<size_t>(kc_max * nc_max));
    std::vector<float> ap(static_cast<size_t>(kc_max * mc_max));
    for (int64_t jc = 0; jc < n; jc += kNc) {
        const int64_t nc = std::min(kNc, n - jc);
        for (int64_t pc = 0; pc < k; pc += kKc) {
            const int64_t kc = std::min(kKc, k - pc);
            const bool add   = accumulate || pc > 0;
            pack_b(b, pc, kc, jc, nc, bp.data());
            for (int64_t ic = m_begin; ic < m_end; ic += kMc) {
                const int64_t mc = std::min(kMc, m_end - ic);
                // Rows of A that are contiguous are read in place; others are packed into panels.
                const bool direct = a.cs == 1 && a.rs > 0;
                if (!direct) pack_a(a, ic, mc, pc, kc, ap.data());
                for (int64_t jr = 0; jr < nc; jr += kNr) {
                    const int64_t nr = std::min(kNr, nc - jr);
                    for (int64_t ir = 0; ir < mc; ir += kMr) {
                        const int64_t mr = std::min(kMr, mc - ir);
                        const float* at  = direct ? a.p + (ic + ir) * a.rs + pc : ap.data() + ir * kc;
                        tile(kc, at, direct ? a.rs : 0, bp.data() + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, mr, nr,
                             add);
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
