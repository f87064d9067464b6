// AVX-512 VNNI int8 matmul of batched prefill (compiled with -mavx512vnni -mavx512vl ..., used only when the CPU
// has them): the X8 kernel of kernels.hpp on 256-bit registers. 256 bits because Zen 4 runs 512-bit integer
// multiplies as two halves anyway, and AVX-512VL gives the 32 registers that a 6-row x 16-token tile needs.
//
// A tile is R weight rows x T groups of 8 tokens. Per block of 32 elements and per group g of 4 elements, the 4
// weight bytes of a row are broadcast to all 8 lanes and meet the same 4 elements of 8 tokens (one vpdpbusd), so
// each int32 lane is one (row, token) dot and the block's sum needs no horizontal add: one convert and one
// multiply-add by d_w * d_x per block turn the R x T integer sums into floats. Each weight byte is used by 8T
// tokens, each activation byte by R rows.
// GCC 12 warns about _mm512_undefined_* inside its own intrinsics once they are inlined (GCC bug 105593).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "core/tensor/gemm_x8.hpp"

namespace ts::core::kernels {
namespace vnni {
namespace {

using namespace x8;  // NOLINT(google-build-using-namespace): the shared driver's pieces

// The tile: R x T int32 sums per block (or half block) by vpdpbusd, then the float side of gemm_x8.hpp (part()).
template <Form F = Form::Offset>
struct VnniTile {
    static constexpr Form kForm = F;
    // 12 float + 12 int32 accumulators, 2 x, 1 w: 27 of 32 registers (Scaled: 8 more int32 super-block sums: 4 rows)
    static constexpr int kMaxRows = F == Form::Scaled ? 4 : 6;
    static constexpr int kGroups  = 2;

    template <int R, int T>
    static void run(int64_t nb, const uint8_t* u, const float* d, const float* m, int64_t n, const uint8_t* x,
                    size_t gs, float* out, Prefetch pf) {
        constexpr int kParts = F == Form::Scaled ? 2 : 1;
        __m256 acc[R][T];
        __m256i S[R][T];  // Scaled: the super-block's integer sums
        for (int r = 0; r < R; ++r)
            for (int t = 0; t < T; ++t) {
                acc[r][t] = _mm256_setzero_ps();
                S[r][t]   = _mm256_setzero_si256();
            }
        for (int64_t b = 0; b < nb; ++b) {
            const uint8_t* xb = x + size_t(b) * kX8BlockBytes;
            prefetch_block(pf, b);
            __m256i s[R][T];
            for (int t = 0; t < T; ++t) {
                const __m256i s0 = initial_sum<F>(xb, gs, t);
                for (int r = 0; r < R; ++r) s[r][t] = s0;
            }
            __m256 dx[T];
            if constexpr (F != Form::Scaled) load_dx(xb, gs, dx);  // Scaled: once per super-block
            for (int h = 0; h < kParts; ++h) {
                for (int g = h * 8 / kParts; g < (h + 1) * 8 / kParts; ++g) {
                    __m256i xv[T];
                    for (int t = 0; t < T; ++t) xv[t] = load256(xb + size_t(t) * gs + 32 * g);
                    for (int r = 0; r < R; ++r) {
                        const __m256i wv =
                            _mm256_set1_epi32(int32_t(load_u32(u + size_t(r) * size_t(n) + 32 * b + 4 * g)));
                        for (int t = 0; t < T; ++t) s[r][t] = _mm256_dpbusd_epi32(s[r][t], wv, xv[t]);
                    }
                }
                if constexpr (F == Form::Scaled)
                    part_scaled<R, T>(acc, S, s, d, m, nb, b, h, xb, gs);
                else
                    part<F, R, T>(acc, s, d, m, nb, b, h, xb, gs, dx);
            }
        }
        for (int r = 0; r < R; ++r)
            for (int t = 0; t < T; ++t) _mm256_storeu_ps(out + r * (T * kTok) + t * kTok, acc[r][t]);
    }
};

// The integer sums of gemv_x8 (one token, rows in lanes): vpdpbusd, exact for every X8 type. Two blocks at a time
// on 512-bit registers: 8 vpdpbusd give 8 rows x 16 partial sums, and 14 shuffles reduce them to the halves' sums
// of both blocks (28 on 256-bit registers; the shuffles, not the multiplies, are what limits this kernel on Intel).
struct VnniDot {
    static constexpr int kBlocks = 2;
    static __m256i dot32(__m256i u, __m256i x) { return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, x); }

