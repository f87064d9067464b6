// Attention sinks: key columns that take a large share of the attention of every query that can see them —
// typically position 0 (BOS), which many heads use as a place to put weight they do not want to spend anywhere
// else. They hide the structure of the rest of the matrix, so the explorer can hide them and renormalise each row
// over the remaining keys. Plain arithmetic on a causal [n][n] probability matrix (row i valid for j <= i); no
// forward pass, so it serves the atlas (head_atlas.hpp) and the explorer's heatmap alike.
//
//   share(j)  = mean over the queries i > j of p[i][j]     (the diagonal is left out: a query on itself is "self",
//                                                           not a sink; share(0) is the atlas's first-token score)
//   sink      = a column with share >= min_share that at least max(min_queries, min_query_fraction·(n−1)) later
//               queries can see (a column near the end, seen by one or two queries, is not a sink however
//               much they give it)
//   hidden    = row i over the keys that are not sinks: p[i][j] / Σ_{k <= i, k not a sink} p[i][k]
#pragma once

#include <vector>

namespace ts::core {

struct SinkOptions {
    float min_share          = 0.3f;
    int min_queries          = 4;
    float min_query_fraction = 0.25f;
};

// share(j) for every column j < n (0 for the last column, which no later query sees). probs: [n][n].
std::vector<float> sink_column_shares(const float* probs, int n);

// The sink columns, ascending.
std::vector<int> find_sinks(const float* probs, int n, const SinkOptions& opt = {});

// Mean over the queries i >= 1 of the weight row i puts on the columns `cols` (those <= i).
float sink_fraction(const float* probs, int n, const std::vector<int>& cols);

// The matrix with the columns `cols` hidden and every row renormalised over the rest: hidden cells and the masked
// future (j > i) are 0; a row whose whole weight was on hidden columns (row 0 when column 0 is hidden) is all 0.
// kept (optional, [n]): the weight each row had on the visible keys before renormalising (0 for such a row).
std::vector<float> hide_columns(const float* probs, int n, const std::vector<int>& cols,
                                std::vector<float>* kept = nullptr);

}  // namespace ts::core
