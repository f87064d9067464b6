// The sampler's stages: pure functions over a candidate list (see stages.hpp for each stage's contract).
#include "core/sample/stages.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "core/sample/sampler.hpp"

namespace ts::core::sample {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

float max_logit(const Candidates& c) {
    if (c.n_sorted > 0) return c.items[0].logit;
    float m = kNegInf;
    for (const Candidate& x : c.items) m = std::max(m, x.logit);
    return m;
}

}  // namespace

Candidates make_candidates(std::span<const float> logits) {
    Candidates c;
    c.items.resize(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) {
        float l = logits[i];
        if (std::isnan(l)) l = kNegInf;
        if (l == std::numeric_limits<float>::infinity()) l = FLT_MAX;
        c.items[i] = Candidate{int32_t(i), l, 0.0f};
    }
    c.by_id = true;
    return c;
}

void sort_prefix(Candidates& c, size_t k) {
    auto& v = c.items;
    k       = std::min(k, v.size());
    if (k <= c.n_sorted) return;
    const auto first = v.begin() + std::ptrdiff_t(c.n_sorted);
    if (k < v.size()) std::nth_element(first, v.begin() + std::ptrdiff_t(k), v.end(), better);
    std::sort(first, v.begin() + std::ptrdiff_t(k), better);
    c.n_sorted = k;
    if (k > 0) c.by_id = false;
}

