// GGUF v3 writer: header, metadata, tensor infos, then the data section with every tensor aligned.
// Misuse by our own code (a tensor whose byte count does not match its shape, an array with mixed element types)
// is a bug, so it trips TS_CHECK; only I/O failures are returned as errors.
#include "core/gguf/gguf_writer.hpp"

#include <bit>
#include <cstring>
#include <string_view>
#include <unordered_set>

#include "core/base/check.hpp"
#include "core/base/replace_file.hpp"

namespace ts::core::gguf {

static_assert(std::endian::native == std::endian::little, "GGUF is little-endian; big-endian hosts are not supported");

namespace {

constexpr uint32_t kVersion          = 3;
constexpr uint64_t kDefaultAlignment = 32;

class ByteSink {
public:
    explicit ByteSink(std::vector<uint8_t>& out) : out_(out) {}

    template <typename T>
    void put(T v) {
        put_bytes(&v, sizeof(T));  // little-endian hosts only (x86-64, arm64), like ggml
    }
    // resize + memcpy rather than vector::insert, which trips a false -Wstringop-overflow in g++ 12.
    void put_bytes(const void* p, size_t n) {
        if (n == 0) return;
        const size_t at = out_.size();
        out_.resize(at + n);
        std::memcpy(out_.data() + at, p, n);
    }
    void put_string(const std::string& s) {
        put<uint64_t>(s.size());
        put_bytes(s.data(), s.size());
    }
    void pad_to(uint64_t alignment) { out_.resize((out_.size() + alignment - 1) / alignment * alignment, 0); }
    size_t size() const { return out_.size(); }

private:
    std::vector<uint8_t>& out_;
};

// The value's payload (without its type tag, which the caller writes).
void put_value(ByteSink& out, const Value& v) {
    switch (v.type) {
        case ValueType::U8:
            out.put<uint8_t>(uint8_t(v.u));
            break;
        case ValueType::I8:
            out.put<int8_t>(int8_t(v.i));
            break;
        case ValueType::U16:
            out.put<uint16_t>(uint16_t(v.u));
            break;
        case ValueType::I16:
            out.put<int16_t>(int16_t(v.i));
            break;
        case ValueType::U32:
            out.put<uint32_t>(uint32_t(v.u));
            break;
        case ValueType::I32:
            out.put<int32_t>(int32_t(v.i));
            break;
        case ValueType::F32:
            out.put<float>(float(v.f));
            break;
        case ValueType::Bool:
            out.put<uint8_t>(v.b ? 1 : 0);
            break;
        case ValueType::String:
            out.put_string(v.s);
            break;
        case ValueType::U64:
            out.put<uint64_t>(v.u);
            break;
        case ValueType::I64:
            out.put<int64_t>(v.i);
            break;
        case ValueType::F64:
            out.put<double>(v.f);
            break;
        case ValueType::Array:
            out.put<uint32_t>(uint32_t(v.elem_type));
            out.put<uint64_t>(v.arr.size());
            for (const Value& e : v.arr) {
                TS_CHECK(e.type == v.elem_type, "every element of a GGUF array has the array's element type");
                put_value(out, e);
            }
            break;
        default:
            TS_CHECK(false, "GgufWriter: value of an unknown type");
    }
}

uint64_t align_up(uint64_t x, uint64_t a) {
    return (x + a - 1) / a * a;
}

}  // namespace

void GgufWriter::add(std::string key, Value v) {
    kvs_.push_back(KeyValue{std::move(key), std::move(v)});
}

void GgufWriter::add_tensor(std::string name, DType type, std::vector<int64_t> ne, std::vector<uint8_t> bytes) {
    TS_CHECK(!name.empty() && name.size() <= 64, "GGUF tensor names have 1 to 64 bytes");
    TS_CHECK(!ne.empty() && ne.size() <= 4, "a GGUF tensor has 1 to 4 dimensions");
    uint64_t rows = 1;
    for (size_t d = 1; d < ne.size(); ++d) {
        TS_CHECK(ne[d] > 0, "GGUF tensor dimensions are positive");
        rows *= uint64_t(ne[d]);
    }
    TS_CHECK(ne[0] > 0 && ne[0] % dtype_info(type).block_size == 0, "ne[0] is a multiple of the type's block size");
    TS_CHECK(bytes.size() == row_bytes(type, ne[0]) * rows, "tensor bytes match its type and shape");
    tensors_.push_back(PendingTensor{std::move(name), type, std::move(ne), std::move(bytes)});
}

void GgufWriter::add_tensor_f32(std::string name, std::vector<int64_t> ne, const std::vector<float>& values) {
    std::vector<uint8_t> bytes(values.size() * sizeof(float));
    if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
    add_tensor(std::move(name), DType::F32, std::move(ne), std::move(bytes));
}

std::vector<uint8_t> GgufWriter::to_bytes() const {
    TS_CHECK(alignment_ > 0 && (alignment_ & (alignment_ - 1)) == 0 && alignment_ <= UINT32_MAX,
             "GGUF alignment is a power of two that fits general.alignment's u32");
    bool has_alignment_key = false;
    std::unordered_set<std::string_view> seen;
    for (const auto& kv : kvs_) {
        TS_CHECK(!kv.key.empty() && seen.insert(kv.key).second, "GGUF keys are non-empty and unique");
        if (kv.key == "general.alignment") {
            TS_CHECK(kv.value.type == ValueType::U32 && kv.value.u == alignment_,
                     "a general.alignment key is the u32 the writer was constructed with");
            has_alignment_key = true;
        }
    }
    seen.clear();
    for (const auto& t : tensors_) TS_CHECK(seen.insert(t.name).second, "GGUF tensor names are unique");
    const bool write_alignment = alignment_ != kDefaultAlignment && !has_alignment_key;

    std::vector<uint8_t> bytes;
    ByteSink out(bytes);
    out.put_bytes("GGUF", 4);
    out.put<uint32_t>(kVersion);
    out.put<uint64_t>(tensors_.size());
    out.put<uint64_t>(kvs_.size() + (write_alignment ? 1 : 0));
    if (write_alignment) {
        out.put_string("general.alignment");
        out.put<uint32_t>(uint32_t(ValueType::U32));
        out.put<uint32_t>(uint32_t(alignment_));
    }
    for (const auto& kv : kvs_) {
        out.put_string(kv.key);
        out.put<uint32_t>(uint32_t(kv.value.type));
        put_value(out, kv.value);
    }

    // Tensor infos; offsets are relative to the data section, each one aligned.
    uint64_t offset = 0;
    for (const auto& t : tensors_) {
        out.put_string(t.name);
        out.put<uint32_t>(uint32_t(t.ne.size()));
        for (int64_t n : t.ne) out.put<uint64_t>(uint64_t(n));
        out.put<uint32_t>(uint32_t(t.type));
        out.put<uint64_t>(offset);
        offset = align_up(offset + t.bytes.size(), alignment_);
    }

    // The data section starts aligned; a file without tensors has no data section and needs no padding (the
    // reader accepts both, as ggml does).
    if (!tensors_.empty()) out.pad_to(alignment_);
    for (const auto& t : tensors_) {
        out.put_bytes(t.bytes.data(), t.bytes.size());
        out.pad_to(alignment_);
    }
    return bytes;
}

Status GgufWriter::write(const std::string& path) const {
    // Never rewrite in place: a process that has the old file mapped would die of SIGBUS (see replace_file.hpp).
    const std::vector<uint8_t> bytes = to_bytes();
    return replace_file(path, bytes.data(), bytes.size());
}

}  // namespace ts::core::gguf
