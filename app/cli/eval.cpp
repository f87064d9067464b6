// `tokenscope eval`: the validation loss of a model on the held-out tail of the corpus it was trained on, computed
// with the engine's forward pass on the trainer's own split and windows (core/train/evaluate.hpp), in nats/token and
// bits/byte, beside unigram and bigram baselines. The held-out fraction defaults to the one the GGUF records
// (tokenscope.train.val_frac). With --intervene SPEC (repeatable) each window is also scored with the interventions
// (intervention.hpp) and both losses are reported.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "app/cli/args.hpp"
#include "app/cli/commands.hpp"
#include "core/base/json.hpp"
#include "core/gguf/gguf_reader.hpp"
#include "core/model/model.hpp"
#include "core/tensor/thread_pool.hpp"
#include "core/train/evaluate.hpp"

namespace ts::app {
namespace {

using core::json_number;
using core::json_string;

void print_text(const std::string& model_path, const std::string& corpus_path, float val_frac,
                const core::train::EvalReport& r, bool baselines, const std::vector<core::Intervention>& ivs) {
    std::printf("model    %s\n", model_path.c_str());
    std::printf("corpus   %s: %lld bytes, %lld tokens (%.3f bytes/token)\n", corpus_path.c_str(),
                (long long)r.corpus_bytes, (long long)r.corpus_tokens,
                double(r.corpus_bytes) / double(std::max<int64_t>(1, r.corpus_tokens)));
    std::printf("split    val_frac %g: %lld training tokens, %lld held out (%lld bytes)\n", double(val_frac),
                (long long)r.train_tokens, (long long)r.val_tokens, (long long)r.val_bytes);
    std::printf("scored   %lld windows x %d tokens = %lld targets, %lld bytes (each window starts at BOS)\n",
                (long long)r.windows, r.n_ctx, (long long)r.eval_tokens, (long long)r.eval_bytes);
    std::printf("                        nats/token  bits/byte\n");
    std::printf("  model                 %10.4f %10.4f\n", r.model.nats_per_token, r.model.bits_per_byte);
    if (r.has_intervened) {
        std::printf("  model, intervened     %10.4f %10.4f   (%+.4f nats/token)\n", r.intervened.nats_per_token,
                    r.intervened.bits_per_byte, r.intervened.nats_per_token - r.model.nats_per_token);
        for (const core::Intervention& iv : ivs)
            std::printf("    %s: %s\n", core::intervention_spec(iv).c_str(), core::describe_intervention(iv).c_str());
    }
    if (baselines) {
        std::printf("  unigram (add-one)     %10.4f %10.4f\n", r.unigram.nats_per_token, r.unigram.bits_per_byte);
        std::printf("  bigram (Witten-Bell)  %10.4f %10.4f\n", r.bigram.nats_per_token, r.bigram.bits_per_byte);
    }
    std::printf("time     %.1f s\n", r.seconds);
}

void print_json(const std::string& model_path, const std::string& corpus_path, float val_frac,
                const core::train::EvalReport& r, bool baselines, const std::vector<core::Intervention>& ivs) {
    auto fig = [](const core::train::LossFigure& f) {
        return "{\"nats_per_token\":" + json_number(f.nats_per_token, 6) +
               ",\"bits_per_byte\":" + json_number(f.bits_per_byte, 6) + "}";
    };
    std::string s =
        "{\"model\":" + json_string(model_path) + ",\"corpus\":" + json_string(corpus_path) +
        ",\"val_frac\":" + json_number(val_frac, 6) + ",\"corpus_bytes\":" + std::to_string(r.corpus_bytes) +
        ",\"corpus_tokens\":" + std::to_string(r.corpus_tokens) +
        ",\"train_tokens\":" + std::to_string(r.train_tokens) + ",\"val_tokens\":" + std::to_string(r.val_tokens) +
        ",\"val_bytes\":" + std::to_string(r.val_bytes) + ",\"n_ctx\":" + std::to_string(r.n_ctx) +
        ",\"windows\":" + std::to_string(r.windows) + ",\"eval_tokens\":" + std::to_string(r.eval_tokens) +
        ",\"eval_bytes\":" + std::to_string(r.eval_bytes) + ",\"model_loss\":" + fig(r.model);
    if (baselines) s += ",\"unigram\":" + fig(r.unigram) + ",\"bigram\":" + fig(r.bigram);
    if (r.has_intervened) {
        s += ",\"intervened_loss\":" + fig(r.intervened) + ",\"interventions\":[";
        for (size_t i = 0; i < ivs.size(); ++i) {
            if (i) s += ',';
            s += json_string(core::intervention_spec(ivs[i]));
        }
        s += "]";
    }
    s += ",\"seconds\":" + json_number(r.seconds, 4) + "}\n";
    std::fputs(s.c_str(), stdout);
}

}  // namespace

int cmd_eval(int argc, char** argv) {
    std::string model_path = default_model_path();
    std::string corpus_path;
    float val_frac      = 0.05f;
    int32_t max_windows = 0;
    int32_t n_threads   = core::default_thread_count();
    bool json = false, no_baselines = false;
    std::vector<std::string> intervene;

    ArgParser ap("eval", "-m FILE --corpus FILE [--val-frac X] [--windows N] [--intervene SPEC] [--json]",
                 "validation loss on the held-out tail of the training corpus, with n-gram baselines");
    ap.add_string("-m", "--model", "FILE", &model_path, "model file (GGUF with a tokenizer)");
    ap.add_string("", "--corpus", "FILE", &corpus_path, "the text the model was trained on");
    ap.add_float("", "--val-frac", "X", &val_frac, 0.0f, 0.9f,
                 "held-out tail (default: the GGUF's tokenscope.train.val_frac, else 0.05)");
    ap.add_int("", "--windows", "N", &max_windows, 0, INT32_MAX,
               "score only the first N windows (the trainer reports 32); 0 = all");
    ap.add_int("-t", "--threads", "N", &n_threads, 1, kMaxThreads, "worker threads");
    ap.add_flag("", "--no-baselines", &no_baselines, "skip the unigram and bigram baselines");
    ap.add_flag("", "--json", &json, "one JSON object instead of the table");
    ap.add_string_list("", "--intervene", "SPEC", &intervene,
                       "also score with this intervention and report the loss with and without it: zero-head:L.H, "
                       "scale-head:L.H:S, mean-head:L.H, skip-attn:L, skip-mlp:L, no-scale:L, no-rope:L, no-mask:L, "
                       "steer:L:ALPHA:TEXT_A|TEXT_B; @P at the end starts it at position P of each window");
    if (auto code = ap.parse(argc, argv)) return *code;
    if (corpus_path.empty()) return ap.usage_error("--corpus FILE is required");

    if (!ap.was_set("--val-frac")) {
        auto gguf = core::gguf::GgufFile::open(model_path);
        if (gguf.ok())
            if (auto v = gguf->get_f64("tokenscope.train.val_frac")) val_frac = float(*v);
    }
    auto loaded = core::load_model(model_path);
    if (!loaded) return print_error(loaded.error().message);
    std::ifstream in(corpus_path, std::ios::binary);
    if (!in) return print_error(corpus_path + ": cannot open the corpus");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    core::train::EvalOptions opt;
    opt.val_frac    = val_frac;
    opt.max_windows = max_windows;
    opt.baselines   = !no_baselines;
    core::ThreadPool pool(n_threads);
    auto ivs = core::make_interventions(intervene, **loaded, pool);
    if (!ivs) return print_error(ivs.error().message);
    opt.interventions = *ivs;
    auto r            = core::train::evaluate_model(**loaded, text, opt, pool);
    if (!r) return print_error(r.error().message);
    if (json)
        print_json(model_path, corpus_path, val_frac, *r, opt.baselines, opt.interventions);
    else
        print_text(model_path, corpus_path, val_frac, *r, opt.baselines, opt.interventions);
    return 0;
}

}  // namespace ts::app