void apply_repeat_penalty(Candidates& c, std::span<const int32_t> recent, float penalty) {
    if (recent.empty() || penalty == 1.0f) return;
    std::vector<int32_t> ids(recent.begin(), recent.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    auto penalise = [penalty](float& l) {
        if (l > 0)
            l /= penalty;
        else
            l *= penalty;  // l == 0 stays 0
    };
    if (c.by_id) {
        for (int32_t id : ids)
            if (id >= 0 && size_t(id) < c.items.size()) penalise(c.items[size_t(id)].logit);
    } else {
        for (Candidate& x : c.items)
            if (std::binary_search(ids.begin(), ids.end(), x.id)) penalise(x.logit);
    }
    c.n_sorted = 0;
    c.has_p    = false;
}

void apply_temperature(Candidates& c, float temp) {
    const float lmax = max_logit(c);
    if (c.items.empty() || lmax == kNegInf) return;  // all -inf: nothing to reshape
    const double scale = 1.0 / double(temp);
    const double shift = std::isfinite(float(double(lmax) * scale)) ? 0.0 : double(lmax);
    for (Candidate& x : c.items) x.logit = float((double(x.logit) - shift) * scale);
    // Dividing by temp keeps the order, but rounding may create ties that the id tie-break orders differently.
    c.n_sorted = 0;
    c.has_p    = false;
}

void apply_top_k(Candidates& c, int32_t k) {
    if (k <= 0 || size_t(k) >= c.items.size()) return;
    sort_prefix(c, size_t(k));
    c.items.resize(size_t(k));
    c.by_id = false;
    // p of the survivors is no longer a distribution over the items: recompute it (softmax follows anyway).
    c.has_p = false;
}

void apply_softmax(Candidates& c) {
    if (c.items.empty()) return;
    const float lmax = max_logit(c);
    if (lmax == kNegInf) {
        const float u = 1.0f / float(c.items.size());
        for (Candidate& x : c.items) x.p = u;
    } else {
        double sum = 0;
        for (Candidate& x : c.items) {
            const float e = std::exp(x.logit - lmax);
            x.p           = e;
            sum += e;
        }
        const double inv = 1.0 / sum;  // sum >= 1: the max contributes exp(0)
        for (Candidate& x : c.items) x.p = float(x.p * inv);
    }
    c.has_p = true;
}

void apply_top_p(Candidates& c, float top_p) {
    if (top_p >= 1.0f || c.items.empty()) return;
    const size_t n = c.items.size();
    double cum     = 0;
    size_t i       = 0;
    for (size_t chunk = 64;; chunk *= 2) {
        sort_prefix(c, chunk);
        for (; i < c.n_sorted; ++i) {
            cum += c.items[i].p;
            if (cum >= double(top_p)) {
                c.items.resize(i + 1);
                c.n_sorted = i + 1;
                return;
            }
        }
        if (c.n_sorted == n) return;  // rounding kept the sum just under top_p: everything stays
    }
}

void apply_min_p(Candidates& c, float min_p) {
    if (min_p <= 0.0f || c.items.empty()) return;
    float p_max = 0;
    if (c.n_sorted > 0) {
        p_max = c.items[0].p;
    } else {
        for (const Candidate& x : c.items) p_max = std::max(p_max, x.p);
    }
    const float threshold = min_p * p_max;
    // p is monotone in the logit, so the sorted prefix loses only its tail and stays a sorted prefix.
    size_t kept_sorted = 0;
    for (size_t i = 0; i < c.n_sorted && c.items[i].p >= threshold; ++i) kept_sorted = i + 1;
    const size_t before = c.items.size();
    auto end =
        std::stable_partition(c.items.begin(), c.items.end(), [&](const Candidate& x) { return x.p >= threshold; });
    c.items.erase(end, c.items.end());
    if (c.items.empty()) return;  // cannot happen: the best has p == p_max >= threshold
    c.n_sorted = kept_sorted;
    if (c.items.size() != before) c.by_id = false;
}

void renormalize(Candidates& c) {
    double sum = 0;
    for (const Candidate& x : c.items) sum += x.p;
    if (sum <= 0) return;
    const double inv = 1.0 / sum;
    for (Candidate& x : c.items) x.p = float(x.p * inv);
}

size_t argmax(const Candidates& c) {
    if (c.n_sorted > 0) return 0;
    size_t best = 0;
    for (size_t i = 1; i < c.items.size(); ++i)
        if (better(c.items[i], c.items[best])) best = i;
    return best;
}

size_t draw(Candidates& c, float u) {
    double sum = 0;
    for (const Candidate& x : c.items) sum += x.p;
    const double target = double(u) * sum;
    // Walk best first, sorting progressively (64, 128, ... best) like apply_top_p: the mass is usually in the first
    // few, so a 150k vocabulary is not fully sorted.
    double cum          = 0;
    size_t last_nonzero = 0;
    size_t i            = 0;
    for (size_t chunk = 64;; chunk *= 2) {
        sort_prefix(c, chunk);
        for (; i < c.n_sorted; ++i) {
            if (c.items[i].p <= 0) continue;
            cum += c.items[i].p;
            last_nonzero = i;
            if (cum > target) return i;
        }
        if (c.n_sorted >= c.items.size()) return last_nonzero;  // rounding left the running sum at or below target
    }
}

StageView view_stage(StageKind kind, const Candidates& c, int32_t n_top, double prev_log_z, double& log_z) {
    StageView v;
    v.kind   = kind;
    v.n_kept = int32_t(c.items.size());
    if (c.items.empty()) {
        log_z = -std::numeric_limits<double>::infinity();
        return v;
    }
    const float lmax = max_logit(c);
    const bool flat  = lmax == kNegInf;  // every logit -inf: shown as uniform, like apply_softmax
    double sum       = 0;
    // e^(logit - max) of each candidate, once: the sum, then the entropy from the same values
    thread_local std::vector<double> e;
    e.resize(c.items.size());
    for (size_t i = 0; i < c.items.size(); ++i) {
        e[i] = flat ? 1.0 : std::exp(double(c.items[i].logit) - double(lmax));
        sum += e[i];
    }
    log_z = flat ? -std::numeric_limits<double>::infinity() : double(lmax) + std::log(sum);

    auto prob = [&](float logit) { return flat ? 1.0 / sum : std::exp(double(logit) - double(lmax)) / sum; };
    // H = -sum p log p with log p = (logit - max) - log(sum): log(sum) * sum(p) - sum(p (logit - max)), no log per
    // candidate (those with p = 0 add nothing, as in the definition)
    double p_sum = 0, p_shift = 0;
    for (size_t i = 0; i < c.items.size(); ++i) {
        const double p = e[i] / sum;
        if (p <= 0) continue;
        p_sum += p;
        if (!flat) p_shift += p * (double(c.items[i].logit) - double(lmax));
    }
    v.entropy = float(std::max(0.0, std::log(sum) * p_sum - p_shift));
    if (!std::isnan(prev_log_z) && std::isfinite(prev_log_z) && std::isfinite(log_z))
        v.mass_kept = float(std::min(1.0, std::exp(log_z - prev_log_z)));

    const size_t k = std::min(c.items.size(), size_t(std::max(n_top, 0)));
    std::vector<Candidate> best(k);
    std::partial_sort_copy(c.items.begin(), c.items.end(), best.begin(), best.end(), better);
    v.top.reserve(k);
    for (const Candidate& x : best) v.top.push_back(TokenProb{x.id, x.logit, float(prob(x.logit))});
    return v;
}

float softmax_at(std::span<const float> logits, int32_t id) {
    if (id < 0 || size_t(id) >= logits.size()) return 0;
    // The arithmetic of view_stage(): the same maximum, the same sum in the same (id) order, the same division.
    const Candidates c = make_candidates(logits);
    const float lmax   = max_logit(c);
    const bool flat    = lmax == kNegInf;
    double sum         = 0;
    for (const Candidate& x : c.items) sum += flat ? 1.0 : std::exp(double(x.logit) - double(lmax));
    return float(flat ? 1.0 / sum : std::exp(double(c.items[size_t(id)].logit) - double(lmax)) / sum);
}

}  // namespace ts::core::sample
