// check_tensors_finite(): the --check-tensors scan. A NaN or Inf in a weight makes every activation after it NaN,
// and the forward pass would report it only where it surfaces; this names the tensor and the row it comes from.
// Quantised rows are dequantised first, so a non-finite block scale (d, dmin) is found like a non-finite f32.
#include <cmath>
#include <vector>

#include "core/model/loader.hpp"
#include "core/tensor/quant.hpp"

namespace ts::core {
namespace {

Status check_tensor(const std::string& path, const Tensor& t, std::vector<float>& row) {
    if (!t.data) return {};  // an optional tensor that is absent (a qwen2 bias on llama)
    const int64_t n = t.ne[0];
    row.resize(size_t(n));
    for (int64_t r = 0; r < t.n_rows(); ++r) {
        dequantize_row(t.type, t.row(r), row.data(), n);
        for (int64_t c = 0; c < n; ++c) {
            const float x = row[size_t(c)];
            if (std::isfinite(x)) continue;
            return make_error(Code::kFormat, "%s: tensor '%s' (%s) holds %s at row %lld, column %lld", path.c_str(),
                              t.name.empty() ? "?" : t.name.c_str(), model_detail::describe_tensor(t).c_str(),
                              std::isnan(x) ? "NaN" : "Inf", static_cast<long long>(r), static_cast<long long>(c));
        }
    }
    return {};
}

}  // namespace

Status check_tensors_finite(const Model& m) {
    std::vector<float> row;
    TS_TRY(check_tensor(m.path, m.w.token_embd, row));
    TS_TRY(check_tensor(m.path, m.w.pos_embd, row));
    for (const LayerWeights& L : m.w.layers)
        for (const Tensor* t : layer_tensors(L)) TS_TRY(check_tensor(m.path, *t, row));
    TS_TRY(check_tensor(m.path, m.w.output_norm, row));
    TS_TRY(check_tensor(m.path, m.w.output_norm_b, row));
    if (!m.hp.tied_output) TS_TRY(check_tensor(m.path, m.w.output, row));
    return {};
}

}  // namespace ts::core
