// Attention sinks: finding the columns, their share, and the matrix renormalised without them (see sinks.hpp).
#include "core/trace/sinks.hpp"

#include <algorithm>
#include <cmath>

namespace ts::core {

std::vector<float> sink_column_shares(const float* probs, int n) {
    std::vector<float> share(size_t(std::max(n, 0)), 0.0f);
    for (int j = 0; j + 1 < n; ++j) {
        double sum = 0;
        for (int i = j + 1; i < n; ++i) sum += double(probs[size_t(i) * size_t(n) + size_t(j)]);
        share[size_t(j)] = float(sum / double(n - 1 - j));
    }
    return share;
}

std::vector<int> find_sinks(const float* probs, int n, const SinkOptions& opt) {
    std::vector<int> cols;
    if (n < 2) return cols;
    const int need = std::max(opt.min_queries, int(std::ceil(double(opt.min_query_fraction) * double(n - 1))));
    const std::vector<float> share = sink_column_shares(probs, n);
    for (int j = 0; n - 1 - j >= need; ++j)
        if (share[size_t(j)] >= opt.min_share) cols.push_back(j);
    return cols;
}

float sink_fraction(const float* probs, int n, const std::vector<int>& cols) {
    if (n < 2 || cols.empty()) return 0.0f;
    double sum = 0;
    for (int i = 1; i < n; ++i)
        for (int c : cols)
            if (c >= 0 && c <= i) sum += double(probs[size_t(i) * size_t(n) + size_t(c)]);
    return float(sum / double(n - 1));
}

std::vector<float> hide_columns(const float* probs, int n, const std::vector<int>& cols, std::vector<float>* kept) {
    const size_t N = size_t(std::max(n, 0));
    std::vector<float> out(N * N, 0.0f);
    std::vector<char> hidden(N, 0);
    for (int c : cols)
        if (c >= 0 && c < n) hidden[size_t(c)] = 1;
    if (kept) kept->assign(N, 0.0f);
    for (size_t i = 0; i < N; ++i) {
        const float* p = probs + i * N;
        double visible = 0;  // the row's weight on the keys that stay, summed in double
        for (size_t j = 0; j <= i; ++j)
            if (!hidden[j]) visible += double(p[j]);
        if (kept) (*kept)[i] = float(visible);
        if (!(visible > 0)) continue;
        for (size_t j = 0; j <= i; ++j)
            if (!hidden[j]) out[i * N + j] = float(double(p[j]) / visible);
    }
    return out;
}

}  // namespace ts::core
