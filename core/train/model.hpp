// TrainModel: a llama-architecture transformer held as one flat f32 parameter buffer (so AdamW, clipping and
// checkpoints are loops over one array), with the forward pass that keeps its activations and the backward pass
// that turns them into gradients. The math is the engine's (core/model): token embedding, per layer
// RMSNorm → Q K V → RoPE (adjacent pairs) → causal GQA attention → output projection → residual,
// RMSNorm → SwiGLU MLP → residual; final RMSNorm; output matrix (token_embd when tied).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/result.hpp"
#include "core/tensor/thread_pool.hpp"
#include "core/train/ops.hpp"
#include "core/train/rng.hpp"

namespace ts::core::train {

struct ModelConfig {
    int n_vocab     = 0;
    int n_ctx       = 0;  // longest sequence trained on (llama.context_length)
    int n_embd      = 0;
    int n_layer     = 0;
    int n_head      = 0;
    int n_head_kv   = 0;
    int n_ff        = 0;
    float norm_eps  = 1e-5f;
    float rope_base = 10000.0f;
    bool tied       = true;  // output matrix = token_embd (no output.weight tensor)

    int head_dim() const { return n_head > 0 ? n_embd / n_head : 0; }
    int kv_dim() const { return n_head_kv * head_dim(); }
    // Every count positive, n_embd divisible by n_head into an even head_dim, n_head a multiple of n_head_kv.
    [[nodiscard]] Status validate() const;
};

// One named tensor inside the flat buffer. ne in GGUF/ggml order (ne[0] = input dimension of a linear).
struct ParamInfo {
    std::string name;
    std::vector<int64_t> ne;
    int64_t offset = 0;
    int64_t size   = 0;
    bool decay     = false;  // AdamW weight decay applies (matrices, not norms)
};

// Offsets of one layer's tensors in the flat buffer.
struct LayerOffsets {
    int64_t attn_norm = 0, wq = 0, wk = 0, wv = 0, wo = 0, ffn_norm = 0, w_gate = 0, w_up = 0, w_down = 0;
};

// Activations of one forward pass over n_seq sequences of n_pos tokens, kept for the backward pass.
struct Activations {
    int64_t n_seq = 0, n_pos = 0;
    std::vector<int32_t> pos;  // [N] position of each token (t % n_pos)
    struct Layer {
        std::vector<float> x_in, xn1, rstd1, q, k, v, probs, att, x_mid, xn2, rstd2, gate, up, h;
    };
    std::vector<Layer> layers;
    std::vector<float> x_final, xnf, rstdf, logits;  // logits: [N][n_vocab]
    // backward scratch
    std::vector<float> dx, dxn, datt, dq, dk, dv, dh, dgate, dup;
};

class TrainModel {
public:
    // Lays out the tensors (weights zero until init_weights or set from a checkpoint).
    [[nodiscard]] static Result<TrainModel> create(const ModelConfig& cfg);

    // Normal(0, 0.02) for matrices, the residual projections (attn_output, ffn_down) scaled by 1/sqrt(2 n_layer),
    // ones for norms.
    void init_weights(Rng& rng);

    const ModelConfig& config() const { return cfg_; }
    const std::vector<ParamInfo>& params() const { return params_; }
    const ParamInfo* find_param(const std::string& name) const;
    int64_t n_params() const { return int64_t(w_.size()); }
    std::vector<float>& weights() { return w_; }
    const std::vector<float>& weights() const { return w_; }

    // Forward over tokens [n_seq][n_pos] (n_pos <= n_ctx); fills act (logits included). ThreadPool may be null.
    void forward(const int32_t* tokens, int64_t n_seq, int64_t n_pos, Activations& act, ThreadPool* pool) const;
    // Mean cross-entropy of targets [n_seq][n_pos] over the logits of `act`, without gradients.
    double loss(const Activations& act, const int32_t* targets) const;
    // Forward, loss and backward: grad (same layout as weights, overwritten) = ∂(mean loss)/∂weights.
    double forward_backward(const int32_t* tokens, const int32_t* targets, int64_t n_seq, int64_t n_pos,
                            std::vector<float>& grad, Activations& act, ThreadPool* pool) const;

private:
    void backward(const int32_t* tokens, int64_t n_seq, int64_t n_pos, std::vector<float>& grad, Activations& act,
                  ThreadPool* pool) const;
    int64_t add_param(std::string name, std::vector<int64_t> ne, bool decay);

    ModelConfig cfg_;
    std::vector<ParamInfo> params_;
    std::vector<float> w_;
    int64_t tok_embd_ = 0, output_norm_ = 0, output_ = 0;  // output_ == tok_embd_ when tied
    std::vector<LayerOffsets> layers_;
    RopeTable rope_;
};

}  // namespace ts::core::train
