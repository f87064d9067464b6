// Exact derivations from a trace (see derive.hpp): every number comes from the forward pass's own functions.
#include "core/trace/derive.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/model/forward.hpp"
#include "core/model/layers.hpp"
#include "core/tensor/ops.hpp"
#include "core/tensor/quant.hpp"

namespace ts::core::derive {
namespace {

constexpr float kMasked = -std::numeric_limits<float>::infinity();

Status check_layer(const TraceView& tv, int layer) {
    const int n_layer = tv.model.hp.n_layer;
    if (layer < 0 || layer >= n_layer)
        return make_error(Code::kInvalidArgument, "trace: layer %d is outside [0, %d)", layer, n_layer);
    if (tv.cache.n_pos() < tv.n_pos())
        return make_error(Code::kInvalidArgument, "trace: the KV cache holds %d positions, the trace %d",
                          tv.cache.n_pos(), tv.n_pos());
    return {};
}

// The attention derivations need queries and cached keys: a linear-attention layer (qwen35's DeltaNet) has neither,
// so no matrix is made up for it.
Status check_attention_layer(const TraceView& tv, int layer) {
    TS_TRY(check_layer(tv, layer));
    if (tv.model.hp.is_recurrent(layer))
        return make_error(Code::kUnsupported,
                          "layer %d is linear attention (recurrent state): it keeps no keys and computes no attention "
                          "weights",
                          layer);
    return {};
}

Status check_pos(const TraceView& tv, int pos) {
    if (pos < 0 || pos >= tv.n_pos())
        return make_error(Code::kInvalidArgument, "trace: position %d is outside [0, %d)", pos, tv.n_pos());
    return {};
}

// The recorded queries of `pos`, or an error that says why there are none.
Result<const PositionRecord*> record_of(const TraceView& tv, int pos) {
    TS_TRY(check_pos(tv, pos));
    const StepTrace* st = tv.steps[size_t(pos)].get();
    if (!st || !st->record)
        return make_error(Code::kInvalidArgument,
                          "trace: position %d has no recorded queries / residual stream (recording was off, or the "
                          "trace budget dropped it)",
                          pos);
    return st->record.get();
}

// scores and probs of query `pos` of `head` into rows of T floats, masked beyond the keys it reads (pos under the
// causal mask); returns how many keys it reads. raw (optional, T floats): the scores before the soft-cap.
int fill_row(const TraceView& tv, const PositionRecord& r, int layer, int head, int pos, float* scores, float* probs,
             float* raw = nullptr) {
    const Hparams& hp = tv.model.hp;
    const int n_pos   = tv.interventions ? std::min(keys_read(*tv.interventions, layer, pos, tv.n_prompt), tv.n_pos())
                                         : pos + 1;  // the causal mask: keys 0 .. pos
    // In the forward pass's order: scaled scores within the layer's sliding window (keys before it are -inf, shown
    // masked), the interventions that edit scores (no-scale, where the observer sees AttnScores), then the soft-cap.
    // The layer's own head size and cache layer (gemma4's differ per layer).
    attn::Params p  = attn::params(hp, layer);
    const int group = hp.n_head / p.n_head_kv;
    const float* q  = r.q_layer(layer) + size_t(head) * size_t(p.head_dim);
    const float cap = p.softcap;
    p.softcap       = 0.0f;
    const int j0    = attn::layer_scores_row(p, q, tv.cache, p.kv_layer, head / group, p.head_dim, n_pos, scores);
    if (tv.interventions) edit_scores(*tv.interventions, hp, layer, pos, scores, n_pos);
    if (raw) {
        std::copy(scores, scores + n_pos, raw);
        std::fill(raw + n_pos, raw + tv.n_pos(), kMasked);
    }
    if (cap != 0.0f) softcap(scores + j0, n_pos - j0, cap);
    attn::softmax_row(scores, probs, n_pos);
    std::fill(scores + n_pos, scores + tv.n_pos(), kMasked);
    std::fill(probs + n_pos, probs + tv.n_pos(), 0.0f);
    return n_pos;
}

}  // namespace

Result<AttnRow> attention_row(const TraceView& tv, int layer, int head, int pos) {
    TS_TRY(check_attention_layer(tv, layer));
    if (head < 0 || head >= tv.model.hp.n_head)
        return make_error(Code::kInvalidArgument, "trace: head %d is outside [0, %d)", head, tv.model.hp.n_head);
    auto r = record_of(tv, pos);
    if (!r) return r.error();
    AttnRow row;
    row.layer = layer;
    row.head  = head;
    row.pos   = pos;
    row.n     = tv.n_pos();
    row.scores.resize(size_t(row.n));
    row.probs.resize(size_t(row.n));
    const attn::Params p = attn::params(tv.model.hp, layer);
    row.scale            = p.scale;
    if (p.softcap != 0.0f) row.raw_scores.resize(size_t(row.n));
    fill_row(tv, **r, layer, head, pos, row.scores.data(), row.probs.data(),
             row.raw_scores.empty() ? nullptr : row.raw_scores.data());
    return row;
}

Result<AttnMatrix> attention_matrix(const TraceView& tv, int layer, int head) {
    TS_TRY(check_attention_layer(tv, layer));
    if (head < 0 || head >= tv.model.hp.n_head)
        return make_error(Code::kInvalidArgument, "trace: head %d is outside [0, %d)", head, tv.model.hp.n_head);
    const int n = tv.n_pos();
    AttnMatrix m;
    m.layer = layer;
    m.head  = head;
    m.n     = n;
    m.scores.resize(size_t(n) * size_t(n));
    m.probs.resize(size_t(n) * size_t(n));
    for (int i = 0; i < n; ++i) {
        auto r = record_of(tv, i);
        if (!r) return r.error();
        fill_row(tv, **r, layer, head, i, m.scores.data() + size_t(i) * size_t(n),
                 m.probs.data() + size_t(i) * size_t(n));
    }
    return m;
}

Result<HeadSummary> head_summary(const TraceView& tv, int layer) {
    TS_TRY(check_attention_layer(tv, layer));
    const int n = tv.n_pos(), n_head = tv.model.hp.n_head;
    HeadSummary s;
    s.layer  = layer;
    s.n      = n;
    s.n_head = n_head;
    s.mean.assign(size_t(n) * size_t(n), 0.0f);
    s.max.assign(size_t(n) * size_t(n), 0.0f);
    s.entropy.assign(size_t(n_head), 0.0f);
    std::vector<float> scores(static_cast<size_t>(n)), probs(static_cast<size_t>(n));
    std::vector<double> entropy(size_t(n_head), 0.0);
    for (int i = 0; i < n; ++i) {
        auto r = record_of(tv, i);
        if (!r) return r.error();
        float* mean = s.mean.data() + size_t(i) * size_t(n);
        float* max  = s.max.data() + size_t(i) * size_t(n);
        for (int h = 0; h < n_head; ++h) {
            const int n_keys = fill_row(tv, **r, layer, h, i, scores.data(), probs.data());
            double e         = 0;
            for (int j = 0; j < n_keys; ++j) {
                mean[j] += probs[size_t(j)];
                max[j] = std::max(max[j], probs[size_t(j)]);
                if (probs[size_t(j)] > 0) e -= double(probs[size_t(j)]) * std::log(double(probs[size_t(j)]));
            }
            entropy[size_t(h)] += e;
        }
        for (int j = 0; j < n; ++j) mean[j] /= float(n_head);
    }
    for (int h = 0; h < n_head; ++h) s.entropy[size_t(h)] = n > 0 ? float(entropy[size_t(h)] / n) : 0.0f;
    return s;
}

Result<std::vector<LensLayer>> logit_lens(const TraceView& tv, int pos, int top_k, ThreadPool& pool) {
    auto r = record_of(tv, pos);
    if (!r) return r.error();
    const Hparams& hp = tv.model.hp;
    const Weights& w  = tv.model.w;
    std::vector<float> x(size_t(hp.n_embd)), xb(size_t(hp.n_embd)), logits(size_t(hp.n_vocab));
    std::vector<LensLayer> out;
    out.reserve(size_t(hp.n_layer) + 1);
    if (auto in = core::layer_input(tv.model, tv.steps[size_t(pos)]->token, pos)) {
        output_norm(tv.model, in->data(), xb.data());
        matvec(w.output, xb.data(), logits.data(), pool);
        out.push_back(LensLayer{-1, sample::top_candidates(logits, top_k)});
    }
    for (int il = 0; il < hp.n_layer; ++il) {
        // The forward pass's last stage, applied to this layer's residual stream.
        (*r)->load_resid(il, x.data());
        logits_from_resid(tv.model, x.data(), logits.data(), pool);
        out.push_back(LensLayer{il, sample::top_candidates(logits, top_k)});
    }
    return out;
}

std::vector<float> embedding_row(const Model& model, int32_t token) {
    const Tensor& t = model.w.token_embd;
    std::vector<float> out(static_cast<size_t>(model.hp.n_embd), 0.0f);
    if (token < 0 || token >= t.n_rows()) return out;
    dequantize_row(t.type, t.row(token), out.data(), model.hp.n_embd);
    return out;
}

std::vector<float> rope_thetas_at(const Hparams& hp, int pos, bool swa) {
    std::vector<float> a(static_cast<size_t>(std::max(0, hp.n_rot / 2)));
    for (size_t i = 0; i < a.size(); ++i) a[i] = float(rope_theta(hp, pos, int(i), swa));
    return a;
}

void logits_from_resid(const Model& model, const float* resid, float* logits, ThreadPool& pool) {
    std::vector<float> xb(size_t(model.hp.n_embd));
    output_norm(model, resid, xb.data());
    matvec(model.w.output, xb.data(), logits, pool);
    softcap(logits, model.hp.n_vocab, model.hp.final_softcap);  // gemma2's final soft-cap, as the forward pass
}

std::vector<float> final_norm_of(const Model& model, const StepTrace& st) {
    if (!st.record || st.record->n_layer != model.hp.n_layer) return {};
    std::vector<float> x(static_cast<size_t>(model.hp.n_embd));
    st.record->load_resid(model.hp.n_layer - 1, x.data());
    output_norm(model, x.data(), x.data());
    return x;
}

}  // namespace ts::core::derive
