// Exact two-component PCA by power iteration, and cosine nearest neighbours over an embedding matrix.
#include "core/trace/geometry.hpp"

#include <algorithm>
#include <cmath>

#include "core/tensor/quant.hpp"
#include "core/trace/derive.hpp"

namespace ts::core::derive {
namespace {

double dot(const double* a, const double* b, int n) {
    double s = 0;
    for (int i = 0; i < n; ++i) s += a[i] * b[i];
    return s;
}

// a · b over n floats, accumulated in double.
double dot_of(const float* a, const float* b, int n) {
    double s = 0;
    for (int i = 0; i < n; ++i) s += double(a[i]) * double(b[i]);
    return s;
}

double normalize(std::vector<double>& v) {
    const double len = std::sqrt(dot(v.data(), v.data(), int(v.size())));
    if (len > 0)
        for (double& x : v) x /= len;
    return len;
}

// One component: power iteration of v ← Xᵀ(X v) / n on the centred data x ([n][d], double), kept orthogonal to
// `against` (the components found before). Returns the Rayleigh quotient (the variance along v).
double power_component(const std::vector<double>& x, int n, int d, const std::vector<std::vector<double>>& against,
                       std::vector<double>& v, int max_iter, double tol, int& iters) {
    // A fixed start with every coordinate non-zero and not symmetric, so it is unlikely to be orthogonal to the
    // leading eigenvector.
    v.assign(size_t(d), 0.0);
    for (int j = 0; j < d; ++j) v[size_t(j)] = 1.0 + 0.1 * double((j * 7919) % 13);
    auto orthogonalize = [&](std::vector<double>& u) {
        for (const auto& a : against) {
            const double c = dot(u.data(), a.data(), d);
            for (int j = 0; j < d; ++j) u[size_t(j)] -= c * a[size_t(j)];
        }
    };
    orthogonalize(v);
    if (normalize(v) == 0) return 0;
    std::vector<double> xv(static_cast<size_t>(n)), w(static_cast<size_t>(d));
    double lambda = 0;
    iters         = 0;
    for (int it = 0; it < max_iter; ++it) {
        iters = it + 1;
        for (int i = 0; i < n; ++i) xv[size_t(i)] = dot(&x[size_t(i) * size_t(d)], v.data(), d);
        std::fill(w.begin(), w.end(), 0.0);
        for (int i = 0; i < n; ++i) {
            const double* row = &x[size_t(i) * size_t(d)];
            for (int j = 0; j < d; ++j) w[size_t(j)] += xv[size_t(i)] * row[j];
        }
        for (double& e : w) e /= double(n);
        orthogonalize(w);
        const double len = normalize(w);
        if (len == 0) return 0;  // v is in the null space: no variance left
        lambda      = len;
        double diff = 0;
        for (int j = 0; j < d; ++j) diff = std::max(diff, std::abs(w[size_t(j)] - v[size_t(j)]));
        v.swap(w);
        if (diff < tol) break;
    }
    return lambda;
}

}  // namespace

Pca2 pca2(std::span<const float> points, int n, int d, int max_iter, double tol) {
    Pca2 r;
    if (n <= 0 || d <= 0 || points.size() < size_t(n) * size_t(d)) return r;
    r.n = n;
    r.d = d;
    std::vector<double> mean(size_t(d), 0.0);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < d; ++j) mean[size_t(j)] += points[size_t(i) * size_t(d) + size_t(j)];
    for (double& m : mean) m /= double(n);
    std::vector<double> x(size_t(n) * size_t(d));
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < d; ++j) {
            const double c                       = points[size_t(i) * size_t(d) + size_t(j)] - mean[size_t(j)];
            x[size_t(i) * size_t(d) + size_t(j)] = c;
            r.total_variance += c * c;
        }
    r.total_variance /= double(n);
    r.mean.assign(mean.begin(), mean.end());

    std::vector<std::vector<double>> found;
    for (int c = 0; c < 2; ++c) {
        std::vector<double> v;
        double lambda = 0;
        if (c < d) lambda = power_component(x, n, d, found, v, max_iter, tol, r.iterations[c]);
        if (v.empty() || lambda <= 0) {
            // No variance left along any new direction: a unit vector orthogonal to the ones found, for a stable
            // picture (all points then project to 0 on it).
            v.assign(size_t(d), 0.0);
            v[size_t(std::min(c, d - 1))] = 1.0;
            lambda                        = 0;
        }
        // Sign convention: the entry of largest magnitude is positive, so the picture does not flip between runs.
        size_t big = 0;
        for (size_t j = 1; j < v.size(); ++j)
            if (std::abs(v[j]) > std::abs(v[big])) big = j;
        if (v[big] < 0)
            for (double& e : v) e = -e;
        r.variance[c] = lambda;
        r.axis[c].assign(v.begin(), v.end());
        found.push_back(std::move(v));
    }
    r.xy.resize(size_t(n) * 2);
    for (int i = 0; i < n; ++i)
        for (int c = 0; c < 2; ++c)
            r.xy[size_t(i) * 2 + size_t(c)] = float(dot(&x[size_t(i) * size_t(d)], found[size_t(c)].data(), d));
    return r;
}

