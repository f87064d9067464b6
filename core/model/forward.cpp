// Forward: buffers, argument checks, and splitting a long prompt into batches. The stages themselves are in
// arch/llama.cpp.
#include "core/model/forward.hpp"

#include <algorithm>

#include "core/base/check.hpp"

namespace ts::core {

Forward::Forward(const Model& model, int n_ctx, int n_batch) : model_(model), n_ctx_(n_ctx) {
    TS_CHECK(n_ctx >= 1 && n_batch >= 1, "Forward: n_ctx and n_batch must be positive");
    const Hparams& hp = model.hp;
    n_batch_          = std::min(n_batch, n_ctx);
    const size_t B    = size_t(n_batch_);
    x_.assign(B * size_t(hp.n_embd), 0.0f);
    xb_.assign(B * size_t(hp.n_embd), 0.0f);
    q_.assign(B * size_t(hp.n_embd), 0.0f);
    k_.assign(B * size_t(hp.kv_dim()), 0.0f);
    v_.assign(B * size_t(hp.kv_dim()), 0.0f);
    att_.assign(B * size_t(hp.n_embd), 0.0f);
    hb_.assign(B * size_t(hp.n_ff), 0.0f);
    hb2_.assign(B * size_t(hp.n_ff), 0.0f);
    scores_.assign(size_t(hp.n_head) * size_t(n_ctx), 0.0f);
    probs_.assign(size_t(hp.n_head) * size_t(n_ctx), 0.0f);
    rope_.assign(B * 2 * size_t(hp.n_rot / 2), 0.0f);
    wants_.assign(size_t(hp.n_layer) + 1, StageMask{});
}

Result<KvCache> Forward::make_cache(DType type) const {
    return KvCache::create(model_.hp.n_layer, n_ctx_, model_.hp.kv_dim(), type);
}

Status Forward::eval(KvCache& cache, const int32_t* tokens, int n_tokens, int pos0, float* logits, LogitRows rows,
                     ThreadPool& pool, Observer* observer) {
    const Hparams& hp = model_.hp;
    if (n_tokens <= 0 || !tokens)
        return make_error(Code::kInvalidArgument, "forward: no tokens to evaluate (n_tokens %d)", n_tokens);
    if (cache.n_layer() != hp.n_layer || cache.kv_dim() != hp.kv_dim())
        return make_error(Code::kInvalidArgument,
                          "forward: the KV cache has %d layers x %d values per position, the model needs %d x %d",
                          cache.n_layer(), cache.kv_dim(), hp.n_layer, hp.kv_dim());
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
    for (int done = 0; done < n_tokens;) {
        const int n          = std::min(n_batch_, n_tokens - done);
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
        done += n;
    }
    return {};
}

Status Forward::replay(const KvCache& cache, int32_t token, int pos, float* logits, ThreadPool& pool,
                       Observer* observer) {
    const Hparams& hp = model_.hp;
    if (cache.n_layer() != hp.n_layer || cache.kv_dim() != hp.kv_dim())
        return make_error(Code::kInvalidArgument, "replay: the KV cache does not fit this model");
    if (pos < 0 || pos >= cache.n_pos())
        return make_error(Code::kInvalidArgument, "replay: position %d is not in the KV cache (it holds [0, %d))", pos,
                          cache.n_pos());
    if (token < 0 || token >= hp.n_vocab)
        return make_error(Code::kInvalidArgument, "replay: token id %d is outside the vocabulary [0, %d)", token,
                          hp.n_vocab);
    ask_observer(observer);
    // The cache is only read (store = false): its entries at pos are the ones this token wrote.
    eval_batch(cache, nullptr, &token, 1, pos, logits, logits ? LogitRows::Last : LogitRows::None, pool, observer);
    return {};
}

void Forward::ask_observer(Observer* observer) {
    // Once per layer for this call (layer -1: the stages before and after the layers).
    for (int il = -1; il < model_.hp.n_layer; ++il)
        wants_[size_t(il + 1)] = observer ? observer->wants(il) : StageMask{};
}

}  // namespace ts::core
