// qwen35's random-weight files (random_parts.hpp): the keys llama.cpp's qwen35 loader reads beyond the common ones,
// and every layer's tensors — a gated DeltaNet layer, or every full_attn_interval-th an attention layer whose Q
// projection also yields the output gate.
#include <cmath>
#include <string>
#include <vector>

#include "tools/random_parts.hpp"

namespace ts::tools {

void add_qwen35_model(core::gguf::GgufWriter& w, const RandomModelSpec& s, core::sample::Rng& rng) {
    using core::gguf::Value;
    const std::string a = "qwen35.";
    const int head_dim  = s.head_dim ? s.head_dim : s.n_embd / s.n_head;
    const int n_rot     = s.n_rot ? s.n_rot : head_dim / 4;
    const int64_t E = s.n_embd, F = s.n_ff, Q = int64_t(head_dim) * s.n_head, KV = int64_t(head_dim) * s.n_head_kv;
    const int64_t D = s.ssm_d_state, R = s.ssm_dt_rank, G = s.ssm_n_group, DI = D * R, C = DI + 2 * G * D;
    w.add(a + "ssm.conv_kernel", Value::make_u32(uint32_t(s.ssm_d_conv)));
    w.add(a + "ssm.inner_size", Value::make_u32(uint32_t(DI)));
    w.add(a + "ssm.state_size", Value::make_u32(uint32_t(D)));
    w.add(a + "ssm.time_step_rank", Value::make_u32(uint32_t(R)));
    w.add(a + "ssm.group_count", Value::make_u32(uint32_t(G)));
    w.add(a + "full_attention_interval", Value::make_u32(uint32_t(s.full_attn_interval)));
    // Qwen3.5's sections [11, 11, 10, 0] of its 32 rotated pairs, scaled to this n_rot (each pair in a section).
    const int pairs = n_rot / 2, t = (pairs * 11 + 31) / 32, h = (pairs * 11 + 31) / 32;
    const int wsec = std::max(0, pairs - t - h);
    w.add(a + "rope.dimension_sections", Value::make_i32_array({t, h, wsec, 0}));

    const core::DType ty = s.type;
    w.add_tensor("token_embd.weight", ty, {E, s.n_vocab}, random_matrix(ty, E, s.n_vocab, rng));
    for (int il = 0; il < s.n_layer; ++il) {
        const std::string blk = "blk." + std::to_string(il) + ".";
        w.add_tensor_f32(blk + "attn_norm.weight", {E}, around_one(E, 0.2f, rng));
        if ((il + 1) % s.full_attn_interval != 0) {  // gated DeltaNet
            w.add_tensor(blk + "attn_qkv.weight", ty, {E, C}, random_matrix(ty, E, C, rng));
            w.add_tensor(blk + "attn_gate.weight", ty, {E, DI}, random_matrix(ty, E, DI, rng));
            w.add_tensor_f32(blk + "ssm_conv1d.weight", {s.ssm_d_conv, C},
                             random_vector(int64_t(s.ssm_d_conv) * C, std::sqrt(3.0f / float(s.ssm_d_conv)), rng));
            // Decay g = a · softplus(alpha + dt) in about [-0.5, 0): a = -exp(A_log) in [-1.5, -0.1], dt about -2, so
            // the state keeps most of what it holds from one token to the next, as a trained model's does.
            std::vector<float> dt = random_vector(R, 1.0f, rng), av = random_vector(R, 0.7f, rng);
            for (float& x : dt) x -= 2.0f;
            for (float& x : av) x = -(0.8f + x);
            w.add_tensor_f32(blk + "ssm_dt.bias", {R}, dt);
            w.add_tensor_f32(blk + "ssm_a", {R}, av);
            w.add_tensor(blk + "ssm_beta.weight", ty, {E, R}, random_matrix(ty, E, R, rng));
            w.add_tensor(blk + "ssm_alpha.weight", ty, {E, R}, random_matrix(ty, E, R, rng));
            w.add_tensor_f32(blk + "ssm_norm.weight", {D}, around_one(D, 0.2f, rng));
            w.add_tensor(blk + "ssm_out.weight", ty, {DI, E}, random_matrix(ty, DI, E, rng));
        } else {  // gated attention: each head's query then its gate
            w.add_tensor(blk + "attn_q.weight", ty, {E, 2 * Q}, random_matrix(ty, E, 2 * Q, rng));
            w.add_tensor(blk + "attn_k.weight", ty, {E, KV}, random_matrix(ty, E, KV, rng));
            w.add_tensor(blk + "attn_v.weight", ty, {E, KV}, random_matrix(ty, E, KV, rng));
            w.add_tensor_f32(blk + "attn_q_norm.weight", {head_dim}, around_one(head_dim, 0.2f, rng));
            w.add_tensor_f32(blk + "attn_k_norm.weight", {head_dim}, around_one(head_dim, 0.2f, rng));
            w.add_tensor(blk + "attn_output.weight", ty, {Q, E}, random_matrix(ty, Q, E, rng));
        }
        w.add_tensor_f32(blk + "post_attention_norm.weight", {E}, around_one(E, 0.2f, rng));
        w.add_tensor(blk + "ffn_gate.weight", ty, {E, F}, random_matrix(ty, E, F, rng));
        w.add_tensor(blk + "ffn_up.weight", ty, {E, F}, random_matrix(ty, E, F, rng));
        w.add_tensor(blk + "ffn_down.weight", ty, {F, E}, random_matrix(ty, F, E, rng));
    }
    w.add_tensor_f32("output_norm.weight", {E}, around_one(E, 0.2f, rng));
    if (!s.tied) w.add_tensor("output.weight", ty, {E, s.n_vocab}, random_matrix(ty, E, s.n_vocab, rng));
}

RandomModelSpec tiny_qwen35_spec(core::DType type) {
    RandomModelSpec s;
    s.arch        = "qwen35";
    s.n_layer     = 4;
    s.n_embd      = 64;
    s.n_head      = 4;
    s.n_head_kv   = 2;
    s.head_dim    = 32;
    s.n_ff        = 128;
    s.ssm_d_state = 16;
    s.ssm_dt_rank = 4;
    s.ssm_n_group = 2;
    s.n_vocab     = 300;
    s.n_ctx       = 256;
    s.type        = type;
    s.seed        = 7;
    return s;
}

}  // namespace ts::tools
