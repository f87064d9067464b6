// The Journey's stage list, titles, explanations and shapes (see view_journey.hpp).
#include "app/ui/view_journey.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ts::app {
namespace {

constexpr JourneyKind kLayerKinds[] = {JourneyKind::AttnNorm,  JourneyKind::Qkv,         JourneyKind::Scores,
                                       JourneyKind::Softmax,   JourneyKind::WeightedSum, JourneyKind::HeadsCombined,
                                       JourneyKind::ResidAttn, JourneyKind::FfnNorm,     JourneyKind::Mlp,
                                       JourneyKind::ResidFfn};
constexpr int kBefore               = 3;  // Token, Embedding, Position

}  // namespace

std::vector<JourneyStage> journey_stages(int n_layer) {
    std::vector<JourneyStage> s = {{JourneyKind::Token, -1}, {JourneyKind::Embedding, -1}, {JourneyKind::Position, -1}};
    for (int l = 0; l < n_layer; ++l)
        for (JourneyKind k : kLayerKinds) s.push_back({k, l});
    for (JourneyKind k :
         {JourneyKind::FinalNorm, JourneyKind::Logits, JourneyKind::Probs, JourneyKind::Sampler, JourneyKind::Appended})
        s.push_back({k, -1});
    return s;
}

int journey_layer_start(int layer) {
    return kBefore + layer * int(std::size(kLayerKinds));
}

const char* journey_title(JourneyKind kind) {
    switch (kind) {
        case JourneyKind::Token:
            return "Token id";
        case JourneyKind::Embedding:
            return "Embedding row";
        case JourneyKind::Position:
            return "Position (RoPE angles)";
        case JourneyKind::AttnNorm:
            return "Attention norm";
        case JourneyKind::Qkv:
            return "Q, K, V";
        case JourneyKind::Scores:
            return "Scores q·k/√d";
        case JourneyKind::Softmax:
            return "Softmax";
        case JourneyKind::WeightedSum:
            return "Weighted sum of V";
        case JourneyKind::HeadsCombined:
            return "Heads combined (wo)";
        case JourneyKind::ResidAttn:
            return "Residual add";
        case JourneyKind::FfnNorm:
            return "MLP norm";
        case JourneyKind::Mlp:
            return "MLP (SwiGLU)";
        case JourneyKind::ResidFfn:
            return "Residual add (layer output)";
        case JourneyKind::FinalNorm:
            return "Final norm";
        case JourneyKind::Logits:
            return "Logits";
        case JourneyKind::Probs:
            return "Softmax over the vocabulary";
        case JourneyKind::Sampler:
            return "Sampler";
        case JourneyKind::Appended:
            return "Appended token";
        case JourneyKind::kCount:
            break;
    }
    return "?";
}

const char* journey_explain(JourneyKind kind) {
    switch (kind) {
        case JourneyKind::Token:
            return "The tokenizer turned text into this id: a row number in the vocabulary.";
        case JourneyKind::Embedding:
            return "The id selects one row of the embedding matrix: this vector is the token's starting point in the "
                   "residual stream.";
        case JourneyKind::Position:
            return "The position is not added to the vector: RoPE later rotates each pair of Q and K dimensions by "
                   "an angle proportional to the position, fast for the first pairs, slow for the last.";
        case JourneyKind::AttnNorm:
            return "RMSNorm divides the residual stream by its root-mean-square and scales each dimension by a "
                   "learned weight, so the projections see vectors of a steady size.";
        case JourneyKind::Qkv:
            return "Three matrices project the normed vector into a query (what this token looks for), a key (what "
                   "it offers) and a value (what it passes on); Q and K are then rotated by RoPE. K and V go into the "
                   "cache for later tokens.";
        case JourneyKind::Scores:
            return "The query of each head is compared with the key of every position up to this one: the dot "
                   "product divided by √head_dim. Later positions are masked (causal).";
        case JourneyKind::Softmax:
            return "Softmax turns a head's scores into weights that are positive and sum to 1 (the maximum is "
                   "subtracted first so nothing overflows).";
        case JourneyKind::WeightedSum:
            return "Each head mixes the value vectors of the positions it attends to, weighted by the softmax.";
        case JourneyKind::HeadsCombined:
            return "The heads' outputs are laid side by side and the output matrix wo maps them back to the "
                   "residual stream's width.";
        case JourneyKind::ResidAttn:
            return "The attention block's result is added to the residual stream: the block writes a correction, "
                   "it does not replace the vector.";
        case JourneyKind::FfnNorm:
            return "A second RMSNorm prepares the residual stream for the MLP.";
        case JourneyKind::Mlp:
            return "The MLP widens the vector (gate and up projections), lets through silu(gate) × up, and projects "
                   "back down: a per-token computation that mixes no positions.";
        case JourneyKind::ResidFfn:
            return "The MLP's result is added to the residual stream: this is the layer's output and the next "
                   "layer's input.";
        case JourneyKind::FinalNorm:
            return "After the last layer a final RMSNorm prepares the residual stream for the output matrix.";
        case JourneyKind::Logits:
            return "The output matrix scores every vocabulary entry against the final vector: one logit per token.";
        case JourneyKind::Probs:
            return "Softmax at temperature 1 turns the logits into the model's probability for each next token.";
        case JourneyKind::Sampler:
            return "The sampler reshapes and truncates the distribution (temperature, top-k, top-p, min-p) and "
                   "draws one token.";
        case JourneyKind::Appended:
            return "The drawn token is appended to the sequence and becomes the input of the next forward pass.";
        case JourneyKind::kCount:
            break;
    }
    return "";
}

