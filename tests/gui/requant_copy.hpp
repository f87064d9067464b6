// Writes a copy of a GGUF model with its matrices in another type (the quantisation lens's tests: the default model
// against its Q8_0 copy). Every key is kept; each 2-D tensor whose rows are whole blocks of `type` is dequantised
// and quantised again with core/tensor's quantisers, the others (norms, odd widths) copied as they are.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/base/result.hpp"
#include "core/gguf/gguf_reader.hpp"
#include "core/gguf/gguf_writer.hpp"
#include "core/tensor/quant.hpp"

namespace ts::test {

[[nodiscard]] inline core::Status write_requantized_copy(const std::string& in, const std::string& out,
                                                         core::DType type) {
    auto f = core::gguf::GgufFile::open(in);
    if (!f) return f.error();
    core::gguf::GgufWriter w(f->alignment());
    for (const core::gguf::KeyValue& kv : f->metadata())
        if (kv.key != "general.alignment") w.add(kv.key, kv.value);
    for (const core::Tensor& t : f->tensors()) {
        std::vector<int64_t> ne(t.ne.begin(), t.ne.begin() + std::max(1, t.n_dims));
        const bool requant   = t.n_dims == 2 && t.ne[0] % int64_t(core::dtype_info(type).block_size) == 0;
        const core::DType to = requant ? type : t.type;
        std::vector<uint8_t> bytes(core::row_bytes(to, t.ne[0]) * size_t(t.n_rows()));
        std::vector<float> row(size_t(t.ne[0]));
        for (int64_t r = 0; r < t.n_rows(); ++r) {
            uint8_t* dst = bytes.data() + size_t(r) * core::row_bytes(to, t.ne[0]);
            if (!requant) {
                std::copy(t.row(r), t.row(r) + t.row_size(), dst);
                continue;
            }
            core::dequantize_row(t.type, t.row(r), row.data(), t.ne[0]);
            core::quantize_row(to, row.data(), dst, t.ne[0]);
        }
        w.add_tensor(t.name, to, std::move(ne), std::move(bytes));
    }
    return w.write(out);
}

}  // namespace ts::test
