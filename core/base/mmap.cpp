#include "core/base/mmap.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
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
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(Code::kIo, "%s: cannot open: %s", path.c_str(), std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error(Code::kIo, "%s: not a regular file", path.c_str());
    }
    std::shared_ptr<MappedFile> f(new MappedFile());
    f->path_ = path;
    f->size_ = size_t(st.st_size);
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

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Code::kIo, "%s: cannot open: %s", path.c_str(), std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return make_error(Code::kIo, "%s: read error", path.c_str());
    return ss.str();
}

}  // namespace ts::core
