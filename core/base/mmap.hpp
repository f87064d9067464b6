// MappedFile: a read-only memory map of a whole file (model weights are used in place from it), or with
// FileAccess::Read the whole file read into memory (`--no-mmap`: nothing breaks when the file changes later).
// Each live mapping is listed in a small registry that a SIGBUS handler may query (find_mapped_file): a file
// truncated under its mapping faults on access, and the handler (app/, not core) names the file instead of dying.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/base/result.hpp"

namespace ts::core {

// What identifies a file's contents cheaply: same device, inode, size and modification time = not rewritten.
struct FileStamp {
    uint64_t dev = 0, ino = 0, size = 0;
    int64_t mtime_ns                        = 0;
    bool operator==(const FileStamp&) const = default;
};
// The stamp of `path` now (stat(2)); a built-in file's is all zeros.
[[nodiscard]] Result<FileStamp> stamp_file(const std::string& path);

enum class FileAccess {
    Map,   // mmap the file: pages load on demand and are shared with the page cache
    Read,  // read it into memory up front (llama.cpp's --no-mmap)
};

class MappedFile {
public:
    // Maps `path` read-only (or reads it, FileAccess::Read). An empty file maps to size() == 0 and data() ==
    // nullptr. A name registered with register_builtin_file() opens those bytes instead (no file system access,
    // nothing copied). Only regular files are opened: a directory, FIFO, socket or device is an error before open()
    // is called (open() on a FIFO would block until a writer appears).
    [[nodiscard]] static Result<std::shared_ptr<const MappedFile>> open(const std::string& path,
                                                                        FileAccess access = FileAccess::Map);
    ~MappedFile();
    MappedFile(const MappedFile&)            = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }
    const std::string& path() const { return path_; }
    const FileStamp& stamp() const { return stamp_; }  // the file as it was opened
    bool is_mapped() const { return mapped_; }         // false: built-in bytes or read into memory

private:
    MappedFile()         = default;
    const uint8_t* data_ = nullptr;
    size_t size_         = 0;
    bool mapped_         = false;  // true: ours to munmap (and listed for find_mapped_file)
    bool owned_          = false;  // true: read into memory, ours to free
    int slot_            = -1;     // registry slot, -1 when not listed
    FileStamp stamp_;
    std::string path_;
};

// The path of the live file mapping that contains `addr`, or nullptr. Async-signal-safe (atomic loads only, no
// locks, no allocation), so a SIGBUS handler may call it with the fault address. At most 64 mappings are listed at
// once; a later one still works but is not found here.
[[nodiscard]] const char* find_mapped_file(const void* addr);

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
