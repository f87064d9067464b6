// Interventions: "what if this part were gone?" — edits of the forward pass at its named stages (stage.hpp), made by
// an Observer that changes a stage's output before the next stage reads it. Each is exact and says what it does:
//
//   zero-head:L.H      layer L, head H: its output (its row of attn_out) is zeroed before wo mixes the heads —
//                      the same as removing head H's columns of wo
//   scale-head:L.H:S   the same row multiplied by S
//   skip-attn:L        layer L's attention block adds nothing: attn_proj is zeroed, the residual passes through
//   skip-mlp:L         layer L's MLP adds nothing: ffn_out is zeroed
//   no-scale:L         layer L's scores are q·k instead of q·k/√head_dim (the softmax sharpens)
//   no-rope:L          layer L's queries and keys are not rotated (q = q_proj, k = k_proj): attention loses the
//                      position signal; the keys go into the cache unrotated, so later positions see them so too
//   steer:L:A          after layer L, the residual stream gets A × a steering vector (made by the caller, e.g. the
//                      difference of the mean residuals of two prompts at that layer)
//
// Each applies to the positions >= from_pos. The Intervener runs a list of them and then hands every stage to an
// inner observer (the session's recorder), so what is recorded is the intervened run.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/base/result.hpp"
#include "core/model/model.hpp"
#include "core/model/stage.hpp"

namespace ts::core {

enum class InterventionKind : uint8_t { ZeroHead, ScaleHead, SkipAttn, SkipMlp, NoScale, NoRope, Steer };

struct Intervention {
    InterventionKind kind = InterventionKind::ZeroHead;
    int layer             = 0;
    int head              = 0;     // ZeroHead, ScaleHead
    float factor          = 0.0f;  // ScaleHead: the multiplier; Steer: α
    int from_pos          = 0;     // applies to positions >= from_pos
    std::vector<float> steer;      // Steer: [n_embd]
    bool enabled = true;
};

// Parses one spec of the list above ("zero-head:3.1", "skip-mlp:0", "steer:2:4.5"; `@P` at the end sets from_pos,
// e.g. "skip-mlp:0@5"). A layer or head the model does not have, an unknown kind or a malformed number is an error
// naming the spec. A steer spec leaves `steer` empty: the caller makes the vector.
[[nodiscard]] Result<Intervention> parse_intervention(std::string_view spec, const Hparams& hp);
// The spec again ("zero-head:3.1"), and one line for a learner ("layer 3, head 1: output zeroed").
std::string intervention_spec(const Intervention& iv);
std::string describe_intervention(const Intervention& iv);

// Applies interventions at their stages, then passes each stage to `inner` (may be null) as the inner observer
// would have seen it in the intervened run.
class Intervener final : public Observer {
public:
    Intervener(const Hparams& hp, std::vector<Intervention> list, Observer* inner = nullptr);

    void set_inner(Observer* inner) { inner_ = inner; }
    const std::vector<Intervention>& list() const { return list_; }
    // Whether any enabled intervention applies at or after `pos` (the forward pass can skip the observer before).
    bool active() const;

    StageMask wants(int layer) const override;
    void observe(Stage stage, int layer, int pos, TensorView view) override;

private:
    const Hparams& hp_;
    std::vector<Intervention> list_;
    Observer* inner_ = nullptr;
    mutable std::vector<StageMask> inner_wants_;                       // [n_layer + 1], asked in wants()
    std::map<std::tuple<Stage, int, int>, std::vector<float>> saved_;  // no-rope: (q_proj | k_proj, layer, pos)
};

}  // namespace ts::core
