// Internal: small AVX2 helpers shared by the AVX2 and AVX-512 kernel files. Include only from files compiled
// with -mavx2 -mfma -mf16c (ops_avx2*.cpp, ops_avx512*.cpp). The helpers have internal linkage on purpose: an
// inline function with external linkage compiled once with -mavx512f and once with -mavx2 is one symbol to the
// linker, which could hand AVX-512 code to the AVX2 path. For the same reason these files call no inline
// function of a shared header (fp16.hpp, blocks.hpp's unpack_scales_k4) at run time.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace ts::core::kernels::avx2 {
namespace {  // NOLINT(google-build-namespaces): see the file comment

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s        = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s        = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float hsum(__m128 s) {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float f16(uint16_t h) {
    return _cvtsh_ss(h);
}

// The 6-bit scales and minimums of a Q4_K / Q5_K super-block: blocks.hpp's unpack_scales_k4, four bytes at a time
// (the same bit moves in 32-bit words), here for the reason in the file comment.
inline void unpack_k4(const uint8_t* s, uint8_t* sc, uint8_t* mn) {
    uint32_t u0, u1, u2;
    std::memcpy(&u0, s, 4);
    std::memcpy(&u1, s + 4, 4);
    std::memcpy(&u2, s + 8, 4);
    const uint32_t sc_lo = u0 & 0x3F3F3F3Fu, mn_lo = u1 & 0x3F3F3F3Fu;
    const uint32_t sc_hi = (u2 & 0x0F0F0F0Fu) | (((u0 >> 6) & 0x03030303u) << 4);
    const uint32_t mn_hi = ((u2 >> 4) & 0x0F0F0F0Fu) | (((u1 >> 6) & 0x03030303u) << 4);
    std::memcpy(sc, &sc_lo, 4);
    std::memcpy(sc + 4, &sc_hi, 4);
    std::memcpy(mn, &mn_lo, 4);
    std::memcpy(mn + 4, &mn_hi, 4);
}

// 8 int32 sums of 4 products each: unsigned bytes u (< 128 where it matters) times signed bytes s.
inline __m256i dot_u8i8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// The same for signed x signed: |x| times y with x's sign moved onto y (maddubs needs one unsigned operand).
inline __m256i dot_i8i8(__m256i x, __m256i y) {
    return dot_u8i8(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

// 32 bytes of 0xFF / 0x00: byte j is 0xFF iff bit j of x is set.
inline __m256i bytes_from_bits(uint32_t x) {
    const __m256i spread = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
    const __m256i bit    = _mm256_set1_epi64x(int64_t(0x8040201008040201));
    const __m256i v      = _mm256_shuffle_epi8(_mm256_set1_epi32(int32_t(x)), spread);
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

// The 32 nibbles of 16 bytes in element order: low nibbles (elements 0..15) then high nibbles (16..31).
// The 16 bytes go to both halves by a broadcast load and the upper half is shifted by a per-lane count: no
// cross-lane shuffle (on Intel those all compete for one port, which the int8 kernels already keep busy).
inline __m256i nibbles(const uint8_t* qs) {
    const __m256i q = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
    return _mm256_and_si256(_mm256_srlv_epi64(q, _mm256_set_epi64x(4, 4, 0, 0)), _mm256_set1_epi8(0x0F));
}

inline __m256i load256(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

inline uint32_t load_u32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

}  // namespace
}  // namespace ts::core::kernels::avx2
