// The trainer's operations, each a forward and a backward written as the engine's forward computes it
// (core/model): the same formulas, so a trained model behaves the same when the engine runs it.
//   embedding   x[t] = E[tok[t]]
//   linear      y = x·Wᵀ with W [out][in] row-major (GGUF ne = {in, out})
//   rmsnorm     y = x * rsqrt(mean(x²) + eps) * w
//   rope        pairs (2i, 2i+1) of every head rotated by pos * base^(-2i/head_dim)  ("Normal", llama GGUF)
//   attention   causal softmax(q·k / √head_dim) · v; head h reads kv head h / (n_head / n_head_kv)
//   swiglu      h = silu(gate) * up
//   cross-entropy of softmax(logits) against the next token
// Shapes are in comments as [outer][inner], row-major f32. Backward functions say whether they overwrite (=) or
// add into (+=) their gradient outputs; "+=" is used where a value feeds two places (residual stream, weights).
// Reductions over tokens run in token order on one thread, so results do not depend on the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor/thread_pool.hpp"

namespace ts::core::train {

// --- embedding ---------------------------------------------------------------------------------------------------
// x: [n][d] = E rows of tok (E: [n_vocab][d]).
void embedding_forward(const float* e, const int32_t* tok, int64_t n, int64_t d, float* x);
// de[tok[t]] += dx[t]
void embedding_backward(const int32_t* tok, const float* dx, int64_t n, int64_t d, float* de);

// --- linear ------------------------------------------------------------------------------------------------------
// y: [n][out] = x [n][in] · Wᵀ
void linear_forward(const float* x, const float* w, int64_t n, int64_t in, int64_t out, float* y, ThreadPool* pool);
// dx [n][in] (= or +=, by dx_accumulate) dy·W;  dw [out][in] += dyᵀ·x. dx may be null (not needed).
void linear_backward(const float* x, const float* w, const float* dy, int64_t n, int64_t in, int64_t out, float* dx,
                     bool dx_accumulate, float* dw, ThreadPool* pool);

// --- rmsnorm -----------------------------------------------------------------------------------------------------
// y: [n][d]; rstd: [n] = 1/sqrt(mean(x²) + eps) (kept for the backward).
void rmsnorm_forward(const float* x, const float* w, int64_t n, int64_t d, float eps, float* y, float* rstd);
// dx += ∂L/∂x;  dw += ∂L/∂w.
void rmsnorm_backward(const float* x, const float* w, const float* rstd, const float* dy, int64_t n, int64_t d,
                      float* dx, float* dw);

// --- rope --------------------------------------------------------------------------------------------------------
// cos / sin of pos * base^(-2i/head_dim) for pos in [0, n_pos), i in [0, head_dim/2), computed in double.
struct RopeTable {
    int64_t n_pos = 0, half = 0;
    std::vector<float> cos, sin;  // [n_pos][half]
};
RopeTable make_rope_table(int64_t n_pos, int64_t head_dim, double base);
// x: [n][n_heads][head_dim] rotated in place; token t sits at position pos[t].
void rope_forward(const RopeTable& rt, const int32_t* pos, int64_t n, int64_t n_heads, int64_t head_dim, float* x);
// The gradient through the rotation (a rotation by -angle), in place on dx.
void rope_backward(const RopeTable& rt, const int32_t* pos, int64_t n, int64_t n_heads, int64_t head_dim, float* dx);

// --- attention ---------------------------------------------------------------------------------------------------
// n_seq independent sequences of n_ctx tokens each, positions 0..n_ctx-1, causal.
struct AttnShape {
    int64_t n_seq = 1, n_ctx = 1, n_head = 1, n_head_kv = 1, head_dim = 1;
};
// q: [n_seq][n_ctx][n_head][head_dim] (after RoPE), k, v: [n_seq][n_ctx][n_head_kv][head_dim]
// probs: [n_seq][n_head][n_ctx][n_ctx] softmax rows (entries past the query position are 0), kept for backward
// out: [n_seq][n_ctx][n_head][head_dim]
void attention_forward(const AttnShape& s, const float* q, const float* k, const float* v, float* probs, float* out,
                       ThreadPool* pool);
// dq, dk, dv (=): gradients of q, k, v.
void attention_backward(const AttnShape& s, const float* q, const float* k, const float* v, const float* probs,
                        const float* dout, float* dq, float* dk, float* dv, ThreadPool* pool);

// --- swiglu ------------------------------------------------------------------------------------------------------
// h[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + e^-g); n elements.
void swiglu_forward(const float* gate, const float* up, int64_t n, float* h);
// dgate, dup (=) from dh.
void swiglu_backward(const float* gate, const float* up, const float* dh, int64_t n, float* dgate, float* dup);

// --- cross-entropy -----------------------------------------------------------------------------------------------
// logits: [n][n_vocab]; returns the sum over rows of -log softmax(logits[t])[target[t]] (double).
double cross_entropy_loss(const float* logits, const int32_t* target, int64_t n, int64_t n_vocab);
// Same sum, and overwrites logits with scale * (softmax - onehot(target)), the gradient of scale * sum.
double cross_entropy_forward_backward(float* logits, const int32_t* target, int64_t n, int64_t n_vocab, float scale,
                                      ThreadPool* pool);

}  // namespace ts::core::train
