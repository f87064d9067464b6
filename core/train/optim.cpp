// AdamW, the learning-rate schedule and gradient clipping (see optim.hpp).
#include "core/train/optim.hpp"

#include <cmath>

namespace ts::core::train {

float lr_at(int64_t step, int64_t total, int64_t warmup, float lr_max, float lr_min) {
    if (warmup > 0 && step < warmup) return lr_max * float(step + 1) / float(warmup);
    const int64_t span = total - warmup - 1;
    if (span <= 0) return lr_max;
    const double progress = std::min(1.0, double(step - warmup) / double(span));
    return float(lr_min + 0.5 * (lr_max - lr_min) * (1.0 + std::cos(3.141592653589793 * progress)));
}

double clip_grad_norm(std::vector<float>& grad, double max_norm) {
    double sq = 0;
    for (float g : grad) sq += double(g) * double(g);
    const double norm = std::sqrt(sq);
    if (max_norm > 0 && norm > max_norm) {
        const float f = float(max_norm / norm);
        for (float& g : grad) g *= f;
    }
    return norm;
}

void adamw_step(const AdamW& opt, const std::vector<ParamInfo>& params, int64_t t, float lr, std::vector<float>& w,
                const std::vector<float>& grad, std::vector<float>& m, std::vector<float>& v) {
    const float bc1 = 1.0f - float(std::pow(double(opt.beta1), double(t)));
    const float bc2 = 1.0f - float(std::pow(double(opt.beta2), double(t)));
    for (const ParamInfo& p : params) {
        const float decay = p.decay ? opt.weight_decay : 0.0f;
        for (int64_t i = p.offset; i < p.offset + p.size; ++i) {
            const float g    = grad[size_t(i)];
            float& mi        = m[size_t(i)];
            float& vi        = v[size_t(i)];
            mi               = opt.beta1 * mi + (1.0f - opt.beta1) * g;
            vi               = opt.beta2 * vi + (1.0f - opt.beta2) * g * g;
            const float mhat = mi / bc1, vhat = vi / bc2;
            w[size_t(i)] -= lr * (mhat / (std::sqrt(vhat) + opt.eps) + decay * w[size_t(i)]);
        }
    }
}

}  // namespace ts::core::train
