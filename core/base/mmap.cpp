#include "core/base/mmap.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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
    return RegularFile{fd, size_t(st.st_size)};
}

}  // namespace

void register_builtin_file(const std::string& name, const uint8_t* data, size_t size) {
    Builtins& b = builtins();
    std::lock_guard<std::mutex> lock(b.mu);
    b.files[name] = {size > 0 ? data : nullptr, size};
}

bool is_builtin_file(const std::string& name) {
    return find_builtin(name).has_value();
}

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path) {
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
    f->path_ = path;
    f->size_ = file->size;
    if (f->size_ > 0) {
        void* p = mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            ::close(fd);
            return make_error(Code::kIo, "%s: cannot map %zu bytes: %s", path.c_str(), f->size_, std::strerror(e));
        }
        f->data_   = static_cast<const uint8_t*>(p);
        f->mapped_ = true;
    }
    ::close(fd);
    return std::shared_ptr<const MappedFile>(std::move(f));
}

MappedFile::~MappedFile() {
    if (data_ && mapped_) munmap(const_cast<uint8_t*>(data_), size_);
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