void project_direction(const Pca2& pca, const float* v, float out[2]) {
    for (int c = 0; c < 2; ++c) {
        double s = 0;
        for (int j = 0; j < pca.d; ++j) s += double(pca.axis[c][size_t(j)]) * double(v[j]);
        out[c] = float(s);
    }
}

float cosine(const float* a, const float* b, int n) {
    const double aa = dot_of(a, a, n), bb = dot_of(b, b, n);
    if (aa <= 0 || bb <= 0) return 0;
    return float(dot_of(a, b, n) / std::sqrt(aa * bb));
}

std::vector<Neighbour> nearest_by_cosine(const Tensor& matrix, std::span<const float> query, int k, int32_t exclude,
                                         const std::atomic<bool>* cancel) {
    std::vector<Neighbour> best;
    const int64_t d = matrix.ne[0];
    if (k <= 0 || !matrix.data || int64_t(query.size()) != d) return best;
    const double qq = dot_of(query.data(), query.data(), int(d));
    if (qq <= 0) return best;
    const double q_norm = std::sqrt(qq);
    // As a heap comparator "better" puts the worst kept neighbour on top; as a sort it orders best first.
    auto better = [](const Neighbour& a, const Neighbour& b) {
        return a.cosine > b.cosine || (a.cosine == b.cosine && a.id < b.id);
    };
    std::vector<float> row(static_cast<size_t>(d));
    const int64_t n_rows = matrix.n_rows();
    for (int64_t r = 0; r < n_rows; ++r) {
        if (cancel && (r & 1023) == 0 && cancel->load(std::memory_order_relaxed)) break;
        if (r == exclude) continue;
        dequantize_row(matrix.type, matrix.row(r), row.data(), d);
        const double rr = dot_of(row.data(), row.data(), int(d));
        if (rr <= 0) continue;
        const Neighbour cand{int32_t(r), float(dot_of(row.data(), query.data(), int(d)) / (std::sqrt(rr) * q_norm))};
        if (int(best.size()) < k) {
            best.push_back(cand);
            std::push_heap(best.begin(), best.end(), better);
        } else if (better(cand, best.front())) {
            std::pop_heap(best.begin(), best.end(), better);
            best.back() = cand;
            std::push_heap(best.begin(), best.end(), better);
        }
    }
    std::sort(best.begin(), best.end(), better);
    return best;
}

std::vector<int32_t> top_candidates(std::span<const StepTracePtr> steps, int pos, int k) {
    std::vector<int32_t> cands;
    if (steps.empty()) return cands;
    const StepTrace* src = pos >= 0 && pos < int(steps.size()) ? steps[size_t(pos)].get() : nullptr;
    if (!src || !src->has_next) src = steps.back().get();
    if (src->has_next && !src->sampler.stages.empty())
        for (const auto& t : src->sampler.stages.front().top)
            if (int(cands.size()) < k) cands.push_back(t.id);
    return cands;
}

Geometry build_geometry(const Model& model, std::span<const StepTracePtr> steps, int sel_pos,
                        std::span<const int32_t> cand_ids) {
    Geometry g;
    const int d = model.hp.n_embd;
    g.n         = int(steps.size());
    g.sel_pos   = sel_pos;
    std::vector<float> emb(size_t(g.n) * size_t(d)), hid;
    std::vector<float> sel_hidden;
    for (int p = 0; p < g.n; ++p) {
        const StepTrace& st = *steps[size_t(p)];
        g.tokens.push_back(st.token);
        const std::vector<float> row = embedding_row(model, st.token);
        std::copy(row.begin(), row.end(), emb.begin() + size_t(p) * size_t(d));
        std::vector<float> h = final_norm_of(model, st);
        if (h.empty()) continue;
        if (p == sel_pos) sel_hidden = h;
        hid.insert(hid.end(), h.begin(), h.end());
        g.hidden_pos.push_back(p);
    }
    g.emb    = pca2(emb, g.n, d);
    g.hidden = pca2(hid, int(g.hidden_pos.size()), d);

    const Tensor& out = model.w.output;
    std::vector<float> row(static_cast<size_t>(d));
    for (int32_t id : cand_ids) {
        if (id < 0 || id >= out.n_rows()) continue;
        dequantize_row(out.type, out.row(id), row.data(), d);
        const float len = float(std::sqrt(dot_of(row.data(), row.data(), d)));
        if (len > 0)
            for (float& x : row) x /= len;
        float xy[2] = {0, 0};
        if (g.hidden.n > 0) project_direction(g.hidden, row.data(), xy);
        g.cand_ids.push_back(id);
        g.cand_dir.push_back(xy[0]);
        g.cand_dir.push_back(xy[1]);
        g.cand_cos.push_back(sel_hidden.empty() ? 0.0f : cosine(sel_hidden.data(), row.data(), d));
        g.cand_logit.push_back(sel_hidden.empty() ? 0.0f : float(dot_of(sel_hidden.data(), row.data(), d)) * len);
    }
    return g;
}

}  // namespace ts::core::derive
