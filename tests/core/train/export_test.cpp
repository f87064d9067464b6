// The written GGUF: reloads with the engine's load_model, its tokenizer encodes like the trainer's encoder, and the
// engine's forward gives the trainer's logits.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "core/gguf/gguf_reader.hpp"
#include "core/model/forward.hpp"
#include "core/model/model.hpp"
#include "core/train/bpe.hpp"
#include "core/train/export_gguf.hpp"
#include "tests/core/train/train_corpus.hpp"

namespace ts::core::train {
namespace {

struct Trained {
    TrainState st;
    std::vector<int32_t> ids;
};

Trained train_small(bool tied) {
    BpeOptions bo;
    bo.n_vocab             = 300;
    const std::string text = std::string(testing::kParagraph) + testing::kParagraph;
    Vocab vocab            = *train_bpe(text, bo);
    auto ids               = *BpeEncoder::create(vocab)->encode(text);
    ModelConfig c;
    c.n_vocab   = int(vocab.tokens.size());
    c.n_ctx     = 48;
    c.n_embd    = 32;
    c.n_layer   = 2;
    c.n_head    = 4;
    c.n_head_kv = 2;
    c.n_ff      = 64;
    c.tied      = tied;
    TrainOptions o;
    o.steps    = 20;
    o.batch    = 2;
    o.lr       = 3e-3f;
    o.val_frac = 0.1f;
    auto tr    = Trainer::create(c, o, vocab, split_tokens(ids, o.val_frac, vocab.bos), nullptr);
    while (!tr->done()) tr->train_step();
    tr->validation_loss();
    return Trained{tr->state(), ids};
}

std::string temp_path(const char* name) {
    return ::testing::TempDir() + "ts_train_" + std::to_string(::getpid()) + "_" + name;
}

TEST(ExportGguf, WritesLlamaKeysTokenizerAndRecord) {
    const Trained t        = train_small(true);
    const std::string path = temp_path("keys.gguf");
    TrainRecord rec;
    rec.corpus = "genesis.txt";
    ASSERT_TRUE(write_model_gguf(path, t.st, rec).ok());
    auto f = gguf::GgufFile::open(path);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->get_string("general.architecture"), "llama");
    EXPECT_EQ(f->get_u64("llama.embedding_length"), 32u);
    EXPECT_EQ(f->get_u64("llama.attention.head_count_kv"), 2u);
    EXPECT_EQ(f->get_u64("llama.rope.dimension_count"), 8u);
    EXPECT_EQ(f->get_string("tokenizer.ggml.model"), "gpt2");
    EXPECT_EQ(f->get_string("tokenizer.ggml.pre"), "gpt-2");
    EXPECT_EQ(f->get_u64("tokenizer.ggml.bos_token_id"), uint64_t(t.st.vocab.bos));
    EXPECT_EQ(f->get_string("tokenscope.train.corpus"), "genesis.txt");
    ASSERT_TRUE(f->get_f64("tokenscope.train.val_loss").has_value());
    EXPECT_NEAR(*f->get_f64("tokenscope.train.val_loss"), t.st.val_loss.back().second, 1e-6);
    EXPECT_EQ(f->find_tensor("output.weight"), nullptr);  // tied
    const Tensor* q = f->find_tensor("blk.1.attn_q.weight");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->type, DType::F32);
    EXPECT_EQ(q->ne[0], 32);
    EXPECT_EQ(q->ne[1], 32);
    EXPECT_EQ(f->find_tensor("token_embd.weight")->ne[1], int64_t(t.st.vocab.tokens.size()));
    std::remove(path.c_str());
}

void check_engine_matches(bool tied) {
    const Trained t        = train_small(tied);
    const std::string path = temp_path(tied ? "tied.gguf" : "untied.gguf");
    ASSERT_TRUE(write_model_gguf(path, t.st, TrainRecord{}).ok());
    auto model = load_model(path);
    ASSERT_TRUE(model.ok()) << model.error().message;
    const Model& m = **model;
    EXPECT_EQ(m.hp.n_layer, 2);
    EXPECT_EQ(m.hp.n_head_kv, 2);
    EXPECT_EQ(m.hp.rope_style, RopeStyle::Normal);
    EXPECT_EQ(m.hp.tied_output, tied);

    // The engine's tokenizer reads the vocabulary and encodes like the trainer's encoder.
    ASSERT_NE(m.tokenizer, nullptr);
    const std::string text = testing::kParagraph;
    auto engine_ids        = m.tokenizer->encode(text, false, false);
    ASSERT_TRUE(engine_ids.ok()) << engine_ids.error().message;
    EXPECT_EQ(*engine_ids, *BpeEncoder::create(t.st.vocab)->encode(text));

    // Logits of every position of BOS + 40 tokens, trainer vs engine.
    std::vector<int32_t> tokens = {t.st.vocab.bos};
    tokens.insert(tokens.end(), t.ids.begin(), t.ids.begin() + 40);
    const int n   = int(tokens.size());
    auto tm       = TrainModel::create(t.st.config);
    tm->weights() = t.st.w;
    Activations act;
    tm->forward(tokens.data(), 1, n, act, nullptr);

    Forward fwd(m, n);
    auto cache = fwd.make_cache(DType::F32);
    ASSERT_TRUE(cache.ok());
    ThreadPool pool(1);
    std::vector<float> logits(size_t(n) * size_t(m.hp.n_vocab));
    ASSERT_TRUE(fwd.eval(*cache, tokens.data(), n, 0, logits.data(), LogitRows::All, pool).ok());
    double max_diff = 0;
    for (size_t i = 0; i < logits.size(); ++i)
        max_diff = std::max(max_diff, double(std::fabs(logits[i] - act.logits[i])));
    EXPECT_LE(max_diff, 1e-4);

    // And one token at a time through the cache (the decode path).
    auto cache2 = fwd.make_cache(DType::F32);
    std::vector<float> row(size_t(m.hp.n_vocab));
    for (int p = 0; p < n; ++p) {
        ASSERT_TRUE(fwd.eval(*cache2, &tokens[size_t(p)], 1, p, row.data(), LogitRows::Last, pool).ok());
        for (size_t j = 0; j < row.size(); ++j)
            ASSERT_NEAR(row[j], act.logits[size_t(p) * row.size() + j], 1e-4) << "pos " << p << " token " << j;
    }
    std::remove(path.c_str());
}

TEST(ExportGguf, EngineForwardGivesTrainerLogitsTied) {
    check_engine_matches(true);
}
TEST(ExportGguf, EngineForwardGivesTrainerLogitsUntied) {
    check_engine_matches(false);
}

}  // namespace
}  // namespace ts::core::train
