// Session: going back — rewind, branch, resample, reset — and the truncation they share.
#include <algorithm>
#include <cmath>

#include "core/base/check.hpp"
#include "core/session/session.hpp"
#include "core/session/softmax_at.hpp"

namespace ts::core {

void Session::forget_from(int n) {
    TS_CHECK(n >= 0 && n <= n_pos(), "session: truncate beyond the sequence");
    pending_.clear();
    if (n == n_pos()) return;
    for (int p = n; p < n_pos(); ++p)
        if (steps_[size_t(p)]->record) record_bytes_ -= steps_[size_t(p)]->record->bytes();
    steps_.resize(size_t(n));
    cache_.truncate(n);
    if (intervener_) intervener_->truncate(n);
    if (clean_cache_ && clean_cache_->n_pos() > n) clean_cache_->truncate(n);
    if (clean_logits_pos_ >= n) clean_logits_pos_ = -1;
    recorder_.clear();
    sampler_.truncate_history(size_t(n));
    n_prompt_     = std::min(n_prompt_, n);
    first_record_ = std::min(first_record_, n);
    while (!logits_.empty() && logits_.back().first >= n) logits_.pop_back();
    next_prompt_p_ = std::nanf("");
}

Status Session::truncate_to(int n) {
    TS_CHECK(n >= 0 && n <= n_pos(), "session: truncate beyond the sequence");
    if (n == n_pos()) {
        pending_.clear();
        return {};
    }
    forget_from(n);
    if (n == 0) return {};

    // The new last position must be ready to step from: a proposal and the logits it came from.
    const StepTracePtr last = steps_.back();
    if (last->has_next && logits_at(n - 1)) {
        sampler_.set_rng(last->rng_after);
        return {};
    }
    // Its logits are gone (or were never computed, inside a prompt): evaluate it again. Same cache, same token,
    // same single-token path, so a generated position gets the logits it had, bit for bit.
    const sample::Rng rng = last->has_next ? last->rng_before : sampler_.rng();
    if (last->record) record_bytes_ -= last->record->bytes();
    steps_.pop_back();
    cache_.truncate(n - 1);
    if (intervener_) intervener_->truncate(n - 1);
    sampler_.truncate_history(size_t(n - 1));
    first_record_ = std::min(first_record_, n - 1);
    auto logits   = std::make_shared<std::vector<float>>(size_t(model_->hp.n_vocab));
    TS_TRY(eval_append(&last->token, 1, last->source, last->p_token, logits->data()));
    auto st       = std::make_shared<StepTrace>(*steps_.back());
    st->branch_id = last->branch_id;
    TS_TRY(propose(*st, *logits, rng));
    steps_.back() = std::move(st);
    keep_logits(n - 1, std::move(logits));
    return {};
}

float Session::p_after(int pos, int32_t token) const {
    if (pos > 0)
        if (auto lg = logits_at(pos - 1)) return softmax_at(*lg, token);
    return std::nanf("");
}

Status Session::rewind(int k) {
    if (k < 1 || k > n_pos())
        return make_error(Code::kInvalidArgument, "rewind: %d positions asked for, the sequence has %d", k, n_pos());
    return truncate_to(n_pos() - k);
}

Status Session::branch(int pos, int32_t token) {
    if (token < 0 || token >= model_->hp.n_vocab)
        return make_error(Code::kInvalidArgument, "branch: token id %d is outside the vocabulary [0, %d)", token,
                          model_->hp.n_vocab);
    if (pos < 0 || pos > n_pos())
        return make_error(Code::kInvalidArgument, "branch: position %d is outside [0, %d]", pos, n_pos());
    if (pos >= n_ctx_)
        return make_error(Code::kInvalidArgument, "branch: position %d is beyond the context of %d tokens", pos,
                          n_ctx_);
    TS_TRY(truncate_to(pos));
    ++branch_id_;
    auto st = append_token(token, TokenSource::Forced, p_after(pos, token));
    if (!st) return st.error();
    return {};
}

Status Session::append_recorded(int32_t token, TokenSource source) {
    if (source == TokenSource::Forced) return branch(n_pos(), token);
    if (source != TokenSource::Sampled)
        return make_error(Code::kInvalidArgument, "append: a prompt token is set with the prompt, not appended");
    if (token < 0 || token >= model_->hp.n_vocab)
        return make_error(Code::kInvalidArgument, "append: token id %d is outside the vocabulary [0, %d)", token,
                          model_->hp.n_vocab);
    if (!pending_.empty() || steps_.empty())
        return make_error(Code::kInvalidArgument, "append: no evaluated position to append after");
    if (context_full()) return make_error(Code::kInvalidArgument, "append: the context is full (%d tokens)", n_ctx_);
    if (steps_.back()->has_next && steps_.back()->next_token == token) {
        auto st = step();
        if (!st) return st.error();
        return {};
    }
    auto st = append_token(token, TokenSource::Sampled, p_after(n_pos(), token));
    if (!st) return st.error();
    return {};
}

Status Session::resample(bool fresh_draw) {
    if (!pending_.empty() || steps_.empty())
        return make_error(Code::kInvalidArgument, "resample: no evaluated position to sample from");
    const StepTracePtr& last = steps_.back();
    // Replay the draw the proposal started from, unless a fresh one is asked for or the seed changed.
    const bool fresh = fresh_draw || last->settings.seed != sampler_.settings().seed;
    return resample_from(fresh ? sampler_.rng() : last->rng_before);
}

Status Session::resample_from(const sample::Rng& rng) {
    if (!pending_.empty() || steps_.empty())
        return make_error(Code::kInvalidArgument, "resample: no evaluated position to sample from");
    auto lg = logits_at(n_pos() - 1);
    TS_CHECK(lg != nullptr, "session: the newest position's logits are kept");
    auto st = std::make_shared<StepTrace>(*steps_.back());
    TS_TRY(propose(*st, *lg, rng));
    steps_.back() = std::move(st);
    return {};
}

Status Session::set_sampler(const sample::SamplerSettings& s) {
    TS_TRY(sample::validate_settings(s));
    sampler_.set_settings(s);
    return {};
}

Status Session::reset() {
    const int n_set = int(prompt_.size());
    // The positions that still hold the prompt: evaluated as prompt and equal to it.
    int keep        = 0;
    const int limit = std::min({n_prompt_, n_pos(), n_set});
    while (keep < limit && steps_[size_t(keep)]->token == prompt_[size_t(keep)]) ++keep;
    if (keep == n_set) return n_pos() > keep ? truncate_to(keep) : Status{};  // only generated positions to forget
    // Rewound or branched inside the prompt: the rest of the prompt is evaluated again, as by a fresh prefill.
    forget_from(keep);
    if (keep > 0 && opt_.prompt_logits)  // the position before is a prompt position again (and gives the next token
                                         // its p_token)
        if (auto lg = logits_at(keep - 1)) TS_TRY(describe_prompt_position(keep - 1, *lg, prompt_[size_t(keep)]));
    pending_.assign(prompt_.begin() + keep, prompt_.end());
    n_prompt_  = n_set;
    branch_id_ = 0;
    sampler_.set_rng(sample::Sampler(sampler_.settings()).rng());  // the stream a new prompt starts from
    return {};
}

}  // namespace ts::core
