// Forward: the forward pass over a KV cache, for every architecture. It owns its scratch buffers (sized once for n_ctx
// and a batch of n_batch tokens), so evaluating a token allocates nothing. One Forward serves one generation at a time.
//
//   Forward fwd(*model, 2048);
//   auto cache = fwd.make_cache(DType::F32);
//   fwd.eval(*cache, prompt.data(), n_prompt, 0, logits.data(), LogitRows::Last, pool);   // prefill
//   fwd.eval(*cache, &next, 1, n_prompt, logits.data(), LogitRows::Last, pool);           // decode one token
//
// The stages, top to bottom, are declared and run in arch/<family>.cpp (the list: arch_desc() in stage.hpp): each
// family has one block function, picked once per batch by the architecture.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/base/result.hpp"
#include "core/kv/kv_cache.hpp"
#include "core/model/model.hpp"
#include "core/model/stage.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::core {

// Which tokens' logits a forward call computes: none (a prefill whose logits nobody reads), the last token's, or
// every token's.
enum class LogitRows : uint8_t { None, Last, All };

class Forward {
public:
    // 64: the int8 matmul decodes each weight row once per batch, so 32 -> 64 is ~12% faster prefill (TinyLlama
    // Q8_0, prefill_bench); 128 adds ~1% while doubling the wait before a cancel is seen between batches.
    static constexpr int kDefaultBatch = 64;

    // n_ctx: the most positions one sequence may reach (>= 1). n_batch: tokens per batched step of a long prompt.
    Forward(const Model& model, int n_ctx, int n_batch = kDefaultBatch);

    const Model& model() const { return model_; }
    int n_ctx() const { return n_ctx_; }
    int n_batch() const { return n_batch_; }
    // The most tokens from position 0 that one eval() runs as one batch: n_batch, or on a model with recurrent
    // layers the state's checkpoint spacing when smaller (a batch ends at each checkpoint).
    int first_batch() const {
        return model_.hp.has_recurrent() ? std::min(n_batch_, model_.hp.state_checkpoint_every()) : n_batch_;
    }

    // A cache that fits this model and context (f32 or f16 storage).
    [[nodiscard]] Result<KvCache> make_cache(DType type = DType::F32) const;

    // Runs tokens[0 .. n_tokens) at positions pos0 .. pos0 + n_tokens - 1, storing their K and V in `cache`.
    // The cache must already hold positions [0, pos0) (pos0 <= cache.n_pos()); afterwards it holds
    // [0, pos0 + n_tokens). logits: [n_vocab] of the last token (LogitRows::Last), [n_tokens][n_vocab] (All), or
    // unused (None: the output layer is skipped; logits may be null). Errors (nothing is written then): a context
    // overflow, a token id out of range, a cache of another shape, logits null while rows are wanted.
    [[nodiscard]] Status eval(KvCache& cache, const int32_t* tokens, int n_tokens, int pos0, float* logits,
                              LogitRows rows, ThreadPool& pool, Observer* observer = nullptr);

