// The geometry of a context, derived exactly (the explorer's Geometry panel): an exact two-component PCA by power
// iteration, the PCA of the context's token embeddings and of their final hidden states (the last layer's recorded
// residual stream after the final norm, i.e. what the output matrix multiplies), the output-embedding directions of
// the top candidates projected into the hidden-state plane with their cosine to the selected position's final
// vector, and the nearest neighbours of a token by cosine in embedding space. The engine worker derives these
// (Focus::geometry, Focus::neighbours_of); the panel only draws them.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "core/model/model.hpp"
#include "core/tensor/tensor.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::core::derive {

// The two leading principal components of n points of dimension d, and the points projected onto them.
struct Pca2 {
    int n = 0, d = 0;
    std::vector<float> mean;         // [d]
    std::vector<float> axis[2];      // [d] each, unit length, orthogonal; sign fixed so the largest |entry| > 0
    double variance[2]    = {0, 0};  // variance along each axis (eigenvalues of the covariance, divided by n)
    double total_variance = 0;       // trace of the covariance: variance[i] / total_variance is "explained"
    std::vector<float> xy;           // [n][2] coordinates of the points on (axis[0], axis[1]), centred
    int iterations[2] = {0, 0};      // power iterations each component took
};

// PCA of `points` ([n][d], row-major) by power iteration on the centred data (v ← Xᵀ(X v), never forming the d×d
// covariance), the second component deflated by Gram–Schmidt against the first. Deterministic (a fixed start
// vector). n = 0 or d = 0 gives an empty result; n = 1 gives zero variance and the point at the origin.
Pca2 pca2(std::span<const float> points, int n, int d, int max_iter = 300, double tol = 1e-9);

// (axis[0]·v, axis[1]·v): a direction (not centred, e.g. an output-embedding row) in the plane of the PCA.
void project_direction(const Pca2& pca, const float* v, float out[2]);

struct Neighbour {
    int32_t id   = -1;
    float cosine = 0;
};

// The k rows of `matrix` ({d, n_rows}, any dequantisable type) closest to `query` (d floats) by cosine
// similarity, best first (ties: lower id). `exclude` (>= 0) is left out (the query token itself). Rows of zero
// norm are skipped. `cancel`, when given, is checked every 1024 rows; a cancelled search returns what it has.
std::vector<Neighbour> nearest_by_cosine(const Tensor& matrix, std::span<const float> query, int k,
                                         int32_t exclude = -1, const std::atomic<bool>* cancel = nullptr);

// Cosine similarity of two vectors of n floats (0 when either has zero norm).
float cosine(const float* a, const float* b, int n);

// Everything the Geometry panel draws for one context and selected position.
struct Geometry {
    int n = 0;                      // positions in the context
    std::vector<int32_t> tokens;    // [n]
    Pca2 emb;                       // PCA of the n embedding rows
    Pca2 hidden;                    // PCA of the final hidden states of the positions that have a record
    std::vector<int> hidden_pos;    // [hidden.n] the position of each hidden row
    int sel_pos = -1;               // the position the candidates are for
    std::vector<int32_t> cand_ids;  // top candidates for the token after sel_pos
    std::vector<float> cand_dir;    // [n_cand][2] unit output rows projected onto the hidden PCA axes
    std::vector<float> cand_cos;    // [n_cand] cosine(final hidden state of sel_pos, output row)
    std::vector<float> cand_logit;  // [n_cand] final hidden state · output row (the logit)
};

// The model's own best next tokens after `pos` (or after the newest position that has them): up to k ids.
std::vector<int32_t> top_candidates(std::span<const StepTracePtr> steps, int pos, int k);

// The projections of `steps` from the model's weights and the steps' records; `cand_ids` are the candidates drawn.
Geometry build_geometry(const Model& model, std::span<const StepTracePtr> steps, int sel_pos,
                        std::span<const int32_t> cand_ids);

// The k nearest neighbours of `token`'s embedding row among all others.
struct Neighbours {
    int32_t token = -1;
    std::vector<Neighbour> list;
};

}  // namespace ts::core::derive
