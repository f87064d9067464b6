// A recurrent layer's gates and state norms over the positions (recurrent.hpp).
#include "core/trace/recurrent.hpp"

#include <algorithm>
#include <cmath>

#include "core/model/arch/deltanet.hpp"

namespace ts::core {

int RecurrentSeries::n_recorded() const {
    int n = 0;
    for (uint8_t r : recorded) n += r;
    return n;
}

Result<RecurrentSeries> recurrent_series(const Hparams& hp, std::span<const StepTracePtr> steps, int layer) {
    if (!hp.has_recurrent())
        return make_error(Code::kInvalidArgument, "%s has no recurrent (linear-attention) layers",
                          hp.arch_name.c_str());
    if (layer < 0 || layer >= hp.n_layer)
        return make_error(Code::kInvalidArgument, "layer %d: the model has %d layers", layer, hp.n_layer);
    if (!hp.is_recurrent(layer))
        return make_error(Code::kInvalidArgument, "layer %d is an attention layer: it has no recurrent state", layer);
    RecurrentSeries s;
    s.layer        = layer;
    s.n_pos        = int(steps.size());
    s.n_head       = hp.ssm_dt_rank;
    s.d            = hp.ssm_d_state;
    const size_t n = size_t(s.n_pos) * size_t(s.n_head);
    for (auto* v : {&s.g, &s.decay, &s.beta, &s.state_norm}) v->assign(n, std::nanf(""));
    s.recorded.assign(size_t(s.n_pos), 0);
    for (int p = 0; p < s.n_pos; ++p) {
        const StepTracePtr& st = steps[size_t(p)];
        if (!st || !st->record || st->record->n_lin_head != s.n_head) continue;
        const PositionRecord& r = *st->record;
        const size_t src = size_t(layer) * size_t(s.n_head), dst = size_t(p) * size_t(s.n_head);
        for (int h = 0; h < s.n_head; ++h) {
            s.g[dst + size_t(h)]          = r.lin_decay[src + size_t(h)];
            s.decay[dst + size_t(h)]      = deltanet::decay_factor(r.lin_decay[src + size_t(h)]);
            s.beta[dst + size_t(h)]       = r.lin_beta[src + size_t(h)];
            s.state_norm[dst + size_t(h)] = r.lin_state_norm[src + size_t(h)];
            if (std::isfinite(s.state_norm[dst + size_t(h)]))
                s.max_state_norm = std::max(s.max_state_norm, s.state_norm[dst + size_t(h)]);
        }
        s.recorded[size_t(p)] = 1;
    }
    return s;
}

}  // namespace ts::core
