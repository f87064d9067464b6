// GGUF reader: parses and validates a whole file before handing anything out (ggml gguf.cpp's habits).
// Every read checks the bytes remaining; every count is checked against what the remaining bytes could hold
// BEFORE anything is allocated; every size goes through checked_mul / checked_add. Hostile input gives an Error
// (Code::kFormat) naming the file, the object and the numbers; it never crashes, hangs or allocates gigabytes.
// The tensor checks (shape, type, offsets, overlap) live in gguf_tensors.cpp.
#include "core/gguf/gguf_reader.hpp"

#include <algorithm>
#include <new>
#include <unordered_set>

#include "core/base/checked_math.hpp"
#include "core/gguf/gguf_parse.hpp"

namespace ts::core::gguf {

namespace {

constexpr uint64_t kDefaultAlignment = 32;
constexpr uint64_t kMaxKeyLength     = 65535;  // spec: keys are at most 2^16-1 bytes
// Smallest possible kv: key length (8) + value type (4) + a 1-byte value. Keys may not be empty, so +1.
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;

uint32_t byteswap32(uint32_t v) {
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

Status read_header(Cursor& c, uint32_t& version, uint64_t& n_tensors, uint64_t& n_kv) {
    if (c.size() < 4) {
        return make_error(Code::kFormat, "%s: not a GGUF file: %zu bytes, too short for the magic", c.name(), c.size());
    }
    const uint8_t* m = c.data();
    if (m[0] != 'G' || m[1] != 'G' || m[2] != 'U' || m[3] != 'F') {
        return make_error(Code::kFormat, "%s: not a GGUF file: bad magic %02x %02x %02x %02x (expected \"GGUF\")",
                          c.name(), m[0], m[1], m[2], m[3]);
    }
    c.skip(4);
    TS_TRY(c.read(version, "the version"));
    if (version == 1) {
        return make_error(Code::kFormat,
                          "%s: GGUF version 1 is not supported (it uses 32-bit counts); convert the model again",
                          c.name());
    }
    if (version != 2 && version != 3) {
        const uint32_t swapped = byteswap32(version);
        if (swapped >= 1 && swapped <= 3) {
            return make_error(Code::kFormat, "%s: unsupported GGUF version %u: the file looks big-endian (version %u)",
                              c.name(), version, swapped);
        }
        return make_error(Code::kFormat, "%s: unsupported GGUF version %u (supported: 2 and 3)", c.name(), version);
    }
    TS_TRY(c.read(n_tensors, "the tensor count"));
    TS_TRY(c.read(n_kv, "the metadata count"));
    // Counts against what the rest of the file could possibly hold, before anything is allocated.
    const uint64_t left = c.left();
    if (n_kv > left / kMinKvBytes) {
        return make_error(Code::kFormat,
                          "%s: metadata count %llu is impossible: each entry needs at least %llu bytes and only %llu "
                          "bytes follow the header",
                          c.name(), (unsigned long long)n_kv, (unsigned long long)kMinKvBytes,
                          (unsigned long long)left);
    }
    if (n_tensors > left / kMinTensorInfoBytes) {
        return make_error(Code::kFormat,
                          "%s: tensor count %llu is impossible: each tensor info needs at least %llu bytes and only "
                          "%llu bytes follow the header",
                          c.name(), (unsigned long long)n_tensors, (unsigned long long)kMinTensorInfoBytes,
                          (unsigned long long)left);
    }
    if (n_kv * kMinKvBytes + n_tensors * kMinTensorInfoBytes > left) {  // no overflow: both bounded by left
        return make_error(Code::kFormat,
                          "%s: %llu metadata entries and %llu tensor infos cannot fit in the %llu bytes after the "
                          "header",
                          c.name(), (unsigned long long)n_kv, (unsigned long long)n_tensors, (unsigned long long)left);
    }
    return {};
}

Status read_metadata(Cursor& c, uint64_t n_kv, std::vector<KeyValue>& kvs, uint64_t& alignment) {
    if (n_kv > kMaxMetadataValues) {
        return make_error(Code::kFormat, "%s: metadata count %llu is more than the limit of %llu values", c.name(),
                          (unsigned long long)n_kv, (unsigned long long)kMaxMetadataValues);
    }
    ValueBudget budget(c.size());
    std::unordered_set<std::string> seen;
    // Grow with what is actually read: the count is bounded by the file size, but a KeyValue is ~10x its minimum
    // size in the file.
    kvs.reserve(size_t(std::min<uint64_t>(n_kv, 1024)));
    for (uint64_t k = 0; k < n_kv; ++k) {
        KeyValue kv;
        TS_TRY(c.read_string(kv.key, kMaxKeyLength, [&] { return "the key of metadata entry " + std::to_string(k); }));
        if (kv.key.empty()) {
            return make_error(Code::kFormat, "%s: metadata entry %llu has an empty key", c.name(),
                              (unsigned long long)k);
        }
        if (!seen.insert(kv.key).second) {
            return make_error(Code::kFormat, "%s: duplicate metadata key '%s' (entry %llu)", c.name(), kv.key.c_str(),
                              (unsigned long long)k);
        }
        TS_TRY(budget.take(c, 1, kv.key));
        // The KeyValue beside its Value, the key twice (the entry and the duplicate check) and a hash node.
        TS_TRY(budget.take_bytes(c, sizeof(KeyValue) - sizeof(Value) + 2 * kv.key.size() + 64, kv.key));
        uint32_t type = 0;
        TS_TRY(c.read(type, [&] { return "the value type of key '" + kv.key + "'"; }));
        TS_TRY(read_value(c, type, kv.value, 0, kv.key, budget));
        kvs.push_back(std::move(kv));
    }

    alignment = kDefaultAlignment;
    for (const auto& kv : kvs) {
        if (kv.key != "general.alignment") continue;
        if (kv.value.type != ValueType::U32) {
            return make_error(Code::kFormat, "%s: general.alignment has type %s, expected u32", c.name(),
                              value_type_name(kv.value.type));
        }
        const uint64_t a = kv.value.u;
        if (a == 0 || (a & (a - 1)) != 0) {
            return make_error(Code::kFormat, "%s: general.alignment %llu is not a power of two", c.name(),
                              (unsigned long long)a);
        }
        alignment = a;
    }
    return {};
}

}  // namespace

Result<GgufFile> GgufFile::open(const std::string& path) {
    auto map = MappedFile::open(path);
    if (!map) return map.error();
    auto file = parse(map.value()->data(), map.value()->size(), path);
    if (!file) return file.error();
    file->map_ = std::move(map.value());
    return file;
}

Result<GgufFile> GgufFile::parse(const uint8_t* data, size_t size, const std::string& name) {
    try {
        GgufFile f;
        f.name_ = name;
        f.size_ = size;
        Cursor c(data, size, f.name_);
        uint64_t n_tensors = 0, n_kv = 0;
        TS_TRY(read_header(c, f.version_, n_tensors, n_kv));
        TS_TRY(read_metadata(c, n_kv, f.kvs_, f.alignment_));
        TS_TRY(read_tensor_infos(c, n_tensors, f.alignment_, f.tensors_, f.data_offset_));
        return f;
    } catch (const std::bad_alloc&) {
        return make_error(Code::kOutOfMemory, "%s: out of memory while reading the GGUF header", name.c_str());
    } catch (const std::length_error&) {
        return make_error(Code::kOutOfMemory, "%s: out of memory while reading the GGUF header", name.c_str());
    }
}

const Value* GgufFile::find(std::string_view key) const {
    for (const auto& kv : kvs_)
        if (kv.key == key) return &kv.value;
    return nullptr;
}

std::optional<uint64_t> GgufFile::get_u64(std::string_view key) const {
    uint64_t v     = 0;
    const Value* p = find(key);
    if (p && p->as_u64(v)) return v;
    return std::nullopt;
}

std::optional<int64_t> GgufFile::get_i64(std::string_view key) const {
    int64_t v      = 0;
    const Value* p = find(key);
    if (p && p->as_i64(v)) return v;
    return std::nullopt;
}

std::optional<double> GgufFile::get_f64(std::string_view key) const {
    double v       = 0;
    const Value* p = find(key);
    if (p && p->as_f64(v)) return v;
    return std::nullopt;
}

std::optional<bool> GgufFile::get_bool(std::string_view key) const {
    const Value* p = find(key);
    if (p && p->type == ValueType::Bool) return p->b;
    return std::nullopt;
}

std::optional<std::string> GgufFile::get_string(std::string_view key) const {
    const Value* p = find(key);
    if (p && p->type == ValueType::String) return p->s;
    return std::nullopt;
}

const Tensor* GgufFile::find_tensor(std::string_view name) const {
    for (const auto& t : tensors_)
        if (t.name == name) return &t;
    return nullptr;
}

}  // namespace ts::core::gguf
