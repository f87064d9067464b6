// The llama-family forward pass (GGUF `llama`, `qwen2`, llama2.c checkpoints), read top to bottom like the math:
//
//   token → embedding row → per layer: RMSNorm → Q, K, V (+ bias) → RoPE → store K, V in the cache
//         → scores = q·k/√head_dim → softmax → Σ probs·v → output projection → residual add
//         → RMSNorm → SwiGLU MLP → residual add
//   → final RMSNorm → logits
//
// A batch of n tokens goes through each stage together, so the projections are matmuls that read every weight row
// once for all n tokens; attention is per token and causal (token t sees positions <= pos0 + t).
// Each stage that a learner can look at is a probe point: observe() is called only when the observer asked for it.
#include <cstdint>
#include <functional>

#include "core/model/forward.hpp"
#include "core/model/layers.hpp"
#include "core/tensor/ops.hpp"
#include "core/tensor/quant.hpp"

namespace ts::core {
namespace {

// Attention is spread over the threads (by head) once n_pos · n_embd reaches this, below it the hand-off costs more.
constexpr int64_t kParallelAttnWork = int64_t(1) << 15;

// out[t] = W · in[t] for the n tokens of a batch: matvec for one token, matmul (each weight row read once) for more.
void linear(const Tensor& w, const float* in, int n, float* out, ThreadPool& pool) {
    if (n == 1) {
        matvec(w, in, out, pool);
    } else {
        matmul(w, in, n, out, pool);
    }
}

// A probe point: hands the observer a view of `rows` x `cols` floats, only when it asked for this probe.
void probe(Observer* observer, ProbeMask mask, Probe p, int layer, int pos, float* data, int rows, int cols) {
    if (mask.has(p)) observer->observe(p, layer, pos, TensorView{data, rows, cols});
}

}  // namespace

void Forward::eval_batch(KvCache& cache, const int32_t* tokens, int n, int pos0, float* logits, int want_logits,
                         ThreadPool& pool, Observer* observer) {
    const Hparams& hp = model_.hp;
    const Weights& w  = model_.w;
    const int n_embd = hp.n_embd, kv_dim = hp.kv_dim(), n_ff = hp.n_ff, head_dim = hp.head_dim;
    const int half_rot  = hp.n_rot / 2;
    float* x            = x_.data();    // [n][n_embd] residual stream
    float* xb           = xb_.data();   // [n][n_embd] normed input of a block, then its projected output
    float* q            = q_.data();    // [n][n_head][head_dim]
    float* k            = k_.data();    // [n][n_head_kv][head_dim]
    float* v            = v_.data();    // [n][n_head_kv][head_dim]
    float* att          = att_.data();  // [n][n_head][head_dim] attention output, heads side by side
    float* hb           = hb_.data();   // [n][n_ff]
    float* hb2          = hb2_.data();  // [n][n_ff]
    auto row            = [](float* buf, int t, int dim) { return buf + size_t(t) * size_t(dim); };
    const ProbeMask top = wants_[0];

    // Token embedding: row `token` of token_embd, dequantised from the file's type.          x: [n][n_embd]
    for (int t = 0; t < n; ++t) {
        dequantize_row(w.token_embd.type, w.token_embd.row(tokens[t]), row(x, t, n_embd), n_embd);
        probe(observer, top, Probe::Embed, -1, pos0 + t, row(x, t, n_embd), 1, n_embd);
    }

    // RoPE angles of each token's position, shared by every layer and head.   cos, sin: [n][n_rot/2]
    for (int t = 0; t < n; ++t)
        rope_angles(hp, pos0 + t, row(rope_cos_.data(), t, half_rot), row(rope_sin_.data(), t, half_rot));

    for (int il = 0; il < hp.n_layer; ++il) {
        const LayerWeights& L = w.layers[size_t(il)];
        const ProbeMask mask  = wants_[size_t(il) + 1];

        // Attention norm: xb = RMSNorm(x) · attn_norm.                                     xb: [n][n_embd]
        for (int t = 0; t < n; ++t) {
            rms_norm(row(x, t, n_embd), static_cast<const float*>(L.attn_norm.data), hp.norm_eps, n_embd,
                     row(xb, t, n_embd));
            probe(observer, mask, Probe::AttnNorm, il, pos0 + t, row(xb, t, n_embd), 1, n_embd);
        }

        // Q, K, V projections (qwen2 adds biases).        q: [n][n_head·head_dim], k, v: [n][n_head_kv·head_dim]
        linear(L.wq, xb, n, q, pool);
        linear(L.wk, xb, n, k, pool);
        linear(L.wv, xb, n, v, pool);
        add_bias(L.bq, n, n_embd, q);
        add_bias(L.bk, n, kv_dim, k);
        add_bias(L.bv, n, kv_dim, v);

        for (int t = 0; t < n; ++t) {
            float* q_t = row(q, t, n_embd);
            float* k_t = row(k, t, kv_dim);
            float* v_t = row(v, t, kv_dim);
            // RoPE: rotate each pair of every Q and K head by its position's angle (Normal or NeoX pairing).
            const float* cos_t = row(rope_cos_.data(), t, half_rot);
            const float* sin_t = row(rope_sin_.data(), t, half_rot);
            for (int h = 0; h < hp.n_head; ++h)
                apply_rope(row(q_t, h, head_dim), hp.n_rot, hp.rope_style, cos_t, sin_t);
            for (int h = 0; h < hp.n_head_kv; ++h)
                apply_rope(row(k_t, h, head_dim), hp.n_rot, hp.rope_style, cos_t, sin_t);
            probe(observer, mask, Probe::Q, il, pos0 + t, q_t, hp.n_head, head_dim);
            probe(observer, mask, Probe::K, il, pos0 + t, k_t, hp.n_head_kv, head_dim);
            probe(observer, mask, Probe::V, il, pos0 + t, v_t, hp.n_head_kv, head_dim);

            // Store this position's K and V: later tokens attend to them without recomputing.
            cache.store(il, pos0 + t, k_t, v_t);
        }

        // Attention of each token over the positions up to its own (causal), every head.  att: [n][n_embd]
        // When nobody looks at the scores or probs, a batch goes head by head (one hand-off to the threads for
        // all its tokens); otherwise token by token, so the observer sees every head of a token at once.
        if (n > 1 && !mask.has(Probe::AttnScores) && !mask.has(Probe::AttnProbs)) {
            attention_batch(cache, il, pos0, n, q, att, pool);
        } else {
            for (int t = 0; t < n; ++t)
                attention(cache, il, pos0 + t, row(q, t, n_embd), row(att, t, n_embd), pool, observer, mask);
        }
        for (int t = 0; t < n; ++t) probe(observer, mask, Probe::AttnOut, il, pos0 + t, row(att, t, n_embd), 1, n_embd);

        // Output projection and residual add: x = x + Wo · att.
        linear(L.wo, att, n, xb, pool);
        for (int t = 0; t < n; ++t) {
            float* x_t        = row(x, t, n_embd);
            const float* xb_t = row(xb, t, n_embd);
            for (int i = 0; i < n_embd; ++i) x_t[i] += xb_t[i];
            probe(observer, mask, Probe::ResidAttn, il, pos0 + t, x_t, 1, n_embd);
        }

        // MLP norm: xb = RMSNorm(x) · ffn_norm.
        for (int t = 0; t < n; ++t) {
            rms_norm(row(x, t, n_embd), static_cast<const float*>(L.ffn_norm.data), hp.norm_eps, n_embd,
                     row(xb, t, n_embd));
            probe(observer, mask, Probe::FfnNorm, il, pos0 + t, row(xb, t, n_embd), 1, n_embd);
        }

        // SwiGLU MLP: hb = silu(W_gate · xb) ⊙ (W_up · xb), then xb = W_down · hb.         hb: [n][n_ff]
        linear(L.w_gate, xb, n, hb, pool);
        linear(L.w_up, xb, n, hb2, pool);
        swiglu(hb, hb2, int64_t(n) * n_ff);
        linear(L.w_down, hb, n, xb, pool);

        // Residual add: x = x + MLP(x).
        for (int t = 0; t < n; ++t) {
            float* x_t  = row(x, t, n_embd);
            float* xb_t = row(xb, t, n_embd);
            probe(observer, mask, Probe::FfnOut, il, pos0 + t, xb_t, 1, n_embd);
            for (int i = 0; i < n_embd; ++i) x_t[i] += xb_t[i];
            probe(observer, mask, Probe::ResidFfn, il, pos0 + t, x_t, 1, n_embd);
        }
    }
    if (want_logits == 0) return;

    // Final norm, then logits = output · xb for the tokens whose logits are wanted.     logits: [m][n_vocab]
    const int first = want_logits == 2 ? 0 : n - 1;
    const int m     = n - first;
    for (int t = first; t < n; ++t) {
        rms_norm(row(x, t, n_embd), static_cast<const float*>(w.output_norm.data), hp.norm_eps, n_embd,
                 row(xb, t, n_embd));
        probe(observer, top, Probe::FinalNorm, -1, pos0 + t, row(xb, t, n_embd), 1, n_embd);
    }
    linear(w.output, row(xb, first, n_embd), m, logits, pool);
    for (int t = 0; t < m; ++t)
        probe(observer, top, Probe::Logits, -1, pos0 + first + t, row(logits, t, hp.n_vocab), 1, hp.n_vocab);
}

void Forward::attention(const KvCache& cache, int layer, int pos, float* q, float* out, ThreadPool& pool,
                        Observer* observer, ProbeMask mask) {
    const Hparams& hp  = model_.hp;
    const int n_pos    = pos + 1;  // causal mask: keys 0 .. pos only
    const int head_dim = hp.head_dim;
    const int group    = hp.n_head / hp.n_head_kv;  // grouped-query attention: query head h reads kv head h / group
    float* scores      = scores_.data();            // [n_head][n_pos] q·k/√head_dim
    float* probs       = probs_.data();             // [n_head][n_pos] softmax(scores)
    auto at            = [n_pos](float* buf, int h) { return buf + size_t(h) * size_t(n_pos); };

    // Heads are independent: spread them over the threads when the context is long enough.
    const bool parallel = pool.n_threads() > 1 && int64_t(n_pos) * hp.n_embd >= kParallelAttnWork;
    auto for_heads      = [&](auto&& fn) {
        if (parallel) {
            pool.parallel_for(hp.n_head, [&](int64_t b, int64_t e) { fn(int(b), int(e)); });
        } else {
            fn(0, hp.n_head);
        }
    };

    // Scores: scores[h][j] = q_h · k_j / √head_dim for every key position j <= pos.
    for_heads([&](int h0, int h1) {
        for (int h = h0; h < h1; ++h)
            attn::scores_row(q + size_t(h) * size_t(head_dim), cache, layer, h / group, head_dim, n_pos, at(scores, h));
    });
    probe(observer, mask, Probe::AttnScores, layer, pos, scores, hp.n_head, n_pos);

    // Softmax over the key positions (the maximum subtracted first, so it cannot overflow).
    for_heads([&](int h0, int h1) {
        for (int h = h0; h < h1; ++h) attn::softmax_row(at(scores, h), at(probs, h), n_pos);
    });
    probe(observer, mask, Probe::AttnProbs, layer, pos, probs, hp.n_head, n_pos);

    // Weighted sum of the values: out_h = Σ_j probs[h][j] · v_j.                      out: [n_head][head_dim]
    for_heads([&](int h0, int h1) {
        for (int h = h0; h < h1; ++h)
            attn::weighted_sum_row(at(probs, h), cache, layer, h / group, head_dim, n_pos,
                                   out + size_t(h) * size_t(head_dim));
    });
}

void Forward::attention_batch(const KvCache& cache, int layer, int pos0, int n, const float* q, float* out,
                              ThreadPool& pool) {
    const Hparams& hp  = model_.hp;
    const int head_dim = hp.head_dim;
    const int group    = hp.n_head / hp.n_head_kv;  // grouped-query attention: query head h reads kv head h / group
    const size_t ctx   = size_t(n_ctx_);

    // Each head is one thread's for every token of the batch; head h uses row h of scores_ and probs_.
    const auto heads = [&](int64_t h0, int64_t h1) {
        for (int h = int(h0); h < int(h1); ++h) {
            float* scores = scores_.data() + size_t(h) * ctx;  // [n_pos] q·k/√head_dim of one token
            float* probs  = probs_.data() + size_t(h) * ctx;   // [n_pos] softmax(scores)
            for (int t = 0; t < n; ++t) {
                const int n_pos   = pos0 + t + 1;  // causal mask: keys 0 .. pos only
                const size_t head = size_t(t) * size_t(hp.n_embd) + size_t(h) * size_t(head_dim);
                attn::scores_row(q + head, cache, layer, h / group, head_dim, n_pos, scores);
                attn::softmax_row(scores, probs, n_pos);
                attn::weighted_sum_row(probs, cache, layer, h / group, head_dim, n_pos, out + head);
            }
        }
    };
    pool.parallel_for(hp.n_head, std::cref(heads));  // by reference: the std::function does not allocate
}

}  // namespace ts::core
