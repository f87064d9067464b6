// PositionRecord accessors and the trace's byte accounting.
#include "core/trace/step_trace.hpp"

#include <cstring>

#include "core/base/fp16.hpp"

namespace ts::core {

void PositionRecord::load_resid(int layer, float* out) const {
    const size_t at = size_t(layer) * size_t(n_embd);
    if (resid_type == DType::F16) {
        for (int i = 0; i < n_embd; ++i) out[i] = fp16_to_f32(resid_h[at + size_t(i)]);
    } else {
        std::memcpy(out, resid.data() + at, size_t(n_embd) * sizeof(float));
    }
}

size_t record_bytes_per_position(const Hparams& hp, DType resid_type) {
    const size_t per_layer = size_t(hp.n_head) * size_t(hp.head_dim) * sizeof(float) +
                             size_t(hp.n_embd) * (resid_type == DType::F16 ? 2 : sizeof(float)) +
                             size_t(hp.n_expert + 2 * hp.n_expert_used) * sizeof(float) +
                             3 * size_t(hp.has_recurrent() ? hp.ssm_dt_rank : 0) * sizeof(float);  // lin_*
    return size_t(hp.n_layer) * per_layer;
}

}  // namespace ts::core
