// Session: one generation over one model — prompt → prefill → step / run / rewind / branch / resample — owning
// the KV cache, the sampler state and the trace (ARCHITECTURE §3, STYLE "The trace of one step").
//
//   auto s = Session::load("model.gguf").value();
//   s->set_prompt("The capital of France is");
//   s->prefill();                       // the prompt's positions, and a proposed next token
//   s->step();                          // appends the proposed token, evaluates it, proposes the one after
//   s->rewind(1);                       // forgets the last token; step() then reproduces it bit for bit
//   s->branch(5, id);                   // position 5 becomes `id`, everything after it is forgotten
//   s->set_sampler(settings); s->resample();   // the proposal again from the same logits: no forward pass
//   s->add_intervention(parse_intervention("zero-head:2.4", s->model().hp).value());   // re-evaluates from 0
//   s->intervention_diff();             // Δ logit, Δp, KL of the newest position against the clean run
//
// The model of a step: the sequence holds evaluated tokens only; the newest position's logits are sampled at once
// and the choice is kept as that position's *proposal* (StepTrace::next_token). step() appends the proposal and
// evaluates it, so re-sampling with new settings only changes the proposal and needs no forward pass.
// The context is never wrapped: when it is full, step() fails with a message and context_full() is true.
//
// A Session is used from one thread at a time (the engine worker in the explorer, see worker.hpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.hpp"
#include "core/kv/kv_cache.hpp"
#include "core/model/forward.hpp"
#include "core/model/intervention.hpp"
#include "core/model/model.hpp"
#include "core/sample/logit_diff.hpp"
#include "core/sample/sampler.hpp"
#include "core/tensor/thread_pool.hpp"
#include "core/trace/derive.hpp"
#include "core/trace/journey.hpp"
#include "core/trace/recorder.hpp"
#include "core/trace/step_trace.hpp"
#include "core/trace/trace_json.hpp"

