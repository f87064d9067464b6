// Session: the list of interventions, re-evaluating what it changes, and the clean run it is compared with
// (session.hpp, intervention.hpp).
#include <algorithm>

#include "core/session/session.hpp"

namespace ts::core {
namespace {

bool holds(const std::vector<Intervention>& list, const Intervention& iv) {
    return std::any_of(list.begin(), list.end(), [&](const Intervention& o) { return o.enabled && o.same_edit(iv); });
}

// The earliest position whose result differs between the two lists (INT_MAX: none), for a prompt of n_prompt.
int earliest_change(const std::vector<Intervention>& before, const std::vector<Intervention>& after, int n_prompt) {
    int first = 1 << 30;
    for (const Intervention& iv : before)
        if (iv.enabled && !holds(after, iv)) first = std::min(first, iv.from_pos);
    for (const Intervention& iv : after)
        if (iv.enabled && !holds(before, iv)) first = std::min(first, iv.from_pos);
    if (first < (1 << 30))  // a mean-head's mean reads every position, so its history must be whole
        for (const Intervention& iv : after)
            if (iv.enabled && iv.kind == InterventionKind::MeanHead) first = 0;
    // A no-mask's prompt positions read the later prompt positions: a change inside the prompt reaches them too (and
    // a recurrent state rebuilt from a checkpoint could not see the keys after the change).
    if (first < n_prompt)
        for (const Intervention& iv : after)
            if (iv.enabled && iv.kind == InterventionKind::NoMask) first = std::min(first, iv.from_pos);
    return first;
}

}  // namespace

Observer* Session::observer() {
    if (intervener_ && intervener_->active()) {
        intervener_->set_prompt_end(n_prompt_);
        return intervener_.get();
    }
    return &recorder_;
}

bool Session::intervening() const {
    return intervener_ && intervener_->active();
}

Status Session::set_interventions(std::vector<Intervention> list, const LongOp& op) {
    for (Intervention& iv : list) {
        TS_TRY(make_steer(iv, *model_, *pool_));
        TS_TRY(check_intervention(iv, model_->hp));
        if (iv.kind == InterventionKind::Steer && iv.steer.empty())
            return make_error(Code::kInvalidArgument,
                              "intervention '%s': a steer needs its vector (steer:L:ALPHA:TEXT_A|TEXT_B makes it)",
                              intervention_spec(iv).c_str());
    }
    if (has_no_mask(list) && n_prompt_ > fwd_->first_batch())
        return make_error(Code::kInvalidArgument,
                          "no-mask needs the whole prompt in one forward batch: the prompt has %d tokens, a batch %d",
                          n_prompt_, fwd_->first_batch());
    const int first = earliest_change(interventions_, list, n_prompt_);
    interventions_  = std::move(list);
    intervener_.reset();
    if (!interventions_.empty()) intervener_ = std::make_unique<Intervener>(model_->hp, interventions_, &recorder_);
    if (!intervening()) {  // no clean run to compare with: the intervened one is clean
        clean_cache_.reset();
        clean_logits_.reset();
        clean_logits_pos_ = -1;
    }
    return reevaluate_from(first, op);
}

Status Session::add_intervention(Intervention iv) {
    std::vector<Intervention> list = interventions_;
    list.push_back(std::move(iv));
    return set_interventions(std::move(list));
}

Status Session::remove_intervention(int index) {
    if (index < 0 || index >= int(interventions_.size()))
        return make_error(Code::kInvalidArgument, "intervention %d: the list has %zu", index, interventions_.size());
    std::vector<Intervention> list = interventions_;
    list.erase(list.begin() + index);
    return set_interventions(std::move(list));
}

Status Session::enable_intervention(int index, bool enabled) {
    if (index < 0 || index >= int(interventions_.size()))
        return make_error(Code::kInvalidArgument, "intervention %d: the list has %zu", index, interventions_.size());
    std::vector<Intervention> list = interventions_;
    list[size_t(index)].enabled    = enabled;
    return set_interventions(std::move(list));
}

Status Session::reevaluate_from(int pos, const LongOp& op) {
    if (pos >= n_pos()) return {};
    struct Kept {
        int32_t token;
        TokenSource source;
        uint32_t branch;
    };
    std::vector<Kept> later;
    for (int p = pos; p < n_pos(); ++p) {
        const StepTrace& st = *steps_[size_t(p)];
        later.push_back({st.token, st.source, st.branch_id});
    }
    const int n_prompt                 = n_prompt_;
    const std::vector<int32_t> pending = pending_;
    const uint32_t branch_id           = branch_id_;
    TS_TRY(truncate_to(pos));  // with the new list: position pos - 1 is evaluated again when its logits are gone
    n_prompt_ = n_prompt;
    // The prompt's tokens as a prompt (batched, proposal at its end), then the rest one at a time as they were.
    size_t i = 0;
    for (; i < later.size() && later[i].source == TokenSource::Prompt; ++i) pending_.push_back(later[i].token);
    const bool prefill_now = !pending_.empty();
    pending_.insert(pending_.end(), pending.begin(), pending.end());
    if (prefill_now) TS_TRY(prefill(op));
    for (; i < later.size(); ++i) {
        if (op.cancelled && op.cancelled())
            return make_error(Code::kCancelled, "re-evaluation cancelled at position %d", n_pos());
        const int p = n_pos();
        branch_id_  = later[i].branch;
        auto st     = append_token(later[i].token, later[i].source, p_after(p, later[i].token));
        branch_id_  = branch_id;
        if (!st) return st.error();
    }
    return {};
}

Result<std::shared_ptr<const std::vector<float>>> Session::clean_logits() {
    if (!intervening() || steps_.empty() || !pending_.empty()) return std::shared_ptr<const std::vector<float>>();
    const int last = n_pos() - 1;
    if (clean_logits_ && clean_logits_pos_ == last) return clean_logits_;
    if (!clean_cache_) {
        auto c = KvCache::create(model_->hp.kv_cache_dims(), n_ctx_, opt_.kv_type);
        if (!c) return c.error();
        clean_cache_ = std::make_unique<KvCache>(std::move(*c));
    }
    auto logits    = std::make_shared<std::vector<float>>(size_t(model_->hp.n_vocab));
    const int have = std::min(clean_cache_->n_pos(), n_pos());
    if (have < n_pos()) {  // the positions appended since: one batched call
        const std::vector<int32_t> ids = tokens();
        TS_TRY(fwd_->eval(*clean_cache_, ids.data() + have, n_pos() - have, have, logits->data(), LogitRows::Last,
                          *pool_, nullptr));
    } else {  // the cache holds the newest position already (after a rewind): read it again, write nothing
        TS_TRY(fwd_->replay(*clean_cache_, steps_.back()->token, last, logits->data(), *pool_, nullptr));
    }
    clean_logits_     = std::move(logits);
    clean_logits_pos_ = last;
    return clean_logits_;
}

Result<sample::LogitDiff> Session::intervention_diff(int top_k) {
    auto clean = clean_logits();
    if (!clean) return clean.error();
    const auto lg = logits();
    if (!*clean || !lg) return sample::LogitDiff{};
    sample::LogitDiff d = sample::diff_logits(*lg, **clean, top_k);
    d.pos               = n_pos() - 1;
    return d;
}

}  // namespace ts::core
