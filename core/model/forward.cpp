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
    rope_cos_.assign(B * size_t(hp.n_rot / 2), 0.0f);
    rope_sin_.assign(B * size_t(hp.n_rot / 2), 0.0f);
    wants_.assign(size_t(hp.n_layer) + 1, ProbeMask{});
}

Result<KvCache> Forward::make_cache(DType type) const {
    return KvCache::create(model_.hp.n_layer, n_ctx_, model_.hp.kv_dim(), type);
}

Status Forward::eval(KvCache& cache, const int32_t* tokens, int n_tokens, int pos0, float* logits, bool all_logits,
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

    // Ask the observer once per layer for this call (layer -1: embedding, final norm, logits).
    for (int il = -1; il < hp.n_layer; ++il) wants_[size_t(il + 1)] = observer ? observer->wants(il) : ProbeMask{};

    // Positions >= pos0 are about to be rewritten: forget them first, so the cache never claims stale entries.
    cache.truncate(pos0);
    for (int done = 0; done < n_tokens;) {
        const int n         = std::min(n_batch_, n_tokens - done);
        const bool is_last  = done + n == n_tokens;
        int want_logits     = 0;
        float* batch_logits = nullptr;
        if (logits && all_logits) {
            want_logits  = 2;
            batch_logits = logits + size_t(done) * size_t(hp.n_vocab);
        } else if (logits && is_last) {
            want_logits  = 1;
            batch_logits = logits;
        }
        eval_batch(cache, tokens + done, n, pos0 + done, batch_logits, want_logits, pool, observer);
        cache.set_n_pos(pos0 + done + n);
        done += n;
    }
    return {};
}

}  // namespace ts::core