namespace ts::core {

// Default bytes of per-position records (queries + residual stream) a session keeps: 1 GiB holds a full
// 2048-token context of a TinyLlama-1.1B-shaped model (352 KiB per position in f32).
inline constexpr size_t kDefaultTraceBudget = size_t(1) << 30;

struct SessionOptions {
    int n_ctx           = 0;  // 0: the model's training context, at most 4096 (2048 when the file does not say)
    int n_threads       = 2;
    int n_batch         = Forward::kDefaultBatch;  // prompt tokens per forward call (cancel and progress between them)
    DType kv_type       = DType::F32;
    bool record         = true;        // keep queries + residual stream per position (the rest is always kept)
    DType resid_type    = DType::F32;  // F16 halves the residual's bytes; the logit lens then reads rounded values
    size_t trace_budget = kDefaultTraceBudget;  // bytes of records; beyond it the oldest positions lose theirs
    int n_top           = 100;                  // candidates each sampler stage lists
    int keep_logits     = 16;  // newest positions whose full logits are kept (rewind + resample, no forward pass)
    // Every prompt position's logits at prefill (session_prompt.cpp): each prompt token's p_token (its surprisal)
    // and each prompt position's sampler view. Costs the output matrix for every prompt token and a sampler pass
    // per position: about twice the prefill time of the default model, a few % on a TinyLlama-size one. The
    // explorer and `run --trace` turn it on.
    bool prompt_logits = false;
    sample::SamplerSettings sampler;
};

// One token of a path through the branch tree (branch_tree.hpp): the token, where it came from and the probability
// it had when it was chosen (StepTrace::p_token). A path is its prompt tokens (TokenSource::Prompt) then the rest.
struct PathToken {
    int32_t token      = -1;
    TokenSource source = TokenSource::Prompt;
    float p            = std::nanf("");
    // The settings of the proposal that chose it (at the position before), where known: a branch tree's node keeps
    // them, a saved exploration stores them; follow() does not read them.
    std::optional<sample::SamplerSettings> settings = std::nullopt;
    bool operator==(const PathToken& o) const { return token == o.token && source == o.source; }
};

enum class StopReason : uint8_t { Count, EndOfText, ContextFull, Cancelled };

struct RunResult {
    int generated     = 0;  // tokens generated (reported through RunHooks::on_token)
    StopReason reason = StopReason::Count;
    int evaluated     = 0;  // of those, how many were appended and evaluated (step() calls)
    double eval_s     = 0;  // seconds spent in those step() calls
};

// Hooks of a long call (prefill, run), called on the calling thread between forward calls.
struct LongOp {
    std::function<bool()> cancelled;                    // true: stop at the next batch / step boundary
    std::function<void(int done, int total)> progress;  // tokens done of the total
};

// The hooks of run(), the one generation loop (the engine worker and `tokenscope run` both call it). Each is
// optional and runs on the calling thread; cancelled and progress are also the prefill's.
struct RunHooks {
    // Asked before each step: true stops the run (StopReason::Cancelled). The engine worker applies the commands
    // that arrived meanwhile here, so a new sampler setting takes effect from the next token on.
    std::function<bool()> cancelled;
    std::function<void(int done, int total)> progress;  // tokens generated of n, after each token
    // Each generated token, in order, given as the position that proposed it: the token is from.next_token, its
    // position from.pos + 1. Returning false stops the run (StopReason::Cancelled), e.g. when the output is lost.
    std::function<bool(const StepTrace& from)> on_token;
    // true: every generated token is appended and evaluated before it is reported (the session then ends on it).
    // false: a token is reported as soon as it is proposed and evaluated only when another one is wanted, so n
    // tokens cost n - 1 steps and an end-of-text token is never evaluated (a streaming command line).
    bool evaluate_last = true;
};

class Session {
public:
    [[nodiscard]] static Result<std::unique_ptr<Session>> create(std::shared_ptr<const Model> model,
                                                                 const SessionOptions& opt = {});
    [[nodiscard]] static Result<std::unique_ptr<Session>> load(const std::string& path, const SessionOptions& opt = {});
    ~Session();
    Session(const Session&)            = delete;
    Session& operator=(const Session&) = delete;

    const Model& model() const { return *model_; }
    const std::shared_ptr<const Model>& model_ptr() const { return model_; }
    const SessionOptions& options() const { return opt_; }
    int n_ctx() const { return n_ctx_; }

    // ---- prompt ----
    // Forgets everything and sets the prompt (not evaluated yet): text through the model's tokenizer (BOS when the
    // model adds one, special tokens such as "<|im_start|>" parsed), or ids. Errors: no tokenizer, an empty
    // prompt, more tokens than the context, ids outside the vocabulary.
    [[nodiscard]] Status set_prompt(std::string_view text);
    [[nodiscard]] Status set_prompt_ids(std::vector<int32_t> ids);
    // Evaluates the prompt tokens not evaluated yet, n_batch at a time, then samples the proposal. When
    // op.cancelled() says so between batches it stops with Code::kCancelled; the positions done so far stay, and
    // a later prefill() goes on from there.
    [[nodiscard]] Status prefill(const LongOp& op = {});

