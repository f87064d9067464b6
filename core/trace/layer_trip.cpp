// Exact re-derivation of one layer at one position (see layer_trip.hpp).
#include "core/trace/layer_trip.hpp"

#include <algorithm>
#include <cmath>

#include "core/kv/kv_cache.hpp"
#include "core/model/layers.hpp"
#include "core/tensor/ops.hpp"
#include "core/tensor/quant.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::core {
namespace {

float max_abs_diff(const float* a, const float* b, size_t n) {
    float m = 0;
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::abs(a[i] - b[i]));
    return m;
}

}  // namespace

std::vector<float> embedding_row(const Model& model, int32_t token) {
    const Tensor& t = model.w.token_embd;
    std::vector<float> out(static_cast<size_t>(model.hp.n_embd), 0.0f);
    if (token < 0 || token >= t.n_rows()) return out;
    dequantize_row(t.type, t.row(token), out.data(), model.hp.n_embd);
    return out;
}

std::vector<float> rope_thetas_at(const Hparams& hp, int pos) {
    std::vector<float> a(static_cast<size_t>(std::max(0, hp.n_rot / 2)));
    for (size_t i = 0; i < a.size(); ++i) a[i] = float(rope_theta(hp, pos, int(i)));
    return a;
}

std::vector<float> final_norm_of(const Model& model, const StepTrace& st) {
    if (!st.record || st.record->n_layer != model.hp.n_layer) return {};
    std::vector<float> x(static_cast<size_t>(model.hp.n_embd));
    st.record->load_resid(model.hp.n_layer - 1, x.data());
    rms_norm(x.data(), static_cast<const float*>(model.w.output_norm.data), model.hp.norm_eps, model.hp.n_embd,
             x.data());
    return x;
}

Result<LayerTrip> compute_layer_trip(const Model& model, std::span<const StepTracePtr> steps, int pos, int layer,
                                     DType kv_type, const std::atomic<bool>* cancel) {
    const Hparams& hp = model.hp;
    if (pos < 0 || pos >= int(steps.size()))
        return make_error(Code::kInvalidArgument, "journey: position %d is not in the sequence (%d positions)", pos,
                          int(steps.size()));
    if (layer < 0 || layer >= hp.n_layer)
        return make_error(Code::kInvalidArgument, "journey: layer %d out of range (%d layers)", layer, hp.n_layer);
    const int e = hp.n_embd, kv_dim = hp.kv_dim(), hd = hp.head_dim, n_keys = pos + 1;
    const LayerWeights& L = model.w.layers[size_t(layer)];
    ThreadPool pool(1);
    auto cache = KvCache::create(1, n_keys, kv_dim, kv_type == DType::F16 ? kv_type : DType::F32);
    if (!cache) return cache.error();

    LayerTrip t;
    t.pos           = pos;
    t.layer         = layer;
    t.n_keys        = n_keys;
    const size_t ue = static_cast<size_t>(e), ukv = static_cast<size_t>(kv_dim);
    const size_t half = static_cast<size_t>(hp.n_rot / 2);
    std::vector<float> x(ue), xb(ue), q(static_cast<size_t>(hp.n_head) * static_cast<size_t>(hd)), k(ukv), v(ukv),
        cos_a(half), sin_a(half);
    // K and V of every position up to pos (and Q of pos): the layer's input, norm, projections, RoPE.
    for (int j = 0; j <= pos; ++j) {
        if (cancel && cancel->load(std::memory_order_relaxed))
            return make_error(Code::kCancelled, "journey: cancelled");
        const StepTrace& st = *steps[size_t(j)];
        if (layer == 0) {
            x = embedding_row(model, st.token);
        } else {
            if (!st.record)
                return make_error(Code::kInvalidArgument,
                                  "journey: position %d has no recorded residual stream (recording is off or the "
                                  "trace budget dropped it), so layer %d cannot be recomputed",
                                  j, layer);
            st.record->load_resid(layer - 1, x.data());
        }
        rms_norm(x.data(), static_cast<const float*>(L.attn_norm.data), hp.norm_eps, e, xb.data());
        matvec(L.wk, xb.data(), k.data(), pool);
        matvec(L.wv, xb.data(), v.data(), pool);
        add_bias(L.bk, 1, kv_dim, k.data());
        add_bias(L.bv, 1, kv_dim, v.data());
        rope_angles(hp, j, cos_a.data(), sin_a.data());
        if (j == pos) {
            t.x_in = x;
            t.xb   = xb;
            matvec(L.wq, xb.data(), q.data(), pool);
            add_bias(L.bq, 1, int(q.size()), q.data());
            t.q_pre = q;
            t.k_pre = k;
            for (int h = 0; h < hp.n_head; ++h)
                apply_rope(&q[size_t(h) * size_t(hd)], hp.n_rot, hp.rope_style, cos_a.data(), sin_a.data());
        }
        for (int h = 0; h < hp.n_head_kv; ++h)
            apply_rope(&k[size_t(h) * size_t(hd)], hp.n_rot, hp.rope_style, cos_a.data(), sin_a.data());
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
        attn::scores_row(&t.q[size_t(h) * size_t(hd)], *cache, 0, h / group, hd, n_keys, sc);
        attn::softmax_row(sc, pr, n_keys);
        attn::weighted_sum_row(pr, *cache, 0, h / group, hd, n_keys, &t.att[size_t(h) * size_t(hd)]);
    }
    // Output projection, residual add, MLP norm, SwiGLU MLP, residual add.
    t.attn_out.resize(size_t(e));
    matvec(L.wo, t.att.data(), t.attn_out.data(), pool);
    t.resid_attn.resize(size_t(e));
    for (int i = 0; i < e; ++i) t.resid_attn[size_t(i)] = t.x_in[size_t(i)] + t.attn_out[size_t(i)];
    ss = 0;
    for (float xi : t.resid_attn) ss += double(xi) * double(xi);
    t.rms_attn = float(std::sqrt(ss / double(e) + double(hp.norm_eps)));
    t.xb2.resize(size_t(e));
    rms_norm(t.resid_attn.data(), static_cast<const float*>(L.ffn_norm.data), hp.norm_eps, e, t.xb2.data());
    t.hidden.resize(size_t(hp.n_ff));
    std::vector<float> up(static_cast<size_t>(hp.n_ff));
    matvec(L.w_gate, t.xb2.data(), t.hidden.data(), pool);
    matvec(L.w_up, t.xb2.data(), up.data(), pool);
    swiglu(t.hidden.data(), up.data(), hp.n_ff);
    t.mlp_out.resize(size_t(e));
    matvec(L.w_down, t.hidden.data(), t.mlp_out.data(), pool);
    t.resid_ffn.resize(size_t(e));
    for (int i = 0; i < e; ++i) t.resid_ffn[size_t(i)] = t.resid_attn[size_t(i)] + t.mlp_out[size_t(i)];

    // Against what the forward pass recorded at this position.
    const StepTrace& me = *steps[size_t(pos)];
    if (me.record && me.record->n_layer == hp.n_layer) {
        t.q_max_diff = max_abs_diff(t.q.data(), me.record->q_layer(layer), t.q.size());
        std::vector<float> rec(ue);
        me.record->load_resid(layer, rec.data());
        t.resid_max_diff = max_abs_diff(t.resid_ffn.data(), rec.data(), rec.size());
    }
    return t;
}

}  // namespace ts::core
