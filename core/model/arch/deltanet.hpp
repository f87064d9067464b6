// The gated DeltaNet's per-token maths (qwen35's linear-attention layers), in plain loops, as llama.cpp's CPU
// backend computes it (ggml_ssm_conv, ggml_gated_delta_net with one state per value head). The block function
// (arch/qwen35.cpp) calls these once per token in order, so a batch and one token at a time run the same
// operations in the same order: prefill and decode agree bit for bit.
#pragma once

#include <cmath>
#include <cstddef>

namespace ts::core::deltanet {

// One token through the short causal convolution: out[c] = silu(Σ_k w[c][k] · in_k[c]) over the d_conv inputs
// in_0 .. in_{d_conv-1} (the d_conv - 1 previous ones from `state`, oldest first, then `in`); then the state drops
// its oldest row and keeps `in`. w: [C][d_conv] (ssm_conv1d), state: [d_conv - 1][C], in, out: [C].
void causal_conv(const float* w, int d_conv, int C, float* state, const float* in, float* out);

// x / ‖x‖ as llama.cpp computes it for DeltaNet's q and k: an RMSNorm with eps/n, times 1/√n (in place, n floats).
void l2_norm(float* x, int n, float eps);

// softplus as ggml computes it: x above 20 is returned as is, else log(1 + e^x).
float softplus(float x);

// The factor the state is multiplied by at a token whose decay gate (stage lin_decay) is g: exp(g), in (0, 1].
inline float decay_factor(float g) {
    return std::exp(g);
}

// One value head's state update and read-out for one token, the gated delta rule:
//   S ← exp(g) · S;   u = β · (v − Sᵀk);   S ← S + k uᵀ;   o = Sᵀq / √d
// S: [d][d] stored as M[j][i] = S[i][j] (row j: what value dimension j reads from key dimension i); q, k: [d]
// (L2-normed), v, o: [d]; delta: [d] scratch. Returns the state's Frobenius norm after the update.
float delta_rule_step(float* S, int d, const float* q, const float* k, const float* v, float g, float beta, float* o,
                      float* delta);

}  // namespace ts::core::deltanet
