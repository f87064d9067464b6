// Interventions: "what if this part were gone?" — edits of the forward pass at its named stages (stage.hpp), made by
// an Observer that changes a stage's output before the next stage reads it. Each is exact and says what it does:
//
//   zero-head:L.H      layer L, head H: its output (its row of attn_out) is zeroed before wo mixes the heads —
//                      the same as removing head H's columns of wo
//   scale-head:L.H:S   the same row multiplied by S
//   mean-head:L.H      the same row replaced by its mean over the context so far (positions 0 .. current, as the
//                      head computed them): the head keeps its average contribution but loses what is specific to
//                      this token — "mean ablation", gentler than zeroing
//   skip-attn:L        layer L's attention block adds nothing: attn_proj is zeroed, the residual passes through
//   skip-mlp:L         layer L's MLP adds nothing: ffn_out is zeroed (gemma4 with experts: ffn_moe_sum, the MLP
//                      and the experts beside it together, before the post-norm, which leaves zero as it is)
//   no-scale:L         layer L's scores are q·k instead of q·k/√head_dim (the softmax sharpens)
//   no-rope:L          layer L's queries and keys are not rotated (q = q_proj, k = k_proj; after q_norm / k_norm
//                      on qwen3): attention loses the position signal; the keys go into the cache unrotated, so
//                      later positions see them so too. Refused on architectures without RoPE (gpt2).
//   no-mask:L          layer L's causal mask is lifted inside the prompt: each prompt position also attends to the
//                      later prompt positions (the prompt must be evaluated in one batch). Generation then breaks:
//                      the model never saw the future in training, so the prompt's representations after layer L
//                      carry what comes later — the next-token prediction at the last prompt position reads them —
//                      while every generated token is again causal: the two no longer fit together.
//   steer:L:A          after layer L, the residual stream gets A × a steering vector (made by the caller)
//   steer:L:A:X|Y      the same with the vector made from two texts: the mean residual stream after layer L
//                      (resid_ffn) over the tokens of X minus that over the tokens of Y (steering_vector())
//
// On qwen35 (two kinds of layers, ARCHITECTURE §3) each kind means on an attention layer what it means above, and on
// a linear-attention (gated DeltaNet, recurrent state) layer:
//   zero-head:L.H      value head H's row of lin_norm (its read-out after the gated norm, RMSNorm · ssm_norm ⊙
//   scale-head:L.H:S   silu(z)) zeroed / × S before ssm_out mixes the heads — removing head H's columns of ssm_out.
//   mean-head:L.H      that row replaced by its mean over the context so far, as above. The heads are the value
//                      heads (ssm.time_step_rank of them, Hparams::mixer_heads). The state is updated as without
//                      the edit: only what the head adds to the residual stream changes.
//   skip-attn:L        lin_out (the mixer's output) is zeroed: the layer adds nothing; its state still absorbs each
//                      token, as an attention layer's K and V still enter the cache (nothing reads either while the
//                      skip holds, since both are only read by the layer's own outputs).
//   skip-mlp, steer    as above (every layer has its MLP and its output).
//   no-scale, no-rope, no-mask  refused: a recurrent layer has no scores, no RoPE and no mask (its state only ever
//                      holds earlier tokens).
// On qwen35's attention layers the per-head kinds act on attn_gate (the head's output after its query gate
// ⊙ sigmoid(gate): the row wo mixes), not on attn_out: zeroing or scaling either is the same, but mean-head's mean
// is of what the head contributed, gate included. intervention_stage() says which stage, per layer.
//
// Each applies to the positions >= from_pos. The Intervener runs a list of them and then hands every stage to an
// inner observer (the session's recorder), so what is recorded is the intervened run. A Session keeps the list
// (Session::set_interventions) and re-evaluates what it changes.
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
#include "core/tensor/thread_pool.hpp"

