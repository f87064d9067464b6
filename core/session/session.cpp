// Session: creation, the prompt, prefill, step and run (the forward direction). Going back — rewind, branch,
// resample — is in session_edit.cpp; derived numbers and the trace file in session_trace.cpp.
#include "core/session/session.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "core/base/check.hpp"

namespace ts::core {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

}  // namespace

Result<std::unique_ptr<Session>> Session::create(std::shared_ptr<const Model> model, const SessionOptions& opt) {
    if (!model) return make_error(Code::kInvalidArgument, "session: no model");
    const Hparams& hp = model->hp;
    if (opt.n_ctx < 0) return make_error(Code::kInvalidArgument, "session: n_ctx must be >= 0, got %d", opt.n_ctx);
    if (opt.n_threads < 1)
        return make_error(Code::kInvalidArgument, "session: n_threads must be >= 1, got %d", opt.n_threads);
    if (opt.n_batch < 1)
        return make_error(Code::kInvalidArgument, "session: n_batch must be >= 1, got %d", opt.n_batch);
    if (opt.n_top < 1) return make_error(Code::kInvalidArgument, "session: n_top must be >= 1, got %d", opt.n_top);
    if (opt.keep_logits < 1)
        return make_error(Code::kInvalidArgument, "session: keep_logits must be >= 1, got %d", opt.keep_logits);
    if (opt.resid_type != DType::F32 && opt.resid_type != DType::F16)
        return make_error(Code::kInvalidArgument, "session: the residual stream is recorded as f32 or f16");
    TS_TRY(sample::validate_settings(opt.sampler));
    int n_ctx = opt.n_ctx;
    if (n_ctx == 0) n_ctx = hp.n_ctx_train > 0 ? std::min(hp.n_ctx_train, 4096) : 2048;
    auto cache = KvCache::create(hp.kv_cache_dims(), n_ctx, opt.kv_type);
    if (!cache) return cache.error();
    return std::unique_ptr<Session>(new Session(std::move(model), opt, n_ctx, std::move(*cache)));
}

Result<std::unique_ptr<Session>> Session::load(const std::string& path, const SessionOptions& opt) {
    auto m = load_model(path);
    if (!m) return m.error();
    return create(std::move(*m), opt);
}

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& opt, int n_ctx, KvCache cache)
    : model_(std::move(model)),
      opt_(opt),
      n_ctx_(n_ctx),
      pool_(std::make_unique<ThreadPool>(opt.n_threads)),
      fwd_(std::make_unique<Forward>(*model_, n_ctx, opt.n_batch)),
      cache_(std::move(cache)),
      recorder_(model_->hp, RecordOptions{opt.record, opt.resid_type}, n_ctx),
      sampler_(opt.sampler) {
    steps_.reserve(size_t(n_ctx));
}

Session::~Session() = default;

// ---- prompt --------------------------------------------------------------------------------------------------------

Status Session::set_prompt(std::string_view text) {
    if (!model_->tokenizer)
        return make_error(Code::kInvalidArgument, "%s: the model has no tokenizer; give the prompt as ids",
                          model_->path.c_str());
    auto ids = model_->tokenizer->encode(text, /*add_special=*/true, /*parse_special=*/true);
    if (!ids) return ids.error();
    return set_prompt_ids(std::move(*ids));
}

Status Session::set_prompt_ids(std::vector<int32_t> ids) {
    if (ids.empty()) return make_error(Code::kInvalidArgument, "the prompt is empty and the model adds no BOS token");
    if (int64_t(ids.size()) > n_ctx_)
        return make_error(Code::kInvalidArgument, "the prompt has %zu tokens, more than the context of %d", ids.size(),
                          n_ctx_);
    for (size_t i = 0; i < ids.size(); ++i)
        if (ids[i] < 0 || ids[i] >= model_->hp.n_vocab)
            return make_error(Code::kInvalidArgument, "prompt token %zu: id %d is outside the vocabulary [0, %d)", i,
                              ids[i], model_->hp.n_vocab);
    TS_TRY(truncate_to(0));
    prompt_        = ids;
    next_prompt_p_ = std::nanf("");
    pending_       = std::move(ids);
    n_prompt_      = int(pending_.size());
    branch_id_     = 0;
    sampler_       = sample::Sampler(sampler_.settings());  // a new generation starts the seed's stream again
    return {};
}

