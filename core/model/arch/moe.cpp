// A mixture of experts, the stages that replace the MLP in the llama block function (qwen3moe, olmoe) or run beside
// it in gemma's (gemma4, the 26B-A4B shape), as llama.cpp's build_moe_ffn computes them:
//
//   xb (the normed residual) → router logits = ffn_gate_inp · xb → softmax over the n_expert experts
//   → the n_expert_used most probable, their probabilities divided by their sum (the weights; olmoe: the
//     probabilities themselves, hp.expert_weights_norm false)
//   → each chosen expert e: silu(W_gate[e] · xb) ⊙ (W_up[e] · xb) → W_down[e] · that
//   → the weighted sum of the chosen experts' outputs
//
// gemma4 (src/models/gemma4.cpp): the MLP's output is normed (post_ffw_norm_1) and kept; the experts read the residual
// stream x normed with pre_ffw_norm_2, the router reads x RMS-normed without a weight, / √n_embd, ⊙ ffn_gate_inp.scale;
// each expert is GELU-gated (gate and up as one fused tensor in the files, gate rows first) and its output × its
// ffn_down_exps.scale; the weighted sum is normed (post_ffw_norm_2) and added to the MLP's.
//
// Only the chosen experts run. In a batch, every expert multiplies the rows of the tokens that chose it, gathered
// into one matrix, so each of its weight rows is read once per batch; the kernels compute each (row, token) dot the
// same way alone or in a batch, so a token's numbers do not depend on the batch it came in.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/model/arch/arch.hpp"
#include "core/model/forward.hpp"
#include "core/model/layers.hpp"

