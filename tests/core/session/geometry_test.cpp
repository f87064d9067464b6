// The Geometry derivations: PCA by power iteration on known point sets, cosine nearest neighbours over a matrix,
// the projections built from a real session's trace, and the worker delivering them through its focus.
#include "core/trace/geometry.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <vector>

#include "core/session/worker.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core::derive {
namespace {

using namespace std::chrono_literals;

TEST(Pca, FindsTheAxesOfAStretchedCloud) {
    // Points on a 3-D grid stretched 10× along (1,1,0)/√2, 3× along z, 1× along (1,-1,0)/√2, shifted by (5, -2, 7).
    std::vector<float> pts;
    int n = 0;
    for (int a = -2; a <= 2; ++a)
        for (int b = -2; b <= 2; ++b)
            for (int c = -2; c <= 2; ++c) {
                const float u = 10.0f * float(a), w = 3.0f * float(b), v = float(c);
                pts.push_back(5.0f + (u + v) / std::sqrt(2.0f));
                pts.push_back(-2.0f + (u - v) / std::sqrt(2.0f));
                pts.push_back(7.0f + w);
                ++n;
            }
    const Pca2 p = pca2(pts, n, 3);
    ASSERT_EQ(p.n, n);
    EXPECT_NEAR(p.mean[0], 5.0f, 1e-4);
    EXPECT_NEAR(p.mean[2], 7.0f, 1e-4);
    EXPECT_NEAR(std::abs(p.axis[0][0]), 1.0 / std::sqrt(2.0), 1e-5);
    EXPECT_NEAR(std::abs(p.axis[0][1]), 1.0 / std::sqrt(2.0), 1e-5);
    EXPECT_NEAR(std::abs(p.axis[0][2]), 0.0, 1e-5);
    EXPECT_NEAR(std::abs(p.axis[1][2]), 1.0, 1e-5);
    // variance of {-20,-10,0,10,20} is 200, of 3×{-2..2} is 18, of {-2..2} is 2
    EXPECT_NEAR(p.variance[0], 200.0, 1e-3);
    EXPECT_NEAR(p.variance[1], 18.0, 1e-3);
    EXPECT_NEAR(p.total_variance, 220.0, 1e-3);
    // The coordinates are the centred points on the axes.
    EXPECT_NEAR(std::abs(p.xy[0]), 20.0f, 1e-3);
    EXPECT_NEAR(std::abs(p.xy[1]), 6.0f, 1e-3);
}

TEST(Pca, SinglePointAndEmptyInputAreSafe) {
    const std::vector<float> one = {1, 2, 3, 4};
    const Pca2 p                 = pca2(one, 1, 4);
    ASSERT_EQ(p.xy.size(), 2u);
    EXPECT_EQ(p.xy[0], 0.0f);
    EXPECT_EQ(p.variance[0], 0.0);
    EXPECT_EQ(pca2({}, 0, 4).n, 0);
}

TEST(Pca, ProjectDirectionIsTheDotWithEachAxis) {
    const std::vector<float> pts = {0, 0, 4, 0, 0, 1, 4, 1};  // 4 points in 2-D, wide along x
    const Pca2 p                 = pca2(pts, 4, 2);
    const float v[2]             = {2.0f, 0.0f};
    float out[2];
    project_direction(p, v, out);
    EXPECT_NEAR(std::abs(out[0]), 2.0f, 1e-5);
    EXPECT_NEAR(out[1], 0.0f, 1e-5);
}

TEST(Neighbours, RanksRowsByCosineAndSkipsTheQuery) {
    // Rows: 0 = (1,0), 1 = (0,1), 2 = (1,1), 3 = (-1,0), 4 = (2,0.1), 5 = (0,0)
    std::vector<float> m = {1, 0, 0, 1, 1, 1, -1, 0, 2, 0.1f, 0, 0};
    Tensor t;
    t.type                     = DType::F32;
    t.n_dims                   = 2;
    t.ne                       = {2, 6, 1, 1};
    t.data                     = m.data();
    t.nbytes                   = m.size() * sizeof(float);
    const std::vector<float> q = {1, 0};
    const auto nn              = nearest_by_cosine(t, q, 3, 0);
    ASSERT_EQ(nn.size(), 3u);
    EXPECT_EQ(nn[0].id, 4);
    EXPECT_EQ(nn[1].id, 2);
    EXPECT_NEAR(nn[1].cosine, 1.0 / std::sqrt(2.0), 1e-6);
    EXPECT_EQ(nn[2].id, 1);  // cosine 0 beats -1; the zero row is skipped
    EXPECT_NEAR(cosine(m.data(), m.data() + 6, 2), -1.0f, 1e-6);
}

TEST(GeometryOfASession, BuildsProjectionsFromTheTrace) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab());
    ASSERT_TRUE(s->set_prompt_ids({1, 5, 36, 0, 17}).ok());
    ASSERT_TRUE(s->prefill().ok());
    ASSERT_TRUE(s->run(3).ok());
    const int pos    = s->n_pos() - 1;
    const auto cands = top_candidates(s->steps(), pos, 4);
    ASSERT_EQ(cands.size(), 4u);
    EXPECT_EQ(cands[0], s->steps().back()->sampler.stages.front().top[0].id);
    const Geometry g = build_geometry(s->model(), s->steps(), pos, cands);
    EXPECT_EQ(g.n, s->n_pos());
    EXPECT_EQ(g.emb.n, g.n);
    EXPECT_EQ(g.hidden.n, g.n);  // recording is on: every position has its residual stream
    ASSERT_EQ(g.cand_ids.size(), 4u);
    // final vector · unit output row × its length is the logit: the candidates keep the model's ranking.
    EXPECT_GE(g.cand_logit[0], g.cand_logit[3] - 1e-4f);
    EXPECT_GT(g.emb.variance[0], 0.0);
}

TEST(GeometryOfASession, TheWorkerDerivesItWhenFocused) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab()));
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetPrompt{"", {1, 5, 36, 0, 17}}), 10s));
    Focus f;
    f.geometry      = true;
    f.neighbours_of = 5;
    f.n_neighbours  = 7;
    ASSERT_TRUE(w.wait_for(w.push(cmd::SetFocus{f}), 10s, /*derived=*/true));
    const auto snap = w.snapshot();
    ASSERT_TRUE(snap->derived);
    ASSERT_TRUE(snap->derived->geometry);
    EXPECT_EQ(snap->derived->geometry->sel_pos, 4);
    ASSERT_TRUE(snap->derived->neighbours);
    EXPECT_EQ(snap->derived->neighbours->token, 5);
    EXPECT_EQ(snap->derived->neighbours->list.size(), 7u);
    for (const Neighbour& n : snap->derived->neighbours->list) EXPECT_NE(n.id, 5);
}

}  // namespace
}  // namespace ts::core::derive
