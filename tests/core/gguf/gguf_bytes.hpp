// Test helper: builds GGUF bytes field by field, so a test can write exactly the broken file it needs
// (the writer only makes valid files).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "core/gguf/gguf.hpp"
#include "core/tensor/dtype.hpp"

namespace ts::core::gguf::testing {

class Bytes {
public:
    Bytes() = default;
    explicit Bytes(std::vector<uint8_t> b) : b_(std::move(b)) {}
    Bytes& raw(const void* p, size_t n) {
        const size_t at = b_.size();
        b_.resize(at + n);
        if (n) std::memcpy(b_.data() + at, p, n);
        return *this;
    }
    Bytes& u8(uint8_t v) { return raw(&v, 1); }
    Bytes& u32(uint32_t v) { return raw(&v, 4); }
    Bytes& u64(uint64_t v) { return raw(&v, 8); }
    Bytes& str(const std::string& s) {
        u64(s.size());
        return raw(s.data(), s.size());
    }
    Bytes& zeros(size_t n) {
        b_.resize(b_.size() + n, 0);
        return *this;
    }
    Bytes& pad(size_t alignment) {
        while (b_.size() % alignment) b_.push_back(0);
        return *this;
    }

    // "GGUF", version, n_tensors, n_kv.
    Bytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
        raw("GGUF", 4);
        u32(version);
        u64(n_tensors);
        return u64(n_kv);
    }
    Bytes& kv_u32(const std::string& key, uint32_t v) {
        str(key);
        u32(uint32_t(ValueType::U32));
        return u32(v);
    }
    Bytes& kv_string(const std::string& key, const std::string& v) {
        str(key);
        u32(uint32_t(ValueType::String));
        return str(v);
    }
    Bytes& tensor_info(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type, uint64_t offset) {
        str(name);
        u32(uint32_t(ne.size()));
        for (uint64_t n : ne) u64(n);
        u32(type);
        return u64(offset);
    }

    size_t size() const { return b_.size(); }
    const std::vector<uint8_t>& bytes() const { return b_; }

private:
    std::vector<uint8_t> b_;
};

// A file with one F32 tensor info described by the arguments, then the data section with `data_bytes` bytes.
inline std::vector<uint8_t> one_tensor_file(const std::vector<uint64_t>& ne, uint32_t type, uint64_t offset,
                                            size_t data_bytes) {
    Bytes b;
    b.header(1, 0).tensor_info("t", ne, type, offset).pad(32).zeros(data_bytes);
    return b.bytes();
}

}  // namespace ts::core::gguf::testing