namespace ts::core {

void Forward::expert_linear(const Tensor& stacked, const float* in, bool shared_in, int in_dim, int n, float* out,
                            int out_dim, ThreadPool& pool, int row0) {
    const Hparams& hp = model_.hp;
    const int k_used  = hp.n_expert_used;
    const size_t din = size_t(in_dim), dout = size_t(out_dim);
    std::vector<int>& slots = moe_slots_;  // t * k_used + k of the rows this expert serves, in token order
    for (int e = 0; e < hp.n_expert; ++e) {
        slots.clear();
        for (int t = 0; t < n; ++t) {
            const float* ids = route_.data() + size_t(t) * 2 * size_t(k_used);
            for (int k = 0; k < k_used; ++k)
                if (int(ids[k]) == e) slots.push_back(t * k_used + k);
        }
        if (slots.empty()) continue;
        const int m = int(slots.size());
        for (int i = 0; i < m; ++i) {
            const size_t src = shared_in ? size_t(slots[size_t(i)] / k_used) : size_t(slots[size_t(i)]);
            std::memcpy(gather_in_.data() + size_t(i) * din, in + src * din, din * sizeof(float));
        }
        linear(expert_matrix(stacked, e, row0, out_dim), gather_in_.data(), m, gather_out_.data(), pool);
        for (int i = 0; i < m; ++i)
            std::memcpy(out + size_t(slots[size_t(i)]) * dout, gather_out_.data() + size_t(i) * dout,
                        dout * sizeof(float));
    }
}

void Forward::moe_stage(Stage s, const LayerWeights& L, int n, ThreadPool& pool) {
    const Hparams& hp = model_.hp;
    const int n_embd = hp.n_embd, n_ff = hp.expert_ff(), n_exp = hp.n_expert, k_used = hp.n_expert_used;
    float* x  = x_.data();
    float* xb = xb_.data();
    auto row  = [](float* buf, int t, int dim) { return buf + size_t(t) * size_t(dim); };
    // RMSNorm of each token's row of `in` with weight w (null: none) into out.
    auto norm_rows = [&](const float* in, const Tensor& w, float* out) {
        for (int t = 0; t < n; ++t)
            rms_norm(in + size_t(t) * size_t(n_embd), w.data ? w.f32() : nullptr, hp.norm_eps, n_embd,
                     row(out, t, n_embd));
    };
    switch (s) {
        case Stage::FfnPostNorm1:  // gemma4: shexp = RMSNorm(the MLP's output) · post_ffw_norm_1
            norm_rows(xb, L.ffn_post_norm_1, shexp_.data());
            break;
        case Stage::FfnNorm2:  // gemma4: xb = RMSNorm(x) · pre_ffw_norm_2, the experts' input
            norm_rows(x, L.ffn_pre_norm_2, xb);
            break;
        case Stage::FfnRouter:
            if (L.ffn_gate_inp_s.data) {  // gemma4: router_ = ffn_gate_inp · (RMSNorm(x) × 1/√n_embd ⊙ scale)
                float* in         = router_in_.data();
                const float inv   = 1.0f / std::sqrt(float(n_embd));  // as llama.cpp: ggml_scale, then ggml_mul
                const float* gain = L.ffn_gate_inp_s.f32();
                norm_rows(x, Tensor{}, in);
                for (int t = 0; t < n; ++t) {
                    float* r = row(in, t, n_embd);
                    for (int i = 0; i < n_embd; ++i) r[i] = r[i] * inv * gain[i];
                }
                linear(L.ffn_gate_inp, in, n, router_.data(), pool);
            } else {  // router_ = ffn_gate_inp · xb
                linear(L.ffn_gate_inp, xb, n, router_.data(), pool);
            }
            break;
        case Stage::FfnRouterProbs:
            for (int t = 0; t < n; ++t)
                attn::softmax_row(router_.data() + size_t(t) * size_t(n_exp),
                                  router_p_.data() + size_t(t) * size_t(n_exp), n_exp);
            break;
        case Stage::FfnRoute: {  // route_[t] = ids | weights of the k most probable experts
            std::vector<int>& ids = moe_slots_;
            for (int t = 0; t < n; ++t) {
                float* r = route_.data() + size_t(t) * 2 * size_t(k_used);
                route_experts(router_p_.data() + size_t(t) * size_t(n_exp), n_exp, k_used, hp.expert_weights_norm,
                              ids.data(), r + k_used);
                for (int k = 0; k < k_used; ++k) r[k] = float(ids[size_t(k)]);
            }
            break;
        }
        case Stage::FfnGate:  // hb[t][k] = W_gate[e] · xb[t] (the gate rows of a fused gate | up)
        case Stage::FfnExpGate:
            if (L.ffn_gate_up_exps.data) {
                expert_linear(L.ffn_gate_up_exps, xb, true, n_embd, n, hb_.data(), n_ff, pool, 0);
            } else {
                expert_linear(L.ffn_gate_exps, xb, true, n_embd, n, hb_.data(), n_ff, pool);
            }
            break;
        case Stage::FfnUp:  // hb2[t][k] = W_up[e] · xb[t] (the up rows of a fused gate | up)
        case Stage::FfnExpUp:
            if (L.ffn_gate_up_exps.data) {
                expert_linear(L.ffn_gate_up_exps, xb, true, n_embd, n, hb2_.data(), n_ff, pool, n_ff);
            } else {
                expert_linear(L.ffn_up_exps, xb, true, n_embd, n, hb2_.data(), n_ff, pool);
            }
            break;
        case Stage::FfnExpAct:  // gemma4: hb = GELU(gate) ⊙ up, every chosen expert's row
            geglu(hb_.data(), hb2_.data(), int64_t(n) * k_used * n_ff);
            break;
        case Stage::FfnExpertOut:  // expert_out[t][k] = W_down[e] · hb[t][k] (× the expert's scale, gemma4)
            expert_linear(L.ffn_down_exps, hb_.data(), false, n_ff, n, expert_out_.data(), n_embd, pool);
            if (L.ffn_down_exps_s.data)
                for (int t = 0; t < n; ++t)
                    for (int k = 0; k < k_used; ++k) {
                        const float id = route_[size_t(t) * 2 * size_t(k_used) + size_t(k)];
                        if (!(id >= 0.0f && id < float(n_exp))) continue;  // an edited route: no expert ran
                        const float scale = L.ffn_down_exps_s.f32()[int(id)];
                        float* eo         = expert_out_.data() + (size_t(t) * size_t(k_used) + size_t(k)) * n_embd;
                        for (int i = 0; i < n_embd; ++i) eo[i] *= scale;
                    }
            break;
        case Stage::FfnOut:  // xb[t] = Σ_k weight[t][k] · expert_out[t][k], in the order of the route
        case Stage::FfnMoeOut:
            for (int t = 0; t < n; ++t) {
                const float* w  = route_.data() + size_t(t) * 2 * size_t(k_used) + size_t(k_used);
                const float* eo = expert_out_.data() + size_t(t) * size_t(k_used) * size_t(n_embd);
                float* out      = xb + size_t(t) * size_t(n_embd);
                std::fill(out, out + n_embd, 0.0f);
                for (int k = 0; k < k_used; ++k) {
                    const float id = w[k - k_used];  // an observer may have edited the route: skip what is no expert
                    if (!(id >= 0.0f && id < float(n_exp))) continue;
                    for (int i = 0; i < n_embd; ++i) out[i] += eo[size_t(k) * size_t(n_embd) + size_t(i)] * w[k];
                }
            }
            break;
        case Stage::FfnPostNorm2:  // gemma4: xb = RMSNorm(the experts' mix) · post_ffw_norm_2
            norm_rows(xb, L.ffn_post_norm_2, xb);
            break;
        case Stage::FfnMoeSum:  // gemma4: xb = the shared expert's + the experts' (ggml_add(mlp, moe))
            for (int64_t i = 0; i < int64_t(n) * n_embd; ++i) xb[i] = shexp_[size_t(i)] + xb[i];
            break;
        default:
            break;
    }
}

}  // namespace ts::core