std::string journey_shape(JourneyKind kind, const core::Hparams& hp, int n_keys) {
    char buf[256];
    const int e = hp.n_embd;
    switch (kind) {
        case JourneyKind::Token:
            std::snprintf(buf, sizeof buf, "one id in [0, %d)", hp.n_vocab);
            break;
        case JourneyKind::Embedding:
            std::snprintf(buf, sizeof buf, "token_embd [%d × %d] → x [%d]", hp.n_vocab, e, e);
            break;
        case JourneyKind::Position:
            std::snprintf(buf, sizeof buf, "%d rotated pairs per head (n_rot = %d, base %g%s)", hp.n_rot / 2, hp.n_rot,
                          double(hp.rope_freq_base),
                          hp.rope_freq_factors.empty() ? "" : ", each angle ÷ its rope_freqs factor");
            break;
        case JourneyKind::AttnNorm:
        case JourneyKind::FfnNorm:
        case JourneyKind::FinalNorm:
            std::snprintf(buf, sizeof buf, "x [%d] → [%d]", e, e);
            break;
        case JourneyKind::Qkv:
            std::snprintf(buf, sizeof buf, "q [%d heads × %d], k and v [%d kv heads × %d]", hp.n_head, hp.head_dim,
                          hp.n_head_kv, hp.head_dim);
            break;
        case JourneyKind::Scores:
        case JourneyKind::Softmax:
            std::snprintf(buf, sizeof buf, "[%d heads × %d keys]", hp.n_head, n_keys);
            break;
        case JourneyKind::WeightedSum:
            std::snprintf(buf, sizeof buf, "[%d heads × %d] from v [%d keys × %d]", hp.n_head, hp.head_dim, n_keys,
                          hp.head_dim);
            break;
        case JourneyKind::HeadsCombined:
            std::snprintf(buf, sizeof buf, "[%d] → wo [%d × %d] → [%d]", hp.n_head * hp.head_dim, e,
                          hp.n_head * hp.head_dim, e);
            break;
        case JourneyKind::ResidAttn:
        case JourneyKind::ResidFfn:
            std::snprintf(buf, sizeof buf, "[%d] + [%d]", e, e);
            break;
        case JourneyKind::Mlp:
            std::snprintf(buf, sizeof buf, "[%d] → gate, up [%d] → down [%d]", e, hp.n_ff, e);
            break;
        case JourneyKind::Logits:
            std::snprintf(buf, sizeof buf, "output [%d × %d] → [%d]", hp.n_vocab, e, hp.n_vocab);
            break;
        case JourneyKind::Probs:
            std::snprintf(buf, sizeof buf, "[%d], sums to 1", hp.n_vocab);
            break;
        case JourneyKind::Sampler:
            std::snprintf(buf, sizeof buf, "[%d] → one id", hp.n_vocab);
            break;
        case JourneyKind::Appended:
            std::snprintf(buf, sizeof buf, "sequence length %d → %d", n_keys, n_keys + 1);
            break;
        case JourneyKind::kCount:
            buf[0] = 0;
            break;
    }
    return buf;
}

float l2_norm(std::span<const float> v) {
    double s = 0;
    for (float x : v) s += double(x) * double(x);
    return float(std::sqrt(s));
}

}  // namespace ts::app
