// `tokenscope run`: generate text from a prompt (-p TEXT, -f FILE or --prompt-ids; ARCHITECTURE §5) through
// core/session's Session — the same prefill / step / sampler path the explorer uses — streaming the text or, with
// --json, one JSON object per generated token and a summary line. With --trace FILE the session records every position
// (queries, residual stream, sampler views) and writes the trace file after generation (format: core/trace/README.md).
//
// With --intervene SPEC (repeatable) the session runs with those interventions (core/model/intervention.hpp): the
// text, the trace and every --json line are of the intervened run, and the --json lines add the comparison with the
// clean run (KL, and Δ logit / Δp of the listed candidates), which costs one extra forward pass per token.
//
// Generated tokens are the session's proposals: the token sampled from the newest position's logits is printed at
// once and evaluated only when another token is wanted, so the last generated token is never evaluated (as in a
// plain Forward + Sampler loop) and appears in the trace as the last position's "next".
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/cli/args.hpp"
#include "app/cli/commands.hpp"
#include "core/base/json.hpp"
#include "core/base/mmap.hpp"
#include "core/model/model.hpp"
#include "core/sample/sampler.hpp"
#include "core/session/session.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::app {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kDefaultNProbs       = 5;                  // candidates listed per token in --json
constexpr int kMaxNProbs           = 1000;               // more is a typo
constexpr uint64_t kMaxTraceBudget = uint64_t(1) << 40;  // 1 TiB: anything larger is a typo

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string piece(const core::Model& m, int32_t id) {
    return m.tokenizer ? m.tokenizer->token_bytes(id) : "";
}

// One generated token (the format is in the verb's help and README's CLI section):
// {"pos","id","text","logit","p_model","p_sampler","top":[{"id","text","logit","p_model","p_sampler"},…]}
// p_model: the model's probability, softmax at T = 1 of the raw logits; p_sampler: the probability in the sampler's
// final distribution, the one the token was drawn from (0 for a candidate the sampler removed; null where the
// sampler's view lists too few candidates to say). With a diff (--intervene): "kl", KL(intervened || clean) of this
// distribution, and each candidate's "d_logit" and "d_p" (its p_model minus the clean run's).
void print_token_json(const core::Model& m, const core::StepTrace& from, const std::vector<float>& logits, int n_probs,
                      const core::sample::LogitDiff* diff) {
    const core::sample::StageView* final_stage = from.sampler.stages.empty() ? nullptr : &from.sampler.stages.back();
    auto p_sampler                             = [&](int32_t id) -> core::Json {
        if (!final_stage) return nullptr;
        for (const auto& c : final_stage->top)
            if (c.id == id) return c.p;
        // Not listed: removed, unless the final stage kept more candidates than its view lists.
        if (final_stage->n_kept <= int32_t(final_stage->top.size())) return 0.0;
        return nullptr;
    };
    const int32_t id = from.next_token;
    core::Json top   = core::Json::array();
    for (const auto& c : core::sample::top_candidates(logits, n_probs)) {
        core::Json e{{"id", c.id},
                     {"text", piece(m, c.id)},
                     {"logit", c.logit},
                     {"p_model", c.p},
                     {"p_sampler", p_sampler(c.id)}};
        if (diff)
            if (const auto* d = diff->find(c.id)) {
                e["d_logit"] = d->d_logit();
                e["d_p"]     = d->d_p();
            }
        top.push_back(std::move(e));
    }
    core::Json line{{"pos", from.pos + 1},
                    {"id", id},
                    {"text", piece(m, id)},
                    {"logit", logits[size_t(id)]},
                    {"p_model", core::sample::softmax_at(logits, id)},
                    {"p_sampler", p_sampler(id)}};
    if (diff) line["kl"] = float(diff->kl);
    line["top"] = std::move(top);
    std::fputs((core::dump_json(line) + "\n").c_str(), stdout);
}

// Checks before any work that the trace file can be written: not a directory, its folder exists and the file can be
// created. Leaves no file behind that was not there before. Returns an error message, empty when fine.
std::string check_trace_path(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) return path + ": is a directory; --trace wants a file name such as trace.json";
    const bool existed = fs::exists(path, ec);
    std::FILE* f       = std::fopen(path.c_str(), "ab");
    if (!f) return path + ": cannot create the trace file: " + std::strerror(errno);
    std::fclose(f);
    if (!existed) fs::remove(path, ec);
    return {};
}

}  // namespace

