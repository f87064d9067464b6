// Every trainer operation's backward against central finite differences of its forward, on tiny shapes.
// The forward runs in f32, so the differences use a step of 1e-2 on a loss L = Σ c_i y_i with fixed random c
// (ops are smooth there) and compare in relative terms: |analytic - numeric| <= 2e-3 * max(1, |numeric|)
// elementwise. f32 rounding in L (~1e-7 relative to Σ|c y| ~ 10) divided by 2h gives ~5e-5 noise, and the
// truncation error of central differences is O(h²) ~ 1e-4 for these second derivatives, so 2e-3 leaves a margin
// of ~10x while a wrong formula (a missing factor, a sign, a wrong index) is off by O(1).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "core/train/gemm.hpp"
#include "core/train/ops.hpp"
#include "core/train/rng.hpp"

namespace ts::core::train {
namespace {

std::vector<float> random_vec(Rng& rng, size_t n, double sd = 1.0) {
    std::vector<float> v(n);
    for (float& x : v) x = float(normal(rng) * sd);
    return v;
}

double weighted_sum(const std::vector<float>& y, const std::vector<float>& c) {
    double s = 0;
    for (size_t i = 0; i < y.size(); ++i) s += double(y[i]) * double(c[i]);
    return s;
}

// Checks analytic[i] == d loss / d x[i] for every i, by central differences on x.
void expect_grad_matches(std::vector<float>& x, const std::vector<float>& analytic, const std::function<double()>& loss,
                         const char* what) {
    ASSERT_EQ(x.size(), analytic.size()) << what;
    const float h = 1e-2f;
    for (size_t i = 0; i < x.size(); ++i) {
        const float keep = x[i];
        x[i]             = keep + h;
        const double lp  = loss();
        x[i]             = keep - h;
        const double lm  = loss();
        x[i]             = keep;
        const double num = (lp - lm) / (2.0 * double(h));
        EXPECT_NEAR(analytic[i], num, 2e-3 * std::max(1.0, std::fabs(num))) << what << " element " << i;
    }
}

TEST(TrainOps, GemmMatchesReferenceForEveryLayoutAndEdge) {
    Rng rng(1);
    for (int64_t m : {1, 7, 13, 100})
        for (int64_t n : {1, 5, 17, 33, 530})
            for (int64_t k : {1, 9, 300}) {
                auto a  = random_vec(rng, size_t(m * k));
                auto b  = random_vec(rng, size_t(k * n));
                auto c0 = random_vec(rng, size_t(m * n));
                for (bool acc : {false, true})
                    for (bool ta : {false, true})
                        for (bool tb : {false, true}) {
                            const MatView av = ta ? transposed(a.data(), m) : rows_of(a.data(), k);
                            const MatView bv = tb ? transposed(b.data(), k) : rows_of(b.data(), n);
                            auto got = c0, want = c0;
                            gemm(m, n, k, av, bv, got.data(), n, acc, nullptr);
                            gemm_reference(m, n, k, av, bv, want.data(), n, acc);
                            for (size_t i = 0; i < got.size(); ++i)
                                ASSERT_NEAR(got[i], want[i], 1e-4 * std::sqrt(double(k)) + 1e-5)
                                    << m << "x" << n << "x" << k << " acc " << acc << " ta " << ta << " tb " << tb;
                        }
            }
}

TEST(TrainOps, LinearBackwardMatchesFiniteDifferences) {
    Rng rng(2);
    const int64_t n = 3, in = 5, out = 4;
    auto x = random_vec(rng, n * in), w = random_vec(rng, out * in), c = random_vec(rng, n * out);
    auto loss = [&] {
        std::vector<float> y(size_t(n * out));
        linear_forward(x.data(), w.data(), n, in, out, y.data(), nullptr);
        return weighted_sum(y, c);
    };
    std::vector<float> dx(size_t(n * in)), dw(size_t(out * in), 0.0f);
    linear_backward(x.data(), w.data(), c.data(), n, in, out, dx.data(), false, dw.data(), nullptr);
    expect_grad_matches(x, dx, loss, "dx");
    expect_grad_matches(w, dw, loss, "dw");
}

TEST(TrainOps, RmsnormBackwardMatchesFiniteDifferences) {
    Rng rng(3);
    const int64_t n = 3, d = 11;
    auto x = random_vec(rng, n * d), w = random_vec(rng, d), c = random_vec(rng, n * d);
    auto loss = [&] {
        std::vector<float> y(size_t(n * d)), r(static_cast<size_t>(n));
        rmsnorm_forward(x.data(), w.data(), n, d, 1e-5f, y.data(), r.data());
        return weighted_sum(y, c);
    };
    std::vector<float> y(size_t(n * d)), r(static_cast<size_t>(n)), dx(size_t(n * d), 0.0f),
        dw(static_cast<size_t>(d), 0.0f);
    rmsnorm_forward(x.data(), w.data(), n, d, 1e-5f, y.data(), r.data());
    rmsnorm_backward(x.data(), w.data(), r.data(), c.data(), n, d, dx.data(), dw.data());
    expect_grad_matches(x, dx, loss, "dx");
    expect_grad_matches(w, dw, loss, "dw");
}

TEST(TrainOps, RopeRotatesAdjacentPairsByPositionAngle) {
    const int64_t hd   = 8;
    const RopeTable rt = make_rope_table(4, hd, 10000.0);
    std::vector<float> x(static_cast<size_t>(hd), 0.0f);
    for (int64_t i = 0; i < hd; i += 2) x[static_cast<size_t>(i)] = 1.0f;  // (1, 0) in every pair
    const int32_t pos = 3;
    rope_forward(rt, &pos, 1, 1, hd, x.data());
    for (int64_t i = 0; i < hd / 2; ++i) {
        const double theta = 3.0 * std::pow(10000.0, -2.0 * double(i) / double(hd));
        EXPECT_NEAR(x[size_t(2 * i)], std::cos(theta), 1e-6);
        EXPECT_NEAR(x[size_t(2 * i + 1)], std::sin(theta), 1e-6);
    }
}

TEST(TrainOps, RopeBackwardMatchesFiniteDifferences) {
    Rng rng(4);
    const int64_t n = 3, heads = 2, hd = 6;
    const RopeTable rt             = make_rope_table(8, hd, 10000.0);
    const std::vector<int32_t> pos = {0, 5, 7};
    auto x = random_vec(rng, n * heads * hd), c = random_vec(rng, n * heads * hd);
    auto loss = [&] {
        auto y = x;
        rope_forward(rt, pos.data(), n, heads, hd, y.data());
        return weighted_sum(y, c);
    };
    auto dx = c;
    rope_backward(rt, pos.data(), n, heads, hd, dx.data());
    expect_grad_matches(x, dx, loss, "dx");
}

void check_attention_gradient(const AttnShape& s, uint64_t seed) {
    Rng rng(seed);
    const size_t nq = size_t(s.n_seq * s.n_ctx * s.n_head * s.head_dim);
    const size_t nk = size_t(s.n_seq * s.n_ctx * s.n_head_kv * s.head_dim);
    const size_t np = size_t(s.n_seq * s.n_head * s.n_ctx * s.n_ctx);
    auto q = random_vec(rng, nq), k = random_vec(rng, nk), v = random_vec(rng, nk), c = random_vec(rng, nq);
    auto loss = [&] {
        std::vector<float> probs(np), out(nq);
        attention_forward(s, q.data(), k.data(), v.data(), probs.data(), out.data(), nullptr);
        return weighted_sum(out, c);
    };
    std::vector<float> probs(np), out(nq), dq(nq), dk(nk), dv(nk);
    attention_forward(s, q.data(), k.data(), v.data(), probs.data(), out.data(), nullptr);
    attention_backward(s, q.data(), k.data(), v.data(), probs.data(), c.data(), dq.data(), dk.data(), dv.data(),
                       nullptr);
    expect_grad_matches(q, dq, loss, "dq");
    expect_grad_matches(k, dk, loss, "dk");
    expect_grad_matches(v, dv, loss, "dv");
}

TEST(TrainOps, AttentionBackwardMatchesFiniteDifferencesWithGroupedKv) {
    check_attention_gradient(AttnShape{2, 4, 4, 2, 4}, 5);  // 2 sequences, 4 positions, 4 heads on 2 kv heads
}

TEST(TrainOps, AttentionBackwardMatchesFiniteDifferencesAcrossRowBlocks) {
    check_attention_gradient(AttnShape{1, 70, 2, 1, 4}, 8);  // 70 positions: two causal row blocks of 64
}

TEST(TrainOps, AttentionForwardMatchesNaiveSoftmax) {
    Rng rng(9);
    const AttnShape s{1, 70, 2, 1, 6};
    auto q = random_vec(rng, 70 * 2 * 6), k = random_vec(rng, 70 * 6), v = random_vec(rng, 70 * 6);
    std::vector<float> probs(2 * 70 * 70), out(q.size());
    attention_forward(s, q.data(), k.data(), v.data(), probs.data(), out.data(), nullptr);
    for (int t = 0; t < 70; t += 23)
        for (int h = 0; h < 2; ++h) {
            std::vector<double> w(size_t(t + 1));
            double mx = -1e300, sum = 0;
            for (int u = 0; u <= t; ++u) {
                double d = 0;
                for (int i = 0; i < 6; ++i) d += double(q[size_t((t * 2 + h) * 6 + i)]) * double(k[size_t(u * 6 + i)]);
                w[size_t(u)] = d / std::sqrt(6.0);
                mx           = std::max(mx, w[size_t(u)]);
            }
            for (double& x : w) sum += (x = std::exp(x - mx));
            for (int i = 0; i < 6; ++i) {
                double o = 0;
                for (int u = 0; u <= t; ++u) o += w[size_t(u)] / sum * double(v[size_t(u * 6 + i)]);
                EXPECT_NEAR(out[size_t((t * 2 + h) * 6 + i)], o, 1e-5) << t << " " << h << " " << i;
            }
        }
}

TEST(TrainOps, AttentionIsCausalAndHeadsReadTheirKvGroup) {
    // Head h of 4 with 2 kv heads reads kv head h / 2; position t sees only positions <= t.
    const AttnShape s{1, 3, 4, 2, 2};
    std::vector<float> q(3 * 4 * 2, 0.0f), k(3 * 2 * 2, 0.0f), v(3 * 2 * 2);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(i);  // v[t][g][j] = (t*2 + g)*2 + j
    std::vector<float> probs(4 * 3 * 3), out(q.size());
    attention_forward(s, q.data(), k.data(), v.data(), probs.data(), out.data(), nullptr);
    // q = 0: uniform weights over positions 0..t.
    for (int t = 0; t < 3; ++t)
        for (int h = 0; h < 4; ++h)
            for (int j = 0; j < 2; ++j) {
                double mean = 0;
                for (int u = 0; u <= t; ++u) mean += double((u * 2 + h / 2) * 2 + j);
                mean /= double(t + 1);
                EXPECT_NEAR(out[size_t((t * 4 + h) * 2 + j)], mean, 1e-5) << t << " " << h << " " << j;
            }
    EXPECT_EQ(probs[1], 0.0f);  // head 0, query 0, key 1: masked
}

TEST(TrainOps, SwigluBackwardMatchesFiniteDifferences) {
    Rng rng(6);
    const int64_t n = 12;
    auto g = random_vec(rng, n, 2.0), u = random_vec(rng, n), c = random_vec(rng, n);
    auto loss = [&] {
        std::vector<float> h(static_cast<size_t>(n));
        swiglu_forward(g.data(), u.data(), n, h.data());
        return weighted_sum(h, c);
    };
    std::vector<float> dg(static_cast<size_t>(n)), du(static_cast<size_t>(n));
    swiglu_backward(g.data(), u.data(), c.data(), n, dg.data(), du.data());
    expect_grad_matches(g, dg, loss, "dgate");
    expect_grad_matches(u, du, loss, "dup");
}

TEST(TrainOps, CrossEntropyGradientIsSoftmaxMinusOneHot) {
    Rng rng(7);
    const int64_t n = 3, nv = 7;
    auto logits                       = random_vec(rng, n * nv, 2.0);
    const std::vector<int32_t> target = {2, 0, 6};
    auto loss                         = [&] { return cross_entropy_loss(logits.data(), target.data(), n, nv); };
    auto grad                         = logits;
    const double sum = cross_entropy_forward_backward(grad.data(), target.data(), n, nv, 1.0f, nullptr);
    EXPECT_NEAR(sum, loss(), 1e-9);
    expect_grad_matches(logits, grad, loss, "dlogits");
}

TEST(TrainOps, CrossEntropyStaysFiniteForExtremeLogits) {
    std::vector<float> logits = {1000.0f, -1000.0f, 0.0f};
    const int32_t target      = 1;
    EXPECT_NEAR(cross_entropy_loss(logits.data(), &target, 1, 3), 2000.0, 1e-6);
    cross_entropy_forward_backward(logits.data(), &target, 1, 3, 1.0f, nullptr);
    for (float g : logits) EXPECT_TRUE(std::isfinite(g));
}

TEST(TrainOps, EmbeddingBackwardAddsRowsOfRepeatedTokens) {
    const std::vector<float> e     = {1, 2, 3, 4, 5, 6};  // 3 tokens x 2
    const std::vector<int32_t> tok = {2, 0, 2};
    std::vector<float> x(6);
    embedding_forward(e.data(), tok.data(), 3, 2, x.data());
    EXPECT_EQ(x, (std::vector<float>{5, 6, 1, 2, 5, 6}));
    const std::vector<float> dx = {1, 1, 10, 10, 100, 100};
    std::vector<float> de(6, 0.0f);
    embedding_backward(tok.data(), dx.data(), 3, 2, de.data());
    EXPECT_EQ(de, (std::vector<float>{10, 10, 0, 0, 101, 101}));
}

}  // namespace
}  // namespace ts::core::train
