// The user's cache folder (see user_dirs.hpp).
#include "core/base/user_dirs.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace ts::core {

std::string user_cache_dir() {
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/tokenscope";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/tokenscope";
    return "";
}

bool make_dirs(const std::string& dir) {
    if (dir.empty()) return false;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    return std::filesystem::is_directory(dir, ec);
}

}  // namespace ts::core