namespace ts::core {

enum class InterventionKind : uint8_t {
    ZeroHead,
    ScaleHead,
    SkipAttn,
    SkipMlp,
    NoScale,
    NoRope,
    Steer,
    MeanHead,
    NoMask
};

struct Intervention {
    InterventionKind kind = InterventionKind::ZeroHead;
    int layer             = 0;
    int head              = 0;     // ZeroHead, ScaleHead, MeanHead
    float factor          = 0.0f;  // ScaleHead: the multiplier; Steer: α
    int from_pos          = 0;     // applies to positions >= from_pos
    std::vector<float> steer;      // Steer: [n_embd]
    std::string steer_a, steer_b;  // Steer: the two texts the vector is made of (empty: made by the caller)
    bool enabled = true;
    // Same edit (kind, place, factor, start, vector); `enabled` is not compared.
    bool same_edit(const Intervention& o) const;
};

// Parses one spec of the list above ("zero-head:3.1", "skip-mlp:0", "steer:2:4.5", "steer:2:4:  love| hate"; `@P`
// at the end sets from_pos, e.g. "skip-mlp:0@5"). A layer or head the model does not have, an unknown kind, a
// malformed number, no-rope on a model without RoPE or a kind that does not apply to the layer's kind
// (intervention_refusal) is an error naming the spec. A steer spec leaves `steer`
// empty: steering_vector() or the caller makes it (Session::set_interventions does it from the texts).
[[nodiscard]] Result<Intervention> parse_intervention(std::string_view spec, const Hparams& hp);
// What parse_intervention checks, for an Intervention made in code; a steer also needs its vector ([n_embd]).
[[nodiscard]] Status check_intervention(const Intervention& iv, const Hparams& hp);
// Why `kind` does not apply to layer `layer` of this model ("" when it does): no-rope on a model without RoPE;
// no-scale, no-rope, no-mask on a linear-attention layer. One sentence naming the layer's kind; the Interventions
// panel shows it where it leaves an option out.
std::string intervention_refusal(InterventionKind kind, const Hparams& hp, int layer);
// The stage a kind edits on `layer`: zero-head, scale-head, mean-head: lin_norm on a linear-attention layer,
// attn_gate on an attention layer that has one (qwen35), attn_out otherwise; skip-attn: lin_out or attn_proj;
// skip-mlp: ffn_out (gemma4 with experts: ffn_moe_sum); steer: resid_ffn; no-scale, no-mask: attn_scores; no-rope:
// q (it also reads the stages before).
Stage intervention_stage(InterventionKind kind, const Hparams& hp, int layer);

// The spec again ("zero-head:3.1"), and one line for a learner ("layer 3, head 1: output zeroed").
std::string intervention_spec(const Intervention& iv);
std::string describe_intervention(const Intervention& iv);

// The steering vector of a steer at `layer`: the mean of the residual stream after the layer (stage resid_ffn, the
// layer's output, where steer adds it) over the tokens of text_a, minus the same over the tokens of text_b; each
// text is encoded without BOS (its row would be the same in both and only dilute the difference). Errors: a model
// without a tokenizer, a text with no tokens, a layer the model does not have.
[[nodiscard]] Result<std::vector<float>> steering_vector(const Model& model, int layer, std::string_view text_a,
                                                         std::string_view text_b, ThreadPool& pool);
// Fills iv.steer from iv.steer_a / iv.steer_b when it is a steer with texts and no vector yet.
[[nodiscard]] Status make_steer(Intervention& iv, const Model& model, ThreadPool& pool);

// Parses each spec (parse_intervention) and makes the vectors of steers given with texts (make_steer); a steer
// without texts is an error here, since nothing else would give it a vector. For command lines.
[[nodiscard]] Result<std::vector<Intervention>> make_interventions(const std::vector<std::string>& specs,
                                                                   const Model& model, ThreadPool& pool);

// no-scale, the one edit of the attention scores: multiplies the score row of (layer, pos) — n_keys entries of one
// head — by √head_dim for each enabled no-scale of that layer that applies at pos. The Intervener and the derived
// attention rows (derive.hpp) both call it, so a heatmap shows the probabilities the forward pass used.
void edit_scores(const std::vector<Intervention>& list, const Hparams& hp, int layer, int pos, float* scores,
                 int n_keys);
// no-mask, the one edit of the key count: the keys the query at `pos` reads at `layer` — pos + 1 under the causal
// mask, prompt_end for a prompt position (pos < prompt_end) of a layer with an enabled no-mask that applies at pos.
// The Intervener (Observer::key_count) and the derived attention rows both call it.
int keys_read(const std::vector<Intervention>& list, int layer, int pos, int prompt_end);
bool has_no_mask(const std::vector<Intervention>& list);  // an enabled no-mask is in the list

// Applies interventions at their stages, then passes each stage to `inner` (may be null) as the inner observer
// would have seen it in the intervened run.
class Intervener final : public Observer {
public:
    Intervener(const Hparams& hp, std::vector<Intervention> list, Observer* inner = nullptr);
    Intervener(const Intervener&)            = delete;
    Intervener& operator=(const Intervener&) = delete;

    void set_inner(Observer* inner) { inner_ = inner; }
    Observer* inner() const { return inner_; }
    // Forgets what it kept of positions >= n (mean-head's history, no-rope's saved projections): the caller's
    // cache was truncated to n positions.
    void truncate(int n);
    const std::vector<Intervention>& list() const { return list_; }
    // Whether any enabled intervention applies at or after `pos` (the forward pass can skip the observer before).
    bool active() const;

    // The prompt's length, for no-mask (the caller evaluates the prompt in one batch).
    void set_prompt_end(int n) { prompt_end_ = n; }

    StageMask wants(int layer) const override;
    void observe(Stage stage, int layer, int pos, TensorView view) override;
    int key_count(int layer, int pos, int causal) const override;
    // The same edits without the inner observer: what a recompute of positions already evaluated runs (the
    // recurrent state brought back from a checkpoint, Forward::eval / replay), so that the state it rebuilds is the
    // intervened one and nothing is recorded twice.
    Observer* editor() override { return active() ? &edits_ : nullptr; }

private:
    struct EditsOnly final : Observer {
        Intervener* self = nullptr;
        StageMask wants(int layer) const override { return self->own_wants(layer); }
        void observe(Stage stage, int layer, int pos, TensorView view) override { self->edit(stage, layer, pos, view); }
        int key_count(int layer, int pos, int causal) const override { return self->key_count(layer, pos, causal); }
    };
    StageMask own_wants(int layer) const;
    void edit(Stage stage, int layer, int pos, TensorView view);

    const Hparams& hp_;
    std::vector<Intervention> list_;
    Observer* inner_ = nullptr;
    int prompt_end_  = 0;
    mutable std::vector<StageMask> inner_wants_;                       // [n_layer + 1], asked in wants()
    std::map<std::tuple<Stage, int, int>, std::vector<float>> saved_;  // no-rope: (q_proj | k_proj, layer, pos)
    std::map<size_t, std::vector<float>> head_history_;  // mean-head: list index → [pos][head_dim] as computed
    EditsOnly edits_;
};

}  // namespace ts::core
