// TraceRecorder: the Observer that captures, for each position the forward pass evaluates, the residual-stream
// norms of every layer and (when recording is on) the post-RoPE queries and the residual stream after every layer.
// Attaching it is one argument: `fwd.eval(cache, ids, n, pos0, logits, LogitRows::Last, pool, &recorder)`.
//
// With a mixture of experts it also records the router's distribution and choice (ffn_router_probs, ffn_route); on
// a recurrent (gated DeltaNet) layer, each value head's gates and state norm (lin_decay, lin_beta, lin_state_norm).
// Cost: it asks for three stages per layer (Q, ResidAttn, ResidFfn; five with experts); each call copies one row of
// n_embd floats into a buffer allocated once per position (never per stage call) and takes one dot product for the
// norm. It is also the forward pass's NaN/Inf detector, at no extra cost: a residual norm that is not finite means the
// residual row holds NaN/Inf (then confirmed element by element), and the embedding row and the logits are scanned.
// The first such place (the lowest layer, then the lowest position) is kept for the session to report.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/model/model.hpp"
#include "core/model/stage.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::core {

struct RecordOptions {
    bool records     = true;        // keep q and the residual stream per position (false: norms only)
    DType resid_type = DType::F32;  // F32 or F16 storage of the residual stream
};

// Where non-finite values (NaN/Inf) first appeared in a forward call: stage Embed (layer -1), ResidAttn or ResidFfn
// (layer 0 ..), or Logits (layer -1, after every layer).
struct NonFinite {
    Stage stage = Stage::Embed;
    int layer   = -1;
    int pos     = 0;
};
// "layer 3, attention output, position 5" / "the token embedding, position 0" / "the logits, position 7".
std::string describe_non_finite(const NonFinite& nf);

// What the recorder captured of one position.
struct PositionCapture {
    std::vector<LayerStep> layers;           // [n_layer]; empty when the position was not observed
    std::shared_ptr<PositionRecord> record;  // null when records are off or the position is below record_from
};

class TraceRecorder final : public Observer {
public:
    // n_ctx_hint: positions to reserve slots for (the recorder grows past it when needed).
    explicit TraceRecorder(const Hparams& hp, RecordOptions opt = {}, int n_ctx_hint = 0);

    const RecordOptions& options() const { return opt_; }
    // Positions below `pos` get norms only, no record (the session uses it to stay inside its budget).
    void set_record_from(int pos) { record_from_ = pos; }

    StageMask wants(int layer) const override;
    void observe(Stage stage, int layer, int pos, TensorView view) override;

    // Whether anything was captured of `pos` since it was last taken.
    bool has(int pos) const;
    // Hands over what was captured of `pos` and forgets it (an empty capture when nothing was).
    PositionCapture take(int pos);
    // Forgets every capture.
    void clear();
    // The first non-finite place seen since the last clear_non_finite() (nullopt: all finite).
    const std::optional<NonFinite>& non_finite() const { return non_finite_; }
    void clear_non_finite() { non_finite_.reset(); }

private:
    PositionCapture& slot(int pos);

    int n_layer_ = 0, q_dim_ = 0, n_embd_ = 0, n_expert_ = 0, n_expert_used_ = 0;
    int n_lin_head_ = 0;                     // ssm_dt_rank of a model with recurrent layers, else 0
    std::vector<uint8_t> recurrent_layers_;  // Hparams::recurrent_layers
    Stage query_ = Stage::Q;  // the stage whose rows the scores read (arch_desc().query): Q, or QProj without RoPE
    RecordOptions opt_;
    int record_from_ = 0;
    std::vector<PositionCapture> slots_;  // [pos]
    std::optional<NonFinite> non_finite_;
    void note_non_finite(Stage stage, int layer, int pos, const TensorView& view);
};

}  // namespace ts::core
