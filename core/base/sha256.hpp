// SHA-256 (FIPS 180-4): what identifies a model file's exact bytes in a saved exploration (exploration.hpp).
//
//   Sha256 h; h.update(data, n); ...; std::string hex = to_hex(h.finish());
//   auto hex = sha256_file("model.gguf");   // streams through the file (a built-in file's bytes too)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/base/result.hpp"

namespace ts::core {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t n);
    void update(std::string_view s) { update(s.data(), s.size()); }
    // The digest of everything given; the object is spent afterwards (start a new one for another message).
    Sha256Digest finish();

private:
    void block(const uint8_t* p);
    std::array<uint32_t, 8> h_;
    std::array<uint8_t, 64> buf_{};
    size_t n_buf_   = 0;
    uint64_t total_ = 0;  // bytes
};

// Lower-case hex, 64 characters.
std::string to_hex(const Sha256Digest& d);
// SHA-256 of `s`, as hex.
std::string sha256_hex(std::string_view s);
// SHA-256 of a whole file, as hex (MappedFile, so names of built-in files work). Errors: the file cannot be opened.
[[nodiscard]] Result<std::string> sha256_file(const std::string& path);
// The same, reporting (bytes hashed, file size) after every 16 MiB and at the end; a report that returns false stops
// it (Code::kCancelled). For a background job with a progress bar (the explorer's app/ui/hash_job.hpp).
[[nodiscard]] Result<std::string> sha256_file(const std::string& path,
                                              const std::function<bool(size_t done, size_t total)>& progress);

}  // namespace ts::core
