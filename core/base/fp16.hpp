// IEEE half (f16) and bfloat16 conversions, bit-exact, without relying on compiler _Float16 support.
#pragma once

#include <cstdint>
#include <cstring>

namespace ts::core {

inline float f32_from_bits(uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline uint32_t bits_from_f32(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

// f16 -> f32, exact for every input including subnormals, inf and NaN.
inline float fp16_to_f32(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000) << 16;
    uint32_t exp        = (h >> 10) & 0x1f;
    uint32_t mant       = h & 0x3ff;
    if (exp == 0) {
        if (mant == 0) return f32_from_bits(sign);
        // subnormal: normalise
        int e = -1;
        do {
            ++e;
            mant <<= 1;
        } while ((mant & 0x400) == 0);
        mant &= 0x3ff;
        return f32_from_bits(sign | uint32_t(127 - 15 - e) << 23 | mant << 13);
    }
    if (exp == 31) return f32_from_bits(sign | 0x7f800000u | mant << 13);
    return f32_from_bits(sign | (exp + 127 - 15) << 23 | mant << 13);
}

// f32 -> f16 with round-to-nearest-even (the rounding of F16C's _cvtss_sh with mode 0).
inline uint16_t f32_to_fp16(float f) {
    uint32_t x          = bits_from_f32(f);
    const uint32_t sign = (x >> 16) & 0x8000;
    x &= 0x7fffffff;
    if (x >= 0x7f800000) return uint16_t(sign | 0x7c00 | (x > 0x7f800000 ? 0x200 : 0));  // inf / nan
    if (x >= 0x477ff000) return uint16_t(sign | 0x7c00);                                 // overflow -> inf
    if (x < 0x38800000) {                                                                // subnormal or zero
        if (x < 0x33000000) return uint16_t(sign);
        const uint32_t e     = x >> 23;
        const uint32_t m     = (x & 0x7fffff) | 0x800000;
        const uint32_t shift = 126 - e;  // 14..24
        uint32_t r           = m >> shift;
        const uint32_t rem   = m & ((1u << shift) - 1);
        const uint32_t half  = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1))) ++r;
        return uint16_t(sign | r);
    }
    uint32_t r         = ((x >> 13) - (112u << 10));
    const uint32_t rem = x & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) ++r;
    return uint16_t(sign | r);
}

inline float bf16_to_f32(uint16_t b) {
    return f32_from_bits(uint32_t(b) << 16);
}

// f32 -> bf16 with round-to-nearest-even; NaN stays NaN.
inline uint16_t f32_to_bf16(float f) {
    uint32_t x = bits_from_f32(f);
    if ((x & 0x7fffffff) > 0x7f800000) return uint16_t((x >> 16) | 64);
    return uint16_t((x + (0x7fff + ((x >> 16) & 1))) >> 16);
}

}  // namespace ts::core