    static void sums2(const uint8_t* u, int64_t n, const int8_t* x, __m256i (&h0)[2], __m256i (&h1)[2]) {
        const __m512i xv = _mm512_loadu_si512(x);
        __m512i p[8];  // row r: 4-element partial sums, 128-bit quarter k: block b + k / 2, half k % 2
        for (int r = 0; r < 8; ++r)
            p[r] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_loadu_si512(u + r * n), xv);
        __m512i q[4];  // per quarter: [row 2k, row 2k + 1, row 2k, row 2k + 1] partial pairs
        for (int k = 0; k < 4; ++k)
            q[k] = _mm512_add_epi32(_mm512_unpacklo_epi32(p[2 * k], p[2 * k + 1]),
                                    _mm512_unpackhi_epi32(p[2 * k], p[2 * k + 1]));
        // per quarter: the sums of rows 0..3 (lo) and 4..7 (hi)
        const __m512i lo = _mm512_add_epi32(_mm512_unpacklo_epi64(q[0], q[1]), _mm512_unpackhi_epi64(q[0], q[1]));
        const __m512i hi = _mm512_add_epi32(_mm512_unpacklo_epi64(q[2], q[3]), _mm512_unpackhi_epi64(q[2], q[3]));
        // rows 0..7 in order: half 0 of blocks b and b + 1 (quarters 0 and 2), half 1 (quarters 1 and 3)
        const __m512i a = _mm512_permutex2var_epi64(lo, _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), hi);
        const __m512i c = _mm512_permutex2var_epi64(lo, _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15), hi);
        h0[0]           = _mm512_castsi512_si256(a);
        h1[0]           = _mm512_castsi512_si256(c);
        h0[1]           = _mm512_extracti64x4_epi64(a, 1);
        h1[1]           = _mm512_extracti64x4_epi64(c, 1);
    }
};

// ---- one token straight from the weights: gemv_direct (gemm_x8.hpp), two blocks per 512-bit register -----------
//
// Per row, blocks b and b + 1 in one register against the token's two blocks (one vpdpbusd), the 8 rows' sums
// reduced by VnniDot's shuffles. A type adds to gemm_x8.hpp's policy kSplit (the
// quarters of u2 hold the low nibbles of both blocks, then their high nibbles, so the token's quarters are
// reordered to match) and u2(blk): the levels of the blocks at blk and blk + kBlockBytes.
struct Direct2Q8_0 : DirectQ8_0 {
    static constexpr bool kSplit = false;
    static __m512i u2(const uint8_t* blk) {
        const __m512i z =
            _mm512_inserti64x4(_mm512_castsi256_si512(load256(blk + 2)), load256(blk + kBlockBytes + 2), 1);
        return _mm512_xor_si512(z, _mm512_set1_epi8(char(0x80)));
    }
};
struct Direct2Q4_0 : DirectQ4_0 {
    static constexpr bool kSplit = true;
    static __m512i u2(const uint8_t* blk) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + 2));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + kBlockBytes + 2));
        const __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1);
        const __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(q), _mm256_srli_epi16(q, 4), 1);
        return _mm512_and_si512(z, _mm512_set1_epi8(0x0F));
    }
};

