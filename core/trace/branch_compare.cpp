// Two branches of one model side by side (see branch_compare.hpp).
#include "core/trace/branch_compare.hpp"

#include <algorithm>
#include <cmath>

#include "core/model/forward.hpp"
#include "core/sample/logit_diff.hpp"
#include "core/trace/derive.hpp"
#include "core/trace/geometry.hpp"

namespace ts::core {
namespace {

// Keeps, at one position, the residual stream after every layer and every head's attention probabilities.
class KeepAt final : public Observer {
public:
    KeepAt(const Hparams& hp, int pos)
        : pos_(pos),
          n_head_(hp.n_head),
          n_embd_(hp.n_embd),
          resid(size_t(hp.n_layer) * size_t(hp.n_embd)),
          probs(size_t(hp.n_layer) * size_t(hp.n_head) * size_t(pos + 1)) {}
    StageMask wants(int layer) const override {
        return layer >= 0 ? StageMask{}.set(Stage::ResidFfn).set(Stage::AttnProbs) : StageMask{};
    }
    void observe(Stage stage, int layer, int pos, TensorView v) override {
        if (pos != pos_ || layer < 0) return;
        if (stage == Stage::ResidFfn && v.rows * v.cols == n_embd_) {
            std::copy(v.data, v.data + n_embd_, resid.data() + size_t(layer) * size_t(n_embd_));
        } else if (stage == Stage::AttnProbs && v.rows == n_head_) {
            const size_t keys = size_t(pos_ + 1);
            for (int h = 0; h < n_head_; ++h) {
                const float* row = v.data + size_t(h) * size_t(v.cols);
                float* out       = probs.data() + (size_t(layer) * size_t(n_head_) + size_t(h)) * keys;
                std::copy(row, row + std::min(keys, size_t(v.cols)), out);
            }
        }
    }

private:
    int pos_, n_head_, n_embd_;

public:
    std::vector<float> resid;  // [n_layer][n_embd]
    std::vector<float> probs;  // [n_layer][n_head][pos + 1]
};

struct BranchRun {
    std::vector<float> logits;  // [n][n_vocab]
    std::unique_ptr<KeepAt> at;
    int evaluated = 0;  // positions 0 .. evaluated-1 came from the forward pass, the rest from records
};

// The recorded residual stream after the last layer of position p, when `kept` has an f32 record of that token.
const PositionRecord* kept_record(const Model& m, std::span<const StepTracePtr> kept, int p, int32_t token) {
    if (p >= int(kept.size()) || !kept[size_t(p)]) return nullptr;
    const StepTrace& st     = *kept[size_t(p)];
    const PositionRecord* r = st.record.get();
    if (st.token != token || st.pos != p || !r || r->resid_type != DType::F32 || r->n_layer != m.hp.n_layer ||
        r->n_embd != m.hp.n_embd || r->resid.size() != size_t(m.hp.n_layer) * size_t(m.hp.n_embd))
        return nullptr;
    return r;
}

Result<BranchRun> run_branch(const Model& m, const std::vector<int32_t>& tokens, int pos, ThreadPool& pool,
                             std::span<const StepTracePtr> kept) {
    BranchRun r;
    const int n    = int(tokens.size());
    const size_t V = size_t(m.hp.n_vocab);
    r.logits.resize(size_t(n) * V);
    r.at = std::make_unique<KeepAt>(m.hp, pos);
    // The forward pass up to the selected position (its attention needs the keys before it) and the last position
    // without a record; the positions after that give their logits from their records.
    int last = pos;
    for (int p = n - 1; p > pos; --p)
        if (!kept_record(m, kept, p, tokens[size_t(p)])) {
            last = p;
            break;
        }
    r.evaluated = last + 1;
    Forward fwd(m, r.evaluated);
    auto cache = fwd.make_cache();
    if (!cache) return cache.error();
    TS_TRY(fwd.eval(*cache, tokens.data(), r.evaluated, 0, r.logits.data(), LogitRows::All, pool, r.at.get()));
    const size_t n_embd = size_t(m.hp.n_embd);
    for (int p = r.evaluated; p < n; ++p) {
        const PositionRecord* rec = kept_record(m, kept, p, tokens[size_t(p)]);
        derive::logits_from_resid(m, rec->resid.data() + size_t(m.hp.n_layer - 1) * n_embd,
                                  r.logits.data() + size_t(p) * V, pool);
    }
    return r;
}

Status check_branch(const Model& m, const std::vector<int32_t>& t, char name) {
    if (t.empty()) return make_error(Code::kInvalidArgument, "compare branches: branch %c is empty", name);
    const int ctx = m.hp.n_ctx_train > 0 ? m.hp.n_ctx_train : 4096;
    if (int64_t(t.size()) > ctx)
        return make_error(Code::kInvalidArgument,
                          "compare branches: branch %c has %zu tokens, more than the context %d", name, t.size(), ctx);
    for (size_t i = 0; i < t.size(); ++i)
        if (t[i] < 0 || t[i] >= m.hp.n_vocab)
            return make_error(Code::kInvalidArgument, "compare branches: branch %c token %zu: id %d is outside [0, %d)",
                              name, i, t[i], m.hp.n_vocab);
    return {};
}

int32_t argmax(std::span<const float> x) {
    return int32_t(std::max_element(x.begin(), x.end()) - x.begin());
}

}  // namespace

double js_divergence(std::span<const float> p, std::span<const float> q) {
    double js = 0;
    for (size_t i = 0; i < std::min(p.size(), q.size()); ++i) {
        const double a = p[i], b = q[i], mid = 0.5 * (a + b);
        if (a > 0) js += 0.5 * a * std::log(a / mid);
        if (b > 0) js += 0.5 * b * std::log(b / mid);
    }
    return std::max(0.0, js);
}

Result<BranchComparison> compare_branches(const Model& m, const std::vector<int32_t>& a, const std::vector<int32_t>& b,
                                          int pos, ThreadPool& pool, std::span<const StepTracePtr> kept_a,
                                          std::span<const StepTracePtr> kept_b) {
    TS_TRY(check_branch(m, a, 'A'));
    TS_TRY(check_branch(m, b, 'B'));
    const int na = int(a.size()), nb = int(b.size()), n_both = std::min(na, nb);
    if (pos < 0 || pos >= n_both)
        return make_error(Code::kInvalidArgument, "compare branches: position %d is not in both branches [0, %d)", pos,
                          n_both);
    auto ra = run_branch(m, a, pos, pool, kept_a);
    if (!ra) return ra.error();
    auto rb = run_branch(m, b, pos, pool, kept_b);
    if (!rb) return rb.error();

    BranchComparison c;
    c.tokens_a    = a;
    c.tokens_b    = b;
    c.evaluated_a = ra->evaluated;
    c.evaluated_b = rb->evaluated;
    while (c.n_shared < n_both && a[size_t(c.n_shared)] == b[size_t(c.n_shared)]) ++c.n_shared;
    const size_t V = size_t(m.hp.n_vocab);
    for (int p = 0; p < std::max(na, nb); ++p) {
        BranchPositionDiff d;
        d.pos     = p;
        d.token_a = p < na ? a[size_t(p)] : -1;
        d.token_b = p < nb ? b[size_t(p)] : -1;
        d.both    = p < n_both;
        if (d.both) {
            const std::span<const float> la{ra->logits.data() + size_t(p) * V, V};
            const std::span<const float> lb{rb->logits.data() + size_t(p) * V, V};
            d.kl     = sample::kl_divergence(la, lb);
            d.top1_a = argmax(la);
            d.top1_b = argmax(lb);
            d.agree  = d.top1_a == d.top1_b;
            c.mean_kl += d.kl;
            c.max_kl = std::max(c.max_kl, d.kl);
            c.agreement += d.agree ? 1.0 : 0.0;
        }
        c.positions.push_back(d);
    }
    c.mean_kl /= n_both;
    c.agreement /= n_both;

    const Hparams& hp = m.hp;
    c.pos             = pos;
    c.n_layer         = hp.n_layer;
    c.n_head          = hp.n_head;
    c.n_keys          = pos + 1;
    const KeepAt &A = *ra->at, &B = *rb->at;
    for (int l = 0; l < hp.n_layer; ++l) {
        const size_t off = size_t(l) * size_t(hp.n_embd);
        c.layer_cosine.push_back(derive::cosine(A.resid.data() + off, B.resid.data() + off, hp.n_embd));
    }
    c.attn_diff.resize(A.probs.size());
    for (size_t i = 0; i < A.probs.size(); ++i) c.attn_diff[i] = A.probs[i] - B.probs[i];
    for (int l = 0; l < hp.n_layer; ++l)
        for (int h = 0; h < hp.n_head; ++h) {
            const size_t off = (size_t(l) * size_t(hp.n_head) + size_t(h)) * size_t(c.n_keys);
            c.head_js.push_back(float(
                js_divergence({A.probs.data() + off, size_t(c.n_keys)}, {B.probs.data() + off, size_t(c.n_keys)})));
        }
    return c;
}

}  // namespace ts::core
