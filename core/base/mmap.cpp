#include "core/base/mmap.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <utility>

namespace ts::core {
namespace {

struct Builtins {
    std::mutex mu;
    std::map<std::string, std::pair<const uint8_t*, size_t>> files;
};

Builtins& builtins() {
    static Builtins b;  // function-local: usable from other translation units' static initialisers
    return b;
}

std::optional<std::pair<const uint8_t*, size_t>> find_builtin(const std::string& name) {
    Builtins& b = builtins();
    std::lock_guard<std::mutex> lock(b.mu);
    const auto it = b.files.find(name);
    if (it == b.files.end()) return std::nullopt;
    return it->second;
}

// What a path that is not a regular file is, for the error message.
const char* file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

struct RegularFile {
    int fd      = -1;
    size_t size = 0;
    struct stat st {};  // of what was opened
};

// Opens `path` read-only if it is a regular file. stat() comes first, so a FIFO or a device is refused without
// open() (which blocks on a FIFO until a writer appears); O_NONBLOCK covers a path swapped for a FIFO between the
// two calls, and fstat() checks that what was opened is still a regular file.
Result<RegularFile> open_regular_file(const std::string& path) {
    const char* p = path.c_str();
    struct stat st {};
    if (::stat(p, &st) != 0) return make_error(Code::kIo, "%s: cannot open: %s", p, std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return make_error(Code::kIo, "%s: is %s, not a regular file", p, file_kind(st.st_mode));
    const int fd = ::open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return make_error(Code::kIo, "%s: cannot open: %s", p, std::strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(Code::kIo, "%s: is %s, not a regular file", p, file_kind(st.st_mode));
    }
    return RegularFile{fd, size_t(st.st_size), st};
}

// The mappings a SIGBUS handler may look up. Fixed slots of atomics: constant-initialised (no guard variable), read
// without locks from a signal handler. A slot is claimed with `used`, then filled; `begin` is published last.
struct MappingSlot {
    std::atomic<bool> used{false};
    std::atomic<uintptr_t> begin{0};
    std::atomic<size_t> size{0};
    std::atomic<const char*> path{nullptr};
};
constexpr int kMappingSlots = 64;

MappingSlot* mapping_slots() {
    static MappingSlot slots[kMappingSlots];
    return slots;
}

int list_mapping(const uint8_t* data, size_t size, const char* path) {
    MappingSlot* slots = mapping_slots();
    for (int i = 0; i < kMappingSlots; ++i) {
        bool expected = false;
        if (!slots[i].used.compare_exchange_strong(expected, true)) continue;
        slots[i].path.store(path);
        slots[i].size.store(size);
        slots[i].begin.store(reinterpret_cast<uintptr_t>(data), std::memory_order_release);
        return i;
    }
    return -1;
}

void unlist_mapping(int slot) {
    if (slot < 0) return;
    MappingSlot& s = mapping_slots()[slot];
    s.begin.store(0, std::memory_order_release);
    s.size.store(0);
    s.path.store(nullptr);
    s.used.store(false, std::memory_order_release);
}

FileStamp stamp_of(const struct stat& st) {
    FileStamp s;
    s.dev      = uint64_t(st.st_dev);
    s.ino      = uint64_t(st.st_ino);
    s.size     = uint64_t(st.st_size);
    s.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + int64_t(st.st_mtim.tv_nsec);
    return s;
}

// Reads `size` bytes of fd into a 64-byte-aligned buffer (tensor rows keep the alignment they have in a mapping).
Result<uint8_t*> read_whole(int fd, size_t size, const std::string& path) {
    void* p = nullptr;
    if (posix_memalign(&p, 64, size) != 0)
        return make_error(Code::kOutOfMemory, "%s: cannot allocate %zu bytes to read it into memory", path.c_str(),
                          size);
    auto* buf   = static_cast<uint8_t*>(p);
    size_t done = 0;
    while (done < size) {
        const ssize_t n = ::read(fd, buf + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int e = n < 0 ? errno : 0;
            std::free(buf);
            if (n == 0)
                return make_error(Code::kIo, "%s: the file shrank while being read (%zu of %zu bytes)", path.c_str(),
                                  done, size);
            return make_error(Code::kIo, "%s: read error: %s", path.c_str(), std::strerror(e));
        }
        done += size_t(n);
    }
    return buf;
}

}  // namespace

const char* find_mapped_file(const void* addr) {
    const auto a             = reinterpret_cast<uintptr_t>(addr);
    const MappingSlot* slots = mapping_slots();
    for (int i = 0; i < kMappingSlots; ++i) {
        const uintptr_t b = slots[i].begin.load(std::memory_order_acquire);
        if (b != 0 && a >= b && a - b < slots[i].size.load()) return slots[i].path.load();
    }
    return nullptr;
}

Result<FileStamp> stamp_file(const std::string& path) {
    if (find_builtin(path)) return FileStamp{};
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return make_error(Code::kIo, "%s: cannot stat: %s", path.c_str(), std::strerror(errno));
    return stamp_of(st);
}

void register_builtin_file(const std::string& name, const uint8_t* data, size_t size) {
    Builtins& b = builtins();
    std::lock_guard<std::mutex> lock(b.mu);
    b.files[name] = {size > 0 ? data : nullptr, size};
}

bool is_builtin_file(const std::string& name) {
    return find_builtin(name).has_value();
}

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path, FileAccess access) {
    if (const auto builtin = find_builtin(path)) {
        std::shared_ptr<MappedFile> f(new MappedFile());
        f->path_ = path;
        f->data_ = builtin->first;
        f->size_ = builtin->second;
        return std::shared_ptr<const MappedFile>(std::move(f));
    }
    auto file = open_regular_file(path);
    if (!file) return file.error();
    const int fd = file->fd;
    std::shared_ptr<MappedFile> f(new MappedFile());
    f->path_  = path;
    f->size_  = file->size;
    f->stamp_ = stamp_of(file->st);
    if (f->size_ > 0 && access == FileAccess::Read) {
        auto buf = read_whole(fd, f->size_, path);
        ::close(fd);
        if (!buf) return buf.error();
        f->data_  = *buf;
        f->owned_ = true;
        return std::shared_ptr<const MappedFile>(std::move(f));
    }
    if (f->size_ > 0) {
        void* p = mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            ::close(fd);
            return make_error(Code::kIo, "%s: cannot map %zu bytes: %s", path.c_str(), f->size_, std::strerror(e));
        }
        f->data_   = static_cast<const uint8_t*>(p);
        f->mapped_ = true;
        f->slot_   = list_mapping(f->data_, f->size_, f->path_.c_str());
    }
    ::close(fd);
    return std::shared_ptr<const MappedFile>(std::move(f));
}

