// Session::append_recorded(tail): a recorded path's generated tokens in batches (restoring a saved exploration,
// exploration.hpp) — the state token-by-token append_recorded() gives, in forward calls of n_batch tokens.
#include <algorithm>
#include <cmath>

#include "core/sample/settings_json.hpp"
#include "core/session/session.hpp"
#include "core/session/softmax_at.hpp"

namespace ts::core {

Status Session::append_recorded(std::span<const RecordedToken> tail, std::vector<bool>* drawn, const LongOp& op) {
    if (drawn) drawn->assign(tail.size(), true);
    if (tail.empty()) return {};
    if (!pending_.empty() || steps_.empty())
        return make_error(Code::kInvalidArgument, "append: no evaluated position to append after");
    if (int64_t(n_pos()) + int64_t(tail.size()) > n_ctx_)
        return make_error(Code::kInvalidArgument, "append: %zu tokens after %d do not fit the context of %d tokens",
                          tail.size(), n_pos(), n_ctx_);
    for (size_t i = 0; i < tail.size(); ++i) {
        const RecordedToken& t = tail[i];
        if (t.source != TokenSource::Sampled && t.source != TokenSource::Forced)
            return make_error(Code::kInvalidArgument,
                              "append: token %zu is a prompt token (a prompt is set, not appended)", i);
        if (t.token < 0 || t.token >= model_->hp.n_vocab)
            return make_error(Code::kInvalidArgument, "append: token id %d is outside the vocabulary [0, %d)", t.token,
                              model_->hp.n_vocab);
        TS_TRY(sample::validate_settings(t.settings));
    }
    const size_t n_vocab = size_t(model_->hp.n_vocab);
    const int n          = int(tail.size());
    std::vector<int32_t> toks;
    std::vector<float> rows;
    std::shared_ptr<const std::vector<float>> prev = logits_at(n_pos() - 1);  // what chose the next token
    for (int done = 0; done < n;) {
        if (op.cancelled && op.cancelled())
            return make_error(Code::kCancelled, "restoring cancelled after %d of %d tokens", done, n);
        const int m    = std::min(opt_.n_batch, n - done);
        const int pos0 = n_pos();
        toks.resize(size_t(m));
        for (int t = 0; t < m; ++t) toks[size_t(t)] = tail[size_t(done + t)].token;
        rows.resize(size_t(m) * n_vocab);
        TS_TRY(eval_append(toks.data(), m, TokenSource::Sampled, std::nanf(""), rows.data(), LogitRows::All));
        // eval_append put the whole batch into the sampler's history; each proposal sees only the tokens before it.
        sampler_.truncate_history(size_t(pos0));
        for (int t = 0; t < m; ++t) {
            const RecordedToken& rt = tail[size_t(done + t)];
            const int pos           = pos0 + t;
            sampler_.accept(rt.token);
            // As append_recorded(token) has it: a sampled token its proposal drew gets the draw's p, any other its
            // softmax at T = 1 there; each forced token starts a new branch id.
            const StepTrace& before = *steps_[size_t(pos - 1)];
            const bool was_drawn    = before.has_next && before.next_token == rt.token;
            if (drawn) (*drawn)[size_t(done + t)] = rt.source == TokenSource::Forced || was_drawn;
            auto st    = std::make_shared<StepTrace>(*steps_[size_t(pos)]);
            st->source = rt.source;
            if (rt.source == TokenSource::Forced) ++branch_id_;
            st->branch_id = branch_id_;
            st->p_token   = rt.source == TokenSource::Sampled && was_drawn ? before.next_p
                            : prev                                         ? softmax_at(*prev, rt.token)
                                                                           : std::nanf("");
            auto lg       = std::make_shared<std::vector<float>>(rows.begin() + std::ptrdiff_t(size_t(t) * n_vocab),
                                                           rows.begin() + std::ptrdiff_t(size_t(t + 1) * n_vocab));
            // The proposal: a step's draw (the settings before, the sampler's stream), then as restoring draws it
            // again — from the recorded Rng state with the recorded settings, or, without one, a resample when the
            // settings changed (the draw replayed, or a fresh one when the seed changed).
            const sample::SamplerSettings before_settings = sampler_.settings();
            if (rt.rng) {
                sampler_.set_settings(rt.settings);
                TS_TRY(propose(*st, *lg, *rt.rng));
            } else {
                TS_TRY(propose(*st, *lg, sampler_.rng()));
                if (!sample::same_settings(before_settings, rt.settings)) {
                    const bool fresh = before_settings.seed != rt.settings.seed;
                    sampler_.set_settings(rt.settings);
                    TS_TRY(propose(*st, *lg, fresh ? st->rng_after : st->rng_before));
                }
            }
            steps_[size_t(pos)] = std::move(st);
            keep_logits(pos, lg);
            prev = std::move(lg);
        }
        done += m;
        if (op.progress) op.progress(done, n);
    }
    return {};
}

}  // namespace ts::core