Status Session::prefill(const LongOp& op) {
    const int total = int(pending_.size());
    if (total == 0) return {};
    if (has_no_mask(interventions_) && n_prompt_ > fwd_->first_batch())  // its prompt positions see the whole prompt
        return make_error(Code::kInvalidArgument,
                          "no-mask needs the whole prompt in one forward batch: the prompt has %d tokens, a batch %d",
                          n_prompt_, fwd_->first_batch());
    // Records for the positions the budget can hold, counted from the end of the prompt.
    const size_t per_pos = record_bytes_per_position(model_->hp, opt_.resid_type);
    const int64_t fit    = per_pos ? int64_t(opt_.trace_budget / per_pos) : total;
    recorder_.set_record_from(int(std::max<int64_t>(0, int64_t(n_pos()) + total - fit)));

    // Every position's logits (ARCHITECTURE §3): each prompt position gets the distribution it produced, and each
    // prompt token the probability the position before gave it. One batch's rows at a time.
    const size_t n_vocab = size_t(model_->hp.n_vocab);
    const bool all       = opt_.prompt_logits;
    std::vector<float> rows(size_t(all ? std::min(opt_.n_batch, total) : 1) * n_vocab);
    auto logits = std::make_shared<std::vector<float>>(n_vocab);
    int done    = 0;
    while (!pending_.empty()) {
        if (op.cancelled && op.cancelled()) {
            recorder_.set_record_from(0);
            return make_error(Code::kCancelled, "prefill cancelled after %d of %d prompt tokens", done, total);
        }
        const int n     = std::min(opt_.n_batch, int(pending_.size()));
        const bool last = n == int(pending_.size());
        const int pos0  = n_pos();
        TS_TRY(eval_append(pending_.data(), n, TokenSource::Prompt, next_prompt_p_, all || last ? rows.data() : nullptr,
                           all ? LogitRows::All : LogitRows::Last));
        for (int t = 0; all && t < n - (last ? 1 : 0); ++t)  // pending_ still holds this batch and the next token
            TS_TRY(describe_prompt_position(pos0 + t, {rows.data() + size_t(t) * n_vocab, n_vocab},
                                            pending_[size_t(t + 1)]));
        if (last) {                                    // the proposal of the last prompt position
            const size_t r = all ? size_t(n - 1) : 0;  // the last token's row
            logits->assign(rows.begin() + std::ptrdiff_t(r * n_vocab),
                           rows.begin() + std::ptrdiff_t((r + 1) * n_vocab));
            auto st = std::make_shared<StepTrace>(*steps_.back());
            TS_TRY(propose(*st, *logits, sampler_.rng()));
            steps_.back() = std::move(st);
            keep_logits(n_pos() - 1, logits);
            recorder_.set_record_from(0);
        }
        pending_.erase(pending_.begin(), pending_.begin() + n);  // a cancelled prefill goes on from here
        done += n;
        if (op.progress) op.progress(done, total);
    }
    return {};
}

// ---- generation ----------------------------------------------------------------------------------------------------

Result<StepTracePtr> Session::step() {
    if (!pending_.empty())
        return make_error(Code::kInvalidArgument, "%zu prompt tokens are not evaluated yet: prefill first",
                          pending_.size());
    if (steps_.empty()) return make_error(Code::kInvalidArgument, "nothing to step from: set a prompt first");
    if (context_full())
        return make_error(Code::kInvalidArgument, "the context is full (%d tokens): rewind, branch or reset to go on",
                          n_ctx_);
    const StepTrace& last = *steps_.back();
    TS_CHECK(last.has_next, "session: the newest position has no proposal");
    return append_token(last.next_token, TokenSource::Sampled, last.next_p);
}