    // Evaluates again the token at `pos`, which the cache already holds (pos < cache.n_pos()), reading the cache
    // and writing nothing: the observer sees every stage exactly as when the position was first evaluated (the
    // batched and one-token paths agree bit for bit), and logits ([n_vocab], may be null) get its logits. The
    // explorer's Journey shows a position this way, against the real cache, without recomputing earlier positions.
    [[nodiscard]] Status replay(const KvCache& cache, int32_t token, int pos, float* logits, ThreadPool& pool,
                                Observer* observer);

private:
    void ask_observer(Observer* observer);
    // One batch of n <= n_batch tokens through the architecture's stage list, reading keys and values from
    // `cache`. store: where each token's K and V are written (== &cache), or null (a replay: the cache already holds
    // them). It hands the batch to the family's block function: eval_llama (arch/llama.cpp: llama, qwen2, qwen3,
    // phi3), eval_gpt2 (arch/gpt2.cpp) or eval_gemma (arch/gemma.cpp: gemma2, gemma3).
    void eval_batch(const KvCache& cache, KvCache* store, const int32_t* tokens, int n, int pos0, float* logits,
                    LogitRows rows, ThreadPool& pool, Observer* observer);
    void eval_llama(const KvCache& cache, KvCache* store, const int32_t* tokens, int n, int pos0, float* logits,
                    LogitRows rows, ThreadPool& pool, Observer* observer);
    void eval_gpt2(const KvCache& cache, KvCache* store, const int32_t* tokens, int n, int pos0, float* logits,
                   LogitRows rows, ThreadPool& pool, Observer* observer);
    // qwen35 (arch/qwen35.cpp): its DeltaNet layers update the recurrent state at rec_state_ (the cache's, or a
    // replay's copy) token by token.
    void eval_qwen35(const KvCache& cache, KvCache* store, const int32_t* tokens, int n, int pos0, float* logits,
                     LogitRows rows, ThreadPool& pool, Observer* observer);
    // qwen35: brings the cache's recurrent state to position pos0 (restoring the nearest checkpoint and running the
    // tokens from there, without logits, through `editor` — the observer's edits, Observer::editor — or nothing)
    // when a rewind left it elsewhere.
    void sync_recurrent(KvCache& cache, int pos0, ThreadPool& pool, Observer* editor);
    // arch/gemma.cpp: gemma2, gemma3, gemma4.
    void eval_gemma(const KvCache& cache, KvCache* store, const int32_t* tokens, int n, int pos0, float* logits,
                    LogitRows rows, ThreadPool& pool, Observer* observer);
    // arch/gemma4.cpp: gemma4's per-layer inputs of the n tokens into ple_: PleEmbed (the table's rows × √n_pl) or
    // PleInput (the projection of the scaled embedding in x_, normed, added, × 1/√2).
    void per_layer_inputs(Stage s, const int32_t* tokens, int n, ThreadPool& pool);
    // arch/moe.cpp: the mixture-of-experts stages of the llama block function (qwen3moe), one call per stage for
    // the n tokens of a batch: FfnRouter, FfnRouterProbs, FfnRoute, FfnGate, FfnUp, FfnExpertOut, FfnOut (FfnAct
    // is the dense swiglu over every row); of gemma's (gemma4 with experts beside its MLP): FfnPostNorm1, FfnNorm2,
    // FfnRouter .. FfnRoute, FfnExpGate, FfnExpUp, FfnExpAct, FfnExpertOut, FfnMoeOut, FfnPostNorm2, FfnMoeSum.
    // Only the chosen experts run: each expert's matrix multiplies the rows of the tokens that chose it, gathered
    // into one batch.
    void moe_stage(Stage s, const LayerWeights& L, int n, ThreadPool& pool);
    // out row (t, k) = W_e · in row of (t, k) for every chosen (token t, slot k) with e its k-th expert; in rows
    // are xb's row t (shared_in) or in[t][k]; in_dim, out_dim: the rows' widths. W_e: expert e's out_dim rows from
    // row0 on (gemma4's fused gate | up: its gate rows, or its up rows).
    void expert_linear(const Tensor& stacked, const float* in, bool shared_in, int in_dim, int n, float* out,
                       int out_dim, ThreadPool& pool, int row0 = 0);
    // K and V of the batch into the cache, then the attention of each token over the positions up to its own:
    // one token at a time when the observer looks at scores or probs, else the whole batch head by head.
    // q: [n][q_dim], k, v: [n][kv_dim] → att: [n][q_dim].
    void attend(const KvCache& cache, KvCache* store, int layer, int pos0, int n, const float* q, const float* k,
                const float* v, float* att, ThreadPool& pool, Observer* observer, StageMask mask);
    // Attention of one token at `pos` for every head: q [n_head][head_dim] → out [n_head][head_dim].
    // n_keys: the keys it reads (pos + 1 under the causal mask; more when the observer lifts it, see key_count).
    void attention(const KvCache& cache, int layer, int pos, int n_keys, const float* q, float* out, ThreadPool& pool,
                   Observer* observer, StageMask mask);
    // The same for the n tokens at pos0 .. pos0 + n - 1 of a batch (q, out: [n][q_dim]), heads spread over the
    // threads; no observer (the caller goes token by token when scores or probs are observed).
    void attention_batch(const KvCache& cache, int layer, int pos0, int n, const float* q, float* out,
                         ThreadPool& pool);

    const Model& model_;
    int n_ctx_   = 0;
    int n_batch_ = 0;

