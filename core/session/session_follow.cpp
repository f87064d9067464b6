// Session::follow: switching to another path of the branch tree (branch_tree.hpp) — keep the shared prefix, evaluate
// the divergent suffix in batches.
#include <algorithm>
#include <cmath>

#include "core/base/check.hpp"
#include "core/session/session.hpp"

namespace ts::core {

Status Session::follow(std::span<const PathToken> path, const LongOp& op) {
    const int n = int(path.size());
    if (n == 0) return make_error(Code::kInvalidArgument, "follow: the path is empty");
    if (n > n_ctx_)
        return make_error(Code::kInvalidArgument, "follow: the path has %d tokens, more than the context of %d", n,
                          n_ctx_);
    int np = 0;
    while (np < n && path[size_t(np)].source == TokenSource::Prompt) ++np;
    if (np == 0) return make_error(Code::kInvalidArgument, "follow: the path does not start with a prompt token");
    for (int i = 0; i < n; ++i) {
        const PathToken& t = path[size_t(i)];
        if (t.token < 0 || t.token >= model_->hp.n_vocab)
            return make_error(Code::kInvalidArgument, "follow: token %d: id %d is outside the vocabulary [0, %d)", i,
                              t.token, model_->hp.n_vocab);
        if (i >= np && t.source == TokenSource::Prompt)
            return make_error(Code::kInvalidArgument, "follow: token %d is a prompt token after generated ones", i);
    }
    std::vector<int32_t> prompt(static_cast<size_t>(np));
    for (int i = 0; i < np; ++i) prompt[size_t(i)] = path[size_t(i)].token;

    // The positions both sequences share: same token, and both prompt or both not (a prompt position proposes
    // nothing unless it is the last one, a generated one always does).
    int common      = 0;
    const int limit = std::min(n, n_pos());
    auto is_prompt  = [](TokenSource s) { return s == TokenSource::Prompt; };
    while (common < limit && steps_[size_t(common)]->token == path[size_t(common)].token &&
           is_prompt(steps_[size_t(common)]->source) == is_prompt(path[size_t(common)].source))
        ++common;
    // Another prompt that extends or shortens this one: the shorter one's last position proposed a token, in the
    // longer one it does not, so it is evaluated again.
    // A node inside the prompt as set is a rewind into it (the prompt as set stays what Reset returns to).
    const bool inside =
        np == n && np <= int(prompt_.size()) && std::equal(prompt.begin(), prompt.end(), prompt_.begin());
    if (!inside && prompt != prompt_ && common >= std::min(np, n_prompt_))
        common = std::max(0, std::min(np, n_prompt_) - 1);

    if (common == n) {  // an ancestor of the current position (or itself): the new last position proposes again
        TS_TRY(truncate_to(n));
        if (!inside) prompt_ = std::move(prompt);
        n_prompt_ = np;
        return {};
    }
    forget_from(common);
    prompt_   = std::move(prompt);
    n_prompt_ = np;
    if (common == 0) sampler_ = sample::Sampler(sampler_.settings());  // a new generation starts the seed's stream

    // The prompt's part: a prefill (batched, every prompt position described when the options ask for it).
    if (common < np) {
        pending_.assign(prompt_.begin() + common, prompt_.end());
        next_prompt_p_ = p_after(common, prompt_[size_t(common)]);
        TS_TRY(prefill(op));
    }
    // The generated part: each run of one source in forward calls of n_batch tokens, every row's logits kept for
    // its proposal.
    const size_t n_vocab = size_t(model_->hp.n_vocab);
    int pos              = std::max(common, np);
    std::vector<int32_t> toks;
    std::vector<float> rows;
    while (pos < n) {
        if (op.cancelled && op.cancelled())
            return make_error(Code::kCancelled, "switching branches cancelled at position %d of %d", pos, n);
        const TokenSource src = path[size_t(pos)].source;
        int m                 = 1;
        while (m < opt_.n_batch && pos + m < n && path[size_t(pos + m)].source == src) ++m;
        toks.resize(size_t(m));
        for (int t = 0; t < m; ++t) toks[size_t(t)] = path[size_t(pos + t)].token;
        rows.resize(size_t(m) * n_vocab);
        if (src == TokenSource::Forced) ++branch_id_;
        TS_TRY(eval_append(toks.data(), m, src, path[size_t(pos)].p, rows.data(), LogitRows::All));
        // eval_append put the whole batch into the sampler's history; each proposal sees only the tokens before it.
        sampler_.truncate_history(size_t(pos));
        for (int t = 0; t < m; ++t) {
            sampler_.accept(toks[size_t(t)]);
            auto lg     = std::make_shared<std::vector<float>>(rows.begin() + std::ptrdiff_t(size_t(t) * n_vocab),
                                                           rows.begin() + std::ptrdiff_t(size_t(t + 1) * n_vocab));
            auto st     = std::make_shared<StepTrace>(*steps_[size_t(pos + t)]);
            st->p_token = path[size_t(pos + t)].p;
            TS_TRY(propose(*st, *lg, sampler_.rng()));
            steps_[size_t(pos + t)] = std::move(st);
            keep_logits(pos + t, std::move(lg));
        }
        pos += m;
        if (op.progress) op.progress(pos, n);
    }
    return {};
}

}  // namespace ts::core
