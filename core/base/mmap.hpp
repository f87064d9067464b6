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
    // Maps `path` read-only. An empty file maps to size() == 0 and data() == nullptr. A name registered with
    // register_builtin_file() opens those bytes instead (no file system access, nothing copied). Only regular files
    // are opened: a directory, FIFO, socket or device is an error before open() is called (open() on a FIFO would
    // block until a writer appears).
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
    bool mapped_         = false;  // false: built-in bytes, not ours to unmap
    std::string path_;
};

// Bytes compiled into the executable (the default model: app/builtin_model.cpp) made openable by name, so every
// path-taking API (load_model, Session::load, GgufFile::open) reads them like a file. `data` must have static
// storage duration. A later registration of the same name replaces the earlier one.
void register_builtin_file(const std::string& name, const uint8_t* data, size_t size);
[[nodiscard]] bool is_builtin_file(const std::string& name);

// The most read_file() reads by default: prompts and tokenizer files are text, never this large, and a cap keeps a
// mistaken path (a disk image, a log) from using all memory.
inline constexpr size_t kMaxTextFileBytes = size_t(64) << 20;  // 64 MiB

// Reads a whole (small) regular file into a string: tokenizer files, prompts. A directory, FIFO or device
// (/dev/zero) is an error, and so is a file of more than `max_bytes` (the message states the limit).
[[nodiscard]] Result<std::string> read_file(const std::string& path, size_t max_bytes = kMaxTextFileBytes);

}  // namespace ts::core
