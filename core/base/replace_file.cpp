// replace_file(): temporary file + rename(2), the classic way to update a file that others may have open or mapped.
#include "core/base/replace_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace ts::core {

Status replace_file(const std::string& path, const void* data, size_t size) {
    // The temporary lives beside the target: rename(2) is atomic only within one file system.
    std::string tmp = path + ".tmp.XXXXXX";
    std::vector<char> name(tmp.begin(), tmp.end());
    name.push_back('\0');
    const int fd = mkstemp(name.data());
    if (fd < 0)
        return make_error(Code::kIo, "%s: cannot create a temporary file beside it: %s", path.c_str(),
                          std::strerror(errno));
    tmp.assign(name.data());
    auto fail = [&](const char* what, int err) -> Status {
        ::close(fd);
        ::unlink(tmp.c_str());
        return make_error(Code::kIo, "%s: %s: %s", path.c_str(), what, std::strerror(err));
    };
    // mkstemp creates 0600; give the file the mode fopen(path, "wb") would have.
    const mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) return fail("cannot set the mode of the temporary file", errno);
    const auto* p = static_cast<const uint8_t*>(data);
    size_t done   = 0;
    while (done < size) {
        const ssize_t n = ::write(fd, p + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fail("write failed", n < 0 ? errno : ENOSPC);
        done += size_t(n);
    }
    if (::close(fd) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        return make_error(Code::kIo, "%s: write failed: %s", path.c_str(), std::strerror(e));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        return make_error(Code::kIo, "%s: cannot replace it: %s", path.c_str(), std::strerror(e));
    }
    return {};
}

}  // namespace ts::core
