// The training loop: determinism for a seed (and across thread counts), checkpoint save -> resume equal to an
// uninterrupted run, the schedule, and the checkpoint reader's checks.
#include "core/train/trainer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/train/bpe.hpp"
#include "core/train/checkpoint.hpp"
#include "tests/core/train/train_corpus.hpp"

namespace ts::core::train {
namespace {

struct RunSetup {
    Vocab vocab;
    std::vector<int32_t> ids;
    ModelConfig cfg;
    TrainOptions opt;
};

RunSetup make_setup() {
    RunSetup s;
    BpeOptions bo;
    bo.n_vocab         = 300;
    s.vocab            = *train_bpe(std::string(testing::kParagraph) + testing::kParagraph, bo);
    s.ids              = *BpeEncoder::create(s.vocab)->encode(std::string(testing::kParagraph) + testing::kParagraph);
    s.cfg.n_vocab      = int(s.vocab.tokens.size());
    s.cfg.n_ctx        = 32;
    s.cfg.n_embd       = 32;
    s.cfg.n_layer      = 2;
    s.cfg.n_head       = 4;
    s.cfg.n_head_kv    = 2;
    s.cfg.n_ff         = 64;
    s.opt.steps        = 16;
    s.opt.batch        = 4;
    s.opt.lr           = 2e-3f;
    s.opt.val_frac     = 0.2f;
    s.opt.eval_windows = 4;
    return s;
}

std::vector<double> run_losses(const RunSetup& s, ThreadPool* pool, int64_t steps) {
    auto tr = Trainer::create(s.cfg, s.opt, s.vocab, split_tokens(s.ids, s.opt.val_frac, s.vocab.bos), pool);
    EXPECT_TRUE(tr.ok()) << tr.error().message;
    std::vector<double> losses;
    for (int64_t i = 0; i < steps; ++i) losses.push_back(tr->train_step());
    losses.push_back(tr->validation_loss());
    return losses;
}

TEST(Trainer, SameSeedGivesIdenticalLosses) {
    const RunSetup s = make_setup();
    const auto a     = run_losses(s, nullptr, 8);
    const auto b     = run_losses(s, nullptr, 8);
    EXPECT_EQ(a, b);
    EXPECT_LT(a[7], a[0]) << "the loss should fall";
    RunSetup other = s;
    other.opt.seed = 2;
    EXPECT_NE(run_losses(other, nullptr, 8), a);
}

TEST(Trainer, ThreadCountDoesNotChangeTheResult) {
    const RunSetup s = make_setup();
    ThreadPool pool(2);
    EXPECT_EQ(run_losses(s, nullptr, 6), run_losses(s, &pool, 6));
}

TEST(Trainer, ResumedCheckpointContinuesExactly) {
    const RunSetup s = make_setup();
    const auto data  = split_tokens(s.ids, s.opt.val_frac, s.vocab.bos);
    auto full        = Trainer::create(s.cfg, s.opt, s.vocab, data, nullptr);
    ASSERT_TRUE(full.ok());
    std::vector<double> want;
    while (!full->done()) want.push_back(full->train_step());

    auto first = Trainer::create(s.cfg, s.opt, s.vocab, data, nullptr);
    std::vector<double> got;
    for (int i = 0; i < 7; ++i) got.push_back(first->train_step());
    const std::vector<uint8_t> bytes = checkpoint_bytes(first->state());
    auto st                          = parse_checkpoint(bytes.data(), bytes.size(), "mem.ckpt");
    ASSERT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(st->step, 7);
    EXPECT_EQ(st->vocab.merges, s.vocab.merges);
    auto resumed = Trainer::resume(std::move(*st), data, nullptr);
    ASSERT_TRUE(resumed.ok()) << resumed.error().message;
    while (!resumed->done()) got.push_back(resumed->train_step());
    EXPECT_EQ(got, want);
    EXPECT_EQ(resumed->state().w, full->state().w);
    EXPECT_EQ(resumed->state().train_loss.size(), size_t(s.opt.steps));
}

TEST(Trainer, CheckpointReaderRejectsTruncatedAndForeignFiles) {
    const RunSetup s = make_setup();
    auto tr = Trainer::create(s.cfg, s.opt, s.vocab, split_tokens(s.ids, s.opt.val_frac, s.vocab.bos), nullptr);
    const std::vector<uint8_t> bytes = checkpoint_bytes(tr->state());
    for (size_t cut : {size_t(4), size_t(20), bytes.size() / 2, bytes.size() - 1}) {
        auto r = parse_checkpoint(bytes.data(), cut, "cut.ckpt");
        ASSERT_FALSE(r.ok()) << cut;
        EXPECT_NE(r.error().message.find("cut.ckpt"), std::string::npos) << r.error().message;
    }
    std::vector<uint8_t> foreign = bytes;
    foreign[0]                   = 'X';
    EXPECT_FALSE(parse_checkpoint(foreign.data(), foreign.size(), "x").ok());
}

TEST(Trainer, RefusesCorpusShorterThanContext) {
    RunSetup s  = make_setup();
    s.cfg.n_ctx = 4096;
    auto tr     = Trainer::create(s.cfg, s.opt, s.vocab, split_tokens(s.ids, 0.1f, s.vocab.bos), nullptr);
    ASSERT_FALSE(tr.ok());
    EXPECT_NE(tr.error().message.find("fewer than the context"), std::string::npos);
}

TEST(Schedule, WarmsUpLinearlyThenFollowsCosineToMinimum) {
    EXPECT_FLOAT_EQ(lr_at(0, 100, 10, 1.0f, 0.1f), 0.1f);
    EXPECT_FLOAT_EQ(lr_at(9, 100, 10, 1.0f, 0.1f), 1.0f);
    EXPECT_FLOAT_EQ(lr_at(10, 100, 10, 1.0f, 0.1f), 1.0f);
    EXPECT_NEAR(lr_at(99, 100, 10, 1.0f, 0.1f), 0.1f, 1e-6);
    EXPECT_NEAR(lr_at(55, 101, 10, 1.0f, 0.1f), 0.55f, 1e-6);  // halfway through the cosine
}

TEST(Optim, ClipScalesToMaxNorm) {
    std::vector<float> g = {3, 4};
    EXPECT_DOUBLE_EQ(clip_grad_norm(g, 1.0), 5.0);
    EXPECT_FLOAT_EQ(g[0], 0.6f);
    EXPECT_FLOAT_EQ(g[1], 0.8f);
}

}  // namespace
}  // namespace ts::core::train
