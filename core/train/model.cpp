// TrainModel: parameter layout, initialisation, the forward pass with saved activations and the backward pass.
#include "core/train/model.hpp"

#include <algorithm>
#include <cmath>

#include "core/base/check.hpp"

namespace ts::core::train {

Status ModelConfig::validate() const {
    if (n_vocab <= 0 || n_ctx <= 0 || n_embd <= 0 || n_layer <= 0 || n_head <= 0 || n_head_kv <= 0 || n_ff <= 0)
        return make_error(Code::kInvalidArgument,
                          "model config: every size must be positive (vocab %d, ctx %d, dim %d, layers %d, heads %d, "
                          "kv-heads %d, ffn %d)",
                          n_vocab, n_ctx, n_embd, n_layer, n_head, n_head_kv, n_ff);
    if (n_embd % n_head != 0 || (n_embd / n_head) % 2 != 0)
        return make_error(Code::kInvalidArgument,
                          "model config: dim %d must split into %d heads of an even size (RoPE rotates pairs)", n_embd,
                          n_head);
    if (n_head % n_head_kv != 0)
        return make_error(Code::kInvalidArgument, "model config: heads %d must be a multiple of kv-heads %d", n_head,
                          n_head_kv);
    if (!(norm_eps > 0) || !(rope_base > 1))
        return make_error(Code::kInvalidArgument, "model config: norm eps %g and rope base %g out of range",
                          double(norm_eps), double(rope_base));
    return {};
}

int64_t TrainModel::add_param(std::string name, std::vector<int64_t> ne, bool decay) {
    int64_t size = 1;
    for (int64_t d : ne) size *= d;
    const int64_t offset = params_.empty() ? 0 : params_.back().offset + params_.back().size;
    params_.push_back(ParamInfo{std::move(name), std::move(ne), offset, size, decay});
    return offset;
}

Result<TrainModel> TrainModel::create(const ModelConfig& cfg) {
    TS_TRY(cfg.validate());
    TrainModel m;
    m.cfg_          = cfg;
    const int64_t d = cfg.n_embd, kv = cfg.kv_dim(), ff = cfg.n_ff, nv = cfg.n_vocab;
    m.tok_embd_ = m.add_param("token_embd.weight", {d, nv}, true);
    for (int l = 0; l < cfg.n_layer; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        LayerOffsets o;
        o.attn_norm = m.add_param(p + "attn_norm.weight", {d}, false);
        o.wq        = m.add_param(p + "attn_q.weight", {d, d}, true);
        o.wk        = m.add_param(p + "attn_k.weight", {d, kv}, true);
        o.wv        = m.add_param(p + "attn_v.weight", {d, kv}, true);
        o.wo        = m.add_param(p + "attn_output.weight", {d, d}, true);
        o.ffn_norm  = m.add_param(p + "ffn_norm.weight", {d}, false);
        o.w_gate    = m.add_param(p + "ffn_gate.weight", {d, ff}, true);
        o.w_up      = m.add_param(p + "ffn_up.weight", {d, ff}, true);
        o.w_down    = m.add_param(p + "ffn_down.weight", {ff, d}, true);
        m.layers_.push_back(o);
    }
    m.output_norm_ = m.add_param("output_norm.weight", {d}, false);
    m.output_      = cfg.tied ? m.tok_embd_ : m.add_param("output.weight", {d, nv}, true);
    m.w_.assign(size_t(m.params_.back().offset + m.params_.back().size), 0.0f);
    m.rope_ = make_rope_table(cfg.n_ctx, cfg.head_dim(), cfg.rope_base);
    return m;
}

const ParamInfo* TrainModel::find_param(const std::string& name) const {
    for (const ParamInfo& p : params_)
        if (p.name == name) return &p;
    return nullptr;
}

void TrainModel::init_weights(Rng& rng) {
    const double std_dev  = 0.02;
    const double resid_sd = std_dev / std::sqrt(2.0 * cfg_.n_layer);
    for (const ParamInfo& p : params_) {
        float* w = w_.data() + p.offset;
        if (p.ne.size() == 1) {
            std::fill(w, w + p.size, 1.0f);
            continue;
        }
        const bool resid =
            p.name.find("attn_output") != std::string::npos || p.name.find("ffn_down") != std::string::npos;
        const double sd = resid ? resid_sd : std_dev;
        for (int64_t i = 0; i < p.size; ++i) w[i] = float(normal(rng) * sd);
    }
}

void TrainModel::forward(const int32_t* tokens, int64_t n_seq, int64_t n_pos, Activations& a, ThreadPool* pool) const {
    const int64_t N = n_seq * n_pos, D = cfg_.n_embd, KV = cfg_.kv_dim(), F = cfg_.n_ff, V = cfg_.n_vocab;
    const int64_t H = cfg_.n_head, Hkv = cfg_.n_head_kv, hd = cfg_.head_dim();
    const float* W = w_.data();
    TS_CHECK(n_pos >= 1 && n_pos <= cfg_.n_ctx, "sequence longer than the RoPE table (n_ctx)");
    auto sized = [](std::vector<float>& v, int64_t n) { v.resize(size_t(n)); };
    a.n_seq    = n_seq;
    a.n_pos    = n_pos;
    a.pos.resize(size_t(N));
    for (int64_t t = 0; t < N; ++t) a.pos[size_t(t)] = int32_t(t % n_pos);
    a.layers.resize(size_t(cfg_.n_layer));
    const AttnShape shape{n_seq, n_pos, H, Hkv, hd};

    // token embedding: x = token_embd[token]
    std::vector<float> x(size_t(N * D));
    embedding_forward(W + tok_embd_, tokens, N, D, x.data());
    for (int l = 0; l < cfg_.n_layer; ++l) {
        const LayerOffsets& o = layers_[size_t(l)];
        Activations::Layer& L = a.layers[size_t(l)];
        L.x_in                = x;
        sized(L.xn1, N * D), sized(L.rstd1, N), sized(L.q, N * D), sized(L.k, N * KV), sized(L.v, N * KV);
        sized(L.probs, n_seq * H * n_pos * n_pos), sized(L.att, N * D), sized(L.x_mid, N * D);
        sized(L.xn2, N * D), sized(L.rstd2, N), sized(L.gate, N * F), sized(L.up, N * F), sized(L.h, N * F);
        // attention norm
        rmsnorm_forward(x.data(), W + o.attn_norm, N, D, cfg_.norm_eps, L.xn1.data(), L.rstd1.data());
        // Q, K, V projections, RoPE on Q and K
        linear_forward(L.xn1.data(), W + o.wq, N, D, D, L.q.data(), pool);
        linear_forward(L.xn1.data(), W + o.wk, N, D, KV, L.k.data(), pool);
        linear_forward(L.xn1.data(), W + o.wv, N, D, KV, L.v.data(), pool);
        rope_forward(rope_, a.pos.data(), N, H, hd, L.q.data());
        rope_forward(rope_, a.pos.data(), N, Hkv, hd, L.k.data());
        // scores = q·k/√head_dim, causal softmax, weighted sum of v
        attention_forward(shape, L.q.data(), L.k.data(), L.v.data(), L.probs.data(), L.att.data(), pool);
        // output projection and residual add
        linear_forward(L.att.data(), W + o.wo, N, D, D, L.x_mid.data(), pool);
        for (int64_t i = 0; i < N * D; ++i) L.x_mid[size_t(i)] += x[size_t(i)];
        // MLP norm, SwiGLU: down(silu(gate x) * up x), residual add
        rmsnorm_forward(L.x_mid.data(), W + o.ffn_norm, N, D, cfg_.norm_eps, L.xn2.data(), L.rstd2.data());
        linear_forward(L.xn2.data(), W + o.w_gate, N, D, F, L.gate.data(), pool);
        linear_forward(L.xn2.data(), W + o.w_up, N, D, F, L.up.data(), pool);
        swiglu_forward(L.gate.data(), L.up.data(), N * F, L.h.data());
        linear_forward(L.h.data(), W + o.w_down, N, F, D, x.data(), pool);
        for (int64_t i = 0; i < N * D; ++i) x[size_t(i)] += L.x_mid[size_t(i)];
    }
    // final norm and logits over the vocabulary
    a.x_final = std::move(x);
    sized(a.xnf, N * D), sized(a.rstdf, N), sized(a.logits, N * V);
    rmsnorm_forward(a.x_final.data(), W + output_norm_, N, D, cfg_.norm_eps, a.xnf.data(), a.rstdf.data());
    linear_forward(a.xnf.data(), W + output_, N, D, V, a.logits.data(), pool);
}

double TrainModel::loss(const Activations& a, const int32_t* targets) const {
    const int64_t N = a.n_seq * a.n_pos;
    return cross_entropy_loss(a.logits.data(), targets, N, cfg_.n_vocab) / double(N);
}

double TrainModel::forward_backward(const int32_t* tokens, const int32_t* targets, int64_t n_seq, int64_t n_pos,
                                    std::vector<float>& grad, Activations& a, ThreadPool* pool) const {
    forward(tokens, n_seq, n_pos, a, pool);
    const int64_t N = n_seq * n_pos;
    // logits become ∂(mean loss)/∂logits in place
    const double sum = cross_entropy_forward_backward(a.logits.data(), targets, N, cfg_.n_vocab, 1.0f / float(N), pool);
    backward(tokens, n_seq, n_pos, grad, a, pool);
    return sum / double(N);
}

void TrainModel::backward(const int32_t* tokens, int64_t n_seq, int64_t n_pos, std::vector<float>& grad, Activations& a,
                          ThreadPool* pool) const {
    const int64_t N = n_seq * n_pos, D = cfg_.n_embd, KV = cfg_.kv_dim(), F = cfg_.n_ff, V = cfg_.n_vocab;
    const int64_t H = cfg_.n_head, Hkv = cfg_.n_head_kv, hd = cfg_.head_dim();
    const float* W = w_.data();
    grad.assign(w_.size(), 0.0f);
    float* G    = grad.data();
    auto zeroed = [](std::vector<float>& v, int64_t n) { v.assign(size_t(n), 0.0f); };
    zeroed(a.dx, N * D), zeroed(a.dxn, N * D), zeroed(a.datt, N * D), zeroed(a.dq, N * D);
    zeroed(a.dk, N * KV), zeroed(a.dv, N * KV), zeroed(a.dh, N * F), zeroed(a.dgate, N * F), zeroed(a.dup, N * F);
    const AttnShape shape{n_seq, n_pos, H, Hkv, hd};

    // logits = xnf · outputᵀ ; xnf = rmsnorm(x_final)
    linear_backward(a.xnf.data(), W + output_, a.logits.data(), N, D, V, a.dxn.data(), false, G + output_, pool);
    rmsnorm_backward(a.x_final.data(), W + output_norm_, a.rstdf.data(), a.dxn.data(), N, D, a.dx.data(),
                     G + output_norm_);
    for (int l = cfg_.n_layer - 1; l >= 0; --l) {
        const LayerOffsets& o       = layers_[size_t(l)];
        const Activations::Layer& L = a.layers[size_t(l)];
        // MLP: x_out = x_mid + down(silu(gate) * up); dx holds ∂/∂x_out and becomes ∂/∂x_mid
        linear_backward(L.h.data(), W + o.w_down, a.dx.data(), N, F, D, a.dh.data(), false, G + o.w_down, pool);
        swiglu_backward(L.gate.data(), L.up.data(), a.dh.data(), N * F, a.dgate.data(), a.dup.data());
        linear_backward(L.xn2.data(), W + o.w_gate, a.dgate.data(), N, D, F, a.dxn.data(), false, G + o.w_gate, pool);
        linear_backward(L.xn2.data(), W + o.w_up, a.dup.data(), N, D, F, a.dxn.data(), true, G + o.w_up, pool);
        rmsnorm_backward(L.x_mid.data(), W + o.ffn_norm, L.rstd2.data(), a.dxn.data(), N, D, a.dx.data(),
                         G + o.ffn_norm);
        // attention: x_mid = x_in + wo · att; dx becomes ∂/∂x_in
        linear_backward(L.att.data(), W + o.wo, a.dx.data(), N, D, D, a.datt.data(), false, G + o.wo, pool);
        attention_backward(shape, L.q.data(), L.k.data(), L.v.data(), L.probs.data(), a.datt.data(), a.dq.data(),
                           a.dk.data(), a.dv.data(), pool);
        rope_backward(rope_, a.pos.data(), N, H, hd, a.dq.data());
        rope_backward(rope_, a.pos.data(), N, Hkv, hd, a.dk.data());
        linear_backward(L.xn1.data(), W + o.wq, a.dq.data(), N, D, D, a.dxn.data(), false, G + o.wq, pool);
        linear_backward(L.xn1.data(), W + o.wk, a.dk.data(), N, D, KV, a.dxn.data(), true, G + o.wk, pool);
        linear_backward(L.xn1.data(), W + o.wv, a.dv.data(), N, D, KV, a.dxn.data(), true, G + o.wv, pool);
        rmsnorm_backward(L.x_in.data(), W + o.attn_norm, L.rstd1.data(), a.dxn.data(), N, D, a.dx.data(),
                         G + o.attn_norm);
    }
    // token embedding
    embedding_backward(tokens, a.dx.data(), N, D, G + tok_embd_);
}

}  // namespace ts::core::train