    // ---- generation ----
    // Appends the newest position's proposal, evaluates it and samples the next proposal.
    // Errors: nothing evaluated yet, prompt tokens pending, the context is full.
    [[nodiscard]] Result<StepTracePtr> step();
    // Generates until n tokens, a token that ends the text (EOS / EOT), a full context, or hooks.cancelled() /
    // on_token() says stop; see RunHooks for what "generated" means. Prefills pending prompt tokens first.
    [[nodiscard]] Result<RunResult> run(int n, const RunHooks& hooks = {});
    // Forgets the last k positions (1 <= k <= n_pos()): cache, trace and sampler history. The new last position
    // keeps its proposal and the Rng after its draw, so step() then reproduces what was forgotten, bit for bit.
    // When the new last position's logits are no longer kept, it is evaluated again (one forward pass).
    [[nodiscard]] Status rewind(int k);
    // "What if this token instead?": forgets positions >= pos (0 <= pos <= n_pos()), then appends `token` at pos
    // (TokenSource::Forced, a new branch id) and goes on from there.
    [[nodiscard]] Status branch(int pos, int32_t token);
    // The newest position's proposal sampled again with the current settings from the same logits, no forward
    // pass. The draw replays the Rng the proposal started from (so only the settings change the outcome) unless
    // fresh_draw, or the seed changed, in which case it continues the sampler's stream.
    [[nodiscard]] Status resample(bool fresh_draw = false);
    // The same from a given Rng state (a saved exploration's record of the draw, exploration.hpp).
    [[nodiscard]] Status resample_from(const sample::Rng& rng);
    // Appends `token` at n_pos() as a recorded path has it (a saved exploration, exploration.hpp): Sampled is a
    // step() when the proposal is that token, else the token evaluated with source Sampled anyway (drawn under
    // other conditions: a fresh draw, an intervention added later) and p_token its softmax at T = 1; Forced is a
    // branch(n_pos(), token); Prompt is an error (set the prompt).
    [[nodiscard]] Status append_recorded(int32_t token, TokenSource source);
    // New sampler settings for the following draws (call resample() to apply them to the current proposal).
    [[nodiscard]] Status set_sampler(const sample::SamplerSettings& s);
    // Back to the prompt as set (set_prompt / set_prompt_ids), whatever happened since. After generating: a rewind
    // of every generated position (the last prompt position keeps its proposal). After a rewind or a branch *into*
    // the prompt: the prompt positions that still hold the prompt's tokens stay, the rest of the prompt becomes
    // pending again — prefill() (or step() / run()) evaluates it — and the sampler restarts the seed's stream, so the
    // session ends exactly as a fresh set_prompt + prefill would: same tokens, same logits, same proposal. The
    // prompt the user typed is what Reset returns to; rewinding never shortens it (the explorer's prompt box keeps
    // it, and the context follows the box again on Reset).
    [[nodiscard]] Status reset();
    const std::vector<int32_t>& prompt() const { return prompt_; }  // the prompt as set
    // Makes `path` the evaluated sequence (switching branches, branch_tree.hpp): keeps the longest common prefix with
    // the current sequence — its KV cache, records and logits — forgets the rest, then evaluates the divergent suffix
    // in batches (the prompt part as a prefill, each run of generated tokens of one source in one forward call with
    // every row's logits), so each position gets the logits a fresh run of the path gives it, bit for bit (ARCHITECTURE
    // §2: batched and one-token kernels agree). Each generated position gets its proposal drawn again from its own
    // logits (p_token is the path's). The path's prompt tokens become the prompt Reset returns to (a node inside the
    // prompt as set is a rewind into it: that prompt stays). Errors: an empty
    // path, one that does not start with prompt tokens or has prompt tokens after generated ones, ids outside the
    // vocabulary, more tokens than the context; kCancelled from op between batches.
    [[nodiscard]] Status follow(std::span<const PathToken> path, const LongOp& op = {});
    // One generated position of a recorded path (a saved exploration, exploration.hpp): its token and source, and
    // the proposal the position makes — drawn with `settings`, from `rng` when the path recorded the Rng state (else
    // from the sampler's stream, as a step and then a resample with changed settings would draw it).
    struct RecordedToken {
        int32_t token      = -1;
        TokenSource source = TokenSource::Sampled;
        sample::SamplerSettings settings;
        std::optional<sample::Rng> rng;
    };
    // Appends `tail` at n_pos() in forward calls of n_batch tokens with every row's logits (session_replay.cpp): the
    // state is the one append_recorded() token by token gives — same logits, records, proposals, p_token and branch
    // ids — since batched and one-token kernels agree. `drawn[i]`, when given, says whether the proposal before
    // tail[i] drew that token (always true for a forced one). Errors: prompt tokens, ids outside the vocabulary, no
    // evaluated position, a full context; kCancelled from op between batches.
    [[nodiscard]] Status append_recorded(std::span<const RecordedToken> tail, std::vector<bool>* drawn = nullptr,
                                         const LongOp& op = {});

