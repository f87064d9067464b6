// Forward: buffers, argument checks, splitting a long prompt into batches, and the attention every family shares
// (scores, softmax, weighted sum of V over the KV cache). The stages themselves are in arch/<family>.cpp.
#include "core/model/forward.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/base/check.hpp"
#include "core/model/layers.hpp"
#include "core/model/stage.hpp"
#include "core/tensor/quant.hpp"

namespace ts::core {

namespace {

// The cache stores each layer's rows at that layer's size (none for a layer that reads another's or keeps a state).
// Compared layer by layer, so that evaluating a token still allocates nothing.
bool cache_fits(const KvCache& cache, const Hparams& hp) {
    if (cache.n_layer() != hp.n_layer) return false;
    for (int il = 0; il < hp.n_layer; ++il)
        if (cache.kv_dim(il) != hp.kv_cache_dim(il)) return false;
    return true;
}

}  // namespace

Forward::Forward(const Model& model, int n_ctx, int n_batch) : model_(model), n_ctx_(n_ctx) {
    TS_CHECK(n_ctx >= 1 && n_batch >= 1, "Forward: n_ctx and n_batch must be positive");
    const Hparams& hp = model.hp;
    n_batch_          = std::min(n_batch, n_ctx);
    const size_t B    = size_t(n_batch_);
    x_.assign(B * size_t(hp.n_embd), 0.0f);
    xb_.assign(B * size_t(hp.n_embd), 0.0f);
    q_.assign(B * size_t(hp.q_dim()), 0.0f);
    k_.assign(B * size_t(hp.kv_dim()), 0.0f);
    v_.assign(B * size_t(hp.kv_dim()), 0.0f);
    if (hp.arch == Arch::Gpt2 || hp.arch == Arch::Phi3) qkv_.assign(B * size_t(hp.q_dim() + 2 * hp.kv_dim()), 0.0f);
    // phi3's fused gate | up rows share the buffer with its fused Q | K | V (never live at the same time).
    if (hp.arch == Arch::Phi3) qkv_.resize(std::max(qkv_.size(), B * 2 * size_t(hp.n_ff)), 0.0f);
    att_.assign(B * size_t(hp.q_dim()), 0.0f);
    // hb_ also holds gemma4's projection to the per-layer inputs ([n_batch][n_layer · n_embd_per_layer]).
    // With experts, the chosen experts' hidden rows too ([n_batch][n_expert_used][expert_ff]).
    const size_t ff = std::max(size_t(hp.ff_rows()) * size_t(hp.n_ff),
                               hp.is_moe() ? size_t(hp.n_expert_used) * size_t(hp.expert_ff()) : 0);
    hb_.assign(B * std::max(ff, size_t(hp.n_layer) * size_t(hp.n_embd_per_layer)), 0.0f);
    hb2_.assign(B * ff, 0.0f);
    if (hp.is_moe()) {
        const size_t E = size_t(hp.n_expert), K = size_t(hp.n_expert_used);
        router_.assign(B * E, 0.0f);
        router_p_.assign(B * E, 0.0f);
        route_.assign(B * 2 * K, 0.0f);
        expert_out_.assign(B * K * size_t(hp.n_embd), 0.0f);
        gather_in_.assign(B * size_t(std::max(hp.n_embd, hp.expert_ff())), 0.0f);
        gather_out_.assign(B * size_t(std::max(hp.n_embd, hp.expert_ff())), 0.0f);
        moe_slots_.reserve(std::max(B, K));
    }
    if (hp.experts_beside_mlp()) {
        shexp_.assign(B * size_t(hp.n_embd), 0.0f);
        router_in_.assign(B * size_t(hp.n_embd), 0.0f);
    }
    if (hp.arch == Arch::Qwen35) {
        const size_t C = size_t(hp.ssm_conv_dim()), R = size_t(hp.ssm_dt_rank), DI = size_t(hp.ssm_d_inner);
        qkv_.assign(B * 2 * size_t(hp.q_dim()), 0.0f);
        gate_.assign(B * size_t(hp.q_dim()), 0.0f);
        lin_mix_.assign(B * C, 0.0f);
        lin_conv_.assign(B * C, 0.0f);
        lin_z_.assign(B * DI, 0.0f);
        lin_decay_.assign(B * R, 0.0f);
        lin_beta_.assign(B * R, 0.0f);
        lin_snorm_.assign(B * R, 0.0f);
        lin_read_.assign(B * DI, 0.0f);
        lin_delta_.assign(size_t(hp.ssm_d_state), 0.0f);
    }
    scores_.assign(size_t(hp.n_head) * size_t(n_ctx), 0.0f);
    probs_.assign(size_t(hp.n_head) * size_t(n_ctx), 0.0f);
    // Two sets of angles where sliding-window layers rotate with a base of their own (gemma): global, then local.
    const bool gemma = hp.arch == Arch::Gemma2 || hp.arch == Arch::Gemma3 || hp.arch == Arch::Gemma4;
    rope_.assign(B * 2 * size_t(std::max(hp.n_rot, hp.n_rot_swa) / 2) * (gemma ? 2 : 1), 0.0f);
    // gemma4's per-layer inputs: [n_batch][n_layer][n_embd_per_layer], and one layer's gate / projection rows.
    if (hp.n_embd_per_layer > 0) {
        ple_.assign(B * size_t(hp.n_layer) * size_t(hp.n_embd_per_layer), 0.0f);
        ple_gate_.assign(B * size_t(hp.n_embd_per_layer), 0.0f);
    }
    wants_.assign(size_t(hp.n_layer) + 1, StageMask{});
}

Result<KvCache> Forward::make_cache(DType type) const {
    return KvCache::create(model_.hp.kv_cache_dims(), n_ctx_, type);
}

Status Forward::eval(KvCache& cache, const int32_t* tokens, int n_tokens, int pos0, float* logits, LogitRows rows,
                     ThreadPool& pool, Observer* observer) {
    const Hparams& hp = model_.hp;
    if (n_tokens <= 0 || !tokens)
        return make_error(Code::kInvalidArgument, "forward: no tokens to evaluate (n_tokens %d)", n_tokens);
    if (!cache_fits(cache, hp))
        return make_error(Code::kInvalidArgument,
                          "forward: the KV cache has %d layers x %lld values per position, the model needs %d x %lld",
                          cache.n_layer(),
                          static_cast<long long>(cache.bytes_per_pos() / 2 / row_bytes(cache.type(), 1)), hp.n_layer,
                          static_cast<long long>(hp.kv_bytes(1, 1) / 2));
    if (pos0 < 0 || pos0 > cache.n_pos())
        return make_error(Code::kInvalidArgument, "forward: position %d, but the KV cache holds positions [0, %d)",
                          pos0, cache.n_pos());
    const int64_t end   = int64_t(pos0) + n_tokens;
    const int n_ctx_max = std::min(n_ctx_, cache.n_ctx());
    if (end > n_ctx_max)
        return make_error(Code::kInvalidArgument,
                          "forward: context overflow: %d tokens at position %d need %lld positions, the context holds "
                          "%d",
                          n_tokens, pos0, static_cast<long long>(end), n_ctx_max);
    // Learned positions (gpt2) end where the position matrix ends, whatever the cache could hold.
    if (model_.w.pos_embd.data && end > hp.n_ctx_train)
        return make_error(Code::kInvalidArgument,
                          "forward: context overflow: position %lld is past the %d positions %s learned "
                          "(position_embd.weight)",
                          static_cast<long long>(end - 1), hp.n_ctx_train, hp.arch_name.c_str());
    for (int t = 0; t < n_tokens; ++t)
        if (tokens[t] < 0 || tokens[t] >= hp.n_vocab)
            return make_error(Code::kInvalidArgument,
                              "forward: token id %d (at index %d) is outside the vocabulary [0, %d)", tokens[t], t,
                              hp.n_vocab);

    if (rows != LogitRows::None && !logits)
        return make_error(Code::kInvalidArgument, "forward: logits wanted but no buffer given");
    ask_observer(observer);

    // Positions >= pos0 are about to be rewritten: forget them first, so the cache never claims stale entries.
    cache.truncate(pos0);
    RecurrentState& rs = cache.recurrent();
    if (hp.has_recurrent()) {
        sync_recurrent(cache, pos0, pool, observer ? observer->editor() : nullptr);
        ask_observer(observer);  // the recompute asked only for the edits
        rec_state_ = rs.data();
        for (int t = 0; t < n_tokens; ++t) rs.set_token(pos0 + t, tokens[t]);
    }
    for (int done = 0; done < n_tokens;) {
        int n = std::min(n_batch_, n_tokens - done);
        if (hp.has_recurrent()) {  // a batch ends at each checkpoint, so the state there can be kept
            const int every = rs.every();
            n               = std::min(n, every - (pos0 + done) % every);
        }
        const bool is_last   = done + n == n_tokens;
        LogitRows batch_rows = LogitRows::None;
        float* batch_logits  = nullptr;
        if (rows == LogitRows::All) {
            batch_rows   = LogitRows::All;
            batch_logits = logits + size_t(done) * size_t(hp.n_vocab);
        } else if (rows == LogitRows::Last && is_last) {
            batch_rows   = LogitRows::Last;
            batch_logits = logits;
        }
        eval_batch(cache, &cache, tokens + done, n, pos0 + done, batch_logits, batch_rows, pool, observer);
        cache.set_n_pos(pos0 + done + n);
        if (hp.has_recurrent()) rs.advance_to(pos0 + done + n);
        done += n;
    }
    return {};
}

void Forward::sync_recurrent(KvCache& cache, int pos0, ThreadPool& pool, Observer* editor) {
    const Hparams& hp  = model_.hp;
    RecurrentState& rs = cache.recurrent();
    if (rs.empty() || rs.floats_per_layer() != hp.recurrent_floats())
        rs.init(hp.n_recurrent(), hp.recurrent_floats(), hp.state_checkpoint_every());
    if (rs.n_pos() == pos0) return;
    // Rewound: the nearest checkpoint, then the tokens from there to pos0 through every stage (their K and V are
    // in the cache already and are read, not written), batch by batch as eval does, through the interventions'
    // edits (`editor`) when the run was intervened, so that the state is the one the intervened run left.
    int at     = rs.restore_before(pos0);
    rec_state_ = rs.data();
    std::vector<int32_t> ids;
    for (int p = at; p < pos0; ++p) ids.push_back(rs.token(p));
    ask_observer(editor);
    for (size_t done = 0; done < ids.size();) {
        const int n = int(std::min(ids.size() - done, size_t(n_batch_)));
        eval_batch(cache, nullptr, ids.data() + done, n, at, nullptr, LogitRows::None, pool, editor);
        at += n;
        done += size_t(n);
        rs.advance_to(at);
    }
}

Status Forward::replay(const KvCache& cache, int32_t token, int pos, float* logits, ThreadPool& pool,
                       Observer* observer) {
    const Hparams& hp = model_.hp;
    if (!cache_fits(cache, hp))
        return make_error(Code::kInvalidArgument, "replay: the KV cache does not fit this model");
    if (pos < 0 || pos >= cache.n_pos())
        return make_error(Code::kInvalidArgument, "replay: position %d is not in the KV cache (it holds [0, %d))", pos,
                          cache.n_pos());
    if (token < 0 || token >= hp.n_vocab)
        return make_error(Code::kInvalidArgument, "replay: token id %d is outside the vocabulary [0, %d)", token,
                          hp.n_vocab);
    if (hp.has_recurrent()) {
        // The state before pos: a copy of the nearest checkpoint, brought to pos by running the tokens between
        // (the cache's state itself is not touched).
        const RecurrentState& rs = cache.recurrent();
        if (rs.empty() || rs.floats_per_layer() != hp.recurrent_floats())
            return make_error(Code::kInvalidArgument, "replay: the cache has no recurrent state for this model");
        rec_replay_.resize(size_t(rs.n_layers()) * rs.floats_per_layer());
        int at           = rs.checkpoint_before(pos, rec_replay_.data());
        rec_state_       = rec_replay_.data();
        Observer* editor = observer ? observer->editor() : nullptr;  // the interventions' edits, recording nothing
        ask_observer(editor);
        while (at < pos) {
            int32_t ids[64];
            const int n = std::min({pos - at, n_batch_, 64});
            for (int i = 0; i < n; ++i) ids[i] = rs.token(at + i);
            eval_batch(cache, nullptr, ids, n, at, nullptr, LogitRows::None, pool, editor);
            at += n;
        }
    }
    ask_observer(observer);
    // The cache is only read (store = false): its entries at pos are the ones this token wrote.
    eval_batch(cache, nullptr, &token, 1, pos, logits, logits ? LogitRows::Last : LogitRows::None, pool, observer);
    return {};
}

void Forward::eval_batch(const KvCache& cache, KvCache* store, const int32_t* tokens, int n, int pos0, float* logits,
                         LogitRows rows, ThreadPool& pool, Observer* observer) {
    // One branch per batch, never per token: each family's block function runs its whole stage list.
    switch (model_.hp.arch) {
        case Arch::Gpt2:
            eval_gpt2(cache, store, tokens, n, pos0, logits, rows, pool, observer);
            break;
        case Arch::Llama:
        case Arch::Qwen2:
        case Arch::Qwen3:
        case Arch::Qwen3Moe:
        case Arch::Olmoe:
        case Arch::Phi3:
            eval_llama(cache, store, tokens, n, pos0, logits, rows, pool, observer);
            break;
        case Arch::Gemma2:
        case Arch::Gemma3:
        case Arch::Gemma4:
            eval_gemma(cache, store, tokens, n, pos0, logits, rows, pool, observer);
            break;
        case Arch::Qwen35:
            eval_qwen35(cache, store, tokens, n, pos0, logits, rows, pool, observer);
            break;
    }
}

void Forward::ask_observer(Observer* observer) {
    // Once per layer for this call (layer -1: the stages before and after the layers).
    for (int il = -1; il < model_.hp.n_layer; ++il)
        wants_[size_t(il + 1)] = observer ? observer->wants(il) : StageMask{};
}

namespace {

// Attention is spread over the threads (by head) once n_pos · n_embd reaches this, below it the hand-off costs more.
constexpr int64_t kParallelAttnWork = int64_t(1) << 15;

}  // namespace

void Forward::attend(const KvCache& cache, KvCache* store, int layer, int pos0, int n, const float* q, const float* k,
                     const float* v, float* att, ThreadPool& pool, Observer* observer, StageMask mask) {
    const Hparams& hp  = model_.hp;
    const size_t q_dim = size_t(hp.q_dim_of(layer)), kv_dim = size_t(hp.kv_dim_of(layer));
    // K and V of each position go into the cache (as the observer left them), then every token attends over the
    // positions up to its own. Scores, softmax and the weighted sum run in one loop over tokens and heads: a token's
    // score rows live only while it is processed. When nobody looks at the scores or probs, a batch goes head by
    // head (one hand-off to the threads for all its tokens); otherwise token by token, so the observer sees every
    // head at once.
    // A KV-sharing layer (gemma4) stores nothing: it reads the cache of the layer it shares (attn::Params::kv_layer).
    if (store && hp.has_own_kv(layer))
        for (int t = 0; t < n; ++t) store->store(layer, pos0 + t, k + size_t(t) * kv_dim, v + size_t(t) * kv_dim);
    if (n > 1 && !mask.has(Stage::AttnScores) && !mask.has(Stage::AttnSoftcap) && !mask.has(Stage::AttnProbs)) {
        attention_batch(cache, layer, pos0, n, q, att, pool);
    } else {
        // Keys present: the cache's, and this batch's, just stored (a replay's are in the cache already).
        const int have = std::max(cache.n_pos(), pos0 + n);
        for (int t = 0; t < n; ++t) {
            const int pos = pos0 + t;
            const int n_keys =
                mask.has(Stage::AttnScores) ? std::clamp(observer->key_count(layer, pos, pos + 1), 1, have) : pos + 1;
            attention(cache, layer, pos, n_keys, q + size_t(t) * q_dim, att + size_t(t) * q_dim, pool, observer, mask);
        }
    }
}

void Forward::attention(const KvCache& cache, int layer, int pos, int n_keys, const float* q, float* out,
                        ThreadPool& pool, Observer* observer, StageMask mask) {
    const Hparams& hp = model_.hp;
    const int n_pos   = n_keys;  // causal mask: keys 0 .. pos only (pos + 1), unless no-mask lifted it
    // The layer's scale, soft-cap, window, head size and cache layer. The scores are computed raw and capped after
    // the observer saw them, so that an edit of the scores reaches the cap and the softmax.
    const attn::Params P = attn::params(hp, layer);
    const int head_dim   = P.head_dim;
    const int kv_layer   = P.kv_layer;
    const int group      = hp.n_head / P.n_head_kv;  // grouped-query attention: query head h reads kv head h / group
    float* scores        = scores_.data();           // [n_head][n_pos] q·k/√head_dim
    float* probs         = probs_.data();            // [n_head][n_pos] softmax(scores)
    auto at              = [n_pos](float* buf, int h) { return buf + size_t(h) * size_t(n_pos); };
    attn::Params raw     = P;
    raw.softcap          = 0.0f;
    const int j0         = P.first_key(pos);

    // Heads are independent: spread them over the threads when the context is long enough.
    const bool parallel = pool.n_threads() > 1 && int64_t(n_pos) * hp.n_embd >= kParallelAttnWork;
    auto for_heads      = [&](auto&& fn) {
        if (parallel) {
            pool.parallel_for(hp.n_head, [&](int64_t b, int64_t e) { fn(int(b), int(e)); });
        } else {
            fn(0, hp.n_head);
        }
    };

    // Scores: scores[h][j] = q_h · k_j · scale (1/√head_dim) for every key position j <= pos (-inf before a window).
    for_heads([&](int h0, int h1) {
        for (int h = h0; h < h1; ++h)
            attn::layer_scores_row(raw, q + size_t(h) * size_t(head_dim), cache, kv_layer, h / group, head_dim, n_pos,
                                   at(scores, h));
    });
    if (mask.has(Stage::AttnScores)) observer->observe(Stage::AttnScores, layer, pos, {scores, hp.n_head, n_pos});
    if (P.softcap != 0.0f) {  // gemma2: cap · tanh(score / cap) for the keys the query sees
        for (int h = 0; h < hp.n_head; ++h) softcap(at(scores, h) + j0, n_pos - j0, P.softcap);
        if (mask.has(Stage::AttnSoftcap)) observer->observe(Stage::AttnSoftcap, layer, pos, {scores, hp.n_head, n_pos});
    }

    // Softmax over the key positions (the maximum subtracted first, so it cannot overflow).
    for_heads([&](int h0, int h1) {
        for (int h = h0; h < h1; ++h) attn::softmax_row(at(scores, h), at(probs, h), n_pos);
    });
    if (mask.has(Stage::AttnProbs)) observer->observe(Stage::AttnProbs, layer, pos, {probs, hp.n_head, n_pos});

    // Weighted sum of the values: out_h = Σ_j probs[h][j] · v_j.                      out: [n_head][head_dim]
    for_heads([&](int h0, int h1) {
        for (int h = h0; h < h1; ++h)
            attn::weighted_sum_row(at(probs, h), cache, kv_layer, h / group, head_dim, j0, n_pos,
                                   out + size_t(h) * size_t(head_dim));
    });
}

void Forward::attention_batch(const KvCache& cache, int layer, int pos0, int n, const float* q, float* out,
                              ThreadPool& pool) {
    const Hparams& hp    = model_.hp;
    const size_t ctx     = size_t(n_ctx_);
    const attn::Params P = attn::params(hp, layer);
    const int head_dim   = P.head_dim;
    const int kv_layer   = P.kv_layer;
    const int group      = hp.n_head / P.n_head_kv;  // grouped-query attention: query head h reads kv head h / group

    // Each head is one thread's for every token of the batch; head h uses row h of scores_ and probs_.
    const auto heads = [&](int64_t h0, int64_t h1) {
        for (int h = int(h0); h < int(h1); ++h) {
            float* scores = scores_.data() + size_t(h) * ctx;  // [n_pos] q·k/√head_dim of one token
            float* probs  = probs_.data() + size_t(h) * ctx;   // [n_pos] softmax(scores)
            for (int t = 0; t < n; ++t) {
                const int n_pos   = pos0 + t + 1;  // causal mask: keys 0 .. pos only
                const size_t head = size_t(t) * size_t(hp.q_dim_of(layer)) + size_t(h) * size_t(head_dim);
                const int j0 = attn::layer_scores_row(P, q + head, cache, kv_layer, h / group, head_dim, n_pos, scores);
                attn::softmax_row(scores, probs, n_pos);
                attn::weighted_sum_row(probs, cache, kv_layer, h / group, head_dim, j0, n_pos, out + head);
            }
        }
    };
    pool.parallel_for(hp.n_head, std::cref(heads));  // by reference: the std::function does not allocate
}

Result<std::vector<float>> layer_input(const Model& model, int32_t token, int pos) {
    const ArchDesc& arch = arch_desc(model.hp);
    const int n_embd     = model.hp.n_embd;
    std::vector<float> x(static_cast<size_t>(n_embd), 0.0f);
    const Tensor& embd = model.w.token_embd;
    if (token < 0 || token >= embd.n_rows())
        return make_error(Code::kInvalidArgument, "token %d is not in the vocabulary", token);
    dequantize_row(embd.type, embd.row(token), x.data(), n_embd);
    for (const StageDesc& sd : arch.before) {
        switch (sd.id) {
            case Stage::Embed:
            case Stage::Rope:  // the angles, not the residual stream
            case Stage::RopeLocal:
                break;
            case Stage::EmbedScaled: {  // gemma: × √n_embd, as arch/gemma.cpp scales it
                const float scale = std::sqrt(float(n_embd));
                for (float& v : x) v *= scale;
                break;
            }
            case Stage::PosEmbed: {  // x += row `pos` of position_embd, in float as the forward pass adds it
                const Tensor& t = model.w.pos_embd;
                if (pos < 0 || pos >= t.n_rows())
                    return make_error(Code::kInvalidArgument, "position %d has no row in position_embd", pos);
                std::vector<float> p(static_cast<size_t>(n_embd));
                dequantize_row(t.type, t.row(pos), p.data(), n_embd);
                for (int i = 0; i < n_embd; ++i) x[size_t(i)] += p[size_t(i)];
                break;
            }
            default:
                return make_error(Code::kUnsupported, "%s: the stage %.*s before the layers is not replayed here",
                                  std::string(arch.name).c_str(), int(stage_key(sd.id).size()),
                                  stage_key(sd.id).data());
        }
        if (sd.id == arch.layer_input) break;
    }
    return x;
}

}  // namespace ts::core
