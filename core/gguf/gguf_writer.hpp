// GGUF v3 writer: used by tests (files with every metadata type, broken files) and by the trainer.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/result.hpp"
#include "core/gguf/gguf.hpp"
#include "core/tensor/dtype.hpp"

namespace ts::core::gguf {

class GgufWriter {
public:
    explicit GgufWriter(uint64_t alignment = 32) : alignment_(alignment) {}

    void add(std::string key, Value v);
    // ne in ggml order (ne[0] innermost); `bytes` must be row_bytes(type, ne[0]) * rows.
    void add_tensor(std::string name, DType type, std::vector<int64_t> ne, std::vector<uint8_t> bytes);
    void add_tensor_f32(std::string name, std::vector<int64_t> ne, const std::vector<float>& values);

    // The complete file as bytes / written to a path.
    [[nodiscard]] std::vector<uint8_t> to_bytes() const;
    [[nodiscard]] Status write(const std::string& path) const;

private:
    struct PendingTensor {
        std::string name;
        DType type;
        std::vector<int64_t> ne;
        std::vector<uint8_t> bytes;
    };
    uint64_t alignment_;
    std::vector<KeyValue> kvs_;
    std::vector<PendingTensor> tensors_;
};

}  // namespace ts::core::gguf
