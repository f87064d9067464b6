// The recurrent layers' memory (qwen35's gated DeltaNet, ARCHITECTURE §3): where an attention layer keeps every
// position's K and V, a recurrent layer keeps one fixed-size state that each token updates — the convolution's last
// inputs and one [d_state x d_state] matrix per value head. It lives beside the KV cache (KvCache::recurrent()), so
// rewinding or branching a session rewinds it with the cache.
//
// Rewind: the state after position p cannot be recovered from the state after a later position (the update is not
// inverted), so a copy of the whole state is kept every every() positions, with the token ids. Going back to
// position p restores the nearest checkpoint at or before p and recomputes the tokens from there (at most every() - 1
// of them); the forward pass does it (Forward::eval), with the same stages as the first time, so the restored state
// is bit for bit the one that was forgotten. Cost: one state per every() positions; checkpoint_every() spaces them
// so that they cost about what the attention layers' KV cache costs over the same positions (64 at the least, 1024
// at the most: Qwen3.5-0.8B, a 19 MiB state beside 24 KiB of f32 K and V per position, keeps one per 832).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ts::core {

class RecurrentState {
public:
    static constexpr int kMinEvery = 64, kMaxEvery = 1024;
    // The spacing of the checkpoints for a state of state_bytes beside kv_bytes_per_pos of K and V per position: a
    // multiple of 64 in [kMinEvery, kMaxEvery].
    static int checkpoint_every(size_t state_bytes, size_t kv_bytes_per_pos);

    // n_layers recurrent layers of `floats_per_layer` each, all zero (the state before position 0), a checkpoint
    // every `every` positions.
    void init(int n_layers, size_t floats_per_layer, int every);
    int every() const { return every_; }
    bool empty() const { return n_layers_ == 0; }
    int n_layers() const { return n_layers_; }
    size_t floats_per_layer() const { return per_layer_; }

    // The current state of recurrent layer rl (the rl-th recurrent layer), after positions [0, n_pos()).
    float* layer(int rl) { return cur_.data() + size_t(rl) * per_layer_; }
    const float* layer(int rl) const { return cur_.data() + size_t(rl) * per_layer_; }
    float* data() { return cur_.data(); }
    // Positions the current state has absorbed; -1: stale (a rewind forgot positions it had absorbed).
    int n_pos() const { return n_pos_; }
    // After a batch ended at position n: the state now holds [0, n); at a multiple of every() a copy is kept.
    void advance_to(int n);
    // Forgets positions >= n: checkpoints past n are dropped, and the current state is stale when it had absorbed
    // more than n positions.
    void forget_from(int n);
    // The last checkpoint at or before position `pos` (a multiple of every()) copied into `out`
    // (n_layers x floats_per_layer); returns its position.
    int checkpoint_before(int pos, float* out) const;
    // Restores the last checkpoint at or before `pos` into the current state; returns its position.
    int restore_before(int pos);

    // The token at each position (what a recompute reads).
    void set_token(int pos, int32_t id);
    int32_t token(int pos) const { return tokens_[size_t(pos)]; }

    size_t bytes_current() const { return cur_.size() * sizeof(float); }
    size_t bytes_checkpoints() const;

private:
    int n_layers_     = 0;
    size_t per_layer_ = 0;
    int n_pos_        = 0;
    int every_        = kMinEvery;
    std::vector<float> cur_;
    std::vector<std::vector<float>> checkpoints_;  // [k]: the state after positions [0, (k + 1) · every_)
    std::vector<int32_t> tokens_;
};

}  // namespace ts::core