template <typename D>
void gemv_direct2(int64_t n, const void* w, size_t w_stride, int64_t n_rows, const void* x1, float* y, void*) {
    constexpr size_t kBB = D::kBlockBytes;
    const int64_t nb     = n / kQK32;
    const auto* xs       = static_cast<const int8_t*>(x1);
    const auto* dx       = reinterpret_cast<const float*>(xs + n);
    const auto* corr     = reinterpret_cast<const int32_t*>(dx + nb);
    const auto* wb       = static_cast<const uint8_t*>(w);
    // After the reduction, lo / hi hold per 128-bit quarter k the sums of rows 0..3 / 4..7; two permutes and an add
    // give [block b: rows 0..7 | block b + 1: rows 0..7] (quarters 0 + 1 and 2 + 3, or 0 + 2 and 1 + 3 when split).
    const __m512i pa =
        D::kSplit ? _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11) : _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
    const __m512i pc =
        D::kSplit ? _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15) : _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    for (int64_t r0 = 0; r0 < n_rows; r0 += kGemvRows) {
        const DirectRows rows(wb, w_stride, r0, n_rows);
        const Prefetch pf = next_rows(wb, w_stride, r0 + rows.n, n_rows, kBB);
        __m256 acc        = _mm256_setzero_ps();
        int64_t b         = 0;
        for (; b + 2 <= nb; b += 2) {
            prefetch_new_lines(pf, b);
            prefetch_new_lines(pf, b + 1);
            __m512i xv = _mm512_loadu_si512(xs + 32 * b);
            if constexpr (D::kSplit) xv = _mm512_shuffle_i64x2(xv, xv, 0xD8);  // quarters 0, 2, 1, 3
            __m512i p[kGemvRows];
            for (int r = 0; r < kGemvRows; ++r)
                p[r] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), D::u2(rows.row[r] + size_t(b) * kBB), xv);
            __m512i q[4];
            for (int k = 0; k < 4; ++k)
                q[k] = _mm512_add_epi32(_mm512_unpacklo_epi32(p[2 * k], p[2 * k + 1]),
                                        _mm512_unpackhi_epi32(p[2 * k], p[2 * k + 1]));
            const __m512i lo = _mm512_add_epi32(_mm512_unpacklo_epi64(q[0], q[1]), _mm512_unpackhi_epi64(q[0], q[1]));
            const __m512i hi = _mm512_add_epi32(_mm512_unpacklo_epi64(q[2], q[3]), _mm512_unpackhi_epi64(q[2], q[3]));
            const __m512i c2 = _mm512_inserti64x4(_mm512_set1_epi32(corr[b]), _mm256_set1_epi32(corr[b + 1]), 1);
            const __m512i s  = _mm512_add_epi32(
                 c2, _mm512_add_epi32(_mm512_permutex2var_epi64(lo, pa, hi), _mm512_permutex2var_epi64(lo, pc, hi)));
            const __m512 f  = _mm512_cvtepi32_ps(s);
            const __m512 dw = _mm512_insertf32x8(_mm512_castps256_ps512(rows.f16x8(size_t(b) * kBB)),
                                                 rows.f16x8(size_t(b + 1) * kBB), 1);
            const __m512 dd =
                _mm512_mul_ps(dw, _mm512_insertf32x8(_mm512_set1_ps(dx[b]), _mm256_set1_ps(dx[b + 1]), 1));
            acc = _mm256_fmadd_ps(_mm512_castps512_ps256(f), _mm512_castps512_ps256(dd), acc);
            acc = _mm256_fmadd_ps(_mm512_extractf32x8_ps(f, 1), _mm512_extractf32x8_ps(dd, 1), acc);
        }
        if (b < nb) acc = direct_block<VnniDot, D>(rows, b, xs, dx, corr, acc);  // an odd block left
        alignas(32) float out[kGemvRows];
        _mm256_store_ps(out, acc);
        for (int r = 0; r < rows.n; ++r) y[r0 + r] = out[r];
    }
}

