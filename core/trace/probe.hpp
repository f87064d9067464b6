// Observation points of the forward pass (DESIGN §2). The forward pass asks an Observer once per layer which
// probes it wants (so the cost is ~0 when nobody observes), then calls observe() at each wanted point with a view
// of the tensor there. The view is mutable so that later interventions (zero a head, skip an MLP) can edit it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ts::core {

enum class Probe : uint8_t {
    Embed,       // [n_embd] token embedding row (layer = -1)
    AttnNorm,    // [n_embd] normed input of the attention block
    Q,           // [n_head][head_dim] after RoPE
    K,           // [n_head_kv][head_dim] after RoPE
    V,           // [n_head_kv][head_dim]
    AttnScores,  // [n_head][n_pos] q·k/√head_dim, causal mask applied (positions > pos are not present)
    AttnProbs,   // [n_head][n_pos] softmax of the scores
    AttnOut,     // [n_embd] weighted sum of V over heads, before the output projection
    ResidAttn,   // [n_embd] residual stream after the attention block
    FfnNorm,     // [n_embd] normed input of the MLP
    FfnOut,      // [n_embd] MLP output
    ResidFfn,    // [n_embd] residual stream after the MLP
    FinalNorm,   // [n_embd] after the final norm (layer = -1)
    Logits,      // [n_vocab] (layer = -1)
    kCount
};

inline constexpr std::array<std::string_view, size_t(Probe::kCount)> kProbeNames = {
    "embed",    "attn_norm",  "q",        "k",       "v",         "attn_scores", "attn_probs",
    "attn_out", "resid_attn", "ffn_norm", "ffn_out", "resid_ffn", "final_norm",  "logits",
};
static_assert(kProbeNames.size() == size_t(Probe::kCount));

struct ProbeMask {
    uint32_t bits = 0;
    bool has(Probe p) const { return bits & (1u << uint32_t(p)); }
    ProbeMask& set(Probe p) {
        bits |= 1u << uint32_t(p);
        return *this;
    }
    bool any() const { return bits != 0; }
    static ProbeMask all() { return ProbeMask{(1u << uint32_t(Probe::kCount)) - 1}; }
};

// A view of one observed tensor: `rows` rows of `cols` floats, contiguous.
struct TensorView {
    float* data = nullptr;
    int rows    = 1;
    int cols    = 0;
};

struct Observer {
    virtual ~Observer() = default;
    // Asked once per layer (layer = -1 for the embedding / final norm / logits) per forward call.
    virtual ProbeMask wants(int /*layer*/) const { return {}; }
    // The view is valid only during the call. pos is the absolute position of the token.
    virtual void observe(Probe /*probe*/, int /*layer*/, int /*pos*/, TensorView /*view*/) {}
};

}  // namespace ts::core
