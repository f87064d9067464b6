// replace_file(): writes a whole file by writing a temporary file in the same folder and renaming it over the
// target. A reader that has the old file mapped keeps the old inode (and its bytes) alive, so rewriting a model
// that a running `tokenscope run` or the explorer has open never truncates the pages under it (that is a SIGBUS),
// and a failed write leaves the old file as it was.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/base/result.hpp"

namespace ts::core {

// Replaces `path` with `size` bytes from `data` (mode 0666 less the umask, as fopen would create it).
[[nodiscard]] Status replace_file(const std::string& path, const void* data, size_t size);

}  // namespace ts::core
