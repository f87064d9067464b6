// Element types of tensors, numbered exactly as ggml / GGUF number them (ggml_type), with their block geometry.
// Header-only and dependency-free so the GGUF reader can validate tensor sizes without the kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ts::core {

enum class DType : uint32_t {
    F32  = 0,
    F16  = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    I8   = 24,
    I16  = 25,
    I32  = 26,
    I64  = 27,
    F64  = 28,
    BF16 = 30,
};

struct DTypeInfo {
    DType type;
    std::string_view name;  // as ggml names it: "f32", "q4_K", ...
    uint32_t block_size;    // elements per block (1 for plain types)
    uint32_t type_size;     // bytes per block
    bool supported;         // can we dequantise it / use it as weights?
};

// Block sizes and byte sizes follow ggml's block_* structs (ggml-common.h): QK4_0 = 32, QK_K = 256.
inline constexpr DTypeInfo kDTypeInfos[] = {
    {DType::F32, "f32", 1, 4, true},       {DType::F16, "f16", 1, 2, true},
    {DType::Q4_0, "q4_0", 32, 18, true},   {DType::Q4_1, "q4_1", 32, 20, true},
    {DType::Q5_0, "q5_0", 32, 22, true},   {DType::Q5_1, "q5_1", 32, 24, true},
    {DType::Q8_0, "q8_0", 32, 34, true},   {DType::Q8_1, "q8_1", 32, 36, false},
    {DType::Q2_K, "q2_K", 256, 84, false}, {DType::Q3_K, "q3_K", 256, 110, false},
    {DType::Q4_K, "q4_K", 256, 144, true}, {DType::Q5_K, "q5_K", 256, 176, true},
    {DType::Q6_K, "q6_K", 256, 210, true}, {DType::Q8_K, "q8_K", 256, 292, false},
    {DType::I8, "i8", 1, 1, false},        {DType::I16, "i16", 1, 2, false},
    {DType::I32, "i32", 1, 4, false},      {DType::I64, "i64", 1, 8, false},
    {DType::F64, "f64", 1, 8, false},      {DType::BF16, "bf16", 1, 2, true},
};

// The info of a raw type id from a file, or nullopt for ids ggml does not define (or removed types 4, 5, ...).
[[nodiscard]] constexpr std::optional<DTypeInfo> dtype_info(uint32_t id) {
    for (const auto& i : kDTypeInfos)
        if (uint32_t(i.type) == id) return i;
    return std::nullopt;
}

[[nodiscard]] constexpr DTypeInfo dtype_info(DType t) {
    return *dtype_info(uint32_t(t));
}

[[nodiscard]] constexpr std::string_view dtype_name(DType t) {
    return dtype_info(t).name;
}

// Bytes of a row of n elements; n must be a multiple of the block size (checked by callers that read files).
[[nodiscard]] constexpr size_t row_bytes(DType t, int64_t n) {
    const DTypeInfo i = dtype_info(t);
    return size_t(n / i.block_size) * i.type_size;
}

}  // namespace ts::core