// The 8 rows' sums of two sub-blocks per 512-bit register: p[r] holds row r's partial sums of 4 elements, its
// 256-bit halves two sub-blocks; the result is [sub-block of half 0: rows 0..7 | of half 1: rows 0..7].
inline __m512i sums_by_half(const __m512i (&p)[kGemvRows]) {
    __m512i q[4];
    for (int k = 0; k < 4; ++k)
        q[k] = _mm512_add_epi32(_mm512_unpacklo_epi32(p[2 * k], p[2 * k + 1]),
                                _mm512_unpackhi_epi32(p[2 * k], p[2 * k + 1]));
    const __m512i lo = _mm512_add_epi32(_mm512_unpacklo_epi64(q[0], q[1]), _mm512_unpackhi_epi64(q[0], q[1]));
    const __m512i hi = _mm512_add_epi32(_mm512_unpacklo_epi64(q[2], q[3]), _mm512_unpackhi_epi64(q[2], q[3]));
    return _mm512_add_epi32(_mm512_permutex2var_epi64(lo, _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13), hi),
                            _mm512_permutex2var_epi64(lo, _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15), hi));
}

// Q4_K straight from the weights (gemm_x8.hpp's gemv_direct_q4_k) with two chunks of 64 per 512-bit register: the
// low nibbles hold sub-blocks 2c and 2c + 2, the high ones 2c + 1 and 2c + 3, against the token's matching halves.
void gemv_direct2_q4_k(int64_t n, const void* w, size_t w_stride, int64_t n_rows, const void* x1, float* y, void*) {
    constexpr size_t kSB = sizeof(BlockQ4_K);
    const int64_t nb     = n / kQK32;
    const auto* xs       = static_cast<const int8_t*>(x1);
    const auto* dx       = reinterpret_cast<const float*>(xs + n);
    const auto* corr     = reinterpret_cast<const int32_t*>(dx + nb);
    const auto* wb       = static_cast<const uint8_t*>(w);
    const __m512i low4   = _mm512_set1_epi8(0x0F);
    for (int64_t r0 = 0; r0 < n_rows; r0 += kGemvRows) {
        const DirectRows rows(wb, w_stride, r0, n_rows);
        const Prefetch pf = next_rows(wb, w_stride, r0 + rows.n, n_rows, kSB / 8);
        __m256 acc        = _mm256_setzero_ps();
        for (int64_t i = 0; i < nb / 8; ++i) {
            const K4Scales ks(rows, size_t(i) * kSB);
            for (int c = 0; c < 4; c += 2) {
                const int64_t b = 8 * i + 2 * c;  // sub-blocks b .. b + 3
                for (int k = 0; k < 4; ++k) prefetch_new_lines(pf, b + k);
                const __m512i xa = _mm512_loadu_si512(xs + 32 * b), xb = _mm512_loadu_si512(xs + 32 * (b + 2));
                const __m512i xl = _mm512_shuffle_i64x2(xa, xb, 0x44), xh = _mm512_shuffle_i64x2(xa, xb, 0xEE);
                __m512i pl[kGemvRows], ph[kGemvRows];
                for (int r = 0; r < kGemvRows; ++r) {
                    const __m512i q = _mm512_loadu_si512(rows.row[r] + size_t(i) * kSB + 16 + 32 * size_t(c));
                    pl[r]           = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_and_si512(q, low4), xl);
                    ph[r] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_and_si512(_mm512_srli_epi16(q, 4), low4),
                                                xh);
                }
                const __m512i sl = sums_by_half(pl), sh = sums_by_half(ph);
                acc = ks.step(2 * c, _mm512_castsi512_si256(sl), corr[b], dx[b], acc);
                acc = ks.step(2 * c + 1, _mm512_castsi512_si256(sh), corr[b + 1], dx[b + 1], acc);
                acc = ks.step(2 * c + 2, _mm512_extracti64x4_epi64(sl, 1), corr[b + 2], dx[b + 2], acc);
                acc = ks.step(2 * c + 3, _mm512_extracti64x4_epi64(sh, 1), corr[b + 3], dx[b + 3], acc);
            }
        }
        alignas(32) float out[kGemvRows];
        _mm256_store_ps(out, acc);
        for (int r = 0; r < rows.n; ++r) y[r0 + r] = out[r];
    }
}

