// AdamW with decoupled weight decay, the warm-up + cosine learning-rate schedule and global-norm gradient
// clipping. All loops run over the flat parameter buffer in index order, so they are deterministic.
#pragma once

#include <cstdint>
#include <vector>

#include "core/train/model.hpp"

namespace ts::core::train {

struct AdamW {
    float beta1        = 0.9f;
    float beta2        = 0.95f;
    float eps          = 1e-8f;
    float weight_decay = 0.1f;  // applied to tensors whose ParamInfo::decay is set
};

// Learning rate at `step` (0-based) of `total`: linear warm-up over `warmup` steps to lr_max, then a cosine down to
// lr_min at the last step.
float lr_at(int64_t step, int64_t total, int64_t warmup, float lr_max, float lr_min);

// Scales grad so that its L2 norm is at most max_norm (no-op when max_norm <= 0); returns the norm before clipping.
double clip_grad_norm(std::vector<float>& grad, double max_norm);

// One AdamW update at optimiser step t (1-based, for bias correction): m, v are the moment buffers (same size as w).
void adamw_step(const AdamW& opt, const std::vector<ParamInfo>& params, int64_t t, float lr, std::vector<float>& w,
                const std::vector<float>& grad, std::vector<float>& m, std::vector<float>& v);

}  // namespace ts::core::train
