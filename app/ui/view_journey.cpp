// The Journey's stage list and the exact recomputation of one layer at one position (see view_journey.hpp).
#include "app/ui/view_journey.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/kv/kv_cache.hpp"
#include "core/model/layers.hpp"
#include "core/tensor/ops.hpp"
#include "core/tensor/quant.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::app {
namespace {

constexpr JourneyKind kLayerKinds[] = {JourneyKind::AttnNorm,  JourneyKind::Qkv,         JourneyKind::Scores,
                                       JourneyKind::Softmax,   JourneyKind::WeightedSum, JourneyKind::HeadsCombined,
                                       JourneyKind::ResidAttn, JourneyKind::FfnNorm,     JourneyKind::Mlp,
                                       JourneyKind::ResidFfn};
constexpr int kBefore               = 3;  // Token, Embedding, Position

float max_abs_diff(const float* a, const float* b, size_t n) {
    float m = 0;
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::abs(a[i] - b[i]));
    return m;
}

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
            std::snprintf(buf, sizeof buf, "%d rotated pairs per head (n_rot = %d, base %g)", hp.n_rot / 2, hp.n_rot,
                          double(hp.rope_freq_base));
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

std::vector<float> embedding_row(const core::Model& model, int32_t token) {
    const core::Tensor& t = model.w.token_embd;
    std::vector<float> out(static_cast<size_t>(model.hp.n_embd), 0.0f);
    if (token < 0 || token >= t.n_rows()) return out;
    core::dequantize_row(t.type, t.row(token), out.data(), model.hp.n_embd);
    return out;
}

std::vector<float> rope_angles_at(const core::Hparams& hp, int pos) {
    std::vector<float> a(static_cast<size_t>(std::max(0, hp.n_rot / 2)));
    for (size_t i = 0; i < a.size(); ++i)
        a[i] = float(double(pos) * double(hp.rope_freq_scale) *
                     std::pow(double(hp.rope_freq_base), -2.0 * double(i) / double(hp.n_rot)));
    return a;
}

std::vector<float> final_norm_of(const core::Model& model, const core::StepTrace& st) {
    if (!st.record || st.record->n_layer != model.hp.n_layer) return {};
    std::vector<float> x(static_cast<size_t>(model.hp.n_embd));
    st.record->load_resid(model.hp.n_layer - 1, x.data());
    core::rms_norm(x.data(), static_cast<const float*>(model.w.output_norm.data), model.hp.norm_eps, model.hp.n_embd,
                   x.data());
    return x;
}

