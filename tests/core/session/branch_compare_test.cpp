// Two branches of one model (branch_compare.hpp): a branch against itself differs nowhere (KL 0, JS 0, cosine 1,
// difference 0); two branches that part differ only from the position where they part, the numbers checked against
// a session's own logits and attention rows; bad arguments are errors.
#include "core/trace/branch_compare.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/sample/logit_diff.hpp"
#include "core/session/session.hpp"
#include "tests/core/model/tiny_model.hpp"

namespace ts::core {
namespace {

const std::vector<int32_t> kA = {1, 5, 36, 0, 17, 17, 2, 30, 11, 8};
const std::vector<int32_t> kB = {1, 5, 36, 0, 17, 9, 3, 12};  // parts from A at position 5

std::shared_ptr<const Model> tiny_model() {
    const std::string path = tiny::temp_path("branch_compare.gguf");
    EXPECT_TRUE(tiny::gguf_writer_for(tiny::make_tiny_model({})).write(path).ok());
    auto m = load_model(path);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.ok() ? *m : nullptr;
}

TEST(BranchCompare, ABranchAgainstItselfDiffersNowhere) {
    const auto m = tiny_model();
    ThreadPool pool(2);
    auto c = compare_branches(*m, kA, kA, 6, pool);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->n_shared, int(kA.size()));
    ASSERT_EQ(c->positions.size(), kA.size());
    for (const auto& p : c->positions) {
        EXPECT_TRUE(p.both);
        EXPECT_EQ(p.kl, 0.0);
        EXPECT_TRUE(p.agree);
    }
    EXPECT_EQ(c->mean_kl, 0.0);
    EXPECT_EQ(c->agreement, 1.0);
    ASSERT_EQ(int(c->layer_cosine.size()), m->hp.n_layer);
    for (float cs : c->layer_cosine) EXPECT_NEAR(cs, 1.0f, 1e-6f);
    ASSERT_EQ(int(c->head_js.size()), m->hp.n_layer * m->hp.n_head);
    for (float js : c->head_js) EXPECT_EQ(js, 0.0f);
    for (float d : c->attn_diff) EXPECT_EQ(d, 0.0f);
}

TEST(BranchCompare, BranchesDifferFromWhereTheyPart) {
    const auto m = tiny_model();
    ThreadPool pool(2);
    const int sel = 6;
    auto c        = compare_branches(*m, kA, kB, sel, pool);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->n_shared, 5);
    ASSERT_EQ(c->positions.size(), kA.size());
    for (int p = 0; p < 5; ++p) EXPECT_EQ(c->positions[size_t(p)].kl, 0.0) << p;  // same tokens so far
    EXPECT_GT(c->positions[5].kl, 0.0);
    EXPECT_FALSE(c->positions[9].both);
    EXPECT_EQ(c->positions[9].token_b, -1);

    // Against two sessions' own numbers.
    auto sa = Session::create(m, {}).value();
    auto sb = Session::create(m, {}).value();
    ASSERT_TRUE(sa->set_prompt_ids({kA.begin(), kA.begin() + sel + 1}).ok());
    ASSERT_TRUE(sa->prefill().ok());
    ASSERT_TRUE(sb->set_prompt_ids({kB.begin(), kB.begin() + sel + 1}).ok());
    ASSERT_TRUE(sb->prefill().ok());
    EXPECT_NEAR(c->positions[size_t(sel)].kl, sample::kl_divergence(*sa->logits(), *sb->logits()), 1e-9);
    double js_max = 0;
    for (int l = 0; l < m->hp.n_layer; ++l)
        for (int h = 0; h < m->hp.n_head; ++h) {
            auto ra = sa->attention_row(l, h, sel), rb = sb->attention_row(l, h, sel);
            ASSERT_TRUE(ra.ok() && rb.ok());
            EXPECT_NEAR(c->head_js[size_t(l * m->hp.n_head + h)], js_divergence(ra->probs, rb->probs), 1e-6);
            const auto diff = c->attn_diff_at(l, h);
            for (int k = 0; k <= sel; ++k)
                EXPECT_NEAR(diff[size_t(k)], ra->probs[size_t(k)] - rb->probs[size_t(k)], 1e-6);
            js_max = std::max(js_max, double(c->head_js[size_t(l * m->hp.n_head + h)]));
        }
    EXPECT_GT(js_max, 0.0);
    EXPECT_LE(js_max, std::log(2.0) + 1e-9);
    EXPECT_LT(c->layer_cosine.back(), 1.0f);
}

TEST(BranchCompare, BadArgumentsAreErrors) {
    const auto m = tiny_model();
    ThreadPool pool(2);
    EXPECT_FALSE(compare_branches(*m, {}, kA, 0, pool).ok());
    EXPECT_FALSE(compare_branches(*m, kA, kB, 8, pool).ok());  // B has 8 positions
    EXPECT_FALSE(compare_branches(*m, kA, {1, 999}, 0, pool).ok());
    EXPECT_NEAR(js_divergence(std::vector<float>{1, 0}, std::vector<float>{0, 1}), std::log(2.0), 1e-12);
}

}  // namespace
}  // namespace ts::core
