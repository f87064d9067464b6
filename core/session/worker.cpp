// EngineWorker: the engine thread's loop — take a command, apply it to the session, publish a snapshot; when idle,
// derive what the UI focuses on (see worker.hpp).
#include "core/session/worker.hpp"

#include <algorithm>

#include "core/base/check.hpp"

// ThreadSanitizer and libstdc++ 12's std::atomic<std::shared_ptr>: load() takes the pointer's lock bit with an
// acquire CAS and drops it with a relaxed fetch_sub, so TSan cannot see that a later store() is ordered after the
// reader's copy and reports a race inside _Sp_atomic (google/sanitizers#1558). Newer libstdc++ versions annotate
// that lock for TSan (_GLIBCXX_TSAN_MUTEX_*); for 12 the report is suppressed here, for this frame only.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
extern "C" const char* __tsan_default_suppressions() {
    return "race:std::_Sp_atomic\n";
}
#endif
#endif

namespace ts::core {
namespace {

// Commands that stop a prefill or run in flight: they supersede it.
bool cancels(const Command& c) {
    return std::holds_alternative<cmd::Pause>(c) || std::holds_alternative<cmd::SetPrompt>(c) ||
           std::holds_alternative<cmd::Stop>(c) || std::holds_alternative<cmd::Restore>(c);
}

}  // namespace

EngineWorker::EngineWorker(std::unique_ptr<Session> session, std::function<void()> on_publish)
    : session_(std::move(session)), on_publish_(std::move(on_publish)) {
    TS_CHECK(session_ != nullptr, "EngineWorker: no session");
    publish(true);
    thread_ = std::thread([this] { loop(); });
}

EngineWorker::~EngineWorker() {
    push(cmd::Stop{});
    if (thread_.joinable()) thread_.join();
}

uint64_t EngineWorker::push(Command c) {
    if (cancels(c)) cancels_pushed_.fetch_add(1, std::memory_order_acq_rel);
    return queue_.push(std::move(c));
}

bool EngineWorker::wait_for(uint64_t ticket, std::chrono::milliseconds timeout, bool derived) const {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto s = snapshot();
        if (s->commands_done >= ticket && (!derived || !s->derived_pending)) return true;
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

bool EngineWorker::cancel_requested() const {
    return cancels_pushed_.load(std::memory_order_acquire) > cancels_seen_;
}

LongOp EngineWorker::long_op() {
    LongOp op;
    op.cancelled = [this] { return cancel_requested(); };
    op.progress  = [this](int done, int total) {
        progress_done_.store(done, std::memory_order_relaxed);
        progress_total_.store(total, std::memory_order_relaxed);
        publish(true);  // the positions evaluated so far are in the session's trace already
    };
    return op;
}

void EngineWorker::loop() {
    for (;;) {
        std::optional<Command> c;
        if (!deferred_.empty()) {
            c = std::move(deferred_.front());
            deferred_.erase(deferred_.begin());
        } else {
            c = queue_.try_pop();
            if (!c) {
                // Idle: catch the derived numbers up before sleeping.
                if (derived_stale()) {
                    update_derived();
                    publish(false);
                    continue;
                }
                if (const auto tokens = session_->tokens(); models_.owed(tokens)) {  // interrupted by a command
                    models_.work(session_->model(), tokens, session_->pool(), [this] { return !queue_.empty(); });
                    publish(false);
                    continue;
                }
                if (atlas_.owed(focus_.atlas)) {  // one short unit, then the queue again
                    atlas_.work(focus_.atlas, session_->model(), session_->pool());
                    publish(false);
                    continue;
                }
                c = queue_.pop_wait(std::chrono::milliseconds(200));
                if (!c) continue;
            }
            if (cancels(*c)) ++cancels_seen_;
        }
        const bool go_on = handle(*c);
        ++done_;
        publish(false);
        if (!go_on) return;
    }
}

void EngineWorker::note(const Status& st) {
    if (st.ok()) {
        error_.clear();
    } else if (st.error().code == Code::kCancelled) {
        last_stop_ = StopReason::Cancelled;
        error_.clear();
    } else {
        error_ = st.error().message;
    }
}

bool EngineWorker::handle(Command& c) {
    if (std::holds_alternative<cmd::Stop>(c)) return false;
    if (std::holds_alternative<cmd::Pause>(c)) return true;  // what it stopped has stopped already
    if (auto* f = std::get_if<cmd::SetFocus>(&c)) {
        focus_         = f->focus;
        focus_changed_ = true;
        return true;
    }
    if (handle_tree(c)) return true;
    Session& s = *session_;
    if (auto* cw = std::get_if<cmd::CompareWith>(&c)) {
        note(models_.set_model(std::move(cw->model), s.model()));
        return true;
    }
    if (auto* p = std::get_if<cmd::SetPrompt>(&c)) {
        Status st = p->ids.empty() ? s.set_prompt(p->text) : s.set_prompt_ids(std::move(p->ids));
        note(st);
        publish(true);
        if (st.ok()) prefill_pending();
    } else if (std::holds_alternative<cmd::Step>(c)) {
        if (!s.pending().empty()) {
            prefill_pending();
        } else {
            auto st = s.step();
            note(st ? Status{} : Status{st.error()});
            publish(true);
        }
    } else if (auto* r = std::get_if<cmd::Run>(&c)) {
        // A prefill that failed or was cancelled ends the Run; an error left by an earlier command does not.
        if (!s.pending().empty()) {
            prefill_pending();
            if (!s.pending().empty() || !error_.empty()) return true;
        }
        run_tokens(r->n);
    } else if (auto* rw = std::get_if<cmd::Rewind>(&c)) {
        note(s.rewind(rw->k));
        publish(true);
    } else if (auto* b = std::get_if<cmd::Branch>(&c)) {
        note(s.branch(b->pos, b->token));
        publish(true);
    } else if (auto* rs = std::get_if<cmd::Resample>(&c)) {
        note(s.resample(rs->fresh_draw));
        publish(true);
    } else if (auto* ss = std::get_if<cmd::SetSampler>(&c)) {
        Status st = s.set_sampler(ss->settings);
        if (st.ok() && ss->resample && s.n_pos() > 0 && s.pending().empty()) st = s.resample();
        note(st);
        publish(true);
    } else if (std::holds_alternative<cmd::Reset>(c)) {
        const Status st = s.reset();
        note(st);
        publish(true);
        if (st.ok() && !s.pending().empty()) prefill_pending();  // rewound into the prompt: evaluate its rest again
    } else if (auto* iv = std::get_if<cmd::SetInterventions>(&c)) {
        interventions_.reset();  // published again from the session's list
        note(s.set_interventions(std::move(iv->list), long_op()));
        interventions_.reset();
        publish(true);
    } else if (auto* re = std::get_if<cmd::Restore>(&c)) {
        activity_.store(Activity::Prefilling, std::memory_order_relaxed);
        progress_done_.store(0, std::memory_order_relaxed);
        progress_total_.store(int(re->exploration->prompt_ids.size()), std::memory_order_relaxed);
        publish(false);
        interventions_.reset();
        const Status st = restore_exploration(s, *re->exploration, nullptr, -1, long_op());
        note(st);
        activity_.store(Activity::Idle, std::memory_order_relaxed);
        if (st.ok() && re->exploration->paths.size() > 1) {  // the saved branch tree, around the restored path
            Command set = cmd::SetTree{tree_paths_of(*re->exploration)};
            return handle_tree(set);
        }
        tree_ = BranchTree{};  // the tree starts again from the restored path (sync_tree below)
        publish(true);
    }
    if (!std::holds_alternative<cmd::SetSampler>(c)) sync_tree();  // SetFocus returned above
    return true;
}

void EngineWorker::prefill_pending() {
    activity_.store(Activity::Prefilling, std::memory_order_relaxed);
    progress_done_.store(0, std::memory_order_relaxed);
    progress_total_.store(int(session_->pending().size()), std::memory_order_relaxed);
    publish(false);
    note(session_->prefill(long_op()));
    activity_.store(Activity::Idle, std::memory_order_relaxed);
    publish(true);
}

bool EngineWorker::take_live_commands() {
    // Commands keep their order: once one waits for the run to end, nothing behind it is taken early.
    while (deferred_.empty()) {
        auto c = queue_.try_pop();
        if (!c) break;
        if (std::holds_alternative<cmd::SetSampler>(*c) || std::holds_alternative<cmd::SetFocus>(*c)) {
            handle(*c);
            ++done_;
            continue;
        }
        const bool stop = cancels(*c);
        if (stop) ++cancels_seen_;
        deferred_.push_back(std::move(*c));
        if (stop) return false;
    }
    return !cancel_requested();
}

void EngineWorker::run_tokens(int n) {
    activity_.store(Activity::Running, std::memory_order_relaxed);
    progress_done_.store(0, std::memory_order_relaxed);
    progress_total_.store(n, std::memory_order_relaxed);
    last_stop_ = StopReason::Count;
    error_.clear();  // a run that starts has succeeded so far, whatever failed before it
    RunHooks hooks;
    hooks.cancelled = [this] { return !take_live_commands(); };
    hooks.progress  = [this](int done, int) { progress_done_.store(done, std::memory_order_relaxed); };
    hooks.on_token  = [this](const StepTrace&) {
        publish(true);
        derive_during_run();
        return true;
    };
    auto r = session_->run(n, hooks);
    if (r) {
        last_stop_ = r->reason;
    } else {
        note(r.error());
    }
    activity_.store(Activity::Idle, std::memory_order_relaxed);
}

void EngineWorker::update_derived() {
    auto d      = std::make_shared<Derived>();
    d->focus    = focus_;
    d->state    = state_;
    Session& s  = *session_;
    const int T = s.n_pos();
    if (T == 0) {
        derived_       = std::move(d);
        focus_changed_ = false;
        return;
    }
    // A command that arrives meanwhile comes first: the derivation is dropped (it stays stale) and redone when idle.
    auto interrupted = [this] { return !queue_.empty(); };
    const Focus& f   = focus_;
    d->query_pos     = f.query_pos < 0 ? T - 1 : std::min(f.query_pos, T - 1);
    d->lens_pos      = f.lens_pos < 0 ? d->query_pos : std::min(f.lens_pos, T - 1);
    auto add_error   = [&](const Error& e) {
        if (d->error.empty()) d->error = e.message;
    };
    if (f.row) {
        auto r = s.attention_row(f.layer, f.head, d->query_pos);
        if (r) {
            d->row     = std::move(*r);
            d->has_row = true;
        } else {
            add_error(r.error());
        }
    }
    if ((f.matrix || f.summary || f.all_heads) && T > f.max_matrix_positions)
        add_error(make_error(Code::kInvalidArgument, "%d positions: matrices are derived up to %d", T,
                             f.max_matrix_positions));
    if (interrupted()) return;
    if (f.matrix && T <= f.max_matrix_positions) {
        auto m = s.attention_matrix(f.layer, f.head);
        if (m) {
            d->matrix     = std::move(*m);
            d->has_matrix = true;
        } else {
            add_error(m.error());
        }
    }
    if (interrupted()) return;
    if (f.all_heads && T <= f.max_matrix_positions) {
        const int n_head = s.model().hp.n_head;
        d->heads.reserve(size_t(n_head));
        for (int h = 0; h < n_head; ++h) {
            auto m = s.attention_matrix(f.layer, h);
            if (!m) {
                add_error(m.error());
                d->heads.clear();
                break;
            }
            d->heads.push_back(std::move(*m));
        }
        d->has_heads = !d->heads.empty();
    }
    if (interrupted()) return;
    if (f.summary && T <= f.max_matrix_positions) {
        auto m = s.head_summary(f.layer);
        if (m) {
            d->summary     = std::move(*m);
            d->has_summary = true;
        } else {
            add_error(m.error());
        }
    }
    if (interrupted()) return;
    if (f.lens) {
        auto l = s.logit_lens(d->lens_pos, f.lens_top);
        if (l) {
            d->lens     = std::move(*l);
            d->has_lens = true;
        } else {
            add_error(l.error());
        }
    }
    if (interrupted()) return;
    if (f.journey) {
        // One forward pass of one token: reused while the sequence and the position stay the same.
        if (derived_ && derived_->journey && derived_->state == state_ && derived_->journey->pos == d->query_pos) {
            d->journey = derived_->journey;
        } else if (auto j = s.journey(d->query_pos)) {
            d->journey = std::make_shared<const Journey>(std::move(*j));
        } else {
            add_error(j.error());
        }
    }
    if (interrupted()) return;
    if (f.geometry) {
        const bool same = derived_ && derived_->geometry && derived_->state == state_ &&
                          derived_->geometry->sel_pos == d->query_pos &&
                          int(derived_->geometry->cand_ids.size()) <= f.geometry_candidates;
        if (same) {
            d->geometry = derived_->geometry;
        } else {
            const auto cands = derive::top_candidates(s.steps(), d->query_pos, f.geometry_candidates);
            d->geometry      = std::make_shared<const derive::Geometry>(
                derive::build_geometry(s.model(), s.steps(), d->query_pos, cands));
        }
    }
    if (interrupted()) return;
    if (f.neighbours_of >= 0 && f.neighbours_of < s.model().hp.n_vocab) {
        // The model is the session's for the worker's whole life between loads (a load resets derived_).
        if (derived_ && derived_->neighbours && derived_->neighbours->token == f.neighbours_of) {
            d->neighbours = derived_->neighbours;
        } else {
            auto nb   = std::make_shared<derive::Neighbours>();
            nb->token = f.neighbours_of;
            nb->list =
                derive::nearest_by_cosine(s.model().w.token_embd, derive::embedding_row(s.model(), f.neighbours_of),
                                          f.n_neighbours, f.neighbours_of);
            d->neighbours = std::move(nb);
        }
    }
    derived_       = std::move(d);
    focus_changed_ = false;
}

void EngineWorker::derive_during_run() {
    using Clock = std::chrono::steady_clock;
    if (focus_.live_interval_ms < 0 || !derived_stale()) return;
    const auto t0 = Clock::now();
    if (t0 < next_live_derive_) return;
    update_derived();
    const auto t1 = Clock::now();
    // Deriving may cost more than a token on a small model with a long context: waiting four times as long as it
    // took keeps live refreshes under a fifth of the run's time.
    next_live_derive_ =
        t1 + std::max<Clock::duration>(std::chrono::milliseconds(focus_.live_interval_ms), 4 * (t1 - t0));
    if (derived_stale()) return;  // interrupted by a command: the run handles it first
    ++live_derivations_;
    publish(false);
}

bool EngineWorker::derived_stale() const {
    return !derived_ || derived_->state != state_ || focus_changed_;
}

// Top candidates listed in the snapshot's diff (the Logits panel looks its rows up by id).
constexpr int kDiffTop = 64;

void EngineWorker::publish(bool state_changed) {
    if (state_changed) ++state_;
    Session& ses = *session_;
    if (!interventions_) interventions_ = std::make_shared<const std::vector<Intervention>>(ses.interventions());
    if (!ses.intervening() || ses.n_pos() == 0 || !ses.pending().empty()) {
        diff_.reset();
    } else if (!diff_ || diff_state_ != state_) {  // the clean run's one extra token (see Session::clean_logits)
        auto d = ses.intervention_diff(kDiffTop);
        if (d) {
            diff_ = std::make_shared<const sample::LogitDiff>(std::move(*d));
        } else {
            diff_.reset();
            error_ = d.error().message;
        }
        diff_state_ = state_;
    }
    auto snap                        = std::make_shared<Snapshot>();
    snap->version                    = ++version_;
    snap->state                      = state_;
    snap->commands_done              = done_;
    snap->activity                   = activity_.load(std::memory_order_relaxed);
    snap->last_stop                  = last_stop_;
    snap->error                      = error_;
    snap->derived                    = derived_;
    snap->derived_pending            = derived_stale() || atlas_.owed(focus_.atlas) || models_.owed(session_->tokens());
    snap->atlas                      = atlas_.state();
    snap->live_derivations           = live_derivations_;
    const Session& s                 = *session_;
    snap->model                      = s.model_ptr();
    snap->steps                      = s.steps();
    snap->logits                     = s.logits();
    snap->n_prompt                   = s.n_prompt();
    snap->prompt                     = s.prompt();
    snap->n_pending                  = int(s.pending().size());
    snap->n_ctx                      = s.n_ctx();
    snap->kv_type                    = s.cache().type();
    snap->context_full               = s.context_full();
    snap->end_of_text                = s.at_end_of_text();
    snap->settings                   = s.sampler().settings();
    snap->trace_bytes                = s.trace_bytes();
    snap->trace_budget               = s.options().trace_budget;
    snap->interventions              = interventions_;
    snap->diff                       = diff_;
    const std::vector<int> kv_layers = s.model().hp.kv_layers();
    for (int p : {focus_.query_pos, 0}) {  // the KV panel's "old entries never change"
        const KvRowDigest d = digest_kv_row(s.cache(), p, kv_layers);
        if (d.valid() && (snap->kv_now.empty() || p != snap->kv_now[0].pos)) snap->kv_now.push_back(d);
    }
    if (!branches_) branches_ = std::make_shared<const BranchView>();
    snap->branches      = branches_;
    snap->comparison    = comparison_;
    snap->compare_a     = compare_a_;
    snap->compare_b     = compare_b_;
    snap->model_compare = models_.state();
    snap_.store(std::move(snap), std::memory_order_release);
    if (on_publish_) on_publish_();
}

}  // namespace ts::core