// Q6_K straight from the weights, the Scaled form of gemm_x8.hpp: per row and super-block, the levels of two
// blocks per 512-bit register (low nibbles of ql with qh's bits moved up), u8 x s8 pair sums by maddubs (exact:
// 2 * 63 * 127 < 2^15), and vpdpwssd multiplies each pair by its 16 elements' int8 scale into int32 lanes, so the
// super-block's S = sum_h sc_h (sum_h q x - 32 sum_h x) stays one integer per row (the -32 term from the token's
// half sums, also by scale), reduced across lanes once per super-block, then acc += (d_w d_x) S as the tile does.
void gemv_direct2_q6_k(int64_t n, const void* w, size_t w_stride, int64_t n_rows, const void* x1, float* y, void*) {
    constexpr size_t kSB = sizeof(BlockQ6_K);
    const int64_t nb     = n / kQK32;
    const auto* xs       = static_cast<const int8_t*>(x1);
    const auto* dx       = reinterpret_cast<const float*>(xs + n);
    const auto* corr     = reinterpret_cast<const int32_t*>(dx + nb);
    const auto* wb       = static_cast<const uint8_t*>(w);
    const __m512i low4 = _mm512_set1_epi8(0x0F), bits45 = _mm512_set1_epi8(0x30);
    // vpermw indices: 16-bit lanes of register k (elements 64k .. 64k + 63) take scale 4k + lane / 8
    __m512i pick[4];
    for (int k = 0; k < 4; ++k) {
        alignas(64) int16_t idx[32];
        for (int l = 0; l < 32; ++l) idx[l] = int16_t(4 * k + l / 8);
        pick[k] = _mm512_load_si512(idx);
    }
    for (int64_t r0 = 0; r0 < n_rows; r0 += kGemvRows) {
        const DirectRows rows(wb, w_stride, r0, n_rows);
        const Prefetch pf = next_rows(wb, w_stride, r0 + rows.n, n_rows, kSB / 8);
        __m256 acc        = _mm256_setzero_ps();
        for (int64_t i = 0; i < nb / 8; ++i) {
            for (int k = 0; k < 8; ++k) prefetch_new_lines(pf, 8 * i + k);
            const int8_t* xi   = xs + 256 * i;
            const __m256i xsum = load256(corr + 8 * i);  // the 16 halves' sums of x, as int16, in scale order
            __m512i s[kGemvRows];
            for (int r = 0; r < kGemvRows; ++r) {
                const BlockQ6_K* blk = reinterpret_cast<const BlockQ6_K*>(rows.row[r]) + i;
                const __m256i sc16 =
                    _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk->scales)));
                // -32 sum_h sc_h xsum_h, in the low 8 lanes
                __m512i acc32 = _mm512_zextsi256_si512(
                    _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, xsum), 5)));
                const __m512i sc512 = _mm512_castsi256_si512(sc16);
                for (int h = 0; h < 2; ++h) {
                    const __m512i l  = _mm512_loadu_si512(blk->ql + 64 * h);  // [elements l | 32 + l] low nibbles
                    const __m256i qh = load256(blk->qh + 32 * h);
                    const __m512i q2 = _mm512_inserti64x4(_mm512_castsi256_si512(qh), _mm256_srli_epi16(qh, 2), 1);
                    // blocks 4h, 4h + 1: low nibbles | qh bits (0, 1 | 2, 3) at 4, 5; blocks 4h + 2, 4h + 3: high
                    // nibbles | qh bits (4, 5 | 6, 7)
                    const __m512i ua = _mm512_ternarylogic_epi32(l, _mm512_and_si512(_mm512_slli_epi16(q2, 4), bits45),
                                                                 low4, 0xEC);  // (a & c) | b
                    const __m512i ub =
                        _mm512_ternarylogic_epi32(_mm512_srli_epi16(l, 4), _mm512_and_si512(q2, bits45), low4, 0xEC);
                    const __m512i xa = _mm512_loadu_si512(xi + 128 * h), xb = _mm512_loadu_si512(xi + 128 * h + 64);
                    acc32 = _mm512_dpwssd_epi32(acc32, _mm512_maddubs_epi16(ua, xa),
                                                _mm512_permutexvar_epi16(pick[2 * h], sc512));
                    acc32 = _mm512_dpwssd_epi32(acc32, _mm512_maddubs_epi16(ub, xb),
                                                _mm512_permutexvar_epi16(pick[2 * h + 1], sc512));
                }
                s[r] = acc32;
            }
            const __m512i h2 = sums_by_half(s);
            const __m256i S  = _mm256_add_epi32(_mm512_castsi512_si256(h2), _mm512_extracti64x4_epi64(h2, 1));
            const __m256 dw  = rows.f16x8(size_t(i) * kSB + offsetof(BlockQ6_K, d));
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(S), _mm256_mul_ps(dw, _mm256_set1_ps(dx[8 * i])), acc);
        }
        alignas(32) float out[kGemvRows];
        _mm256_store_ps(out, acc);
        for (int r = 0; r < rows.n; ++r) y[r0 + r] = out[r];
    }
}

}  // namespace
}  // namespace vnni

