// GGUF tensor infos: name, shape, type and offset of each tensor, validated against the spec and the file
// (dimensions positive and their product in range, rows a whole number of blocks, offsets aligned, data inside the
// data section, no two tensors overlapping, no duplicate names). Fills Tensor views into the file's bytes.
#include <algorithm>
#include <numeric>
#include <unordered_set>

#include "core/base/checked_math.hpp"
#include "core/gguf/gguf_parse.hpp"
#include "core/tensor/dtype.hpp"

namespace ts::core::gguf {

namespace {

using ull = unsigned long long;

constexpr uint64_t kMaxDims = 4;

struct TensorInfo {
    Tensor t;
    uint64_t offset = 0;  // relative to the data section
};

Status read_one_info(Cursor& c, uint64_t index, uint64_t alignment, TensorInfo& info) {
    Tensor& t = info.t;
    TS_TRY(c.read_string(t.name, kMaxTensorNameLength, [&] { return "the name of tensor " + std::to_string(index); }));
    if (t.name.empty()) {
        return make_error(Code::kFormat, "%s: tensor %llu has an empty name", c.name(), ull(index));
    }
    const char* nm  = t.name.c_str();
    uint32_t n_dims = 0;
    TS_TRY(c.read(n_dims, [&] { return "the dimension count of tensor '" + t.name + "'"; }));
    if (n_dims == 0 || n_dims > kMaxDims) {
        return make_error(Code::kFormat, "%s: tensor '%s' has %u dimensions (must be 1 to %llu)", c.name(), nm, n_dims,
                          ull(kMaxDims));
    }
    t.n_dims       = int(n_dims);
    uint64_t count = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
        uint64_t n = 0;
        TS_TRY(c.read(n, [&] { return "dimension " + std::to_string(d) + " of tensor '" + t.name + "'"; }));
        if (n == 0 || n > uint64_t(INT64_MAX)) {
            return make_error(Code::kFormat, "%s: tensor '%s' has dimension %u of size %lld (must be positive)",
                              c.name(), nm, d, (long long)n);
        }
        const auto prod = checked_mul(count, n);
        if (!prod || *prod > uint64_t(INT64_MAX)) {
            return make_error(Code::kFormat, "%s: tensor '%s': the element count overflows at dimension %u (size %llu)",
                              c.name(), nm, d, ull(n));
        }
        count   = *prod;
        t.ne[d] = int64_t(n);
    }
    uint32_t type = 0;
    TS_TRY(c.read(type, [&] { return "the type of tensor '" + t.name + "'"; }));
    const auto dt = dtype_info(type);
    if (!dt) return make_error(Code::kFormat, "%s: tensor '%s' has unknown type %u", c.name(), nm, type);
    t.type = dt->type;
    if (uint64_t(t.ne[0]) % dt->block_size != 0) {
        return make_error(Code::kFormat,
                          "%s: tensor '%s': row length ne[0] = %lld is not a multiple of the %.*s block size %u",
                          c.name(), nm, (long long)t.ne[0], int(dt->name.size()), dt->name.data(), dt->block_size);
    }
    // Bytes = blocks * block bytes; count is a multiple of block_size because ne[0] is.
    const auto bytes = checked_mul(count / dt->block_size, dt->type_size);
    if (!bytes || *bytes > uint64_t(SIZE_MAX)) {
        return make_error(Code::kFormat, "%s: tensor '%s': byte size of %llu elements overflows", c.name(), nm,
                          ull(count));
    }
    t.nbytes = size_t(*bytes);
    TS_TRY(c.read(info.offset, [&] { return "the data offset of tensor '" + t.name + "'"; }));
    if (info.offset % alignment != 0) {
        return make_error(Code::kFormat, "%s: tensor '%s': data offset %llu is not a multiple of the alignment %llu",
                          c.name(), nm, ull(info.offset), ull(alignment));
    }
    return {};
}

}  // namespace

Status read_tensor_infos(Cursor& c, uint64_t n_tensors, uint64_t alignment, std::vector<Tensor>& tensors,
                         uint64_t& data_offset) {
    if (n_tensors > kMaxTensors) {
        return make_error(Code::kFormat, "%s: %llu tensors, more than the limit of %llu", c.name(), ull(n_tensors),
                          ull(kMaxTensors));
    }
    std::vector<TensorInfo> infos;
    infos.reserve(size_t(std::min<uint64_t>(n_tensors, 1024)));  // grows with what is actually read
    std::unordered_set<std::string> names;
    for (uint64_t i = 0; i < n_tensors; ++i) {
        TensorInfo info;
        TS_TRY(read_one_info(c, i, alignment, info));
        if (!names.insert(info.t.name).second) {
            return make_error(Code::kFormat, "%s: duplicate tensor name '%s' (tensor %llu)", c.name(),
                              info.t.name.c_str(), ull(i));
        }
        infos.push_back(std::move(info));
    }

    // The data section starts at the next multiple of the alignment after the tensor infos.
    const uint64_t end_of_infos = c.pos();
    const auto padded           = checked_add(end_of_infos, alignment - 1);
    if (!padded) return make_error(Code::kFormat, "%s: data section offset overflows", c.name());
    data_offset = *padded / alignment * alignment;
    if (!infos.empty() && data_offset > c.size()) {
        return make_error(Code::kFormat,
                          "%s: truncated: the data section starts at offset %llu (tensor infos end at %llu, alignment "
                          "%llu) but the file has %zu bytes",
                          c.name(), ull(data_offset), ull(end_of_infos), ull(alignment), c.size());
    }
    const uint64_t section = infos.empty() ? 0 : c.size() - data_offset;

    for (auto& info : infos) {
        const auto end = checked_add(info.offset, info.t.nbytes);
        if (!end || *end > section) {
            if (!end) {
                return make_error(Code::kFormat,
                                  "%s: tensor '%s': data offset %llu + %zu bytes is past the end of the file (%zu "
                                  "bytes)",
                                  c.name(), info.t.name.c_str(), ull(info.offset), info.t.nbytes, c.size());
            }
            return make_error(
                Code::kFormat,
                "%s: tensor '%s': data ends past the end of the file, at offset %llu (data section %llu + "
                "offset %llu + %zu bytes), file has %zu bytes",
                c.name(), info.t.name.c_str(), ull(data_offset + *end), ull(data_offset), ull(info.offset),
                info.t.nbytes, c.size());
        }
        info.t.data = c.data() + data_offset + info.offset;
    }

    // No two tensors may share bytes: sort by offset and compare neighbours.
    std::vector<size_t> order(infos.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return infos[a].offset < infos[b].offset; });
    for (size_t k = 1; k < order.size(); ++k) {
        const TensorInfo& a = infos[order[k - 1]];
        const TensorInfo& b = infos[order[k]];
        if (a.offset + a.t.nbytes > b.offset) {
            return make_error(Code::kFormat,
                              "%s: tensors '%s' [%llu, %llu) and '%s' [%llu, %llu) overlap in the data section",
                              c.name(), a.t.name.c_str(), ull(a.offset), ull(a.offset + a.t.nbytes), b.t.name.c_str(),
                              ull(b.offset), ull(b.offset + b.t.nbytes));
        }
    }

    tensors.clear();
    tensors.reserve(infos.size());
    for (auto& info : infos) tensors.push_back(std::move(info.t));
    return {};
}

}  // namespace ts::core::gguf
