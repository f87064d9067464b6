// Evaluation of a model on the held-out part of its training corpus, with the ENGINE's forward pass (core/model
// Forward, every position's logits) rather than the trainer's, so the number describes the file users run.
//
// The split and the windows mirror the trainer (trainer.cpp) exactly:
//   - the corpus is encoded whole by the model's own tokenizer, without BOS/EOS and without parsing special text
//     (as BpeEncoder::encode does), and split_tokens() keeps the last floor(n * val_frac) ids for validation;
//   - validation windows are consecutive, non-overlapping runs of T = min(n_ctx, n_val) tokens from the start of
//     that tail; window w scores targets val[wT .. wT+T-1] from the inputs [BOS, val[wT .. wT+T-2]], so every window
//     starts from BOS alone (the trainer's tokenscope.train.val_loss is the first TrainOptions::eval_windows = 32);
//   - the leftover val.size() % T tokens at the very end are not scored.
// Bits per byte divide the summed nats by ln 2 and by the bytes the scored target tokens stand for.
//
// Baselines (token level, same tokenizer): counted on the training ids, scored on the same target tokens.
//   unigram: add-one (Laplace) smoothing, p(w) = (c(w) + 1) / (N + V);
//   bigram:  Witten-Bell interpolation with that unigram, p(w|u) = (c(u,w) + D(u) p_uni(w)) / (c(u) + D(u)), where
//            D(u) is the number of distinct tokens seen after u (p_uni(w) when u was never seen); its context is the
//            previous token of the text (for the first target of the split, the last training token).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/base/result.hpp"
#include "core/model/intervention.hpp"
#include "core/model/model.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::core::train {

struct EvalOptions {
    float val_frac      = 0.05f;  // held-out tail, as given to `tokenscope train --val-frac`
    int64_t max_windows = 0;      // 0: every whole window of the held-out tail; N: only the first N
    int n_ctx           = 0;      // window length; 0: the model's training context (n_ctx_train)
    bool baselines      = true;   // also count and score the unigram and bigram baselines
    // When some are enabled, each window is also scored with them (a second forward pass per window, through an
    // Intervener): EvalReport::intervened. Steer vectors must be made already (make_steer).
    std::vector<Intervention> interventions;
};

// A loss in both units.
struct LossFigure {
    double nats_per_token = 0;
    double bits_per_byte  = 0;
};

struct EvalReport {
    int64_t corpus_bytes  = 0;
    int64_t corpus_tokens = 0;
    int64_t train_tokens  = 0;
    int64_t val_tokens    = 0;  // the whole held-out tail
    int64_t val_bytes     = 0;  // bytes of the whole held-out tail
    int n_ctx             = 0;  // window length T
    int64_t windows       = 0;  // windows scored
    int64_t eval_tokens   = 0;  // targets scored (windows * T)
    int64_t eval_bytes    = 0;  // bytes of those targets
    LossFigure model, unigram, bigram;
    bool has_intervened = false;  // EvalOptions::interventions had an enabled entry
    LossFigure intervened;        // the model's loss on the same targets with the interventions
    double seconds = 0;           // tokenising + forward passes + baselines
};

// Encodes the corpus as the trainer did (see above). Errors: no tokenizer, or the tokenizer's own errors.
[[nodiscard]] Result<std::vector<int32_t>> encode_corpus(const Model& model, std::string_view corpus);

// Scores the model on the held-out windows of `corpus` (the file the model was trained on). Errors: no tokenizer
// or BOS, a held-out tail that is empty, a window longer than the model's context, forward errors.
[[nodiscard]] Result<EvalReport> evaluate_model(const Model& model, std::string_view corpus, const EvalOptions& opt,
                                                ThreadPool& pool);

// The same on ids already encoded by encode_corpus (corpus_bytes is then left for the caller to fill in).
[[nodiscard]] Result<EvalReport> evaluate_ids(const Model& model, const std::vector<int32_t>& ids,
                                              const EvalOptions& opt, ThreadPool& pool);

// Mean nats per token, in double, of targets[i] under the softmax of logits row i (rows of n_vocab floats).
double mean_cross_entropy(const float* logits, const int32_t* targets, int64_t n_rows, int n_vocab);

}  // namespace ts::core::train