void fill_avx512_vnni(KernelTable& t) {
    using x8::Form;
    t.gemm_x8[uint32_t(DType::Q8_0)] = x8::gemm_x8<vnni::VnniTile<>, x8::decode_q8_0>;
    t.gemv_x8[uint32_t(DType::Q8_0)] = vnni::gemv_direct2<vnni::Direct2Q8_0>;
    t.gemm_x8[uint32_t(DType::Q4_0)] = x8::gemm_x8<vnni::VnniTile<>, x8::decode_q4_0>;
    t.gemv_x8[uint32_t(DType::Q4_0)] = vnni::gemv_direct2<vnni::Direct2Q4_0>;
    t.gemm_x8[uint32_t(DType::Q5_0)] = x8::gemm_x8<vnni::VnniTile<>, x8::decode_q5_0>;
    t.gemv_x8[uint32_t(DType::Q5_0)] = x8::gemv_x8<vnni::VnniDot, Form::Offset, x8::decode_q5_0>;
    t.gemm_x8[uint32_t(DType::Q4_1)] = x8::gemm_x8<vnni::VnniTile<Form::Mins>, x8::decode_q_1<false>>;
    t.gemv_x8[uint32_t(DType::Q4_1)] = x8::gemv_x8<vnni::VnniDot, Form::Mins, x8::decode_q_1<false>>;
    t.gemm_x8[uint32_t(DType::Q5_1)] = x8::gemm_x8<vnni::VnniTile<Form::Mins>, x8::decode_q_1<true>>;
    t.gemv_x8[uint32_t(DType::Q5_1)] = x8::gemv_x8<vnni::VnniDot, Form::Mins, x8::decode_q_1<true>>;
    t.gemm_x8[uint32_t(DType::Q4_K)] = x8::gemm_x8<vnni::VnniTile<Form::Mins>, x8::decode_k4<false>>;
    t.gemv_x8[uint32_t(DType::Q4_K)] = vnni::gemv_direct2_q4_k;
    t.gemm_x8[uint32_t(DType::Q5_K)] = x8::gemm_x8<vnni::VnniTile<Form::Mins>, x8::decode_k4<true>>;
    t.gemv_x8[uint32_t(DType::Q5_K)] = x8::gemv_x8<vnni::VnniDot, Form::Mins, x8::decode_k4<true>>;
    t.gemm_x8[uint32_t(DType::Q6_K)] = x8::gemm_x8<vnni::VnniTile<Form::Scaled>, x8::decode_q6_k>;
    t.gemv_x8[uint32_t(DType::Q6_K)] = vnni::gemv_direct2_q6_k;
}

}  // namespace ts::core::kernels
