// Held-out evaluation with the engine: the n-gram baselines on hand-counted cases, the cross-entropy, and the
// engine's loss on the trainer's split and windows equal to the trainer's own validation loss.
#include "core/train/evaluate.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "core/model/model.hpp"
#include "core/train/bpe.hpp"
#include "core/train/export_gguf.hpp"
#include "core/train/ngram_baseline.hpp"
#include "core/train/trainer.hpp"
#include "tests/core/train/train_corpus.hpp"

namespace ts::core::train {
namespace {

TEST(NgramBaseline, UnigramIsAddOne) {
    // ids 0 1 0 1 0 2: c = {3, 2, 1}, N = 6, V = 3 -> p(w) = (c + 1) / 9
    const NgramBaseline b = NgramBaseline::count({0, 1, 0, 1, 0, 2}, 3);
    EXPECT_NEAR(b.unigram_nats(0), -std::log(4.0 / 9.0), 1e-12);
    EXPECT_NEAR(b.unigram_nats(2), -std::log(2.0 / 9.0), 1e-12);
}

TEST(NgramBaseline, BigramIsWittenBellOverTheUnigram) {
    // After 0: followed by 1, 1, 2 -> c(0) = 3, D(0) = 2, c(0,1) = 2.
    const NgramBaseline b = NgramBaseline::count({0, 1, 0, 1, 0, 2}, 3);
    EXPECT_NEAR(b.bigram_nats(0, 1), -std::log((2.0 + 2.0 * 3.0 / 9.0) / 5.0), 1e-12);
    EXPECT_NEAR(b.bigram_nats(0, 0), -std::log((0.0 + 2.0 * 4.0 / 9.0) / 5.0), 1e-12);
    // 2 is never followed by anything: the unigram.
    EXPECT_NEAR(b.bigram_nats(2, 1), b.unigram_nats(1), 1e-12);
}

TEST(NgramBaseline, EachContextSumsToOne) {
    const NgramBaseline b = NgramBaseline::count({0, 1, 0, 1, 0, 2, 3, 3, 1}, 5);
    for (int32_t u = 0; u < 5; ++u) {
        double sum = 0;
        for (int32_t w = 0; w < 5; ++w) sum += std::exp(-b.bigram_nats(u, w));
        EXPECT_NEAR(sum, 1.0, 1e-12) << "context " << u;
    }
}

TEST(Evaluate, CrossEntropyOfUniformLogitsIsLogV) {
    std::vector<float> logits(2 * 8, 0.5f);
    const int32_t targets[] = {3, 7};
    EXPECT_NEAR(mean_cross_entropy(logits.data(), targets, 2, 8), std::log(8.0), 1e-9);
    logits[1]            = 1000.0f;  // large logits stay finite: row 0 puts all its mass on id 1
    const int32_t sure[] = {1, 0};
    EXPECT_NEAR(mean_cross_entropy(logits.data(), sure, 2, 8), std::log(8.0) / 2, 1e-6);
}

// A tiny model trained on four copies of the paragraph, written as GGUF and loaded by the engine.
struct Tiny {
    std::string text, path;
    double trainer_val = 0;
    TrainOptions opt;
    std::shared_ptr<const Model> model;
};

Tiny make_tiny() {
    Tiny t;
    for (int i = 0; i < 4; ++i) t.text += testing::kParagraph;
    BpeOptions bo;
    bo.n_vocab  = 300;
    Vocab vocab = *train_bpe(t.text, bo);
    auto ids    = *BpeEncoder::create(vocab)->encode(t.text);
    ModelConfig c;
    c.n_vocab          = int(vocab.tokens.size());
    c.n_ctx            = 16;
    c.n_embd           = 32;
    c.n_layer          = 2;
    c.n_head           = 4;
    c.n_head_kv        = 2;
    c.n_ff             = 64;
    t.opt.steps        = 12;
    t.opt.batch        = 2;
    t.opt.lr           = 3e-3f;
    t.opt.val_frac     = 0.3f;
    t.opt.eval_windows = 3;
    auto tr            = Trainer::create(c, t.opt, vocab, split_tokens(ids, t.opt.val_frac, vocab.bos), nullptr);
    EXPECT_TRUE(tr.ok()) << tr.error().message;
    while (!tr->done()) tr->train_step();
    t.trainer_val = tr->validation_loss();
    t.path        = ::testing::TempDir() + "ts_eval_" + std::to_string(::getpid()) + ".gguf";
    EXPECT_TRUE(write_model_gguf(t.path, tr->state(), TrainRecord{}).ok());
    auto m = load_model(t.path);
    EXPECT_TRUE(m.ok()) << m.error().message;
    t.model = *m;
    std::remove(t.path.c_str());
    return t;
}

TEST(Evaluate, EngineLossOnTheTrainersWindowsEqualsTheTrainersValidationLoss) {
    const Tiny t = make_tiny();
    EvalOptions opt;
    opt.val_frac    = t.opt.val_frac;
    opt.max_windows = t.opt.eval_windows;
    ThreadPool pool(2);
    auto r = evaluate_model(*t.model, t.text, opt, pool);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->windows, t.opt.eval_windows);
    EXPECT_EQ(r->n_ctx, 16);
    EXPECT_EQ(r->eval_tokens, r->windows * 16);
    EXPECT_NEAR(r->model.nats_per_token, t.trainer_val, 1e-4);
}

TEST(Evaluate, SplitWindowsAndBitsPerByteAreConsistent) {
    const Tiny t = make_tiny();
    EvalOptions opt;
    opt.val_frac = t.opt.val_frac;  // every whole window
    ThreadPool pool(1);
    auto r = evaluate_model(*t.model, t.text, opt, pool);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->corpus_bytes, int64_t(t.text.size()));
    EXPECT_EQ(r->train_tokens + r->val_tokens, r->corpus_tokens);
    EXPECT_EQ(r->val_tokens, int64_t(std::floor(double(r->corpus_tokens) * double(t.opt.val_frac))));
    EXPECT_EQ(r->windows, r->val_tokens / 16);
    EXPECT_LE(r->eval_bytes, r->val_bytes);
    // bits/byte = nats/token * tokens / bytes / ln 2, for the model and each baseline
    for (const LossFigure& f : {r->model, r->unigram, r->bigram})
        EXPECT_NEAR(f.bits_per_byte, f.nats_per_token * double(r->eval_tokens) / double(r->eval_bytes) / std::log(2.0),
                    1e-9);
    // The baselines are proper distributions over the vocabulary, so no better than 0 and finite.
    EXPECT_GT(r->unigram.nats_per_token, 0.0);
    EXPECT_GT(r->bigram.nats_per_token, 0.0);
    EXPECT_TRUE(std::isfinite(r->bigram.nats_per_token));
}

TEST(Evaluate, EmptyHeldOutTailIsAnError) {
    const Tiny t = make_tiny();
    EvalOptions opt;
    opt.val_frac = 0.0f;
    ThreadPool pool(1);
    auto r = evaluate_model(*t.model, t.text, opt, pool);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("held-out tail is empty"), std::string::npos) << r.error().message;
}

TEST(Evaluate, WindowLongerThanTheContextIsAnError) {
    const Tiny t = make_tiny();
    EvalOptions opt;
    opt.val_frac = t.opt.val_frac;
    opt.n_ctx    = 17;
    ThreadPool pool(1);
    auto r = evaluate_model(*t.model, t.text, opt, pool);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("longer than the model's context of 16"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace ts::core::train