    // Scratch, allocated once. Token t of a batch uses row t of each [n_batch][...] buffer.
    std::vector<float> x_;          // [n_batch][n_embd]  residual stream
    std::vector<float> xb_;         // [n_batch][n_embd]  normed input of a block / output of a projection
    std::vector<float> q_;          // [n_batch][q_dim]   queries, n_head x head_dim
    std::vector<float> k_;          // [n_batch][kv_dim]  keys, n_head_kv x head_dim
    std::vector<float> v_;          // [n_batch][kv_dim]  values
    std::vector<float> qkv_;        // [n_batch][q_dim + 2 kv_dim] gpt2's / phi3's fused projection, rows q | k | v
                                    // (phi3: at least [n_batch][2 n_ff], its fused gate | up too); else empty
    std::vector<float> att_;        // [n_batch][q_dim]   attention output, heads concatenated
    std::vector<float> hb_;         // [n_batch][n_ff]    MLP gate, then silu(gate)·up (gpt2: up, then GELU(up))
    std::vector<float> hb2_;        // [n_batch][n_ff]    MLP up
    std::vector<float> scores_;     // [n_head][n_pos]    q·k/√head_dim of one token (row stride n_pos)
    std::vector<float> probs_;      // [n_head][n_pos]    softmax of scores
    std::vector<float> rope_;       // [n_batch][2][n_rot/2] cos, then sin, of each token's RoPE angles; then the
                                    // same for the sliding-window layers when they have their own (gemma)
    std::vector<StageMask> wants_;  // [n_layer + 1]      what the observer asked for; [0] is layer -1
    std::vector<float> ple_;        // [n_batch][n_layer][n_embd_per_layer] gemma4's per-layer inputs, else empty
    std::vector<float> ple_gate_;   // [n_batch][n_embd_per_layer] one layer's GELU(gate) · its per-layer input
    // A mixture of experts (qwen3moe), else empty; hb_ and hb2_ then hold [n_batch][n_expert_used][n_ff].
    std::vector<float> router_;      // [n_batch][n_expert] router logits
    std::vector<float> router_p_;    // [n_batch][n_expert] their softmax
    std::vector<float> route_;       // [n_batch][2][n_expert_used] chosen ids (as floats), weights
    std::vector<float> expert_out_;  // [n_batch][n_expert_used][n_embd] each chosen expert's down projection
    std::vector<float> gather_in_, gather_out_;  // [n_batch][max(n_embd, n_ff)] one expert's rows
    std::vector<int> moe_slots_;                 // [max(n_batch, n_expert_used)] the rows one expert serves
    // gemma4's experts beside the MLP (else empty): hb_ and hb2_ hold the experts' rows after the MLP's.
    std::vector<float> shexp_;      // [n_batch][n_embd] the MLP's normed output (the shared expert's)
    std::vector<float> router_in_;  // [n_batch][n_embd] the router's input
    // qwen35 (else empty): qkv_ holds [n_batch][2 q_dim] (each head's query then its gate); the attention gates, and
    // the DeltaNet stages' rows (C: ssm_conv_dim, R: ssm_dt_rank, DI: ssm_d_inner).
    std::vector<float> gate_;                              // [n_batch][q_dim]
    std::vector<float> lin_mix_;                           // [n_batch][C] q | k | v before the convolution
    std::vector<float> lin_conv_;                          // [n_batch][C] after it
    std::vector<float> lin_z_;                             // [n_batch][DI] the output gate z
    std::vector<float> lin_decay_, lin_beta_, lin_snorm_;  // [n_batch][R]
    std::vector<float> lin_read_;                          // [n_batch][DI] the state's read-out, then the gated norm
    std::vector<float> lin_delta_;                         // [d_state] scratch of one head's update
    std::vector<float> rec_replay_;                        // a replay's copy of the recurrent state
    float* rec_state_ = nullptr;                           // the recurrent state the current batch updates
};

// The residual stream entering layer 0 for `token` at `pos`, as the architecture's stages before the layers make it
// (stage.hpp: Embed, then PosEmbed where there is one) — bit for bit what the forward pass computes. An error for an
// architecture whose stages before the layers are not made here (so nothing is shown rather than a wrong row).
[[nodiscard]] Result<std::vector<float>> layer_input(const Model& model, int32_t token, int pos);

}  // namespace ts::core
