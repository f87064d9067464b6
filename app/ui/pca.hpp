// Geometry helpers of the explorer (the Geometry panel): an exact two-component PCA by power iteration, and the
// nearest neighbours of a vector among the rows of an embedding matrix by cosine similarity. Pure functions over
// plain arrays (and core Tensors for the neighbour search), so they are unit-tested without a window.
//
// Not here: drawing, and deciding when to run (the panel precomputes per snapshot version and runs the vocabulary
// search on a std::thread, see view_geometry.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "core/tensor/tensor.hpp"

namespace ts::app {

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
std::vector<Neighbour> nearest_by_cosine(const core::Tensor& matrix, std::span<const float> query, int k,
                                         int32_t exclude = -1, const std::atomic<bool>* cancel = nullptr);

// Cosine similarity of two vectors of n floats (0 when either has zero norm).
float cosine(const float* a, const float* b, int n);

}  // namespace ts::app
