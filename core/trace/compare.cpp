// Two models on the same tokens (see compare.hpp).
#include "core/trace/compare.hpp"

#include <algorithm>
#include <cmath>
#include <span>

#include "core/model/forward.hpp"
#include "core/model/layers.hpp"
#include "core/sample/logit_diff.hpp"
#include "core/tensor/ops.hpp"
#include "core/tensor/quant.hpp"
#include "core/trace/geometry.hpp"

namespace ts::core {
namespace {

// Keeps the residual stream after every layer of every position: resid[pos][layer][n_embd].
class KeepResid final : public Observer {
public:
    KeepResid(const Hparams& hp, int n_pos)
        : n_layer_(hp.n_layer), n_embd_(hp.n_embd), resid_(size_t(n_pos) * size_t(n_layer_) * size_t(n_embd_)) {}
    StageMask wants(int layer) const override { return layer >= 0 ? StageMask{}.set(Stage::ResidFfn) : StageMask{}; }
    void observe(Stage, int layer, int pos, TensorView v) override {
        if (v.rows * v.cols != n_embd_ || layer >= n_layer_) return;
        std::copy(v.data, v.data + n_embd_, at(pos, layer));
    }
    float* at(int pos, int layer) {
        return resid_.data() + (size_t(pos) * size_t(n_layer_) + size_t(layer)) * size_t(n_embd_);
    }

private:
    int n_layer_, n_embd_;
    std::vector<float> resid_;
};

// What one model computed on the tokens.
struct Run {
    std::vector<float> logits;  // [n][n_vocab]
    std::unique_ptr<KeepResid> resid;
};

int32_t argmax(std::span<const float> x) {
    return int32_t(std::max_element(x.begin(), x.end()) - x.begin());
}

// The most positions a model is run over: its training context (4096 when the file does not say).
int context_of(const Model& m) {
    return m.hp.n_ctx_train > 0 ? m.hp.n_ctx_train : 4096;
}

// Runs `tokens` through `m` in batched forward calls; with n_generate > 0, then appends the greedy choice of the
// last position and evaluates it, one token at a time, until n_generate tokens, an end-of-text token or n_max.
using Cancelled = std::function<bool()>;

Error cancelled_error() {
    return make_error(Code::kCancelled, "compare: cancelled");
}

bool stop(const Cancelled& cancelled) {
    return cancelled && cancelled();
}

Result<Run> run_model(const Model& m, std::vector<int32_t>& tokens, int n_generate, int n_max, ThreadPool& pool,
                      const Cancelled& cancelled) {
    const size_t V = size_t(m.hp.n_vocab);
    Run r;
    r.logits.resize(size_t(n_max) * V);
    r.resid = std::make_unique<KeepResid>(m.hp, n_max);
    Forward fwd(m, n_max);
    auto cache = fwd.make_cache();
    if (!cache) return cache.error();
    const int n = int(tokens.size());
    // Batch by batch, so a cancel is seen between them (the batched and one-token paths agree bit for bit).
    for (int p0 = 0; p0 < n; p0 += Forward::kDefaultBatch) {
        if (stop(cancelled)) return cancelled_error();
        const int nb = std::min(Forward::kDefaultBatch, n - p0);
        TS_TRY(fwd.eval(*cache, tokens.data() + p0, nb, p0, r.logits.data() + size_t(p0) * V, LogitRows::All, pool,
                        r.resid.get()));
    }
    for (int g = 0; g < n_generate && int(tokens.size()) < n_max; ++g) {
        if (stop(cancelled)) return cancelled_error();
        const int pos = int(tokens.size());
        if (m.tokenizer && m.tokenizer->is_eog(tokens.back()) && pos > n) break;
        const int32_t next = argmax({r.logits.data() + size_t(pos - 1) * V, V});
        tokens.push_back(next);
        TS_TRY(
            fwd.eval(*cache, &next, 1, pos, r.logits.data() + size_t(pos) * V, LogitRows::Last, pool, r.resid.get()));
    }
    r.logits.resize(tokens.size() * V);
    return r;
}

// The logit lens's top-1 of a residual stream: the final norm and the output matrix, as the forward pass applies
// them after the last layer.
int32_t lens_top1(const Model& m, const float* resid, std::vector<float>& xb, std::vector<float>& logits,
                  ThreadPool& pool) {
    output_norm(m, resid, xb.data());
    matvec(m.w.output, xb.data(), logits.data(), pool);
    return argmax(logits);
}

// A's weight tensors in model order, each once (a tied output matrix is the embedding).
std::vector<const Tensor*> weight_tensors(const Model& m) {
    std::vector<const Tensor*> all{&m.w.token_embd, &m.w.pos_embd};
    for (const LayerWeights& L : m.w.layers)
        for (const Tensor* t : layer_tensors(L)) all.push_back(t);
    for (const Tensor* t : {&m.w.output_norm, &m.w.output_norm_b, &m.w.output, &m.w.rope_freqs}) all.push_back(t);
    std::vector<const Tensor*> out;
    for (const Tensor* t : all) {
        if (!t->data) continue;
        const bool seen = std::any_of(out.begin(), out.end(), [&](const Tensor* o) {
            return o->data == t->data || (!t->name.empty() && o->name == t->name);
        });
        if (!seen) out.push_back(t);
    }
    return out;
}

// Mean |a − b| and mean |a| over two tensors of one shape, dequantised row by row; blocks of rows in parallel, summed
// in a fixed order (the same numbers on every run).
void measure(const Tensor& a, const Tensor& b, TensorDiff& d, ThreadPool& pool) {
    constexpr int64_t kRowsPerBlock = 16;
    const int64_t rows = a.n_rows(), n = a.ne[0];
    const int64_t n_blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
    std::vector<double> diff(size_t(n_blocks), 0.0), mag(size_t(n_blocks), 0.0);
    pool.parallel_for(n_blocks, [&](int64_t b0, int64_t b1) {
        std::vector<float> ra(static_cast<size_t>(n)), rb(static_cast<size_t>(n));
        for (int64_t blk = b0; blk < b1; ++blk) {
            double sd = 0, sm = 0;
            for (int64_t r = blk * kRowsPerBlock; r < std::min(rows, (blk + 1) * kRowsPerBlock); ++r) {
                dequantize_row(a.type, a.row(r), ra.data(), n);
                dequantize_row(b.type, b.row(r), rb.data(), n);
                for (int64_t i = 0; i < n; ++i) {
                    sd += std::abs(double(ra[size_t(i)]) - double(rb[size_t(i)]));
                    sm += std::abs(double(ra[size_t(i)]));
                }
            }
            diff[size_t(blk)] = sd;
            mag[size_t(blk)]  = sm;
        }
    });
    double sd = 0, sm = 0;
    for (int64_t blk = 0; blk < n_blocks; ++blk) {
        sd += diff[size_t(blk)];
        sm += mag[size_t(blk)];
    }
    const double count = double(std::max<int64_t>(1, a.n_elements()));
    d.mean_abs_diff    = sd / count;
    d.mean_abs_a       = sm / count;
}

Result<std::vector<TensorDiff>> tensor_diffs(const Model& a, const Model& b, ThreadPool& pool,
                                             const Cancelled& cancelled) {
    std::vector<TensorDiff> out;
    const std::vector<const Tensor*> in_b = weight_tensors(b);
    for (const Tensor* ta : weight_tensors(a)) {
        if (stop(cancelled)) return cancelled_error();
        TensorDiff d;
        d.name           = ta->name;
        d.type_a         = ta->type;
        d.ne             = ta->ne;
        const auto it    = std::find_if(in_b.begin(), in_b.end(), [&](const Tensor* t) { return t->name == ta->name; });
        const Tensor* tb = it == in_b.end() ? nullptr : *it;
        d.in_b           = tb != nullptr;
        d.type_b         = tb ? tb->type : ta->type;
        d.same_shape     = tb && tb->ne == ta->ne;
        if (d.same_shape) measure(*ta, *tb, d, pool);
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace

Status check_same_vocabulary(const Model& a, const Model& b) {
    if (a.hp.n_vocab != b.hp.n_vocab)
        return make_error(Code::kInvalidArgument,
                          "the vocabularies differ: %s has %d tokens, %s has %d; compare needs two files of one "
                          "vocabulary (e.g. two quantisations of one model)",
                          a.path.c_str(), a.hp.n_vocab, b.path.c_str(), b.hp.n_vocab);
    if (bool(a.tokenizer) != bool(b.tokenizer))
        return make_error(Code::kInvalidArgument,
                          "the vocabularies cannot be matched: %s has token texts and %s has none",
                          (a.tokenizer ? a.path : b.path).c_str(), (a.tokenizer ? b.path : a.path).c_str());
    if (!a.tokenizer) return {};
    const auto& ta = a.tokenizer->vocab().tokens;
    const auto& tb = b.tokenizer->vocab().tokens;
    for (size_t id = 0; id < std::min(ta.size(), tb.size()); ++id)
        if (ta[id] != tb[id])
            return make_error(Code::kInvalidArgument,
                              "the vocabularies differ: token %zu is '%s' in %s and '%s' in %s; compare needs two "
                              "files of one vocabulary",
                              id, ta[id].c_str(), a.path.c_str(), tb[id].c_str(), b.path.c_str());
    if (ta.size() != tb.size())
        return make_error(Code::kInvalidArgument, "the vocabularies differ: %zu token texts in %s, %zu in %s",
                          ta.size(), a.path.c_str(), tb.size(), b.path.c_str());
    return {};
}

Result<ModelComparison> compare_models(const Model& a, const Model& b, const std::vector<int32_t>& prompt,
                                       ThreadPool& pool, const CompareOptions& opt, const Cancelled& cancelled) {
    TS_TRY(check_same_vocabulary(a, b));
    const int V = a.hp.n_vocab;
    if (prompt.empty()) return make_error(Code::kInvalidArgument, "compare: the prompt is empty");
    for (size_t i = 0; i < prompt.size(); ++i)
        if (prompt[i] < 0 || prompt[i] >= V)
            return make_error(Code::kInvalidArgument, "prompt token %zu: id %d is outside the vocabulary [0, %d)", i,
                              prompt[i], V);
    if (opt.n_generate < 0)
        return make_error(Code::kInvalidArgument, "compare: tokens to generate must be >= 0, got %d", opt.n_generate);
    const int ctx = std::min(context_of(a), context_of(b));
    if (int64_t(prompt.size()) > ctx)
        return make_error(Code::kInvalidArgument, "the prompt has %zu tokens, more than the context of %d",
                          prompt.size(), ctx);

    ModelComparison c;
    c.tokens        = prompt;
    c.n_prompt      = int(prompt.size());
    const int n_max = int(std::min<int64_t>(ctx, int64_t(prompt.size()) + opt.n_generate));
    auto ra         = run_model(a, c.tokens, opt.n_generate, n_max, pool, cancelled);
    if (!ra) return ra.error();
    const int n = int(c.tokens.size());
    auto rb     = run_model(b, c.tokens, 0, n, pool, cancelled);
    if (!rb) return rb.error();

    // Position by position: the next-token distributions.
    c.positions.resize(size_t(n));
    int agree = 0;
    for (int p = 0; p < n; ++p) {
        const std::span<const float> la{ra->logits.data() + size_t(p) * size_t(V), size_t(V)};
        const std::span<const float> lb{rb->logits.data() + size_t(p) * size_t(V), size_t(V)};
        const double za = sample::log_sum_exp(la), zb = sample::log_sum_exp(lb);
        PositionDiff& d = c.positions[size_t(p)];
        d.pos           = p;
        d.token         = c.tokens[size_t(p)];
        d.generated     = p >= c.n_prompt;
        d.kl            = sample::kl_divergence(la, lb);
        d.top1_a        = argmax(la);
        d.top1_b        = argmax(lb);
        d.p_top1_a      = float(std::exp(double(la[size_t(d.top1_a)]) - za));
        d.p_top1_b      = float(std::exp(double(lb[size_t(d.top1_b)]) - zb));
        d.agree         = d.top1_a == d.top1_b;
        agree += d.agree;
        c.mean_kl += d.kl / n;
        c.max_kl = std::max(c.max_kl, d.kl);
    }
    c.agreement = double(agree) / n;

    // Layer by layer, where the two have the same layers.
    if (a.hp.n_layer == b.hp.n_layer && a.hp.n_embd == b.hp.n_embd) {
        const int L = a.hp.n_layer, E = a.hp.n_embd;
        c.n_layer = L;
        c.cosine.resize(size_t(n) * size_t(L));
        c.layer_cosine.assign(size_t(L), 0.0);
        std::vector<float> xb(static_cast<size_t>(E)), logits(static_cast<size_t>(V));
        std::vector<int> parts;
        for (int p = 0; p < n; ++p) {
            if (stop(cancelled)) return cancelled_error();
            PositionDiff& d = c.positions[size_t(p)];
            d.part_layer    = -1;
            for (int l = 0; l < L; ++l) {
                const float* xa                             = ra->resid->at(p, l);
                const float* xr                             = rb->resid->at(p, l);
                const double cs                             = derive::cosine(xa, xr, E);
                c.cosine[size_t(p) * size_t(L) + size_t(l)] = float(cs);
                c.layer_cosine[size_t(l)] += cs / n;
                if (d.part_layer < 0 && lens_top1(a, xa, xb, logits, pool) != lens_top1(b, xr, xb, logits, pool))
                    d.part_layer = l;
            }
            if (d.part_layer >= 0) parts.push_back(d.part_layer);
        }
        c.positions_parted = int(parts.size());
        if (!parts.empty()) {
            std::sort(parts.begin(), parts.end());
            c.first_part_layer  = parts.front();
            c.median_part_layer = parts[parts.size() / 2];
        }
    }
    if (opt.tensors) {
        auto t = tensor_diffs(a, b, pool, cancelled);
        if (!t) return t.error();
        c.tensors = std::move(*t);
    }
    return c;
}

std::vector<TensorDiff> compare_tensors(const Model& a, const Model& b, ThreadPool& pool) {
    return tensor_diffs(a, b, pool, {}).value();  // never cancelled: no hook
}

}  // namespace ts::core
