// GGUF reader: validates the whole file first (ggml gguf.cpp's habits: every count and offset checked against the
// bytes remaining before use), then hands out views. Tensor data stays in the memory map.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/mmap.hpp"
#include "core/base/result.hpp"
#include "core/gguf/gguf.hpp"
#include "core/tensor/tensor.hpp"

namespace ts::core::gguf {

class GgufFile {
public:
    // Maps and parses a file. Errors name the file and what is wrong with it.
    [[nodiscard]] static Result<GgufFile> open(const std::string& path);
    // Parses bytes in memory (the fuzzer's entry). `name` is used in error messages. The bytes must outlive the
    // returned object (tensor views point into them).
    [[nodiscard]] static Result<GgufFile> parse(const uint8_t* data, size_t size, const std::string& name);

    uint32_t version() const { return version_; }
    uint64_t alignment() const { return alignment_; }
    uint64_t data_offset() const { return data_offset_; }  // file offset of the tensor data section
    const std::string& name() const { return name_; }
    size_t file_size() const { return size_; }

    const std::vector<KeyValue>& metadata() const { return kvs_; }
    const Value* find(std::string_view key) const;  // nullptr when absent

    // Typed getters: nullopt when absent or of an incompatible type (any integer type converts when in range).
    std::optional<uint64_t> get_u64(std::string_view key) const;
    std::optional<int64_t> get_i64(std::string_view key) const;
    std::optional<double> get_f64(std::string_view key) const;
    std::optional<bool> get_bool(std::string_view key) const;
    std::optional<std::string> get_string(std::string_view key) const;

    const std::vector<Tensor>& tensors() const { return tensors_; }  // in file order; data points into the map
    const Tensor* find_tensor(std::string_view name) const;          // nullptr when absent

private:
    std::shared_ptr<const MappedFile> map_;  // keeps the bytes alive (empty for parse())
    std::string name_;
    size_t size_          = 0;
    uint32_t version_     = 0;
    uint64_t alignment_   = 32;
    uint64_t data_offset_ = 0;
    std::vector<KeyValue> kvs_;
    std::vector<Tensor> tensors_;
};

}  // namespace ts::core::gguf
