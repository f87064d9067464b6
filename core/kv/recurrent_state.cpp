// RecurrentState (recurrent_state.hpp): the current state, a copy every every_ positions, the tokens.
#include "core/kv/recurrent_state.hpp"

#include <algorithm>
#include <cstring>

#include "core/base/check.hpp"

namespace ts::core {

int RecurrentState::checkpoint_every(size_t state_bytes, size_t kv_bytes_per_pos) {
    const size_t per  = kv_bytes_per_pos > 0 ? (state_bytes + kv_bytes_per_pos - 1) / kv_bytes_per_pos : kMaxEvery;
    const size_t up64 = (per + 63) / 64 * 64;
    return int(std::clamp(up64, size_t(kMinEvery), size_t(kMaxEvery)));
}

void RecurrentState::init(int n_layers, size_t floats_per_layer, int every) {
    TS_CHECK(every >= 1, "recurrent state: checkpoint spacing must be positive");
    every_     = every;
    n_layers_  = n_layers;
    per_layer_ = floats_per_layer;
    n_pos_     = 0;
    cur_.assign(size_t(n_layers) * floats_per_layer, 0.0f);
    checkpoints_.clear();
    tokens_.clear();
}

void RecurrentState::advance_to(int n) {
    n_pos_ = n;
    if (n > 0 && n % every_ == 0) {
        const size_t k = size_t(n / every_) - 1;
        if (checkpoints_.size() <= k) checkpoints_.resize(k + 1);
        checkpoints_[k] = cur_;
    }
}

void RecurrentState::forget_from(int n) {
    if (n < 0) n = 0;
    checkpoints_.resize(std::min(checkpoints_.size(), size_t(n / every_)));
    if (tokens_.size() > size_t(n)) tokens_.resize(size_t(n));
    if (n_pos_ > n) n_pos_ = -1;
}

int RecurrentState::checkpoint_before(int pos, float* out) const {
    size_t k = std::min(size_t(std::max(pos, 0) / every_), checkpoints_.size());
    while (k > 0 && checkpoints_[k - 1].size() != cur_.size()) --k;
    if (k == 0) {
        std::fill(out, out + cur_.size(), 0.0f);
        return 0;
    }
    std::memcpy(out, checkpoints_[k - 1].data(), cur_.size() * sizeof(float));
    return int(k) * every_;
}

int RecurrentState::restore_before(int pos) {
    n_pos_ = checkpoint_before(pos, cur_.data());
    return n_pos_;
}

void RecurrentState::set_token(int pos, int32_t id) {
    TS_CHECK(pos >= 0, "recurrent state: negative position");
    if (tokens_.size() <= size_t(pos)) tokens_.resize(size_t(pos) + 1, 0);
    tokens_[size_t(pos)] = id;
}

size_t RecurrentState::bytes_checkpoints() const {
    size_t n = 0;
    for (const auto& c : checkpoints_) n += c.size() * sizeof(float);
    return n;
}

}  // namespace ts::core
