// Reading one metadata key of a GGUF file as llama.cpp's loader reads it, with a one-line error naming the key when it
// is missing, of the wrong type or out of range (hparams_keys.hpp).
#include "core/model/hparams_keys.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>

#include "core/gguf/gguf_reader.hpp"

namespace ts::core::model_detail {

// "m.gguf: metadata key 'general.architecture' has type u32, expected string": a key that is present with the
// wrong type is not "missing".
Error wrong_type(const gguf::GgufFile& f, const std::string& key, const gguf::Value& v, const char* expected) {
    return make_error(Code::kFormat, "%s: metadata key '%s' has type %s, expected %s", f.name().c_str(), key.c_str(),
                      gguf::value_type_name(v.type), expected);
}

bool is_integer(gguf::ValueType t) {
    using VT = gguf::ValueType;
    return t == VT::U8 || t == VT::I8 || t == VT::U16 || t == VT::I16 || t == VT::U32 || t == VT::I32 || t == VT::U64 ||
           t == VT::I64;
}

// A required or defaulted integer key, in [1, INT_MAX].
Status read_int(const gguf::GgufFile& f, const std::string& key, int& out, bool required) {
    const gguf::Value* v = f.find(key);
    if (!v) {
        if (required)
            return make_error(Code::kFormat, "%s: metadata key '%s' is missing", f.name().c_str(), key.c_str());
        return {};
    }
    if (!is_integer(v->type)) return wrong_type(f, key, *v, "an integer");
    uint64_t ux = 0;
    int64_t sx  = 0;
    if (!v->as_u64(ux) || ux == 0 || ux > uint64_t(INT_MAX)) {
        const std::string got = v->as_i64(sx) ? std::to_string(sx) : std::to_string(v->u);
        return make_error(Code::kFormat, "%s: metadata key '%s' is %s, expected a positive integer up to %d",
                          f.name().c_str(), key.c_str(), got.c_str(), INT_MAX);
    }
    out = int(ux);
    return {};
}

Status read_float(const gguf::GgufFile& f, const std::string& key, float& out) {
    const gguf::Value* v = f.find(key);
    if (!v) return {};
    double x = 0;
    if (!v->as_f64(x)) return wrong_type(f, key, *v, "a number");
    // Finite as a float too: an f64 of 1e300 is finite but becomes inf when narrowed.
    if (!std::isfinite(x) || !std::isfinite(float(x)))
        return make_error(Code::kFormat, "%s: metadata key '%s' must be a finite number (a float)", f.name().c_str(),
                          key.c_str());
    out = float(x);
    return {};
}

// A required string key.
Result<std::string> read_string(const gguf::GgufFile& f, const std::string& key) {
    const gguf::Value* v = f.find(key);
    if (!v) return make_error(Code::kFormat, "%s: metadata key '%s' is missing", f.name().c_str(), key.c_str());
    if (v->type != gguf::ValueType::String) return wrong_type(f, key, *v, "string");
    return v->s;
}

// A key llama.cpp reads for another variant of the architecture that would change the computation here: refused
// when present with a value other than `expected`.
Status refuse_other(const gguf::GgufFile& f, const std::string& key, int expected, const char* why) {
    int v = expected;
    TS_TRY(read_int(f, key, v, false));
    if (v != expected)
        return make_error(Code::kUnsupported, "%s: metadata key '%s' is %d: %s (only %d is supported)",
                          f.name().c_str(), key.c_str(), v, why, expected);
    return {};
}

// attention.sliding_window_pattern as an array: one bool (or integer) per layer, true for a sliding-window layer.
Status read_layer_flags(const gguf::GgufFile& f, const std::string& key, Hparams& hp) {
    const char* path     = f.name().c_str();
    const gguf::Value* v = f.find(key);
    if (!v) return make_error(Code::kFormat, "%s: metadata key '%s' is missing", path, key.c_str());
    if (v->type != gguf::ValueType::Array || v->arr.size() != size_t(hp.n_layer))
        return make_error(Code::kFormat, "%s: metadata key '%s' must be an array of %d bools (one per layer)", path,
                          key.c_str(), hp.n_layer);
    hp.swa_layers.assign(size_t(hp.n_layer), 0);
    for (size_t il = 0; il < v->arr.size(); ++il) {
        uint64_t b = 0;
        if (v->arr[il].type == gguf::ValueType::Bool) {
            b = v->arr[il].b ? 1 : 0;
        } else if (!v->arr[il].as_u64(b)) {
            return make_error(Code::kFormat, "%s: metadata key '%s' must be an array of bools", path, key.c_str());
        }
        hp.swa_layers[il] = b ? 1 : 0;
    }
    return {};
}

// A count where 0 (or, for the groups, 1) means "none", so read_int's positive check does not apply: refused when
// it is more than max_ok.
Status refuse_count(const gguf::GgufFile& f, const std::string& a, const char* key, uint64_t max_ok, const char* why) {
    const gguf::Value* v = f.find(a + key);
    uint64_t n           = 0;
    if (v && (!is_integer(v->type) || !v->as_u64(n) || n > max_ok))
        return make_error(Code::kUnsupported, "%s: metadata key '%s%s' is %s: %s", f.name().c_str(), a.c_str(), key,
                          v->as_u64(n) ? std::to_string(n).c_str() : "not a count", why);
    return {};
}

// An integer key that may also be an array of one value per layer (llama.cpp's get_key_or_arr): `out` gets the
// largest value and, for an array whose values differ, `per_layer` every layer's (else it stays empty).
Status read_int_per_layer(const gguf::GgufFile& f, const std::string& key, int n_layer, int& out,
                          std::vector<int>& per_layer, bool required) {
    const gguf::Value* v = f.find(key);
    if (!v || v->type != gguf::ValueType::Array || n_layer == 0) return read_int(f, key, out, required);
    if (v->arr.size() != size_t(n_layer))
        return make_error(Code::kFormat, "%s: metadata key '%s' has %zu entries for %d layers", f.name().c_str(),
                          key.c_str(), v->arr.size(), n_layer);
    per_layer.assign(size_t(n_layer), 0);
    for (size_t il = 0; il < v->arr.size(); ++il) {
        uint64_t u = 0;
        if (!is_integer(v->arr[il].type) || !v->arr[il].as_u64(u) || u == 0 || u > uint64_t(INT_MAX))
            return make_error(Code::kFormat, "%s: metadata key '%s' must hold positive integers (entry %zu)",
                              f.name().c_str(), key.c_str(), il);
        per_layer[il] = int(u);
    }
    out = *std::max_element(per_layer.begin(), per_layer.end());
    if (std::all_of(per_layer.begin(), per_layer.end(), [&](int x) { return x == out; })) per_layer.clear();
    return {};
}

// A count that may be 0 (absent: 0), in [0, INT_MAX].
Status read_count(const gguf::GgufFile& f, const std::string& key, int& out) {
    const gguf::Value* v = f.find(key);
    uint64_t u           = 0;
    if (!v) return {};
    if (!is_integer(v->type) || !v->as_u64(u) || u > uint64_t(INT_MAX))
        return make_error(Code::kFormat, "%s: metadata key '%s' must be a count", f.name().c_str(), key.c_str());
    out = int(u);
    return {};
}

}  // namespace ts::core::model_detail