int cmd_run(int argc, char** argv) {
    std::string model_path = default_model_path();
    std::string prompt, prompt_file;
    std::vector<int32_t> prompt_ids;
    int32_t n_predict = 32;
    int32_t n_threads = core::default_thread_count();
    int32_t n_ctx     = 0;
    bool json         = false;
    int n_probs       = kDefaultNProbs;
    std::string trace_path;
    std::string trace_budget_text = "1G";
    core::sample::SamplerSettings ss;
    std::vector<std::string> intervene;

    ArgParser ap("run", "-m FILE (-p TEXT | -f FILE | --prompt-ids IDS) -n N [flags]",
                 "generate text from a prompt with the model's forward pass and the sampler");
    ap.add_string("-m", "--model", "FILE", &model_path, "model file (GGUF or llama2.c .bin)");
    ap.add_string("-p", "--prompt", "TEXT", &prompt, "prompt text; \"\" = BOS alone (where the model adds BOS)");
    ap.add_string("-f", "--file", "FILE", &prompt_file,
                  "read the prompt text from a file (a regular file of at most 64 MiB; for prompts longer than a "
                  "command line may hold)");
    ap.add_int_list("", "--prompt-ids", "IDS", &prompt_ids, 0, INT32_MAX, "prompt as token ids, e.g. 1,2,3");
    ap.add_int("-n", "--n-predict", "N", &n_predict, 0, 1 << 24, "tokens to generate");
    ap.add_float("", "--temp", "T", &ss.temp, 0.0f, 1e6f, "temperature; 0 = greedy");
    ap.add_int("", "--top-k", "K", &ss.top_k, 0, INT32_MAX, "keep the K most likely tokens; 0 = off");
    ap.add_float("", "--top-p", "P", &ss.top_p, 0.0f, 1.0f, "keep the smallest set with mass >= P; 1 = off");
    ap.add_float("", "--min-p", "P", &ss.min_p, 0.0f, 1.0f, "keep tokens with p >= P * p_max; 0 = off");
    ap.add_float("", "--repeat-penalty", "R", &ss.repeat_penalty, 1e-3f, 1e3f, "penalty on recent tokens; 1 = off");
    ap.add_int("", "--repeat-last-n", "N", &ss.repeat_last_n, -1, INT32_MAX,
               "recent tokens the penalty sees; -1 = all");
    ap.add_u64("", "--seed", "S", &ss.seed, "sampler seed");
    ap.add_int("-t", "--threads", "N", &n_threads, 1, kMaxThreads, "worker threads");
    ap.add_int("-c", "--ctx-size", "N", &n_ctx, 1, INT32_MAX, "context size (default: the model's, at most 4096)");
    ap.add_flag("", "--json", &json,
                "one JSON object per generated token, then a summary line; each token: pos, id, text, logit, "
                "p_model (softmax at T=1 of the raw logits), p_sampler (its probability in the sampler's final "
                "distribution, the one it was drawn from; 0 = removed) and top (the N most likely, same fields)");
    ap.add_int("", "--n-probs", "N", &n_probs, 0, kMaxNProbs,
               "with --json: how many alternatives each token lists in top (llama.cpp's name)");
    ap.add_string("", "--trace", "FILE", &trace_path,
                  "after generating, write the trace (JSON) to FILE and its arrays beside it: STEM.q.npy (queries), "
                  "STEM.resid.npy (residual stream), STEM.logits.npy (with experts STEM.router.npy; with recurrent "
                  "layers STEM.lin_decay.npy, STEM.lin_beta.npy, STEM.lin_state_norm.npy); STEM = FILE without .json "
                  "(format: core/trace/README.md)");
    ap.add_string("", "--trace-budget", "BYTES", &trace_budget_text,
                  "with --trace: memory for the per-position queries + residual stream (suffixes K M G T, e.g. 512M); "
                  "beyond it the oldest positions keep only norms and sampler views; 0 = none");
    ap.add_string_list(
        "", "--intervene", "SPEC", &intervene,
        "run with an intervention: zero-head:L.H, scale-head:L.H:S, mean-head:L.H, skip-attn:L, "
        "skip-mlp:L, no-scale:L, no-rope:L, no-mask:L, steer:L:ALPHA:TEXT_A|TEXT_B (the mean residual after "
        "layer L over TEXT_A's tokens minus TEXT_B's, times ALPHA, added after layer L); @P at the "
        "end starts it at position P (on qwen35's linear-attention layers a head is a value head, and no-scale, "
        "no-rope and no-mask are refused). --json lines then add the KL and each candidate's d_logit / d_p "
        "against the clean run");
    core::LoadOptions load;
    add_load_flags(ap, &load);
    if (auto code = ap.parse(argc, argv)) return *code;

    const bool have_ids = ap.was_set("--prompt-ids"), have_file = ap.was_set("-f");
    const bool have_text = ap.was_set("-p") || have_file;
    if (int(have_ids) + int(ap.was_set("-p")) + int(have_file) > 1)
        return ap.usage_error("give one prompt: -p TEXT, -f FILE or --prompt-ids, not several");
    if (!have_ids && !have_text) return ap.usage_error("give a prompt with -p TEXT, -f FILE or --prompt-ids 1,2,3");
    if (auto st = core::sample::validate_settings(ss); !st.ok()) return ap.usage_error(st.error().message);
    const bool tracing = ap.was_set("--trace");
    if (tracing && trace_path.empty()) return ap.usage_error("--trace needs a file name");
    if (ap.was_set("--trace-budget") && !tracing) return ap.usage_error("--trace-budget needs --trace FILE");
    const auto trace_budget = parse_byte_size(trace_budget_text);
    if (!trace_budget)
        return ap.usage_error("--trace-budget: '" + trace_budget_text +
                              "' is not a byte count (a whole number with an optional K, M, G or T)");
    if (*trace_budget > kMaxTraceBudget)
        return ap.usage_error("--trace-budget: " + trace_budget_text + " is more than the limit of 1T");
    if (tracing)
        if (std::string why = check_trace_path(trace_path); !why.empty()) return print_error(why);

    if (have_file) {
        auto text = core::read_file(prompt_file);
        if (!text) return print_error(text.error().message);
        prompt = std::move(*text);
    }

    auto loaded = core::load_model(model_path, "", load);
    if (!loaded) return print_error(loaded.error().message);
    const core::Model& m = **loaded;
    const int n_vocab    = m.hp.n_vocab;

    // The context: the model's trained length (capped, so a 128k model does not allocate a huge cache by default).
    const int ctx_train = m.hp.n_ctx_train > 0 ? m.hp.n_ctx_train : 0;
    if (n_ctx > 0 && ctx_train > 0 && n_ctx > ctx_train)
        return ap.usage_error("-c " + std::to_string(n_ctx) + " is larger than the model's context of " +
                              std::to_string(ctx_train) + " tokens");
    if (n_ctx == 0) n_ctx = ctx_train > 0 ? std::min(ctx_train, 4096) : 2048;

    // The prompt as ids.
    std::vector<int32_t> ids;
    if (have_ids) {
        for (int32_t id : prompt_ids)
            if (id >= n_vocab)
                return ap.usage_error("--prompt-ids: id " + std::to_string(id) + " is out of range (the model has " +
                                      std::to_string(n_vocab) + " tokens)");
        ids = prompt_ids;
    } else {
        if (!m.tokenizer)
            return print_error(model_path + ": the model has no tokenizer (" + m.tokenizer_error +
                               "); give the prompt as --prompt-ids");
        auto enc = m.tokenizer->encode(prompt, /*add_special=*/true, /*parse_special=*/true);
        if (!enc) return print_error(enc.error().message);
        ids = std::move(*enc);
    }
    if (ids.empty()) return print_error("the prompt is empty and the model adds no BOS token; give -p TEXT");
    if (int64_t(ids.size()) > n_ctx)
        return print_error("the prompt has " + std::to_string(ids.size()) + " tokens, more than the context of " +
                           std::to_string(n_ctx));

    // The session: records (queries + residual stream per position) only when a trace file is wanted; norms,
    // sampler views and timings are kept either way.
    core::SessionOptions opt;
    opt.n_ctx         = n_ctx;
    opt.n_threads     = n_threads;
    opt.record        = tracing && *trace_budget > 0;
    opt.prompt_logits = tracing;  // the trace gives each prompt token its p_token (surprisal)
    opt.trace_budget  = size_t(*trace_budget);
    opt.sampler       = ss;
    opt.n_top         = std::max(opt.n_top, n_probs);  // the sampler's view lists every alternative printed
    auto created      = core::Session::create(*loaded, opt);
    if (!created) return print_error(created.error().message);
    core::Session& s = **created;
    if (auto st = s.set_prompt_ids(ids); !st.ok()) return print_error(st.error().message);
    if (!intervene.empty()) {
        auto ivs = core::make_interventions(intervene, m, s.pool());
        if (!ivs) return print_error(ivs.error().message);
        if (auto st = s.set_interventions(*ivs); !st.ok()) return print_error(st.error().message);
        if (!json)
            for (const core::Intervention& iv : s.interventions())
                std::fprintf(stderr, "intervention: %s (%s)\n", core::intervention_spec(iv).c_str(),
                             core::describe_intervention(iv).c_str());
    }

    // Prefill: every prompt token in batched forward calls, then the first proposal.
    const int n_prompt = int(ids.size());
    const auto t0      = Clock::now();
    if (auto st = s.prefill(); !st.ok()) return print_error(st.error().message);
    const double t_prefill = seconds_since(t0);

    std::unique_ptr<core::StreamDecoder> stream;
    if (!json && m.tokenizer) {
        stream = std::make_unique<core::StreamDecoder>(*m.tokenizer);
        std::string echo;
        for (int32_t id : ids) echo += stream->push(id);
        std::fputs(echo.c_str(), stdout);
        if (flush_stdout() != 0) return 1;
    }

    // Decode: each token is printed as soon as it is proposed and evaluated only when another one is wanted.
    core::RunHooks hooks;
    hooks.evaluate_last = false;
    bool output_lost    = false;
    int printed         = 0;
    std::string diff_error;
    hooks.on_token = [&](const core::StepTrace& from) {
        const int32_t id = from.next_token;
        if (json) {
            std::optional<core::sample::LogitDiff> diff;
            if (s.intervening()) {
                auto d = s.intervention_diff(n_probs);  // the listed candidates are among its top n_probs
                if (!d) {
                    diff_error = d.error().message;
                    return false;
                }
                diff = std::move(*d);
            }
            print_token_json(m, from, *s.logits(), n_probs, diff ? &*diff : nullptr);
        } else if (stream) {
            std::fputs(stream->push(id).c_str(), stdout);
        } else {
            std::printf("%s%d", printed > 0 ? " " : "", id);
        }
        ++printed;
        output_lost = flush_stdout() != 0;  // the output is lost: no point generating more
        return !output_lost;
    };
    auto ran = s.run(n_predict, hooks);
    if (!ran) return print_error(ran.error().message);
    if (!diff_error.empty()) return print_error(diff_error);
    if (output_lost) return 1;
    const int generated     = ran->generated;
    const bool context_full = ran->reason == core::StopReason::ContextFull;
    if (stream) std::fputs(stream->flush().c_str(), stdout);
    if (!json) std::fputs("\n", stdout);
    if (flush_stdout() != 0) return 1;
    if (context_full)
        std::fprintf(stderr, "note: the context of %d tokens is full; stopped after %d generated tokens\n", n_ctx,
                     generated);

    const double prefill_tok_s = t_prefill > 0 ? n_prompt / t_prefill : 0;
    const double decode_tok_s  = ran->eval_s > 0 ? ran->evaluated / ran->eval_s : 0;
    if (json) {
        auto tenths = [](double x) { return std::round(x * 10) / 10; };  // tok/s to 0.1
        core::Json summary{{"prompt_tokens", n_prompt},
                           {"generated", generated},
                           {"prefill_tok_s", tenths(prefill_tok_s)},
                           {"decode_tok_s", tenths(decode_tok_s)}};
        if (!s.interventions().empty()) {
            core::Json list = core::Json::array();
            for (const core::Intervention& iv : s.interventions()) list.push_back(core::intervention_spec(iv));
            summary["interventions"] = std::move(list);
        }
        std::fputs((core::dump_json({{"summary", summary}}) + "\n").c_str(), stdout);
    } else {
        std::fprintf(stderr, "prompt %d tokens, %.1f tok/s; generated %d tokens, %.1f tok/s\n", n_prompt, prefill_tok_s,
                     generated, decode_tok_s);
        if (s.intervening())
            if (auto d = s.intervention_diff(1); d && d->pos >= 0)
                std::fprintf(stderr,
                             "intervened: KL(intervened || clean) of the next token after position %d: %.4f nats\n",
                             d->pos, d->kl);
    }
    if (flush_stdout() != 0) return 1;

    if (tracing) {
        if (auto st = s.write_trace(trace_path); !st.ok()) return print_error(st.error().message);
        int recorded = 0;
        for (const auto& st : s.steps()) recorded += st->record != nullptr;
        std::fprintf(stderr, "trace: %s (%d positions, %d with queries + residual stream in %s)\n", trace_path.c_str(),
                     s.n_pos(), recorded, core::trace_array_path(trace_path, ".{q,resid,logits}.npy").c_str());
    }
    return 0;
}

}  // namespace ts::app
