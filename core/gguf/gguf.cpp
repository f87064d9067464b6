// GGUF metadata values: constructors, numeric conversions and type names shared by the reader and the writer.
#include "core/gguf/gguf.hpp"

#include <limits>

namespace ts::core::gguf {

namespace {

Value make_unsigned(ValueType t, uint64_t v) {
    Value r;
    r.type = t;
    r.u    = v;
    return r;
}

Value make_signed(ValueType t, int64_t v) {
    Value r;
    r.type = t;
    r.i    = v;
    return r;
}

Value make_float(ValueType t, double v) {
    Value r;
    r.type = t;
    r.f    = v;
    return r;
}

bool is_unsigned(ValueType t) {
    return t == ValueType::U8 || t == ValueType::U16 || t == ValueType::U32 || t == ValueType::U64;
}

bool is_signed(ValueType t) {
    return t == ValueType::I8 || t == ValueType::I16 || t == ValueType::I32 || t == ValueType::I64;
}

}  // namespace

Value Value::make_u8(uint8_t v) {
    return make_unsigned(ValueType::U8, v);
}
Value Value::make_i8(int8_t v) {
    return make_signed(ValueType::I8, v);
}
Value Value::make_u16(uint16_t v) {
    return make_unsigned(ValueType::U16, v);
}
Value Value::make_i16(int16_t v) {
    return make_signed(ValueType::I16, v);
}
Value Value::make_u32(uint32_t v) {
    return make_unsigned(ValueType::U32, v);
}
Value Value::make_i32(int32_t v) {
    return make_signed(ValueType::I32, v);
}
Value Value::make_u64(uint64_t v) {
    return make_unsigned(ValueType::U64, v);
}
Value Value::make_i64(int64_t v) {
    return make_signed(ValueType::I64, v);
}
Value Value::make_f32(float v) {
    return make_float(ValueType::F32, v);
}
Value Value::make_f64(double v) {
    return make_float(ValueType::F64, v);
}

Value Value::make_bool(bool v) {
    Value r;
    r.type = ValueType::Bool;
    r.b    = v;
    return r;
}

Value Value::make_string(std::string v) {
    Value r;
    r.type = ValueType::String;
    r.s    = std::move(v);
    return r;
}

Value Value::make_array(ValueType elem, std::vector<Value> elems) {
    Value r;
    r.type      = ValueType::Array;
    r.elem_type = elem;
    r.arr       = std::move(elems);
    return r;
}

Value Value::make_string_array(const std::vector<std::string>& v) {
    std::vector<Value> elems;
    elems.reserve(v.size());
    for (const auto& s : v) elems.push_back(make_string(s));
    return make_array(ValueType::String, std::move(elems));
}

Value Value::make_f32_array(const std::vector<float>& v) {
    std::vector<Value> elems;
    elems.reserve(v.size());
    for (float x : v) elems.push_back(make_f32(x));
    return make_array(ValueType::F32, std::move(elems));
}

Value Value::make_i32_array(const std::vector<int32_t>& v) {
    std::vector<Value> elems;
    elems.reserve(v.size());
    for (int32_t x : v) elems.push_back(make_i32(x));
    return make_array(ValueType::I32, std::move(elems));
}

bool Value::as_u64(uint64_t& out) const {
    if (is_unsigned(type)) {
        out = u;
        return true;
    }
    if (is_signed(type) && i >= 0) {
        out = uint64_t(i);
        return true;
    }
    return false;
}

bool Value::as_i64(int64_t& out) const {
    if (is_signed(type)) {
        out = i;
        return true;
    }
    if (is_unsigned(type) && u <= uint64_t(std::numeric_limits<int64_t>::max())) {
        out = int64_t(u);
        return true;
    }
    return false;
}

bool Value::as_f64(double& out) const {
    if (type == ValueType::F32 || type == ValueType::F64) {
        out = f;
        return true;
    }
    if (is_unsigned(type)) {
        out = double(u);
        return true;
    }
    if (is_signed(type)) {
        out = double(i);
        return true;
    }
    return false;
}

const char* value_type_name(ValueType t) {
    switch (t) {
        case ValueType::U8:
            return "u8";
        case ValueType::I8:
            return "i8";
        case ValueType::U16:
            return "u16";
        case ValueType::I16:
            return "i16";
        case ValueType::U32:
            return "u32";
        case ValueType::I32:
            return "i32";
        case ValueType::F32:
            return "f32";
        case ValueType::Bool:
            return "bool";
        case ValueType::String:
            return "string";
        case ValueType::Array:
            return "array";
        case ValueType::U64:
            return "u64";
        case ValueType::I64:
            return "i64";
        case ValueType::F64:
            return "f64";
    }
    return "unknown";
}

bool is_valid_value_type(uint32_t t) {
    return t <= uint32_t(ValueType::F64);
}

size_t value_type_size(ValueType t) {
    switch (t) {
        case ValueType::U8:
        case ValueType::I8:
        case ValueType::Bool:
            return 1;
        case ValueType::U16:
        case ValueType::I16:
            return 2;
        case ValueType::U32:
        case ValueType::I32:
        case ValueType::F32:
            return 4;
        case ValueType::U64:
        case ValueType::I64:
        case ValueType::F64:
            return 8;
        case ValueType::String:
        case ValueType::Array:
            return 0;
    }
    return 0;
}

}  // namespace ts::core::gguf
