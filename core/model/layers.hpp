// The small per-token operations of a llama-family layer, named as the explorer names them: RMSNorm, RoPE, the
// attention score row, softmax, the weighted sum of V, SwiGLU. The forward pass calls these, and so does anything
// that re-derives a number later (the trace's score rows), so that what is shown equals what was computed.
// Matrix products are not here: they are core/tensor's matvec / matmul.
#pragma once

#include <cstdint>

#include "core/kv/kv_cache.hpp"
#include "core/model/model.hpp"

namespace ts::core {

// out = x / sqrt(mean(x²) + eps) * weight, n floats (out may alias x); weight null: no weight (gemma4's values).
void rms_norm(const float* x, const float* weight, float eps, int n, float* out);

// LayerNorm (gpt2): out = (x - mean) / sqrt(var + eps) * weight + bias, mean and variance over the n features of one
// position (out may alias x).
void layer_norm(const float* x, const float* weight, const float* bias, float eps, int n, float* out);

// The final norm of `model`'s architecture (RMSNorm, or LayerNorm with its bias) on one row of n_embd floats: what
// the forward pass's final_norm stage computes, and what the logit lens applies to a layer's residual stream.
void output_norm(const Model& model, const float* x, float* out);

// GELU, in place, exactly as ggml's CPU backend computes it for llama.cpp: the tanh approximation
// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) read from a table of fp16 values — x is rounded to fp16, the result
// of that fp16 input is rounded to fp16 — with x <= -10 giving 0 and x >= 10 giving x. Looked up in a table of the
// 65536 f16 inputs made on first use (256 KiB), as ggml does: one tanh per element made gpt2's prefill twice as slow.
void gelu(float* x, int64_t n);

// The angle of rotated pair i at one position, i in [0, n_rot/2):
//   pos * freq_scale * freq_base^(-2i / n_rot) / factor[i]
// with factor[i] = hp.rope_freq_factors[i] (Llama 3's rope_freqs.weight, gemma4's global layers), 1 when the model
// has none. The factor
// divides the frequency, as ggml's rope (its freq_factors) does. Taking the whole Hparams means no caller can forget
// the scale or the factors.
// swa: the angle on a sliding-window layer, with rope_freq_base_swa, rope_freq_scale_swa and n_rot_swa (gemma's local
// layers), without factors.
double rope_theta(const Hparams& hp, int pos, int i, bool swa = false);
// Whether pair i turns with the position: always, except in qwen35's interleaved M-RoPE (hp.rope_sections), where
// pair i belongs to section (i mod Σ sections) in the order time, height, width, time, ...; for text the three
// positions are all `pos` and the fourth ("extra") is 0, so a pair left to it keeps angle 0.
bool rope_pair_rotates(const Hparams& hp, int i);

// cos / sin of every rotated pair at one position (rope_theta of each). cos_out and sin_out hold n_rot/2 floats.
void rope_angles(const Hparams& hp, int pos, float* cos_out, float* sin_out, bool swa = false);

// Rotates one head vector (head_dim floats) in place with the angles of rope_angles(). Normal pairs (2i, 2i+1);
// NeoX pairs (i, i + n_rot/2). Dimensions >= n_rot are left as they are.
void apply_rope(float* head, int n_rot, RopeStyle style, const float* cos_a, const float* sin_a);

// out[t] += b for each of the n rows of `dim` floats; a bias without data (llama) adds nothing.
void add_bias(const Tensor& b, int n, int dim, float* out);

// silu(gate) * up, elementwise, into gate (n floats): the SwiGLU non-linearity.
void swiglu(float* gate, const float* up, int64_t n);

// GELU(gate) * up, elementwise, into gate (n floats): gemma's gated MLP, with gelu()'s numbers (ggml's geglu).
void geglu(float* gate, const float* up, int64_t n);

// A mixture of experts' choice, as llama.cpp's build_moe_ffn makes it: the k experts of highest router probability
// (probs: [n_expert], most probable first, the lower id first on a tie) into ids, and their weights into w — the
// probabilities divided by their sum when `normalize` (the sum clamped below at 6.1e-5, as there), else as they are.
void route_experts(const float* probs, int n_expert, int k, bool normalize, int* ids, float* w);

// x = cap · tanh(x / cap) for n floats (gemma2's soft-cap of the scores and of the logits); cap 0: unchanged.
void softcap(float* x, int64_t n, float cap);

namespace attn {

// How `layer` attends: the queries' scale (1/√head_dim unless the model says otherwise), the scores' soft-cap (0:
// none) and the sliding window (0: every earlier position).
struct Params {
    float scale   = 1.0f;
    float softcap = 0.0f;
    int window    = 0;
    // The layer's head size and kv heads (gemma4's differ per layer), and the cache layer its keys and values are
    // read from (itself, or the layer whose cache a KV-sharing layer reads).
    int head_dim  = 0;
    int n_head_kv = 0;
    int kv_layer  = 0;
    // The first key a query at `pos` sees: pos - window + 1 on a sliding-window layer, else 0.
    int first_key(int pos) const { return window > 0 && pos >= window ? pos - window + 1 : 0; }
};
Params params(const Hparams& hp, int layer);

// The score row of one query head as `layer` computes it: scores[j] = q·k_j · scale for the keys the query sees,
// -inf for the keys before the window, then the soft-cap where the model has one (p.softcap; pass a copy with
// softcap 0 for the raw row). Returns the first key seen. The masked keys stay -inf through the cap, as in llama.cpp,
// which adds its mask after capping.
int layer_scores_row(const Params& p, const float* q_head, const KvCache& cache, int layer, int kv_head, int head_dim,
                     int n_pos, float* scores);

// scores: [n_pos], scores[j] = q·k_j / √head_dim for the keys j in [0, n_pos) of `kv_head` in `layer`.
// The causal mask is the length: position p only ever sees n_pos = p + 1 keys.
void scores_row(const float* q_head, const KvCache& cache, int layer, int kv_head, int head_dim, int n_pos,
                float* scores);

// probs = softmax(scores), n floats, stable at the extremes (the maximum is subtracted before exp).
void softmax_row(const float* scores, float* probs, int n);

// out: [head_dim] = Σ_j probs[j] · v_j over the values j in [0, n_pos) of `kv_head` in `layer`.
void weighted_sum_row(const float* probs, const KvCache& cache, int layer, int kv_head, int head_dim, int n_pos,
                      float* out);
// The same over the keys [j0, n_pos) only (the others' weights are 0: outside a sliding window).
void weighted_sum_row(const float* probs, const KvCache& cache, int layer, int kv_head, int head_dim, int j0, int n_pos,
                      float* out);

}  // namespace attn
}  // namespace ts::core
