// Count-based baselines for the default model's report (see evaluate.hpp): a token unigram with add-one smoothing
// and a token bigram interpolated with it by Witten-Bell. Counted on training ids, queried for held-out ones; the
// numbers a transformer should beat by a wide margin.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ts::core::train {

class NgramBaseline {
public:
    // Counts unigrams over every id and bigrams over adjacent pairs of `ids` (ids must lie in [0, n_vocab)).
    static NgramBaseline count(const std::vector<int32_t>& ids, int n_vocab);

    // -ln p(w): add-one, p(w) = (c(w) + 1) / (N + V).
    double unigram_nats(int32_t w) const;
    // -ln p(w | u): Witten-Bell, p(w|u) = (c(u,w) + D(u) p_uni(w)) / (c(u) + D(u)); p_uni(w) when c(u) = 0.
    // c(u): times u is followed by a token; D(u): distinct tokens that follow u.
    double bigram_nats(int32_t u, int32_t w) const;

    int n_vocab() const { return n_vocab_; }

private:
    static uint64_t key(int32_t u, int32_t w) { return (uint64_t(uint32_t(u)) << 32) | uint32_t(w); }
    double unigram_p(int32_t w) const;

    int n_vocab_ = 0;
    int64_t n_   = 0;                      // ids counted
    std::vector<int64_t> uni_;             // [n_vocab] c(w)
    std::vector<int64_t> ctx_, distinct_;  // [n_vocab] c(u), D(u)
    std::unordered_map<uint64_t, int64_t> pair_;
};

}  // namespace ts::core::train