    // ---- interventions (intervention.hpp) ----
    // The list the forward pass runs with, through an Intervener wrapping the recorder, so every recorded tensor,
    // derived row and logit is of the intervened run; with no enabled intervention the forward pass is exactly the
    // plain one. Setting the list checks each entry (check_intervention; a steer with texts gets its vector made
    // here) and re-evaluates the positions it changes: from the earliest start (from_pos) among the entries added,
    // removed or toggled — from 0 when the new list holds an enabled mean-head, whose mean needs every position —
    // with the same tokens (prompt tokens as a prompt, sampled and forced ones as they were); the proposals after
    // that point are drawn again from the new logits. A list that fails its checks changes nothing. An enabled
    // no-mask needs the whole prompt in one forward batch (options().n_batch tokens at most); a rewind into the
    // prompt keeps the positions as they were computed (with the longer prompt visible): set the prompt again.
    [[nodiscard]] Status set_interventions(std::vector<Intervention> list, const LongOp& op = {});
    [[nodiscard]] Status add_intervention(Intervention iv);
    [[nodiscard]] Status remove_intervention(int index);
    [[nodiscard]] Status enable_intervention(int index, bool enabled);
    const std::vector<Intervention>& interventions() const { return interventions_; }
    bool intervening() const;  // some intervention is enabled
    // The newest position's logits without the interventions (null when none is enabled or nothing is evaluated).
    // They come from a shadow "clean" KV cache that only exists while interventions are enabled: it is brought up to
    // date here, lazily — the first call after interventions appear evaluates the whole sequence once (batched),
    // each later one only the positions appended since (one token per step), so an intervened step costs at most
    // one extra forward pass. The clean cache depends on the tokens only, so changing the list keeps it.
    [[nodiscard]] Result<std::shared_ptr<const std::vector<float>>> clean_logits();
    // Δ logit, Δp and KL(intervened || clean) of the newest position's next-token distribution (logit_diff.hpp);
    // pos = -1 when no intervention is enabled.
    [[nodiscard]] Result<sample::LogitDiff> intervention_diff(int top_k = 10);

    // ---- state ----
    const std::vector<StepTracePtr>& steps() const { return steps_; }  // [pos]
    std::vector<int32_t> tokens() const;                               // evaluated tokens, [pos]
    const std::vector<int32_t>& pending() const { return pending_; }   // prompt tokens not evaluated yet
    int n_pos() const { return int(steps_.size()); }
    int n_prompt() const { return n_prompt_; }
    bool context_full() const { return n_pos() >= n_ctx_; }
    bool at_end_of_text() const;  // the last token is EOS / EOT
    // Logits [n_vocab] of the newest position (null before the first prefill).
    std::shared_ptr<const std::vector<float>> logits() const;
    const sample::Sampler& sampler() const { return sampler_; }
    const KvCache& cache() const { return cache_; }
    size_t trace_bytes() const { return record_bytes_; }  // bytes of the records kept
    ThreadPool& pool() { return *pool_; }

    // ---- derived, exactly (derive.hpp) ----
    derive::TraceView trace_view() const {
        return derive::TraceView{*model_, cache_, steps_, &interventions_, n_prompt_};
    }
    [[nodiscard]] Result<derive::AttnRow> attention_row(int layer, int head, int pos) const;
    [[nodiscard]] Result<derive::AttnMatrix> attention_matrix(int layer, int head) const;
    [[nodiscard]] Result<derive::HeadSummary> head_summary(int layer) const;
    [[nodiscard]] Result<std::vector<derive::LensLayer>> logit_lens(int pos, int top_k = 10);
    // Every stage of position `pos` (< n_pos()), replayed by the forward pass against the cache (journey.hpp).
    [[nodiscard]] Result<Journey> journey(int pos);

