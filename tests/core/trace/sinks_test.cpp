// Attention sinks on hand-made attention matrices: which columns are flagged (and which are not: a previous-token
// diagonal, a last column seen by one query), the share and fraction numbers, and the renormalised matrix with the
// sinks hidden, checked against arithmetic written out here.
#include "core/trace/sinks.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace ts::core {
namespace {

// n×n causal rows: row i puts `w0` on column 0 and spreads the rest evenly over columns 1..i (row 0: all on 0).
std::vector<float> sink_rows(int n, float w0) {
    std::vector<float> p(size_t(n) * size_t(n), 0.0f);
    p[0] = 1.0f;
    for (int i = 1; i < n; ++i) {
        p[size_t(i) * size_t(n)] = w0;
        for (int j = 1; j <= i; ++j) p[size_t(i) * size_t(n) + size_t(j)] = (1.0f - w0) / float(i);
    }
    return p;
}

TEST(Sinks, ColumnZeroTakingMostWeightIsFlagged) {
    const int n      = 12;
    const auto p     = sink_rows(n, 0.7f);
    const auto share = sink_column_shares(p.data(), n);
    EXPECT_FLOAT_EQ(share[0], 0.7f);  // every later query gives it 0.7
    EXPECT_EQ(find_sinks(p.data(), n), std::vector<int>{0});
    EXPECT_FLOAT_EQ(sink_fraction(p.data(), n, {0}), 0.7f);
    EXPECT_FLOAT_EQ(sink_fraction(p.data(), n, {}), 0.0f);
}

TEST(Sinks, AWeakFirstColumnIsNotASink) {
    const int n  = 12;
    const auto p = sink_rows(n, 0.1f);
    EXPECT_TRUE(find_sinks(p.data(), n).empty());
}

TEST(Sinks, PreviousTokenDiagonalAndLateColumnsAreNotSinks) {
    const int n = 16;
    std::vector<float> p(size_t(n) * size_t(n), 0.0f);
    p[0] = 1.0f;
    for (int i = 1; i < n; ++i) p[size_t(i) * size_t(n) + size_t(i - 1)] = 1.0f;  // each query reads the one before
    // share(j) = 1 / (n-1-j): column 14 gets everything from the single query that can see it, but one query is
    // not enough (at least max(4, 25 % of 15) = 4 are needed); column 11 has 4 queries and share 0.25 < 0.3.
    const auto share = sink_column_shares(p.data(), n);
    EXPECT_FLOAT_EQ(share[14], 1.0f);
    EXPECT_FLOAT_EQ(share[11], 0.25f);
    EXPECT_FLOAT_EQ(share[15], 0.0f);
    EXPECT_TRUE(find_sinks(p.data(), n).empty());
}

TEST(Sinks, TwoSinkColumnsAreBothFlagged) {
    const int n = 10;
    std::vector<float> p(size_t(n) * size_t(n), 0.0f);
    p[0]         = 1.0f;
    p[size_t(n)] = 0.5f, p[size_t(n) + 1] = 0.5f;
    for (int i = 2; i < n; ++i) {
        p[size_t(i) * size_t(n) + 0]         = 0.4f;
        p[size_t(i) * size_t(n) + 1]         = 0.4f;
        p[size_t(i) * size_t(n) + size_t(i)] = 0.2f;
    }
    EXPECT_EQ(find_sinks(p.data(), n), (std::vector<int>{0, 1}));
    // fraction: row 1 gives 1.0 to {0, 1}, rows 2..9 give 0.8: (1 + 8·0.8) / 9
    EXPECT_NEAR(sink_fraction(p.data(), n, {0, 1}), (1.0 + 8 * 0.8) / 9.0, 1e-6);
    SinkOptions strict;
    strict.min_share = 0.5f;
    EXPECT_TRUE(find_sinks(p.data(), n, strict).empty());
}

TEST(Sinks, HidingASinkRenormalisesEachRowOverTheRest) {
    const int n  = 6;
    const auto p = sink_rows(n, 0.6f);
    std::vector<float> kept;
    const auto h = hide_columns(p.data(), n, {0}, &kept);
    ASSERT_EQ(h.size(), size_t(n) * size_t(n));
    ASSERT_EQ(kept.size(), size_t(n));
    // Row 0 had all its weight on the sink: nothing is left to show.
    EXPECT_EQ(kept[0], 0.0f);
    for (int j = 0; j < n; ++j) EXPECT_EQ(h[size_t(j)], 0.0f);
    for (int i = 1; i < n; ++i) {
        const float* r = h.data() + size_t(i) * size_t(n);
        EXPECT_NEAR(kept[size_t(i)], 0.4f, 1e-6f);
        EXPECT_EQ(r[0], 0.0f);  // hidden
        double sum = 0;
        for (int j = 1; j <= i; ++j) {
            // (0.4 / i) / 0.4 = 1 / i: the visible keys share the row evenly, as they did before
            EXPECT_NEAR(r[j], 1.0f / float(i), 1e-6f) << i << "," << j;
            sum += double(r[j]);
        }
        EXPECT_NEAR(sum, 1.0, 1e-6);
        for (int j = i + 1; j < n; ++j) EXPECT_EQ(r[j], 0.0f);  // the future stays masked
    }
}

TEST(Sinks, HidingKeepsTheRatiosOfTheVisibleKeys) {
    const int n = 4;
    // Row 3: 0.5 on the sink, then 0.1, 0.15, 0.25 → 0.2, 0.3, 0.5 once the sink is hidden.
    std::vector<float> p = {1, 0, 0, 0, 0.8f, 0.2f, 0, 0, 0.5f, 0.25f, 0.25f, 0, 0.5f, 0.1f, 0.15f, 0.25f};
    const auto h         = hide_columns(p.data(), n, {0});
    EXPECT_NEAR(h[13], 0.2f, 1e-6f);
    EXPECT_NEAR(h[14], 0.3f, 1e-6f);
    EXPECT_NEAR(h[15], 0.5f, 1e-6f);
    EXPECT_NEAR(h[5], 1.0f, 1e-6f);  // row 1: its one visible key takes everything
    // Hiding nothing gives the matrix back (each row already sums to 1).
    const auto same = hide_columns(p.data(), n, {});
    for (size_t k = 0; k < p.size(); ++k) EXPECT_NEAR(same[k], p[k], 1e-7f) << k;
    // Out-of-range columns are ignored rather than read.
    const auto odd = hide_columns(p.data(), n, {-1, 7});
    for (size_t k = 0; k < p.size(); ++k) EXPECT_NEAR(odd[k], p[k], 1e-7f) << k;
}

TEST(Sinks, TinyMatricesHaveNoSinks) {
    const float one = 1.0f;
    EXPECT_TRUE(find_sinks(&one, 1).empty());
    EXPECT_TRUE(find_sinks(nullptr, 0).empty());
    EXPECT_TRUE(sink_column_shares(nullptr, 0).empty());
    EXPECT_EQ(sink_fraction(&one, 1, {0}), 0.0f);
}

}  // namespace
}  // namespace ts::core
