// TraceRecorder: copies the stages it asked for into per-position buffers (see recorder.hpp).
#include "core/trace/recorder.hpp"

#include <cmath>
#include <cstring>

#include "core/base/check.hpp"
#include "core/base/fp16.hpp"
#include "core/tensor/ops.hpp"

namespace ts::core {

TraceRecorder::TraceRecorder(const Hparams& hp, RecordOptions opt, int n_ctx_hint)
    : n_layer_(hp.n_layer),
      q_dim_(hp.q_dim()),
      n_embd_(hp.n_embd),
      n_expert_(hp.n_expert),
      n_expert_used_(hp.n_expert_used),
      n_lin_head_(hp.has_recurrent() ? hp.ssm_dt_rank : 0),
      recurrent_layers_(hp.recurrent_layers),
      query_(arch_desc(hp).query),
      opt_(opt) {
    TS_CHECK(opt.resid_type == DType::F32 || opt.resid_type == DType::F16, "TraceRecorder: resid_type F32 or F16");
    if (n_ctx_hint > 0) slots_.reserve(size_t(n_ctx_hint));
}

std::string describe_non_finite(const NonFinite& nf) {
    const std::string at = ", position " + std::to_string(nf.pos);
    switch (nf.stage) {
        case Stage::Embed:
            return "the token embedding" + at;
        case Stage::ResidAttn:
            return "layer " + std::to_string(nf.layer) + ", attention output" + at;
        case Stage::ResidFfn:
            return "layer " + std::to_string(nf.layer) + ", MLP output" + at;
        case Stage::Logits:
            return "the logits (output projection)" + at;
        default:
            return std::string(stage_key(nf.stage)) + ", layer " + std::to_string(nf.layer) + at;
    }
}

namespace {

bool all_finite(const TensorView& v) {
    const size_t n = size_t(v.rows) * size_t(v.cols);
    for (size_t i = 0; i < n; ++i)
        if (!std::isfinite(v.data[i])) return false;
    return true;
}

// Order of "first": the embedding, then layers bottom up (attention before MLP), then the logits; then position.
int stage_rank(Stage p, int layer) {
    if (p == Stage::Embed) return 0;
    if (p == Stage::Logits) return 1 << 30;
    return 1 + 2 * layer + (p == Stage::ResidFfn ? 1 : 0);
}

}  // namespace

void TraceRecorder::note_non_finite(Stage stage, int layer, int pos, const TensorView& view) {
    if (all_finite(view)) return;  // e.g. a norm that overflowed while every element is finite
    if (non_finite_) {
        const int old = stage_rank(non_finite_->stage, non_finite_->layer), now = stage_rank(stage, layer);
        if (old < now || (old == now && non_finite_->pos <= pos)) return;
    }
    non_finite_ = NonFinite{stage, layer, pos};
}

StageMask TraceRecorder::wants(int layer) const {
    StageMask m;
    if (layer < 0) return m.set(Stage::Embed).set(Stage::Logits);  // scanned for NaN/Inf only
    m.set(Stage::ResidAttn).set(Stage::ResidFfn);
    if (opt_.records) m.set(query_);
    if (opt_.records && n_expert_ > 0) m.set(Stage::FfnRouterProbs).set(Stage::FfnRoute);
    if (opt_.records && n_lin_head_ > 0 && size_t(layer) < recurrent_layers_.size() && recurrent_layers_[size_t(layer)])
        m.set(Stage::LinDecay).set(Stage::LinBeta).set(Stage::LinStateNorm);
    return m;
}

PositionCapture& TraceRecorder::slot(int pos) {
    TS_CHECK(pos >= 0, "TraceRecorder: negative position");
    if (size_t(pos) >= slots_.size()) slots_.resize(size_t(pos) + 1);
    PositionCapture& c = slots_[size_t(pos)];
    if (c.layers.empty()) {
        // First stage of this position: allocate everything it will need at once.
        c.layers.assign(size_t(n_layer_), LayerStep{});
        if (opt_.records && pos >= record_from_) {
            auto r        = std::make_shared<PositionRecord>();
            r->pos        = pos;
            r->n_layer    = n_layer_;
            r->q_dim      = q_dim_;
            r->n_embd     = n_embd_;
            r->resid_type = opt_.resid_type;
            r->q.assign(size_t(n_layer_) * size_t(q_dim_), 0.0f);
            if (n_expert_ > 0) {
                r->n_expert      = n_expert_;
                r->n_expert_used = n_expert_used_;
                r->router.assign(size_t(n_layer_) * size_t(n_expert_), 0.0f);
                r->experts.assign(size_t(n_layer_) * size_t(n_expert_used_), -1);
                r->expert_w.assign(size_t(n_layer_) * size_t(n_expert_used_), 0.0f);
            }
            if (n_lin_head_ > 0) {  // NaN: the attention layers have no state
                r->n_lin_head = n_lin_head_;
                for (auto* lin : {&r->lin_decay, &r->lin_beta, &r->lin_state_norm})
                    lin->assign(size_t(n_layer_) * size_t(n_lin_head_), std::nanf(""));
            }
            if (opt_.resid_type == DType::F16) {
                r->resid_h.assign(size_t(n_layer_) * size_t(n_embd_), 0);
            } else {
                r->resid.assign(size_t(n_layer_) * size_t(n_embd_), 0.0f);
            }
            c.record = std::move(r);
        }
    }
    return c;
}

void TraceRecorder::observe(Stage stage, int layer, int pos, TensorView view) {
    if (stage == Stage::Embed || stage == Stage::Logits) {
        if (!non_finite_ || stage_rank(stage, layer) <= stage_rank(non_finite_->stage, non_finite_->layer))
            note_non_finite(stage, layer, pos, view);
        return;
    }
    if (layer < 0 || layer >= n_layer_) return;
    PositionCapture& c = slot(pos);
    const size_t n     = size_t(view.rows) * size_t(view.cols);
    if (stage == query_) {
        // A layer's queries fill its slot of q_dim (the largest); gemma4's layers with smaller heads fill its start.
        if (c.record && n <= size_t(q_dim_))
            std::memcpy(c.record->q.data() + size_t(layer) * size_t(q_dim_), view.data, n * sizeof(float));
        return;
    }
    switch (stage) {
        case Stage::FfnRouterProbs:
            if (c.record && n == size_t(n_expert_))
                std::memcpy(c.record->router.data() + size_t(layer) * n, view.data, n * sizeof(float));
            break;
        case Stage::FfnRoute:  // row 0 the ids (as floats), row 1 the weights
            if (c.record && view.rows == 2 && view.cols == n_expert_used_) {
                const size_t k = size_t(n_expert_used_), at = size_t(layer) * k;
                for (size_t i = 0; i < k; ++i) {
                    c.record->experts[at + i]  = int32_t(view.data[i]);
                    c.record->expert_w[at + i] = view.data[k + i];
                }
            }
            break;
        case Stage::LinDecay:  // [n_lin_head] per stage: g, β, ‖S‖_F of each value head
        case Stage::LinBeta:
        case Stage::LinStateNorm:
            if (c.record && n == size_t(n_lin_head_)) {
                std::vector<float>& dst = stage == Stage::LinDecay  ? c.record->lin_decay
                                          : stage == Stage::LinBeta ? c.record->lin_beta
                                                                    : c.record->lin_state_norm;
                std::memcpy(dst.data() + size_t(layer) * n, view.data, n * sizeof(float));
            }
            break;
        case Stage::ResidAttn:
            c.layers[size_t(layer)].resid_norm_attn = std::sqrt(dot_f32(view.data, view.data, int64_t(n)));
            if (!std::isfinite(c.layers[size_t(layer)].resid_norm_attn)) note_non_finite(stage, layer, pos, view);
            break;
        case Stage::ResidFfn: {
            c.layers[size_t(layer)].resid_norm_ffn = std::sqrt(dot_f32(view.data, view.data, int64_t(n)));
            if (!std::isfinite(c.layers[size_t(layer)].resid_norm_ffn)) note_non_finite(stage, layer, pos, view);
            if (!c.record || n != size_t(n_embd_)) break;
            const size_t at = size_t(layer) * size_t(n_embd_);
            if (opt_.resid_type == DType::F16) {
                uint16_t* dst = c.record->resid_h.data() + at;
                for (size_t i = 0; i < n; ++i) dst[i] = f32_to_fp16(view.data[i]);
            } else {
                std::memcpy(c.record->resid.data() + at, view.data, n * sizeof(float));
            }
            break;
        }
        default:
            break;
    }
}

bool TraceRecorder::has(int pos) const {
    return pos >= 0 && size_t(pos) < slots_.size() && !slots_[size_t(pos)].layers.empty();
}

PositionCapture TraceRecorder::take(int pos) {
    if (!has(pos)) return {};
    PositionCapture out = std::move(slots_[size_t(pos)]);
    slots_[size_t(pos)] = PositionCapture{};
    return out;
}

void TraceRecorder::clear() {
    for (auto& s : slots_) s = PositionCapture{};
}

}  // namespace ts::core
