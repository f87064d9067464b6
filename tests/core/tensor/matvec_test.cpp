// matvec / matmul (ops.hpp): equal to a naive f32 loop over the dequantised weights, for every type and SIMD level,
// with row counts that do not divide among the threads and batches of 1..9 tokens (and one past a token tile), and
// every ragged edge of the int8 matmul's register tiles.
#include <gtest/gtest.h>

#include "core/tensor/ops.hpp"
#include "core/tensor/tensor.hpp"
#include "tensor_test_util.hpp"

namespace ts::core {
namespace {

using testing::available_levels;
using testing::nmse;
using testing::random_normal;
using testing::random_row;
using testing::SimdLevelGuard;

struct Matrix {
    std::vector<uint8_t> bytes;
    std::vector<float> deq;  // [rows][n]
    Tensor t;
};

Matrix make_matrix(DType type, int64_t n, int64_t rows, uint32_t seed) {
    Matrix m;
    const size_t rs = row_bytes(type, n);
    m.bytes.resize(rs * size_t(rows));
    m.deq.resize(size_t(n * rows));
    for (int64_t r = 0; r < rows; ++r) {
        const auto row = random_row(type, n, seed + uint32_t(r));
        std::copy(row.begin(), row.end(), m.bytes.begin() + std::ptrdiff_t(size_t(r) * rs));
        dequantize_row(type, row.data(), m.deq.data() + r * n, n);
    }
    m.t.type   = type;
    m.t.n_dims = 2;
    m.t.ne     = {n, rows, 1, 1};
    m.t.data   = m.bytes.data();
    m.t.nbytes = m.bytes.size();
    return m;
}

std::vector<float> naive(const Matrix& m, const std::vector<float>& x, int64_t n_tokens) {
    const int64_t n = m.t.ne[0], rows = m.t.ne[1];
    std::vector<float> y(size_t(rows * n_tokens));
    for (int64_t t = 0; t < n_tokens; ++t)
        for (int64_t r = 0; r < rows; ++r) {
            double s = 0;
            for (int64_t i = 0; i < n; ++i) s += double(m.deq[size_t(r * n + i)]) * x[size_t(t * n + i)];
            y[size_t(t * rows + r)] = float(s);
        }
    return y;
}

// Error budget: the activations are quantised to Q8_0 / Q8_K (~3e-5 NMSE each), floats only reorder sums. Q8_K has
// one scale per 256 values, coarser than Q8_0's per 32: on a handful of outputs its NMSE reaches 2.2e-4.
double limit_for(DType t) {
    const DType ct = companion_type(t);
    return ct == DType::F32 ? 1e-10 : ct == DType::Q8_K ? 4e-4 : 2e-4;
}

// Row lengths that reach every path of the kernels: 11 blocks of 32 = one 8-block step plus a 3-block tail.
int64_t width_for(DType t) {
    const uint32_t bs = dtype_info(t).block_size;
    return bs == 256 ? 512 : bs == 32 ? 352 : 100;
}

TEST(Matvec, EqualsNaiveLoopForEveryTypeLevelAndThreadCount) {
    SimdLevelGuard guard;
    for (DType type : testing::kWeightTypes) {
        const int64_t n = width_for(type);
        const Matrix m  = make_matrix(type, n, 37, 3);
        const auto x    = random_normal(size_t(n), 4);
        const auto want = naive(m, x, 1);
        for (SimdLevel l : available_levels()) {
            set_simd_level(l);
            for (int threads : {1, 2, 3, 4}) {
                ThreadPool pool(threads);
                std::vector<float> y(37, -1.0f);
                matvec(m.t, x.data(), y.data(), pool);
                EXPECT_LT(nmse(y, want), limit_for(type))
                    << dtype_name(type) << " " << simd_name(l) << " threads=" << threads;
            }
        }
    }
}

TEST(Matmul, EqualsNaiveLoopForOneToNineTokens) {
    SimdLevelGuard guard;
    ThreadPool pool(3);
    for (DType type : testing::kWeightTypes) {
        const int64_t n = width_for(type), rows = 19;
        const Matrix m = make_matrix(type, n, rows, 5);
        const auto x   = random_normal(size_t(n * 9), 6);
        for (SimdLevel l : available_levels()) {
            set_simd_level(l);
            for (int64_t nt = 1; nt <= 9; ++nt) {
                const std::vector<float> xs(x.begin(), x.begin() + n * nt);
                std::vector<float> y(size_t(rows * nt), -1.0f);
                matmul(m.t, xs.data(), nt, y.data(), pool);
                EXPECT_LT(nmse(y, naive(m, xs, nt)), limit_for(type))
                    << dtype_name(type) << " " << simd_name(l) << " tokens=" << nt;
            }
        }
    }
}

TEST(Matmul, TokensBeyondOneTileAndRowsBeyondOneTile) {
    SimdLevelGuard guard;
    ThreadPool pool(2);
    for (DType type : {DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q6_K, DType::F16}) {
        const int64_t n = width_for(type), rows = 41, nt = 70;  // 70 tokens = one full tile of 64 + 6
        const Matrix m = make_matrix(type, n, rows, 8);
        const auto x   = random_normal(size_t(n * nt), 9);
        for (SimdLevel l : available_levels()) {
            set_simd_level(l);
            std::vector<float> y(size_t(rows * nt), -1.0f);
            matmul(m.t, x.data(), nt, y.data(), pool);
            EXPECT_LT(nmse(y, naive(m, x, nt)), limit_for(type)) << dtype_name(type) << " " << simd_name(l);
        }
    }
}

// The prefill kernels work on register tiles (int8: up to 6 rows x 2 groups of 8 tokens; float types: 4 rows x 4
// tokens) inside work items of up to 64 tokens: every row count 1..13 and token counts on both sides of each of
// those edges, one and two threads.
TEST(Matmul, RaggedRowAndTokenTilesEqualNaive) {
    SimdLevelGuard guard;
    for (DType type : {DType::Q8_0, DType::Q4_0, DType::Q5_0, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::F16,
                       DType::BF16, DType::F32}) {
        const int64_t n = width_for(type);
        const auto x    = random_normal(size_t(n * 130), 12);
        for (int64_t rows = 1; rows <= 13; ++rows) {
            const Matrix m = make_matrix(type, n, rows, 13 + uint32_t(rows));
            for (int64_t nt : {2, 7, 8, 9, 15, 16, 17, 24, 25, 63, 64, 65, 130}) {
                const std::vector<float> xs(x.begin(), x.begin() + n * nt);
                const auto want = naive(m, xs, nt);
                for (SimdLevel l : available_levels()) {
                    set_simd_level(l);
                    for (int threads : {1, 2}) {
                        ThreadPool pool(threads);
                        std::vector<float> y(size_t(rows * nt), -1.0f);
                        matmul(m.t, xs.data(), nt, y.data(), pool);
                        EXPECT_LT(nmse(y, want), limit_for(type))
                            << dtype_name(type) << " " << simd_name(l) << " rows=" << rows << " tokens=" << nt
                            << " threads=" << threads;
                    }
                }
            }
        }
    }
}

// Extreme blocks: weights and activations at the ends of their ranges (the unsigned-offset form must not
// saturate), and all-zero activation blocks (scale 0) between them.
TEST(Matmul, ExtremeValuesAndZeroBlocksEqualNaive) {
    SimdLevelGuard guard;
    const int64_t n = 256, rows = 6, nt = 19;
    std::vector<float> x(size_t(n * nt));
    for (int64_t t = 0; t < nt; ++t)
        for (int64_t i = 0; i < n; ++i)
            x[size_t(t * n + i)] = (i / 32) % 3 == 1 ? 0.0f : ((i + t) % 2 ? 100.0f : -100.0f);
    for (DType type : {DType::Q8_0, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1, DType::Q4_K, DType::Q6_K}) {
        Matrix m = make_matrix(type, n, rows, 21);
        std::vector<float> wf(static_cast<size_t>(n));
        for (int64_t r = 0; r < rows; ++r) {  // rows of +-max, quantised to the type's extreme levels
            for (int64_t i = 0; i < n; ++i) wf[size_t(i)] = (i + r) % 3 ? 1.0f : -1.0f;
            quantize_row(type, wf.data(), m.bytes.data() + size_t(r) * row_bytes(type, n), n);
            dequantize_row(type, m.bytes.data() + size_t(r) * row_bytes(type, n), m.deq.data() + r * n, n);
        }
        const auto want = naive(m, x, nt);
        for (SimdLevel l : available_levels()) {
            set_simd_level(l);
            ThreadPool pool(2);
            std::vector<float> y(size_t(rows * nt), -1.0f);
            matmul(m.t, x.data(), nt, y.data(), pool);
            EXPECT_LT(nmse(y, want), limit_for(type)) << dtype_name(type) << " " << simd_name(l);
        }
    }
}

// A token alone (matvec, decode) and the same token in a batch (matmul, prefill) go through the same operations at
// every level, so they agree to the bit (kernels.hpp): every type, row counts that leave a ragged last group of 8,
// batches that leave ragged token tiles, 1 and 2 threads.
TEST(Matmul, EachTokenEqualsItsOwnMatvecBitForBit) {
    SimdLevelGuard guard;
    for (SimdLevel l : available_levels()) {
        set_simd_level(l);
        for (int threads : {1, 2}) {
            ThreadPool pool(threads);
            for (DType type : testing::kWeightTypes) {
                const int64_t n = width_for(type), rows = 29, nt = 11;
                const Matrix m = make_matrix(type, n, rows, 10);
                const auto x   = random_normal(size_t(n * nt), 11);
                std::vector<float> y(size_t(rows * nt)), yv(static_cast<size_t>(rows));
                matmul(m.t, x.data(), nt, y.data(), pool);
                for (int64_t t = 0; t < nt; ++t) {
                    matvec(m.t, x.data() + t * n, yv.data(), pool);
                    for (int64_t r = 0; r < rows; ++r)
                        ASSERT_EQ(y[size_t(t * rows + r)], yv[size_t(r)])
                            << dtype_name(type) << " at " << simd_name(l) << ", token " << t << ", row " << r << ", "
                            << threads << " threads";
                }
            }
        }
    }
}

}  // namespace
}  // namespace ts::core
