// gemma4's random-weight files (random_parts.hpp): gemma3's tensors with per-layer head sizes and MLP widths, no
// K/V/k-norm on KV-sharing layers, the per-layer embeddings, each layer's output scale and the global layers'
// rope_freqs; with experts (the 26B-A4B shape) a mixture of experts beside each layer's MLP.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tools/random_parts.hpp"

namespace ts::tools {

using core::DType;

bool gemma4_swa(const RandomModelSpec& s, int il) {
    const int pattern = s.swa_pattern ? s.swa_pattern : 5;
    return il % pattern < pattern - 1;
}
int gemma4_ff(const RandomModelSpec& s, int il) {
    return s.n_kv_shared > 0 && il >= s.n_layer - s.n_kv_shared ? 2 * s.n_ff : s.n_ff;
}
int gemma4_ff_exp(const RandomModelSpec& s) {
    return s.arch != "gemma4" || s.n_expert == 0 ? 0 : s.n_ff_exp > 0 ? s.n_ff_exp : s.n_ff / 2;
}

namespace {

// One layer's experts beside the MLP, as llama.cpp's converter writes Gemma 4 26B-A4B's: the router (F32) and its
// input scale, the three extra norms, gate and up fused per expert (gate rows first; split_gate_up: two tensors),
// down, and each expert's output scale (the checkpoint's per_expert_scale). The router's scale is about √n_embd so
// that its logits are of unit size and the route is not a near-tie.
void add_gemma4_experts(core::gguf::GgufWriter& w, const RandomModelSpec& s, const std::string& blk,
                        core::sample::Rng& rng) {
    const DType t   = s.type;
    const int64_t E = s.n_embd, F = gemma4_ff_exp(s), X = s.n_expert;
    w.add_tensor(blk + "ffn_gate_inp.weight", DType::F32, {E, X}, random_matrix(DType::F32, E, X, rng));
    std::vector<float> scale = around_one(E, 0.5f, rng);
    for (float& v : scale) v *= std::sqrt(float(E));
    w.add_tensor_f32(blk + "ffn_gate_inp.scale", {E}, scale);
    w.add_tensor_f32(blk + "pre_ffw_norm_2.weight", {E}, around_one(E, 0.2f, rng));
    w.add_tensor_f32(blk + "post_ffw_norm_1.weight", {E}, around_one(E, 0.2f, rng));
    w.add_tensor_f32(blk + "post_ffw_norm_2.weight", {E}, around_one(E, 0.2f, rng));
    if (s.split_gate_up) {
        w.add_tensor(blk + "ffn_gate_exps.weight", t, {E, F, X}, random_matrix(t, E, F * X, rng));
        w.add_tensor(blk + "ffn_up_exps.weight", t, {E, F, X}, random_matrix(t, E, F * X, rng));
    } else {
        w.add_tensor(blk + "ffn_gate_up_exps.weight", t, {E, 2 * F, X}, random_matrix(t, E, 2 * F * X, rng));
    }
    w.add_tensor(blk + "ffn_down_exps.weight", t, {F, E, X}, random_matrix(t, F, E * X, rng));
    w.add_tensor_f32(blk + "ffn_down_exps.scale", {X}, around_one(X, 0.5f, rng));
}

}  // namespace

void add_gemma4_tensors(core::gguf::GgufWriter& w, const RandomModelSpec& s, int head_dim, core::sample::Rng& rng) {
    const DType t   = s.type;
    const int64_t E = s.n_embd, P = s.n_embd_per_layer, L = s.n_layer;
    w.add_tensor("token_embd.weight", t, {E, s.n_vocab}, random_matrix(t, E, s.n_vocab, rng));
    if (P > 0) {
        w.add_tensor("per_layer_token_embd.weight", t, {P * L, s.n_vocab}, random_matrix(t, P * L, s.n_vocab, rng));
        w.add_tensor("per_layer_model_proj.weight", t, {E, P * L}, random_matrix(t, E, P * L, rng));
        w.add_tensor_f32("per_layer_proj_norm.weight", {P}, around_one(P, 0.2f, rng));
    }
    for (int il = 0; il < s.n_layer; ++il) {
        const std::string blk = "blk." + std::to_string(il) + ".";
        const int64_t hd      = gemma4_swa(s, il) && s.head_dim_swa ? s.head_dim_swa : head_dim;
        const int64_t Q = hd * s.n_head, KV = hd * s.n_head_kv, F = gemma4_ff(s, il);
        const bool own_kv = il < s.n_layer - s.n_kv_shared;
        w.add_tensor_f32(blk + "attn_norm.weight", {E}, around_one(E, 0.2f, rng));
        w.add_tensor(blk + "attn_q.weight", t, {E, Q}, random_matrix(t, E, Q, rng));
        if (own_kv) {
            w.add_tensor(blk + "attn_k.weight", t, {E, KV}, random_matrix(t, E, KV, rng));
            w.add_tensor(blk + "attn_v.weight", t, {E, KV}, random_matrix(t, E, KV, rng));
            w.add_tensor_f32(blk + "attn_k_norm.weight", {hd}, around_one(hd, 0.2f, rng));
        }
        w.add_tensor_f32(blk + "attn_q_norm.weight", {hd}, around_one(hd, 0.2f, rng));
        w.add_tensor(blk + "attn_output.weight", t, {Q, E}, random_matrix(t, Q, E, rng));
        w.add_tensor_f32(blk + "post_attention_norm.weight", {E}, around_one(E, 0.2f, rng));
        w.add_tensor_f32(blk + "ffn_norm.weight", {E}, around_one(E, 0.2f, rng));
        w.add_tensor(blk + "ffn_gate.weight", t, {E, F}, random_matrix(t, E, F, rng));
        w.add_tensor(blk + "ffn_up.weight", t, {E, F}, random_matrix(t, E, F, rng));
        w.add_tensor(blk + "ffn_down.weight", t, {F, E}, random_matrix(t, F, E, rng));
        w.add_tensor_f32(blk + "post_ffw_norm.weight", {E}, around_one(E, 0.2f, rng));
        if (s.n_expert > 0) add_gemma4_experts(w, s, blk, rng);
        w.add_tensor_f32(blk + "layer_output_scale.weight", {1}, around_one(1, 0.5f, rng));
        if (P > 0) {
            w.add_tensor(blk + "inp_gate.weight", t, {E, P}, random_matrix(t, E, P, rng));
            w.add_tensor(blk + "proj.weight", t, {P, E}, random_matrix(t, P, E, rng));
            w.add_tensor_f32(blk + "post_norm.weight", {E}, around_one(E, 0.2f, rng));
        }
    }
    // "Proportional" RoPE on the global layers, as llama.cpp's converter writes it: the first quarter of the pairs
    // rotate (factor 1), the others get 1e30 (an angle of 0).
    std::vector<float> factors(size_t(head_dim / 2), 1e30f);
    std::fill(factors.begin(), factors.begin() + head_dim / 8, 1.0f);
    w.add_tensor_f32("rope_freqs.weight", {int64_t(factors.size())}, factors);
    w.add_tensor_f32("output_norm.weight", {E}, around_one(E, 0.2f, rng));
    if (!s.tied) w.add_tensor("output.weight", t, {E, s.n_vocab}, random_matrix(t, E, s.n_vocab, rng));
}

}  // namespace ts::tools
