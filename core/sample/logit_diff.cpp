// Intervened against clean logits (logit_diff.hpp).
#include "core/sample/logit_diff.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>

namespace ts::core::sample {
namespace {

// log softmax at T = 1, in double.
std::vector<double> log_softmax(const std::vector<float>& z) {
    const double lse = log_sum_exp(z);
    std::vector<double> out(z.size());
    for (size_t i = 0; i < z.size(); ++i) out[i] = double(z[i]) - lse;
    return out;
}

std::vector<int32_t> top_ids(const std::vector<double>& lp, int k) {
    std::vector<int32_t> ids(lp.size());
    std::iota(ids.begin(), ids.end(), 0);
    const size_t n = std::min(ids.size(), size_t(std::max(0, k)));
    std::partial_sort(ids.begin(), ids.begin() + std::ptrdiff_t(n), ids.end(), [&](int32_t a, int32_t b) {
        return lp[size_t(a)] > lp[size_t(b)] || (lp[size_t(a)] == lp[size_t(b)] && a < b);
    });
    ids.resize(n);
    return ids;
}

}  // namespace

const CandidateDelta* LogitDiff::find(int32_t id) const {
    for (const CandidateDelta& c : top)
        if (c.id == id) return &c;
    return nullptr;
}

LogitDiff diff_logits(const std::vector<float>& logits, const std::vector<float>& clean, int top_k) {
    LogitDiff d;
    if (logits.size() != clean.size() || logits.empty()) return d;
    const std::vector<double> lp = log_softmax(logits), lq = log_softmax(clean);
    d.kl                     = kl_divergence(logits, clean);
    std::vector<int32_t> ids = top_ids(lp, top_k);
    for (int32_t id : top_ids(lq, top_k))
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    for (int32_t id : ids) {
        const size_t i = size_t(id);
        d.top.push_back(CandidateDelta{id, logits[i], clean[i], float(std::exp(lp[i])), float(std::exp(lq[i]))});
    }
    return d;
}

double log_sum_exp(std::span<const float> z) {
    if (z.empty()) return -INFINITY;
    const double m = double(*std::max_element(z.begin(), z.end()));
    double sum     = 0;
    for (float x : z) sum += std::exp(double(x) - m);
    return m + std::log(sum);
}

double kl_divergence(std::span<const float> p_logits, std::span<const float> q_logits) {
    if (p_logits.size() != q_logits.size() || p_logits.empty()) return 0;
    const double zp = log_sum_exp(p_logits), zq = log_sum_exp(q_logits);
    double kl = 0;
    for (size_t i = 0; i < p_logits.size(); ++i) {
        const double lp = double(p_logits[i]) - zp, p = std::exp(lp);
        if (p > 0) kl += p * (lp - (double(q_logits[i]) - zq));
    }
    return std::max(0.0, kl);
}

}  // namespace ts::core::sample
