// NpyWriter: .npy version 1.0 — magic "\x93NUMPY", version 1 0, a little-endian u16 header length, the header
// dictionary padded with spaces and a newline so the data starts at a multiple of 64 bytes, then the raw values.
#include "core/trace/npy.hpp"

#include <bit>
#include <cerrno>
#include <cstring>

namespace ts::core {

static_assert(std::endian::native == std::endian::little, "the .npy writer stores native floats as '<f4'");

std::string npy_header_dict(const std::vector<int64_t>& shape) {
    std::string s = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    for (size_t i = 0; i < shape.size(); ++i) {
        s += std::to_string(shape[i]);
        if (shape.size() == 1 || i + 1 < shape.size()) s += ", ";  // (n,) for one dimension
    }
    s += "), }";
    return s;
}

NpyWriter::~NpyWriter() {
    if (f_) std::fclose(f_);
}

Status NpyWriter::open(const std::string& path, const std::vector<int64_t>& shape) {
    if (f_) return make_error(Code::kInternal, "%s: the writer is already open", path.c_str());
    uint64_t count = 1;
    for (int64_t d : shape) {
        if (d < 0) return make_error(Code::kInvalidArgument, "%s: negative dimension %lld", path.c_str(), (long long)d);
        count *= uint64_t(d);
    }
    std::string dict      = npy_header_dict(shape);
    const size_t preamble = 10;  // magic (6) + version (2) + header length (2)
    const size_t total    = (preamble + dict.size() + 1 + 63) / 64 * 64;
    dict.append(total - preamble - dict.size() - 1, ' ');
    dict += '\n';
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_) return make_error(Code::kIo, "%s: cannot create: %s", path.c_str(), std::strerror(errno));
    path_                 = path;
    expected_             = count;
    written_              = 0;
    const uint16_t hlen   = uint16_t(dict.size());
    const uint8_t pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, uint8_t(hlen & 0xff), uint8_t(hlen >> 8)};
    if (std::fwrite(pre, 1, sizeof pre, f_) != sizeof pre ||
        std::fwrite(dict.data(), 1, dict.size(), f_) != dict.size())
        return make_error(Code::kIo, "%s: write failed: %s", path.c_str(), std::strerror(errno));
    return {};
}

Status NpyWriter::write(const float* data, size_t n) {
    if (!f_) return make_error(Code::kInternal, "npy: write before open");
    if (written_ + n > expected_)
        return make_error(Code::kInternal, "%s: %llu values written, the shape holds %llu", path_.c_str(),
                          (unsigned long long)(written_ + n), (unsigned long long)expected_);
    if (n && std::fwrite(data, sizeof(float), n, f_) != n)
        return make_error(Code::kIo, "%s: write failed: %s", path_.c_str(), std::strerror(errno));
    written_ += n;
    return {};
}

Status NpyWriter::close() {
    if (!f_) return {};
    const bool ok = std::fclose(f_) == 0;
    f_            = nullptr;
    if (!ok) return make_error(Code::kIo, "%s: close failed: %s", path_.c_str(), std::strerror(errno));
    if (written_ != expected_)
        return make_error(Code::kInternal, "%s: %llu values written, the shape holds %llu", path_.c_str(),
                          (unsigned long long)written_, (unsigned long long)expected_);
    return {};
}

}  // namespace ts::core
