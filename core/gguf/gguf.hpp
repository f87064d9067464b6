// GGUF (v2, v3) file model: metadata values and tensor infos, shared by the reader and the writer.
// Spec: ggml's docs/gguf.md. All integers little-endian. Strings: u64 length + bytes (no NUL).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor/tensor.hpp"

namespace ts::core::gguf {

enum class ValueType : uint32_t {
    U8     = 0,
    I8     = 1,
    U16    = 2,
    I16    = 3,
    U32    = 4,
    I32    = 5,
    F32    = 6,
    Bool   = 7,
    String = 8,
    Array  = 9,
    U64    = 10,
    I64    = 11,
    F64    = 12,
};

// One metadata value. Scalars live in u / i / f / b by kind; arrays hold their element type and elements
// (arrays of arrays are allowed by the spec and supported).
struct Value {
    ValueType type = ValueType::U32;
    uint64_t u     = 0;  // U8 U16 U32 U64
    int64_t i      = 0;  // I8 I16 I32 I64
    double f       = 0;  // F32 F64
    bool b         = false;
    std::string s;                        // String
    ValueType elem_type = ValueType::U8;  // Array: the type of every element
    std::vector<Value> arr;               // Array

    static Value make_u8(uint8_t v);
    static Value make_i8(int8_t v);
    static Value make_u16(uint16_t v);
    static Value make_i16(int16_t v);
    static Value make_u32(uint32_t v);
    static Value make_i32(int32_t v);
    static Value make_u64(uint64_t v);
    static Value make_i64(int64_t v);
    static Value make_f32(float v);
    static Value make_f64(double v);
    static Value make_bool(bool v);
    static Value make_string(std::string v);
    static Value make_array(ValueType elem, std::vector<Value> elems);
    static Value make_string_array(const std::vector<std::string>& v);
    static Value make_f32_array(const std::vector<float>& v);
    static Value make_i32_array(const std::vector<int32_t>& v);

    // Numeric value as the wanted kind, if this is any integer (resp. any number) type in range.
    [[nodiscard]] bool as_u64(uint64_t& out) const;
    [[nodiscard]] bool as_i64(int64_t& out) const;
    [[nodiscard]] bool as_f64(double& out) const;
};

struct KeyValue {
    std::string key;
    Value value;
};

// "u8", "string", "array", ...; "unknown" for ids outside the spec.
const char* value_type_name(ValueType t);
// Whether a raw type id from a file is one of the spec's value types.
bool is_valid_value_type(uint32_t t);
// Bytes of one scalar of this type in a file (0 for String and Array, whose size depends on their contents).
size_t value_type_size(ValueType t);

}  // namespace ts::core::gguf