Result<RunResult> Session::run(int n, const RunHooks& hooks) {
    RunResult rr;
    if (n < 0) return make_error(Code::kInvalidArgument, "run: the token count must be >= 0, got %d", n);
    if (!pending_.empty()) {
        Status st = prefill(LongOp{hooks.cancelled, hooks.progress});
        if (!st.ok() && st.error().code == Code::kCancelled) {
            rr.reason = StopReason::Cancelled;
            return rr;
        }
        TS_TRY(st);
    }
    if (n > 0 && steps_.empty()) return make_error(Code::kInvalidArgument, "nothing to step from: set a prompt first");
    auto stopped = [&](StopReason why) {
        rr.reason = why;
        return rr;
    };
    // Appends the newest proposal; a stop reason instead when the context is full or the caller cancels.
    auto advance = [&]() -> Result<std::optional<StopReason>> {
        if (context_full()) return std::optional<StopReason>(StopReason::ContextFull);
        if (hooks.cancelled && hooks.cancelled()) return std::optional<StopReason>(StopReason::Cancelled);
        const auto t0 = Clock::now();
        auto st       = step();
        if (!st) return st.error();
        rr.eval_s += ms_since(t0) / 1000.0;
        ++rr.evaluated;
        return std::optional<StopReason>();
    };
    while (rr.generated < n) {
        if (hooks.evaluate_last) {
            auto stop = advance();
            if (!stop) return stop.error();
            if (*stop) return stopped(**stop);
        }
        // The position that proposed this token: the one before the newest once the token is appended.
        const StepTracePtr from = steps_[size_t(n_pos() - (hooks.evaluate_last ? 2 : 1))];
        ++rr.generated;
        if (hooks.progress) hooks.progress(rr.generated, n);
        if (hooks.on_token && !hooks.on_token(*from)) return stopped(StopReason::Cancelled);
        if (model_->tokenizer && model_->tokenizer->is_eog(from->next_token)) return stopped(StopReason::EndOfText);
        if (!hooks.evaluate_last && rr.generated < n) {
            auto stop = advance();
            if (!stop) return stop.error();
            if (*stop) return stopped(**stop);
        }
    }
    return stopped(StopReason::Count);
}

Result<StepTracePtr> Session::append_token(int32_t token, TokenSource source, float p_token) {
    auto logits = std::make_shared<std::vector<float>>(size_t(model_->hp.n_vocab));
    TS_TRY(eval_append(&token, 1, source, p_token, logits->data()));
    auto st = std::make_shared<StepTrace>(*steps_.back());
    TS_TRY(propose(*st, *logits, sampler_.rng()));
    steps_.back() = st;
    keep_logits(n_pos() - 1, std::move(logits));
    return StepTracePtr(std::move(st));
}

// ---- the forward pass and the proposal -----------------------------------------------------------------------------

