// The whole model's backward against finite differences, and memorisation of one paragraph.
#include "core/train/model.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/train/bpe.hpp"
#include "core/train/trainer.hpp"
#include "tests/core/train/train_corpus.hpp"

namespace ts::core::train {
namespace {

ModelConfig tiny_config(bool tied) {
    ModelConfig c;
    c.n_vocab   = 11;
    c.n_ctx     = 5;
    c.n_embd    = 8;
    c.n_layer   = 2;
    c.n_head    = 4;
    c.n_head_kv = 2;
    c.n_ff      = 12;
    c.tied      = tied;
    return c;
}

// Every tensor's gradient (a few elements of each) against central differences of the mean loss. Weights are
// drawn with sd 0.5 so gradients are O(0.01-0.1). With h = 1e-2 the f32 noise of the loss (~3e-7) becomes
// ~1.5e-5 in the quotient and the O(h²) truncation ~1e-4, so |analytic - numeric| <= 5e-4 + 2% leaves margin
// while a wrong term (a missed residual, a transposed matrix) is off by far more.
void check_model_gradient(bool tied) {
    auto m = TrainModel::create(tiny_config(tied));
    ASSERT_TRUE(m.ok()) << m.error().message;
    Rng rng(11);
    for (float& w : m->weights()) w = float(normal(rng) * 0.5);
    const std::vector<int32_t> tokens  = {10, 3, 4, 1, 7, 10, 2, 2, 9, 0};
    const std::vector<int32_t> targets = {3, 4, 1, 7, 5, 2, 2, 9, 0, 6};
    Activations act;
    std::vector<float> grad;
    m->forward_backward(tokens.data(), targets.data(), 2, 5, grad, act, nullptr);
    auto loss = [&] {
        Activations a;
        m->forward(tokens.data(), 2, 5, a, nullptr);
        return m->loss(a, targets.data());
    };
    const float h = 1e-2f;
    for (const ParamInfo& p : m->params()) {
        for (int64_t j = 0; j < std::min<int64_t>(p.size, 6); ++j) {
            const int64_t i  = p.offset + (j * 7919) % p.size;
            float& w         = m->weights()[size_t(i)];
            const float keep = w;
            w                = keep + h;
            const double lp  = loss();
            w                = keep - h;
            const double lm  = loss();
            w                = keep;
            const double num = (lp - lm) / (2.0 * double(h));
            EXPECT_NEAR(grad[size_t(i)], num, 5e-4 + 2e-2 * std::fabs(num)) << p.name << " element " << i - p.offset;
        }
    }
}

TEST(TrainModel, GradientMatchesFiniteDifferencesTiedOutput) {
    check_model_gradient(true);
}
TEST(TrainModel, GradientMatchesFiniteDifferencesSeparateOutput) {
    check_model_gradient(false);
}

TEST(TrainModel, TensorNamesAndShapesFollowLlamaGguf) {
    auto m = TrainModel::create(tiny_config(false));
    ASSERT_TRUE(m.ok());
    const ParamInfo* q = m->find_param("blk.1.attn_k.weight");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->ne, (std::vector<int64_t>{8, 4}));  // {n_embd, kv_dim}: 2 kv heads of head_dim 2
    EXPECT_EQ(m->find_param("token_embd.weight")->ne, (std::vector<int64_t>{8, 11}));
    EXPECT_EQ(m->find_param("blk.0.ffn_down.weight")->ne, (std::vector<int64_t>{12, 8}));
    EXPECT_NE(m->find_param("output.weight"), nullptr);
    EXPECT_EQ(TrainModel::create(tiny_config(true))->find_param("output.weight"), nullptr);
    ModelConfig bad = tiny_config(true);
    bad.n_head_kv   = 3;
    EXPECT_FALSE(TrainModel::create(bad).ok());
}

TEST(TrainModel, MemorisesOneParagraph) {
    // BPE on the paragraph, then a small model whose context covers the whole paragraph: the only window is the
    // paragraph itself, so the loss can go to ~0.
    BpeOptions bo;
    bo.n_vocab = 320;
    auto vocab = train_bpe(testing::kParagraph, bo);
    ASSERT_TRUE(vocab.ok());
    auto enc = BpeEncoder::create(*vocab);
    auto ids = enc->encode(testing::kParagraph);
    ASSERT_TRUE(ids.ok());
    ModelConfig c;
    c.n_vocab   = int(vocab->tokens.size());
    c.n_ctx     = int(ids->size());
    c.n_embd    = 64;
    c.n_layer   = 2;
    c.n_head    = 4;
    c.n_head_kv = 2;
    c.n_ff      = 128;
    TrainOptions o;
    o.steps    = 150;
    o.batch    = 1;
    o.lr       = 3e-3f;
    o.warmup   = 10;
    o.val_frac = 0;
    auto tr    = Trainer::create(c, o, *vocab, split_tokens(*ids, 0, vocab->bos), nullptr);
    ASSERT_TRUE(tr.ok()) << tr.error().message;
    double first = 0, last = 0;
    while (!tr->done()) {
        last = tr->train_step();
        if (tr->step() == 1) first = last;
    }
    EXPECT_GT(first, 5.0);
    EXPECT_LT(last, 0.05) << "the model should reproduce the paragraph after " << o.steps << " steps";
}

}  // namespace
}  // namespace ts::core::train
