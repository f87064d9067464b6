// Unigram and bigram baselines (see ngram_baseline.hpp).
#include "core/train/ngram_baseline.hpp"

#include <cmath>

#include "core/base/check.hpp"

namespace ts::core::train {

NgramBaseline NgramBaseline::count(const std::vector<int32_t>& ids, int n_vocab) {
    TS_CHECK(n_vocab > 0, "n-gram baseline needs a vocabulary");
    NgramBaseline b;
    b.n_vocab_ = n_vocab;
    b.n_       = int64_t(ids.size());
    b.uni_.assign(size_t(n_vocab), 0);
    b.ctx_.assign(size_t(n_vocab), 0);
    b.distinct_.assign(size_t(n_vocab), 0);
    b.pair_.reserve(ids.size() / 4 + 16);
    for (size_t i = 0; i < ids.size(); ++i) {
        TS_CHECK(ids[i] >= 0 && ids[i] < n_vocab, "n-gram baseline: id outside the vocabulary");
        b.uni_[size_t(ids[i])] += 1;
        if (i + 1 == ids.size()) break;
        const int32_t u = ids[i], w = ids[i + 1];
        b.ctx_[size_t(u)] += 1;
        if (b.pair_[key(u, w)]++ == 0) b.distinct_[size_t(u)] += 1;
    }
    return b;
}

double NgramBaseline::unigram_p(int32_t w) const {
    return (double(uni_[size_t(w)]) + 1.0) / (double(n_) + double(n_vocab_));
}

double NgramBaseline::unigram_nats(int32_t w) const {
    TS_CHECK(w >= 0 && w < n_vocab_, "n-gram baseline: id outside the vocabulary");
    return -std::log(unigram_p(w));
}

double NgramBaseline::bigram_nats(int32_t u, int32_t w) const {
    TS_CHECK(u >= 0 && u < n_vocab_ && w >= 0 && w < n_vocab_, "n-gram baseline: id outside the vocabulary");
    const double p_uni = unigram_p(w);
    const int64_t c_u  = ctx_[size_t(u)];
    if (c_u == 0) return -std::log(p_uni);
    const auto it     = pair_.find(key(u, w));
    const double c_uw = it == pair_.end() ? 0.0 : double(it->second);
    const double d_u  = double(distinct_[size_t(u)]);
    return -std::log((c_uw + d_u * p_uni) / (double(c_u) + d_u));
}

}  // namespace ts::core::train