Status Session::eval_append(const int32_t* tokens, int n, TokenSource source, float p_first, float* logits,
                            LogitRows rows) {
    const int pos0 = n_pos();
    const auto t0  = Clock::now();
    recorder_.clear_non_finite();
    TS_TRY(fwd_->eval(cache_, tokens, n, pos0, logits, logits ? rows : LogitRows::None, *pool_, observer()));
    if (const auto& nf = recorder_.non_finite()) {
        // The numbers are not numbers: report where they first appeared and keep nothing of this call, so the
        // session stays as it was (and no token is ever sampled from NaN logits).
        const std::string where = describe_non_finite(*nf);
        for (int t = 0; t < n; ++t) (void)recorder_.take(pos0 + t);
        recorder_.clear_non_finite();
        cache_.truncate(pos0);
        if (intervener_) intervener_->truncate(pos0);
        return make_error(Code::kFormat,
                          "%s: non-finite values (NaN/Inf) first at %s (--check-tensors finds NaN/Inf "
                          "weights)",
                          model_->path.c_str(), where.c_str());
    }
    const double forward_ms          = ms_since(t0);
    const KvStats kv                 = kv_stats();
    const std::vector<int> kv_layers = model_->hp.kv_layers();  // the digest skips layers without a cache
    for (int t = 0; t < n; ++t) {
        const auto t1       = Clock::now();
        auto st             = std::make_shared<StepTrace>();
        PositionCapture cap = recorder_.take(pos0 + t);
        st->step            = ++serial_;
        st->pos             = pos0 + t;
        st->token           = tokens[t];
        st->source          = source;
        st->branch_id       = branch_id_;
        st->p_token         = t == 0 ? p_first : std::nanf("");
        st->layers          = std::move(cap.layers);
        st->layers.resize(size_t(model_->hp.n_layer));  // norms only exist when the forward pass was observed
        if (cap.record) {
            record_bytes_ += cap.record->bytes();
            st->record = std::move(cap.record);
        }
        st->kv           = kv;
        st->kv_written   = digest_kv_row(cache_, pos0 + t, kv_layers);
        st->t.forward_ms = forward_ms / n;
        st->t.batch      = n;
        st->t.trace_ms   = ms_since(t1);
        steps_.push_back(std::move(st));
        sampler_.accept(tokens[t]);
    }
    enforce_budget();
    return {};
}

Status Session::propose(StepTrace& st, const std::vector<float>& logits, sample::Rng rng) {
    const auto t0    = Clock::now();
    st.step          = ++serial_;
    st.settings      = sampler_.settings();
    st.rng_before    = rng;
    st.sampler       = sample::SamplerView{};
    st.sampler.n_top = opt_.n_top;
    auto r           = sample::run_chain(logits, st.settings, sampler_.history(), rng, &st.sampler);
    if (!r) return r.error();
    st.rng_after   = rng;
    st.has_next    = true;
    st.next_token  = r->id;
    st.next_p      = r->p;
    st.t.sample_ms = ms_since(t0);
    sampler_.set_rng(rng);
    return {};
}

// ---- bookkeeping ---------------------------------------------------------------------------------------------------

void Session::keep_logits(int pos, std::shared_ptr<const std::vector<float>> logits) {
    while (!logits_.empty() && logits_.back().first >= pos) logits_.pop_back();
    logits_.emplace_back(pos, std::move(logits));
    while (int(logits_.size()) > opt_.keep_logits) logits_.pop_front();
}

std::shared_ptr<const std::vector<float>> Session::logits_at(int pos) const {
    for (const auto& [p, l] : logits_)
        if (p == pos) return l;
    return nullptr;
}

std::shared_ptr<const std::vector<float>> Session::logits() const {
    return steps_.empty() ? nullptr : logits_at(n_pos() - 1);
}

// Drops the records of the oldest positions until the kept ones fit the budget (the newest always stays).
void Session::enforce_budget() {
    while (record_bytes_ > opt_.trace_budget && first_record_ < n_pos() - 1) {
        const StepTracePtr& old = steps_[size_t(first_record_)];
        if (old->record) {
            record_bytes_ -= old->record->bytes();
            auto copy                     = std::make_shared<StepTrace>(*old);
            copy->record                  = nullptr;
            steps_[size_t(first_record_)] = std::move(copy);
        }
        ++first_record_;
    }
}

KvStats Session::kv_stats() const {
    KvStats kv;
    kv.n_pos           = cache_.n_pos();
    kv.n_ctx           = cache_.n_ctx();
    kv.bytes_total     = cache_.bytes_used();
    kv.bytes_per_layer = cache_.bytes_used_largest_layer();
    kv.n_layers_stored = cache_.n_layers_stored();
    kv.bytes_capacity  = cache_.bytes_capacity();
    return kv;
}

std::vector<int32_t> Session::tokens() const {
    std::vector<int32_t> ids;
    ids.reserve(steps_.size());
    for (const auto& st : steps_) ids.push_back(st->token);
    return ids;
}

bool Session::at_end_of_text() const {
    return !steps_.empty() && model_->tokenizer && model_->tokenizer->is_eog(steps_.back()->token);
}

}  // namespace ts::core
