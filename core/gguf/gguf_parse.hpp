// Internal to the GGUF reader (not for other modules): a bounds-checked cursor over the file's bytes and the
// parsing steps shared by gguf_reader.cpp (header, metadata), gguf_values.cpp and gguf_tensors.cpp.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "core/base/result.hpp"
#include "core/gguf/gguf.hpp"
#include "core/tensor/tensor.hpp"

namespace ts::core::gguf {

static_assert(std::endian::native == std::endian::little, "GGUF is little-endian; big-endian hosts are not supported");

// Strings longer than this are refused even when the file is large enough (a 1 GiB key or token is hostile).
inline constexpr uint64_t kMaxStringLength = uint64_t(1) << 30;
// Arrays nest at most this deep (the spec allows arrays of arrays; recursion must stay bounded).
inline constexpr int kMaxArrayDepth = 8;
// All metadata values together (every kv and every array element counts): a Value is ~100 bytes in memory, so this
// bounds what a file of tiny values can make us allocate (~400 MB) while leaving room for the largest vocabularies
// (262k tokens × 3 arrays + 500k merges is ~1.3M values).
inline constexpr uint64_t kMaxMetadataValues = uint64_t(1) << 22;
// Tensors per file (the largest models have a few thousand); bounds the memory of the tensor table.
inline constexpr uint64_t kMaxTensors = uint64_t(1) << 20;
// Tensor names are at most 64 bytes (spec).
inline constexpr uint64_t kMaxTensorNameLength = 64;
// Smallest possible tensor info: name length (8) + a 1-byte name + n_dims (4) + one dimension (8) + type (4) +
// offset (8).
inline constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;

class Cursor {
public:
    Cursor(const uint8_t* data, size_t size, const std::string& name) : data_(data), size_(size), name_(name) {}

    const char* name() const { return name_.c_str(); }
    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    size_t pos() const { return pos_; }
    size_t left() const { return size_ - pos_; }
    void skip(size_t n) { pos_ += n; }  // callers check left() first

    // `what` is a const char* or a callable returning std::string; it is evaluated only on error.
    template <typename T, typename What>
    Status read(T& out, const What& what) {
        static_assert(std::is_trivially_copyable_v<T>);
        if (left() < sizeof(T)) return truncated(sizeof(T), describe(what));
        std::memcpy(&out, data_ + pos_, sizeof(T));
        pos_ += sizeof(T);
        return {};
    }

    template <typename What>
    Status read_string(std::string& out, uint64_t max_len, const What& what) {
        uint64_t len = 0;
        if (left() < sizeof(len)) return truncated(sizeof(len), "the length of " + describe(what));
        std::memcpy(&len, data_ + pos_, sizeof(len));
        if (len > left() - sizeof(len)) return bad_length(len, max_len, describe(what), true);
        if (len > max_len) return bad_length(len, max_len, describe(what), false);
        pos_ += sizeof(len);
        out.assign(reinterpret_cast<const char*>(data_ + pos_), size_t(len));
        pos_ += size_t(len);
        return {};
    }

    Error truncated(size_t need, const std::string& what) const;
    Error bad_length(uint64_t len, uint64_t max_len, const std::string& what, bool past_end) const;

private:
    static std::string describe(const char* what) { return what; }
    template <typename F>
    static std::string describe(const F& what) {
        return what();
    }

    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
    const std::string& name_;
};

// Memory the parsed metadata may take: kMetadataMemorySlack plus kMetadataMemoryPerFileByte times the file's size.
// A Value is ~100 bytes in memory while an empty array element is 12 bytes in the file, so without this bound a
// 48 MB file of empty arrays took 932 MB; real files (a 262k-token vocabulary with scores, types and merges is
// ~90 MB of Values) stay far below, since the tensors dominate a model file's size.
inline constexpr uint64_t kMetadataMemorySlack       = uint64_t(128) << 20;
inline constexpr uint64_t kMetadataMemoryPerFileByte = 2;

// Counts metadata values against kMaxMetadataValues and their memory against the bound above, before allocating.
class ValueBudget {
public:
    explicit ValueBudget(uint64_t file_size)
        : max_bytes_(kMetadataMemorySlack + kMetadataMemoryPerFileByte * file_size) {}
    // n values of `key` (each a Value in memory).
    Status take(const Cursor& c, uint64_t n, const std::string& key);
    // Bytes beyond the Values themselves: string contents, keys, the kv table.
    Status take_bytes(const Cursor& c, uint64_t bytes, const std::string& key);

private:
    uint64_t used_      = 0;
    uint64_t bytes_     = 0;
    uint64_t max_bytes_ = 0;
};

// Reads one value of raw type `type` (validated here) for metadata key `key`; `depth` is the array nesting level.
Status read_value(Cursor& c, uint32_t type, Value& out, int depth, const std::string& key, ValueBudget& budget);

// Reads n_tensors tensor infos, computes the data section's offset (aligned), and validates every tensor's shape,
// type, offset, size and overlap; fills name/type/n_dims/ne/data/nbytes.
Status read_tensor_infos(Cursor& c, uint64_t n_tensors, uint64_t alignment, std::vector<Tensor>& tensors,
                         uint64_t& data_offset);

}  // namespace ts::core::gguf
