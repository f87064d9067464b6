// MappedFile: a read-only memory map of a whole file (model weights are used in place from it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/base/result.hpp"

namespace ts::core {

class MappedFile {
public:
    // Maps `path` read-only. An empty file maps to size() == 0 and data() == nullptr.
    [[nodiscard]] static Result<std::shared_ptr<const MappedFile>> open(const std::string& path);
    ~MappedFile();
    MappedFile(const MappedFile&)            = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }

private:
    MappedFile()         = default;
    const uint8_t* data_ = nullptr;
    size_t size_         = 0;
    std::string path_;
};

// Reads a whole (small) file into a string: tokenizer files, prompts.
[[nodiscard]] Result<std::string> read_file(const std::string& path);

}  // namespace ts::core
