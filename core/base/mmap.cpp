#include "core/base/mmap.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ts::core {

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path) {
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
        f->data_ = static_cast<const uint8_t*>(p);
    }
    ::close(fd);
    return std::shared_ptr<const MappedFile>(std::move(f));
}

MappedFile::~MappedFile() {
    if (data_) munmap(const_cast<uint8_t*>(data_), size_);
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
