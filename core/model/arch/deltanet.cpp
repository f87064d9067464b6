// The gated DeltaNet's per-token maths (deltanet.hpp).
#include "core/model/arch/deltanet.hpp"

#include <cmath>
#include <cstring>

namespace ts::core::deltanet {

void causal_conv(const float* w, int d_conv, int C, float* state, const float* in, float* out) {
    const size_t c_n = size_t(C);
    for (size_t c = 0; c < c_n; ++c) {
        const float* wc = w + c * size_t(d_conv);
        float sum       = 0.0f;
        for (int k = 0; k < d_conv - 1; ++k) sum += state[size_t(k) * c_n + c] * wc[k];
        sum += in[c] * wc[d_conv - 1];
        out[c] = sum / (1.0f + std::exp(-sum));  // silu
    }
    // Shift: rows 1 .. d_conv-2 move up one, `in` becomes the newest row.
    if (d_conv > 2) std::memmove(state, state + c_n, size_t(d_conv - 2) * c_n * sizeof(float));
    std::memcpy(state + size_t(d_conv - 2) * c_n, in, c_n * sizeof(float));
}

void l2_norm(float* x, int n, float eps) {
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += double(x[i]) * double(x[i]);
    const float mean  = float(sum / double(n));
    const float scale = 1.0f / std::sqrt(mean + eps / float(n));
    const float inv   = 1.0f / std::sqrt(float(n));
    for (int i = 0; i < n; ++i) x[i] = (x[i] * scale) * inv;
}

float softplus(float x) {
    return x > 20.0f ? x : std::log1p(std::exp(x));
}

float delta_rule_step(float* S, int d, const float* q, const float* k, const float* v, float g, float beta, float* o,
                      float* delta) {
    const size_t n     = size_t(d);
    const float decay  = decay_factor(g);
    const float qscale = 1.0f / std::sqrt(float(d));
    for (size_t i = 0; i < n * n; ++i) S[i] *= decay;
    for (size_t j = 0; j < n; ++j) {  // delta[j] = β · (v[j] − Σ_i S[i][j] k[i])
        const float* row = S + j * n;
        float sum        = 0.0f;
        for (size_t i = 0; i < n; ++i) sum += row[i] * k[i];
        delta[j] = (v[j] - sum) * beta;
    }
    double norm2 = 0.0;
    for (size_t j = 0; j < n; ++j) {  // S[i][j] += k[i] · delta[j];  o[j] = Σ_i S[i][j] q[i] / √d
        float* row = S + j * n;
        float sum  = 0.0f;
        for (size_t i = 0; i < n; ++i) {
            row[i] += k[i] * delta[j];
            sum += row[i] * q[i];
            norm2 += double(row[i]) * double(row[i]);
        }
        o[j] = sum * qscale;
    }
    return float(std::sqrt(norm2));
}

}  // namespace ts::core::deltanet
