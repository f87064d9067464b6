// Trainer: the training loop around TrainModel — batches of random windows from the training tokens (each window
// starts with BOS), AdamW with warm-up + cosine schedule and gradient clipping, validation loss on fixed windows
// of the held-out tail, and the whole state as a TrainState that a checkpoint stores and a resumed run continues
// from bit for bit (same seed + same thread count -> same weights; the kernels do not depend on the thread count).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/base/result.hpp"
#include "core/tensor/thread_pool.hpp"
#include "core/tokenizer/tokenizer.hpp"
#include "core/train/model.hpp"
#include "core/train/optim.hpp"

namespace ts::core::train {

struct TrainOptions {
    int64_t steps     = 1000;
    int batch         = 8;      // sequences per step, each n_ctx tokens
    float lr          = 1e-3f;  // peak learning rate
    float lr_min_frac = 0.1f;   // the cosine ends at lr * lr_min_frac
    int64_t warmup    = -1;     // steps of linear warm-up; -1: min(100, steps / 10)
    AdamW adam;
    float grad_clip    = 1.0f;  // global L2 norm; <= 0 turns clipping off
    uint64_t seed      = 1;
    float val_frac     = 0.05f;  // tail of the token stream held out for validation
    int64_t eval_every = 200;    // validation every N steps (and at the end); 0: only at the end
    int eval_windows   = 32;     // validation windows of n_ctx tokens (fixed, from the start of the held-out part)

    int64_t warmup_steps() const { return warmup >= 0 ? warmup : std::min<int64_t>(100, steps / 10); }
};

// Everything a run needs to continue: what a checkpoint holds.
struct TrainState {
    ModelConfig config;
    TrainOptions opt;
    int64_t step = 0;                                 // optimiser steps done
    std::array<uint64_t, 4> rng{};                    // the batch sampler's generator
    std::vector<float> w, m, v;                       // weights and Adam moments, TrainModel's flat layout
    std::vector<float> train_loss;                    // per step
    std::vector<std::pair<int64_t, float>> val_loss;  // (step, loss)
    double tokens_seen = 0;
    double wall_s      = 0;  // training time so far (steps and evaluations)
    Vocab vocab;             // the tokenizer the ids come from
};

// Token ids of the corpus split into a training head and a validation tail.
struct TrainData {
    std::vector<int32_t> train, val;
    int32_t bos = 0;
};
TrainData split_tokens(const std::vector<int32_t>& ids, float val_frac, int32_t bos);

class Trainer {
public:
    // A fresh run: weights initialised from opt.seed.
    [[nodiscard]] static Result<Trainer> create(const ModelConfig& cfg, const TrainOptions& opt, Vocab vocab,
                                                TrainData data, ThreadPool* pool);
    // Continues a saved state (its options included; set_total_steps may extend the run).
    [[nodiscard]] static Result<Trainer> resume(TrainState state, TrainData data, ThreadPool* pool);

    // One optimiser step on a fresh batch; returns its mean training loss.
    double train_step();
    // Mean loss over the fixed validation windows (NaN when there is no validation data); recorded at step().
    double validation_loss();
    bool done() const { return st_.step >= st_.opt.steps; }
    void set_total_steps(int64_t steps) { st_.opt.steps = steps; }

    int64_t step() const { return st_.step; }
    float current_lr() const;
    double last_grad_norm() const { return grad_norm_; }
    const TrainModel& model() const { return model_; }
    const TrainOptions& options() const { return st_.opt; }
    const TrainState& state();  // weights synced into the state (copies them)
    const TrainData& data() const { return data_; }

private:
    Trainer(TrainModel model, TrainState st, TrainData data, ThreadPool* pool);
    [[nodiscard]] static Status check_data(const ModelConfig& cfg, const TrainData& data);

    TrainModel model_;
    TrainState st_;  // st_.w is stale between state() calls; model_ holds the live weights
    TrainData data_;
    ThreadPool* pool_ = nullptr;
    Rng rng_;
    Activations act_;
    std::vector<float> grad_;
    std::vector<int32_t> tokens_, targets_;
    double grad_norm_ = 0;
};

}  // namespace ts::core::train
