// A streaming writer of NumPy .npy files (format version 1.0): little-endian float32, C order. The header is
// written first with the final shape, then rows are appended; close() checks that exactly the promised number of
// values arrived. https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "core/base/result.hpp"

namespace ts::core {

class NpyWriter {
public:
    NpyWriter() = default;
    ~NpyWriter();
    NpyWriter(const NpyWriter&)            = delete;
    NpyWriter& operator=(const NpyWriter&) = delete;

    [[nodiscard]] Status open(const std::string& path, const std::vector<int64_t>& shape);
    [[nodiscard]] Status write(const float* data, size_t n);
    [[nodiscard]] Status close();

private:
    std::FILE* f_ = nullptr;
    std::string path_;
    uint64_t expected_ = 0, written_ = 0;
};

// The header dictionary of a float32 array of this shape: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3),
// }".
std::string npy_header_dict(const std::vector<int64_t>& shape);

}  // namespace ts::core