MappedFile::~MappedFile() {
    unlist_mapping(slot_);  // before the unmap: a fault address is never looked up in a freed path
    if (data_ && mapped_) munmap(const_cast<uint8_t*>(data_), size_);
    if (data_ && owned_) std::free(const_cast<uint8_t*>(data_));
}

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
    const char* p  = path.c_str();
    auto too_large = [&](size_t n, const char* more) {
        return make_error(Code::kIo, "%s: %s%zu bytes, more than the limit of %zu bytes (%zu MiB) for a text file", p,
                          more, n, max_bytes, max_bytes >> 20);
    };
    auto file = open_regular_file(path);
    if (!file) return file.error();
    const int fd = file->fd;
    if (file->size > max_bytes) {
        ::close(fd);
        return too_large(file->size, "");
    }
    // Read to the end, not just st_size bytes (the file may grow meanwhile), but never past the limit.
    std::string out(file->size, '\0');
    size_t used = 0;
    while (true) {
        if (used == out.size()) {
            if (out.size() > max_bytes) {
                ::close(fd);
                return too_large(out.size(), "at least ");
            }
            out.resize(std::min(max_bytes + 1, std::max<size_t>(out.size() * 2, 4096)));
        }
        const ssize_t n = ::read(fd, out.data() + used, out.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int e = errno;
            ::close(fd);
            return make_error(Code::kIo, "%s: read error: %s", p, std::strerror(e));
        }
        if (n == 0) break;
        used += size_t(n);
    }
    ::close(fd);
    out.resize(used);
    return out;
}

}  // namespace ts::core
