// A recurrent (gated DeltaNet) layer's view over the positions of a trace (qwen35, ARCHITECTURE §2): the numbers the
// explorer's Attention panel draws for a layer that has no attention matrix. Read from what the recorder kept of
// each position (PositionRecord::lin_decay, lin_beta, lin_state_norm: the forward pass's own stage rows), with the
// decay factor exp(g) computed by the function the state update calls (deltanet::decay_factor), so what is shown is
// what was computed. Nothing here is an "effective attention": the layer has none to show.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/base/result.hpp"
#include "core/model/model.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::core {

// Positions × value heads of one recurrent layer; row p is position p. A position whose record the trace budget
// dropped (or that was never recorded) has recorded[p] = 0 and NaN in every series.
struct RecurrentSeries {
    int layer  = 0;
    int n_pos  = 0;
    int n_head = 0;                 // value heads (ssm_dt_rank)
    int d      = 0;                 // each head's state is d × d (ssm_d_state)
    std::vector<float> g;           // [n_pos][n_head] decay gate (stage lin_decay), ≤ 0
    std::vector<float> decay;       // [n_pos][n_head] exp(g): the factor the state is multiplied by
    std::vector<float> beta;        // [n_pos][n_head] write strength β (stage lin_beta), in (0, 1)
    std::vector<float> state_norm;  // [n_pos][n_head] ‖S‖_F after the token's update (stage lin_state_norm)
    std::vector<uint8_t> recorded;  // [n_pos]
    float max_state_norm = 0;       // over the recorded cells (0 when none)
    int n_recorded() const;
    float at(const std::vector<float>& series, int pos, int head) const {
        return series[size_t(pos) * size_t(n_head) + size_t(head)];
    }
};

// The series of recurrent layer `layer` over `steps` (steps[p] the trace of position p). Errors: the model has no
// recurrent layers, or `layer` is out of range or an attention layer.
[[nodiscard]] Result<RecurrentSeries> recurrent_series(const Hparams& hp, std::span<const StepTracePtr> steps,
                                                       int layer);

}  // namespace ts::core
