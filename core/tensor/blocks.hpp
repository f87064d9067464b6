// The quantised block layouts, byte for byte those of ggml's block_* structs (ggml-common.h), so rows read from a
// GGUF file are used in place. f16 fields are stored as raw uint16_t bits (converted with core/base/fp16.hpp).
//
// Element order inside a block (the part that is easy to get wrong):
//   Q4_0/Q4_1: element j < 16 is the low nibble of qs[j], element j + 16 the high nibble of qs[j].
//   Q5_0/Q5_1: as Q4, plus bit j of the little-endian uint32 qh is the 5th bit (value 16) of element j.
//   Q4_K/Q5_K: 256 elements in 4 chunks of 64; chunk c uses qs[32c .. 32c+31]: low nibbles are elements
//              64c .. 64c+31 (sub-block 2c), high nibbles 64c+32 .. 64c+63 (sub-block 2c+1). Q5_K's 5th bit of
//              element 64c + l is bit 2c of qh[l], of element 64c + 32 + l bit 2c+1 of qh[l]. Each of the 8
//              sub-blocks of 32 has a 6-bit scale and a 6-bit min packed in scales[12] (see unpack_scales_k4).
//              x = d * scale * q - dmin * min.
//   Q6_K:      two halves of 128; in half h (ql += 64h, qh += 32h, scales += 8h), for l in [0, 32):
//              element l      = low  nibble of ql[l]      | ((qh[l] >> 0) & 3) << 4
//              element l + 32 = low  nibble of ql[l + 32] | ((qh[l] >> 2) & 3) << 4
//              element l + 64 = high nibble of ql[l]      | ((qh[l] >> 4) & 3) << 4
//              element l + 96 = high nibble of ql[l + 32] | ((qh[l] >> 6) & 3) << 4
//              minus 32, times d * scales[e / 16] for element e of the whole block.
//   Q8_K:      d is f32; bsums[i] is the sum of qs[16i .. 16i+15] (used to apply the K-quants' mins cheaply).
#pragma once

#include <cstdint>

#include "core/tensor/dtype.hpp"

namespace ts::core {

inline constexpr int kQK32 = 32;   // QK4_0 = QK4_1 = QK5_0 = QK5_1 = QK8_0
inline constexpr int kQKK  = 256;  // QK_K

struct BlockQ4_0 {
    uint16_t d;
    uint8_t qs[16];
};
struct BlockQ4_1 {
    uint16_t d, m;
    uint8_t qs[16];
};
struct BlockQ5_0 {
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[16];
};
struct BlockQ5_1 {
    uint16_t d, m;
    uint8_t qh[4];
    uint8_t qs[16];
};
struct BlockQ8_0 {
    uint16_t d;
    int8_t qs[32];
};
struct BlockQ4_K {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qs[128];
};
struct BlockQ5_K {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[32];
    uint8_t qs[128];
};
struct BlockQ6_K {
    uint8_t ql[128];
    uint8_t qh[64];
    int8_t scales[16];
    uint16_t d;
};
struct BlockQ8_K {
    float d;
    int8_t qs[256];
    int16_t bsums[16];
};

static_assert(sizeof(BlockQ4_0) == dtype_info(DType::Q4_0).type_size);
static_assert(sizeof(BlockQ4_1) == dtype_info(DType::Q4_1).type_size);
static_assert(sizeof(BlockQ5_0) == dtype_info(DType::Q5_0).type_size);
static_assert(sizeof(BlockQ5_1) == dtype_info(DType::Q5_1).type_size);
static_assert(sizeof(BlockQ8_0) == dtype_info(DType::Q8_0).type_size);
static_assert(sizeof(BlockQ4_K) == dtype_info(DType::Q4_K).type_size);
static_assert(sizeof(BlockQ5_K) == dtype_info(DType::Q5_K).type_size);
static_assert(sizeof(BlockQ6_K) == dtype_info(DType::Q6_K).type_size);
static_assert(sizeof(BlockQ8_K) == dtype_info(DType::Q8_K).type_size);
static_assert(dtype_info(DType::Q4_0).block_size == kQK32 && dtype_info(DType::Q4_K).block_size == kQKK);

// The 8 six-bit scales and 8 six-bit mins of a Q4_K / Q5_K block. scales[0..3] hold scale 0..3 in their low 6
// bits, scales[4..7] hold min 0..3; scale/min 4..7 keep their low 4 bits in scales[8..11] (scale low, min high
// nibble) and their top 2 bits in the top 2 bits of scales[0..3] (scales) and scales[4..7] (mins).
inline void unpack_scales_k4(const uint8_t* s, uint8_t* sc, uint8_t* mn) {
    for (int j = 0; j < 4; ++j) {
        sc[j]     = s[j] & 63;
        mn[j]     = s[j + 4] & 63;
        sc[j + 4] = uint8_t((s[j + 8] & 0xF) | ((s[j] >> 6) << 4));
        mn[j + 4] = uint8_t((s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4));
    }
}

// The inverse of unpack_scales_k4; every value must be < 64.
inline void pack_scales_k4(const uint8_t* sc, const uint8_t* mn, uint8_t* s) {
    for (int j = 0; j < 4; ++j) {
        s[j]     = uint8_t(sc[j] | ((sc[j + 4] >> 4) << 6));
        s[j + 4] = uint8_t(mn[j] | ((mn[j + 4] >> 4) << 6));
        s[j + 8] = uint8_t((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
    }
}

// The type activations are quantised to before a dot with a weight row of type t ("vec_dot_type" in ggml):
// Q8_0 for the 32-element blocks, Q8_K for the K-quants, F32 for F32 / F16 / BF16.
constexpr DType companion_type(DType t) {
    switch (t) {
        case DType::Q4_0:
        case DType::Q4_1:
        case DType::Q5_0:
        case DType::Q5_1:
        case DType::Q8_0:
            return DType::Q8_0;
        case DType::Q4_K:
        case DType::Q5_K:
        case DType::Q6_K:
            return DType::Q8_K;
        default:
            return DType::F32;
    }
}

}  // namespace ts::core