core::Result<LayerTrip> compute_layer_trip(const core::Model& model, std::span<const core::StepTracePtr> steps, int pos,
                                           int layer, core::DType kv_type, const std::atomic<bool>* cancel) {
    const core::Hparams& hp = model.hp;
    if (pos < 0 || pos >= int(steps.size()))
        return core::make_error(core::Code::kInvalidArgument,
                                "journey: position %d is not in the sequence (%d positions)", pos, int(steps.size()));
    if (layer < 0 || layer >= hp.n_layer)
        return core::make_error(core::Code::kInvalidArgument, "journey: layer %d out of range (%d layers)", layer,
                                hp.n_layer);
    const int e = hp.n_embd, kv_dim = hp.kv_dim(), hd = hp.head_dim, n_keys = pos + 1;
    const core::LayerWeights& L = model.w.layers[size_t(layer)];
    core::ThreadPool pool(1);
    auto cache = core::KvCache::create(1, n_keys, kv_dim, kv_type == core::DType::F16 ? kv_type : core::DType::F32);
    if (!cache) return cache.error();

    LayerTrip t;
    t.pos           = pos;
    t.layer         = layer;
    t.n_keys        = n_keys;
    const size_t ue = static_cast<size_t>(e), ukv = static_cast<size_t>(kv_dim);
    const size_t half = static_cast<size_t>(hp.n_rot / 2);
    std::vector<float> x(ue), xb(ue), q(static_cast<size_t>(hp.n_head) * static_cast<size_t>(hd)), k(ukv), v(ukv),
        cos_a(half), sin_a(half);
    auto add_bias = [](const core::Tensor& b, std::vector<float>& y) {
        if (!b.data) return;
        const auto* bias = static_cast<const float*>(b.data);
        for (size_t i = 0; i < y.size(); ++i) y[i] += bias[i];
    };
    // K and V of every position up to pos (and Q of pos): the layer's input, norm, projections, RoPE.
    for (int j = 0; j <= pos; ++j) {
        if (cancel && cancel->load(std::memory_order_relaxed))
            return core::make_error(core::Code::kCancelled, "journey: cancelled");
        const core::StepTrace& st = *steps[size_t(j)];
        if (layer == 0) {
            x = embedding_row(model, st.token);
        } else {
            if (!st.record)
                return core::make_error(core::Code::kInvalidArgument,
                                        "journey: position %d has no recorded residual stream (recording is off or the "
                                        "trace budget dropped it), so layer %d cannot be recomputed",
                                        j, layer);
            st.record->load_resid(layer - 1, x.data());
        }
        core::rms_norm(x.data(), static_cast<const float*>(L.attn_norm.data), hp.norm_eps, e, xb.data());
        core::matvec(L.wk, xb.data(), k.data(), pool);
        core::matvec(L.wv, xb.data(), v.data(), pool);
        add_bias(L.bk, k);
        add_bias(L.bv, v);
        core::rope_angles(j, hp.n_rot, hp.rope_freq_base, hp.rope_freq_scale, cos_a.data(), sin_a.data());
        if (j == pos) {
            t.x_in = x;
            t.xb   = xb;
            core::matvec(L.wq, xb.data(), q.data(), pool);
            add_bias(L.bq, q);
            t.q_pre = q;
            t.k_pre = k;
            for (int h = 0; h < hp.n_head; ++h)
                core::apply_rope(&q[size_t(h) * size_t(hd)], hp.n_rot, hp.rope_style, cos_a.data(), sin_a.data());
        }
        for (int h = 0; h < hp.n_head_kv; ++h)
            core::apply_rope(&k[size_t(h) * size_t(hd)], hp.n_rot, hp.rope_style, cos_a.data(), sin_a.data());
        cache->store(0, j, k.data(), v.data());
        if (j == pos) {
            t.q = q;
            t.k = k;
            t.v = v;
        }
    }
    cache->set_n_pos(n_keys);
    double ss = 0;
    for (float xi : t.x_in) ss += double(xi) * double(xi);
    t.rms_in = float(std::sqrt(ss / double(e) + double(hp.norm_eps)));

    // Attention of every head: scores, softmax, weighted sum of V (grouped-query: head h reads kv head h / group).
    const int group = hp.n_head / std::max(1, hp.n_head_kv);
    t.scores.resize(size_t(hp.n_head) * size_t(n_keys));
    t.probs.resize(t.scores.size());
    t.att.resize(size_t(hp.n_head) * size_t(hd));
    for (int h = 0; h < hp.n_head; ++h) {
        float* sc = &t.scores[size_t(h) * size_t(n_keys)];
        float* pr = &t.probs[size_t(h) * size_t(n_keys)];
        core::attn::scores_row(&t.q[size_t(h) * size_t(hd)], *cache, 0, h / group, hd, n_keys, sc);
        core::attn::softmax_row(sc, pr, n_keys);
        core::attn::weighted_sum_row(pr, *cache, 0, h / group, hd, n_keys, &t.att[size_t(h) * size_t(hd)]);
    }
    // Output projection, residual add, MLP norm, SwiGLU MLP, residual add.
    t.attn_out.resize(size_t(e));
    core::matvec(L.wo, t.att.data(), t.attn_out.data(), pool);
    t.resid_attn.resize(size_t(e));
    for (int i = 0; i < e; ++i) t.resid_attn[size_t(i)] = t.x_in[size_t(i)] + t.attn_out[size_t(i)];
    ss = 0;
    for (float xi : t.resid_attn) ss += double(xi) * double(xi);
    t.rms_attn = float(std::sqrt(ss / double(e) + double(hp.norm_eps)));
    t.xb2.resize(size_t(e));
    core::rms_norm(t.resid_attn.data(), static_cast<const float*>(L.ffn_norm.data), hp.norm_eps, e, t.xb2.data());
    t.hidden.resize(size_t(hp.n_ff));
    std::vector<float> up(static_cast<size_t>(hp.n_ff));
    core::matvec(L.w_gate, t.xb2.data(), t.hidden.data(), pool);
    core::matvec(L.w_up, t.xb2.data(), up.data(), pool);
    core::swiglu(t.hidden.data(), up.data(), hp.n_ff);
    t.mlp_out.resize(size_t(e));
    core::matvec(L.w_down, t.hidden.data(), t.mlp_out.data(), pool);
    t.resid_ffn.resize(size_t(e));
    for (int i = 0; i < e; ++i) t.resid_ffn[size_t(i)] = t.resid_attn[size_t(i)] + t.mlp_out[size_t(i)];

    // Against what the forward pass recorded at this position.
    const core::StepTrace& me = *steps[size_t(pos)];
    if (me.record && me.record->n_layer == hp.n_layer) {
        t.q_max_diff = max_abs_diff(t.q.data(), me.record->q_layer(layer), t.q.size());
        std::vector<float> rec(ue);
        me.record->load_resid(layer, rec.data());
        t.resid_max_diff = max_abs_diff(t.resid_ffn.data(), rec.data(), rec.size());
    }
    return t;
}

}  // namespace ts::app
