// GGUF metadata values: reads one typed value (scalars, strings, arrays, arrays of arrays) with every length and
// count checked against the bytes left before anything is allocated, and the cursor's error messages.
#include <string>

#include "core/gguf/gguf_parse.hpp"

namespace ts::core::gguf {

namespace {

using ull = unsigned long long;

// Bytes the smallest element of this type takes in a file: a scalar's size, a string's length field, an array's
// element type + count.
uint64_t min_element_bytes(ValueType t) {
    if (t == ValueType::String) return 8;
    if (t == ValueType::Array) return 4 + 8;
    return value_type_size(t);
}

template <typename T>
T load(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

// Decodes a scalar of known size from p (the caller checked the bytes are there). Bool must be 0 or 1.
bool decode_scalar(ValueType t, const uint8_t* p, Value& v) {
    v.type = t;
    switch (t) {
        case ValueType::U8:
            v.u = load<uint8_t>(p);
            return true;
        case ValueType::I8:
            v.i = load<int8_t>(p);
            return true;
        case ValueType::U16:
            v.u = load<uint16_t>(p);
            return true;
        case ValueType::I16:
            v.i = load<int16_t>(p);
            return true;
        case ValueType::U32:
            v.u = load<uint32_t>(p);
            return true;
        case ValueType::I32:
            v.i = load<int32_t>(p);
            return true;
        case ValueType::F32:
            v.f = load<float>(p);
            return true;
        case ValueType::U64:
            v.u = load<uint64_t>(p);
            return true;
        case ValueType::I64:
            v.i = load<int64_t>(p);
            return true;
        case ValueType::F64:
            v.f = load<double>(p);
            return true;
        case ValueType::Bool:
            v.b = p[0] != 0;
            return p[0] <= 1;
        case ValueType::String:
        case ValueType::Array:
            break;
    }
    return false;
}

Status read_array(Cursor& c, Value& out, int depth, const std::string& key, ValueBudget& budget) {
    uint32_t elem = 0;
    TS_TRY(c.read(elem, [&] { return "the element type of array '" + key + "'"; }));
    if (!is_valid_value_type(elem)) {
        return make_error(Code::kFormat, "%s: key '%s': array of unknown value type %u at offset %zu", c.name(),
                          key.c_str(), elem, c.pos() - 4);
    }
    const auto elem_type = ValueType(elem);
    if (elem_type == ValueType::Array && depth + 1 >= kMaxArrayDepth) {
        return make_error(Code::kFormat, "%s: key '%s': arrays nested more than %d deep", c.name(), key.c_str(),
                          kMaxArrayDepth);
    }
    uint64_t count = 0;
    TS_TRY(c.read(count, [&] { return "the element count of array '" + key + "'"; }));
    const uint64_t min_bytes = min_element_bytes(elem_type);
    if (count > c.left() / min_bytes) {
        return make_error(Code::kFormat,
                          "%s: key '%s': array of %llu %s elements cannot fit in the %llu bytes left (at offset %zu)",
                          c.name(), key.c_str(), ull(count), value_type_name(elem_type), ull(c.left()), c.pos());
    }
    TS_TRY(budget.take(c, count, key));

    out.type      = ValueType::Array;
    out.elem_type = elem_type;
    out.arr.resize(size_t(count));
    if (min_bytes > 0 && elem_type != ValueType::String && elem_type != ValueType::Array) {
        // Scalars: the whole array is known to be present (count * size <= left, checked above).
        const uint8_t* p = c.data() + c.pos();
        for (uint64_t i = 0; i < count; ++i, p += min_bytes) {
            if (!decode_scalar(elem_type, p, out.arr[size_t(i)])) {
                return make_error(Code::kFormat, "%s: key '%s': element %llu is a bool of value %u (must be 0 or 1)",
                                  c.name(), key.c_str(), ull(i), unsigned(*p));
            }
        }
        c.skip(size_t(count * min_bytes));
        return {};
    }
    for (uint64_t i = 0; i < count; ++i) {
        Value& e = out.arr[size_t(i)];
        if (elem_type == ValueType::String) {
            e.type = ValueType::String;
            TS_TRY(c.read_string(e.s, kMaxStringLength,
                                 [&] { return "string " + std::to_string(i) + " of array '" + key + "'"; }));
            if (e.s.size() > 15) TS_TRY(budget.take_bytes(c, e.s.size() + 1, key));  // beyond the SSO buffer
        } else {
            e.type = ValueType::Array;
            TS_TRY(read_array(c, e, depth + 1, key, budget));
        }
    }
    return {};
}

}  // namespace

Error Cursor::truncated(size_t need, const std::string& what) const {
    return make_error(Code::kFormat,
                      "%s: truncated at offset %zu: %s needs %zu bytes, only %zu left (file has %zu bytes)", name(),
                      pos_, what.c_str(), need, left(), size_);
}

Error Cursor::bad_length(uint64_t len, uint64_t max_len, const std::string& what, bool past_end) const {
    if (past_end) {
        return make_error(Code::kFormat,
                          "%s: truncated at offset %zu: %s has length %llu, more than the %zu bytes left in the file",
                          name(), pos_, what.c_str(), ull(len), left() - 8);
    }
    return make_error(Code::kFormat, "%s: %s at offset %zu has length %llu, over the limit of %llu bytes", name(),
                      what.c_str(), pos_, ull(len), ull(max_len));
}

Status ValueBudget::take(const Cursor& c, uint64_t n, const std::string& key) {
    if (n > kMaxMetadataValues - used_) {
        return make_error(Code::kFormat, "%s: key '%s': more than %llu metadata values in total", c.name(), key.c_str(),
                          ull(kMaxMetadataValues));
    }
    used_ += n;
    return take_bytes(c, n * sizeof(Value), key);  // n <= 2^22: no overflow
}

Status ValueBudget::take_bytes(const Cursor& c, uint64_t bytes, const std::string& key) {
    if (bytes > max_bytes_ - bytes_) {
        return make_error(Code::kFormat,
                          "%s: key '%s': the metadata would take more than %llu MiB of memory (%llu MiB + %llu x the "
                          "file's %zu bytes); the file is mostly metadata values, which is not a model",
                          c.name(), key.c_str(), ull(max_bytes_ >> 20), ull(kMetadataMemorySlack >> 20),
                          ull(kMetadataMemoryPerFileByte), c.size());
    }
    bytes_ += bytes;
    return {};
}

Status read_value(Cursor& c, uint32_t type, Value& out, int depth, const std::string& key, ValueBudget& budget) {
    if (!is_valid_value_type(type)) {
        return make_error(Code::kFormat, "%s: key '%s' has unknown value type %u (at offset %zu)", c.name(),
                          key.c_str(), type, c.pos() - 4);
    }
    const auto t = ValueType(type);
    if (t == ValueType::Array) return read_array(c, out, depth, key, budget);
    if (t == ValueType::String) {
        out.type = ValueType::String;
        return c.read_string(out.s, kMaxStringLength, [&] { return "the string value of key '" + key + "'"; });
    }
    const size_t n = value_type_size(t);
    if (c.left() < n) {
        return c.truncated(n, std::string("the ") + value_type_name(t) + " value of key '" + key + "'");
    }
    if (!decode_scalar(t, c.data() + c.pos(), out)) {
        return make_error(Code::kFormat, "%s: key '%s' is a bool of value %u (must be 0 or 1)", c.name(), key.c_str(),
                          unsigned(c.data()[c.pos()]));
    }
    c.skip(n);
    return {};
}

}  // namespace ts::core::gguf