    // The whole trace as JSON (+ .npy arrays), see trace_json.hpp.
    [[nodiscard]] Status write_trace(const std::string& path, const TraceWriteOptions& wo = {});

private:
    Session(std::shared_ptr<const Model> model, const SessionOptions& opt, int n_ctx, KvCache cache);

    // Evaluates tokens at n_pos() .. n_pos()+n-1 in one forward call and appends their traces. logits: the last
    // token's logits are written there when non-null.
    Status eval_append(const int32_t* tokens, int n, TokenSource source, float p_first, float* logits,
                       LogitRows rows = LogitRows::Last);
    // A prompt position before the last (session_prompt.cpp): the sampler's view of the distribution its logits
    // give, with the prompt's next token `next` as the one "chosen", and that token's probability as its p_token.
    Status describe_prompt_position(int pos, std::span<const float> logits, int32_t next);
    // Samples the proposal of `st` (the newest position) from `logits`, starting from `rng`; leaves the sampler's
    // Rng where the draw left it.
    Status propose(StepTrace& st, const std::vector<float>& logits, sample::Rng rng);
    // Appends one token, evaluates it and proposes the next.
    Result<StepTracePtr> append_token(int32_t token, TokenSource source, float p_token);
    // Forgets positions >= n and makes position n-1 ready to step from again (see rewind()).
    Status truncate_to(int n);
    void forget_from(int n);  // the first half of truncate_to: forgets positions >= n, nothing evaluated
    void keep_logits(int pos, std::shared_ptr<const std::vector<float>> logits);
    std::shared_ptr<const std::vector<float>> logits_at(int pos) const;
    void enforce_budget();
    KvStats kv_stats() const;
    // The forward pass's observer: the Intervener (wrapping the recorder) when an intervention is enabled.
    Observer* observer();
    // Evaluates again, with the current interventions, the positions >= pos (see set_interventions).
    Status reevaluate_from(int pos, const LongOp& op);
    // softmax(logits of pos - 1)[token], or NaN when those logits are not kept (pos 0, or long ago).
    float p_after(int pos, int32_t token) const;

    std::shared_ptr<const Model> model_;
    SessionOptions opt_;
    int n_ctx_ = 0;
    std::unique_ptr<ThreadPool> pool_;
    std::unique_ptr<Forward> fwd_;
    KvCache cache_;
    TraceRecorder recorder_;
    sample::Sampler sampler_;

    std::vector<StepTracePtr> steps_;      // [pos], in step with cache_.n_pos()
    std::vector<int32_t> pending_;         // prompt tokens set but not evaluated yet
    std::vector<int32_t> prompt_;          // the prompt as set: what reset() returns to
    float next_prompt_p_ = std::nanf("");  // p_token of the next pending prompt token (from the batch before)
    int n_prompt_        = 0;
    uint32_t branch_id_  = 0;
    int64_t serial_      = 0;
    size_t record_bytes_ = 0;
    int first_record_    = 0;                                                       // positions below it have no record
    std::deque<std::pair<int, std::shared_ptr<const std::vector<float>>>> logits_;  // newest last

    std::vector<Intervention> interventions_;
    std::unique_ptr<Intervener> intervener_;  // of interventions_, wrapping recorder_; null when the list is empty
    std::unique_ptr<KvCache> clean_cache_;    // the same tokens without interventions (while intervening)
    std::shared_ptr<const std::vector<float>> clean_logits_;
    int clean_logits_pos_ = -1;  // the position clean_logits_ belong to
};

}  // namespace ts::core
