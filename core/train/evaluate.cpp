// Held-out evaluation of a model with the engine's forward pass, plus n-gram baselines (see evaluate.hpp).
#include "core/train/evaluate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/model/forward.hpp"
#include "core/train/ngram_baseline.hpp"
#include "core/train/trainer.hpp"

namespace ts::core::train {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

LossFigure figure(double nats_sum, int64_t tokens, int64_t bytes) {
    LossFigure f;
    f.nats_per_token = tokens > 0 ? nats_sum / double(tokens) : NAN;
    f.bits_per_byte  = bytes > 0 ? nats_sum / double(bytes) / std::log(2.0) : NAN;
    return f;
}

}  // namespace

double mean_cross_entropy(const float* logits, const int32_t* targets, int64_t n_rows, int n_vocab) {
    double sum = 0;
    for (int64_t r = 0; r < n_rows; ++r) {
        const float* row = logits + size_t(r) * size_t(n_vocab);
        // -log softmax(row)[target] = log(sum exp(row - max)) + max - row[target]
        const float mx = *std::max_element(row, row + n_vocab);
        double z       = 0;
        for (int i = 0; i < n_vocab; ++i) z += std::exp(double(row[i]) - double(mx));
        sum += std::log(z) + double(mx) - double(row[targets[r]]);
    }
    return n_rows > 0 ? sum / double(n_rows) : NAN;
}

Result<std::vector<int32_t>> encode_corpus(const Model& model, std::string_view corpus) {
    if (!model.tokenizer)
        return make_error(Code::kInvalidArgument, "%s: the model has no tokenizer to encode the corpus with",
                          model.path.c_str());
    // As the trainer's BpeEncoder::encode: no BOS/EOS added, special-token text is plain text.
    return model.tokenizer->encode(corpus, /*add_special=*/false, /*parse_special=*/false);
}

Result<EvalReport> evaluate_ids(const Model& model, const std::vector<int32_t>& ids, const EvalOptions& opt,
                                ThreadPool& pool) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!model.tokenizer)
        return make_error(Code::kInvalidArgument, "%s: the model has no tokenizer", model.path.c_str());
    const Tokenizer& tok = *model.tokenizer;
    const int32_t bos    = tok.vocab().bos;
    const int n_vocab    = model.hp.n_vocab;
    if (bos < 0 || bos >= n_vocab)
        return make_error(Code::kInvalidArgument,
                          "%s: the model has no BOS token (id %d), which every window starts with", model.path.c_str(),
                          bos);
    for (int32_t id : ids)
        if (id < 0 || id >= n_vocab)
            return make_error(Code::kInvalidArgument, "%s: token id %d outside the vocabulary of %d",
                              model.path.c_str(), id, n_vocab);

    const TrainData data = split_tokens(ids, opt.val_frac, bos);
    EvalReport r;
    r.corpus_tokens = int64_t(ids.size());
    r.train_tokens  = int64_t(data.train.size());
    r.val_tokens    = int64_t(data.val.size());
    for (int32_t id : data.val) r.val_bytes += int64_t(tok.token_bytes(id).size());
    if (data.val.empty())
        return make_error(Code::kInvalidArgument,
                          "%s: the held-out tail is empty (%zu tokens, val_frac %g): nothing to evaluate",
                          model.path.c_str(), ids.size(), double(opt.val_frac));

    // Windows as in Trainer::validation_loss.
    const int n_ctx_model = model.hp.n_ctx_train > 0 ? model.hp.n_ctx_train : 0;
    const int want_ctx    = opt.n_ctx > 0 ? opt.n_ctx : n_ctx_model;
    if (want_ctx < 1)
        return make_error(Code::kInvalidArgument, "%s: the model states no context length; give a window length",
                          model.path.c_str());
    if (n_ctx_model > 0 && want_ctx > n_ctx_model)
        return make_error(Code::kInvalidArgument, "%s: window of %d tokens is longer than the model's context of %d",
                          model.path.c_str(), want_ctx, n_ctx_model);
    const int T = int(std::min<int64_t>(want_ctx, r.val_tokens));
    r.n_ctx     = T;
    r.windows   = r.val_tokens / T;
    if (opt.max_windows > 0) r.windows = std::min(r.windows, opt.max_windows);

    Forward fwd(model, T, T);  // one batch per window: all T logits rows in one call
    auto cache = fwd.make_cache(DType::F32);
    if (!cache.ok()) return cache.error();
    std::vector<int32_t> tokens(static_cast<size_t>(T)), targets(static_cast<size_t>(T));
    std::vector<float> logits(size_t(T) * size_t(n_vocab));
    double model_sum = 0, intervened_sum = 0;
    Intervener edit(model.hp, opt.interventions);
    r.has_intervened = edit.active();
    for (int64_t w = 0; w < r.windows; ++w) {
        const size_t off = size_t(w) * size_t(T);
        tokens[0]        = bos;
        for (int t = 0; t < T; ++t) {
            if (t > 0) tokens[size_t(t)] = data.val[off + size_t(t) - 1];
            targets[size_t(t)] = data.val[off + size_t(t)];
            r.eval_bytes += int64_t(tok.token_bytes(targets[size_t(t)]).size());
        }
        TS_TRY(fwd.eval(*cache, tokens.data(), T, 0, logits.data(), LogitRows::All, pool));
        model_sum += mean_cross_entropy(logits.data(), targets.data(), T, n_vocab) * double(T);
        if (r.has_intervened) {
            edit.truncate(0);
            TS_TRY(fwd.eval(*cache, tokens.data(), T, 0, logits.data(), LogitRows::All, pool, &edit));
            intervened_sum += mean_cross_entropy(logits.data(), targets.data(), T, n_vocab) * double(T);
        }
    }
    r.eval_tokens = r.windows * T;
    r.model       = figure(model_sum, r.eval_tokens, r.eval_bytes);
    if (r.has_intervened) r.intervened = figure(intervened_sum, r.eval_tokens, r.eval_bytes);

    if (opt.baselines) {
        const NgramBaseline ng = NgramBaseline::count(data.train, n_vocab);
        double uni = 0, bi = 0;
        for (int64_t i = 0; i < r.eval_tokens; ++i) {
            const int32_t w = data.val[size_t(i)];
            const int32_t u = i > 0 ? data.val[size_t(i - 1)] : (data.train.empty() ? bos : data.train.back());
            uni += ng.unigram_nats(w);
            bi += ng.bigram_nats(u, w);
        }
        r.unigram = figure(uni, r.eval_tokens, r.eval_bytes);
        r.bigram  = figure(bi, r.eval_tokens, r.eval_bytes);
    }
    r.seconds = seconds_since(t0);
    return r;
}

Result<EvalReport> evaluate_model(const Model& model, std::string_view corpus, const EvalOptions& opt,
                                  ThreadPool& pool) {
    const auto t0 = std::chrono::steady_clock::now();
    auto ids      = encode_corpus(model, corpus);
    if (!ids.ok()) return ids.error();
    auto r = evaluate_ids(model, *ids, opt, pool);
    if (!r.ok()) return r.error();
    r->corpus_bytes = int64_t(corpus.size());
    r->seconds      = seconds_since(t0);
    return r;
}

}  // namespace ts::core::train
