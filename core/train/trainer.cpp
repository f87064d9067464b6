// The training loop (see trainer.hpp).
#include "core/train/trainer.hpp"

#include <chrono>
#include <cmath>

namespace ts::core::train {
namespace {
// The batch sampler's stream is separate from the initialisation's, so changing one does not shift the other.
constexpr uint64_t kDataStream = 0x5ca1ab1e0ddba11ull;

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

TrainData split_tokens(const std::vector<int32_t>& ids, float val_frac, int32_t bos) {
    TrainData d;
    d.bos           = bos;
    const auto nval = size_t(std::floor(double(ids.size()) * double(std::clamp(val_frac, 0.0f, 0.9f))));
    d.train.assign(ids.begin(), ids.end() - std::ptrdiff_t(nval));
    d.val.assign(ids.end() - std::ptrdiff_t(nval), ids.end());
    return d;
}

Status Trainer::check_data(const ModelConfig& cfg, const TrainData& data) {
    if (int64_t(data.train.size()) < cfg.n_ctx)
        return make_error(Code::kInvalidArgument,
                          "train: %zu training tokens, fewer than the context of %d (use a longer corpus or a "
                          "smaller --ctx)",
                          data.train.size(), cfg.n_ctx);
    for (const std::vector<int32_t>* part : {&data.train, &data.val})
        for (int32_t id : *part)
            if (id < 0 || id >= cfg.n_vocab)
                return make_error(Code::kInvalidArgument, "train: token id %d outside the vocabulary of %d", id,
                                  cfg.n_vocab);
    if (data.bos < 0 || data.bos >= cfg.n_vocab)
        return make_error(Code::kInvalidArgument, "train: BOS id %d outside the vocabulary of %d", data.bos,
                          cfg.n_vocab);
    return {};
}

Trainer::Trainer(TrainModel model, TrainState st, TrainData data, ThreadPool* pool)
    : model_(std::move(model)), st_(std::move(st)), data_(std::move(data)), pool_(pool) {
    rng_.set_state(st_.rng);
    st_.w.clear();
    st_.w.shrink_to_fit();
}

Result<Trainer> Trainer::create(const ModelConfig& cfg, const TrainOptions& opt, Vocab vocab, TrainData data,
                                ThreadPool* pool) {
    if (opt.steps < 1 || opt.batch < 1 || !(opt.lr > 0))
        return make_error(Code::kInvalidArgument, "train: steps %lld, batch %d and lr %g must be positive",
                          (long long)opt.steps, opt.batch, double(opt.lr));
    auto model = TrainModel::create(cfg);
    if (!model.ok()) return model.error();
    TS_TRY(check_data(cfg, data));
    Rng init(opt.seed);
    model->init_weights(init);
    TrainState st;
    st.config = cfg;
    st.opt    = opt;
    st.rng    = Rng(opt.seed ^ kDataStream).state();
    st.m.assign(size_t(model->n_params()), 0.0f);
    st.v.assign(size_t(model->n_params()), 0.0f);
    st.vocab = std::move(vocab);
    return Trainer(std::move(*model), std::move(st), std::move(data), pool);
}

Result<Trainer> Trainer::resume(TrainState state, TrainData data, ThreadPool* pool) {
    auto model = TrainModel::create(state.config);
    if (!model.ok()) return model.error();
    const size_t n = size_t(model->n_params());
    if (state.w.size() != n || state.m.size() != n || state.v.size() != n)
        return make_error(Code::kFormat, "train: saved state holds %zu weights, the model needs %zu", state.w.size(),
                          n);
    TS_TRY(check_data(state.config, data));
    model->weights() = std::move(state.w);
    return Trainer(std::move(*model), std::move(state), std::move(data), pool);
}

float Trainer::current_lr() const {
    const TrainOptions& o = st_.opt;
    return lr_at(st_.step, o.steps, o.warmup_steps(), o.lr, o.lr * o.lr_min_frac);
}

double Trainer::train_step() {
    const auto t0   = std::chrono::steady_clock::now();
    const int64_t T = st_.config.n_ctx, B = st_.opt.batch;
    tokens_.resize(size_t(B * T));
    targets_.resize(size_t(B * T));
    // Each sequence: BOS, then T-1 corpus tokens from a random offset; targets are the next tokens.
    const int64_t n_offsets = int64_t(data_.train.size()) - T + 1;
    for (int64_t b = 0; b < B; ++b) {
        const int64_t off      = int64_t(below(rng_, uint64_t(n_offsets)));
        tokens_[size_t(b * T)] = data_.bos;
        for (int64_t t = 0; t < T; ++t) {
            if (t > 0) tokens_[size_t(b * T + t)] = data_.train[size_t(off + t - 1)];
            targets_[size_t(b * T + t)] = data_.train[size_t(off + t)];
        }
    }
    const double loss = model_.forward_backward(tokens_.data(), targets_.data(), B, T, grad_, act_, pool_);
    grad_norm_        = clip_grad_norm(grad_, st_.opt.grad_clip);
    const float lr    = current_lr();
    adamw_step(st_.opt.adam, model_.params(), st_.step + 1, lr, model_.weights(), grad_, st_.m, st_.v);
    st_.step += 1;
    st_.rng = rng_.state();
    st_.train_loss.push_back(float(loss));
    st_.tokens_seen += double(B * T);
    st_.wall_s += seconds_since(t0);
    return loss;
}

double Trainer::validation_loss() {
    const auto t0   = std::chrono::steady_clock::now();
    const int64_t T = std::min<int64_t>(st_.config.n_ctx, int64_t(data_.val.size()));
    if (T < 1) return NAN;
    const int64_t n_windows = std::min<int64_t>(st_.opt.eval_windows, int64_t(data_.val.size()) / T);
    double sum              = 0;
    int64_t count           = 0;
    for (int64_t w0 = 0; w0 < n_windows; w0 += st_.opt.batch) {
        const int64_t nb = std::min<int64_t>(st_.opt.batch, n_windows - w0);
        tokens_.resize(size_t(nb * T));
        targets_.resize(size_t(nb * T));
        for (int64_t b = 0; b < nb; ++b) {
            const int64_t off      = (w0 + b) * T;
            tokens_[size_t(b * T)] = data_.bos;
            for (int64_t t = 0; t < T; ++t) {
                if (t > 0) tokens_[size_t(b * T + t)] = data_.val[size_t(off + t - 1)];
                targets_[size_t(b * T + t)] = data_.val[size_t(off + t)];
            }
        }
        model_.forward(tokens_.data(), nb, T, act_, pool_);
        sum += model_.loss(act_, targets_.data()) * double(nb * T);
        count += nb * T;
    }
    const double loss = sum / double(count);
    st_.val_loss.emplace_back(st_.step, float(loss));
    st_.wall_s += seconds_since(t0);
    return loss;
}

const TrainState& Trainer::state() {
    st_.w = model_.weights();
    return st_;
}

}  // namespace ts::core::train
