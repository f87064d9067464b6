// The byte-level BPE trainer and encoder: layout of the vocabulary, round trips, compression, determinism.
#include "core/train/bpe.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/core/train/train_corpus.hpp"

namespace ts::core::train {
namespace {

const std::string kText = std::string(testing::kParagraph) + testing::kParagraph;

TEST(Bpe, VocabularyHasBytesThenMergesThenSpecial) {
    BpeOptions opt;
    opt.n_vocab = 300;
    auto v      = train_bpe(kText, opt);
    ASSERT_TRUE(v.ok()) << v.error().message;
    ASSERT_EQ(v->tokens.size(), 300u);
    EXPECT_EQ(v->merges.size(), 300u - 257u);
    EXPECT_EQ(v->tokens[' '], "Ġ");  // GPT-2's byte-to-unicode form
    EXPECT_EQ(v->tokens['\n'], "Ċ");
    EXPECT_EQ(v->tokens['A'], "A");
    EXPECT_EQ(v->tokens[299], "<|endoftext|>");
    EXPECT_EQ(v->types[299], TokenType::Control);
    EXPECT_EQ(v->bos, 299);
    EXPECT_EQ(v->eos, 299);
    EXPECT_EQ(v->pre, "gpt-2");
    // Each merge "a b" names two earlier tokens and makes the token at 256 + rank.
    for (size_t r = 0; r < v->merges.size(); ++r) {
        const std::string& m = v->merges[r];
        const size_t sp      = m.find(' ');
        ASSERT_NE(sp, std::string::npos);
        EXPECT_EQ(v->tokens[256 + r], m.substr(0, sp) + m.substr(sp + 1));
    }
    // The first merge is the most frequent pair of this text: "t h" (the, earth).
    EXPECT_EQ(v->merges[0], "t h");
}

TEST(Bpe, EncodingRoundTripsAndMergesShortenIt) {
    BpeOptions opt;
    opt.n_vocab = 320;
    auto v      = train_bpe(kText, opt);
    ASSERT_TRUE(v.ok()) << v.error().message;
    auto enc = BpeEncoder::create(*v);
    ASSERT_TRUE(enc.ok()) << enc.error().message;
    for (const std::string& s : {kText, std::string("Unseen words: zebra, 42 quokkas!\n\n  tabs\tand ünïcödé ✓"),
                                 std::string("\xff\xfe broken utf-8 \xc3")}) {
        auto ids = enc->encode(s);
        ASSERT_TRUE(ids.ok()) << ids.error().message;
        EXPECT_EQ(enc->decode(*ids), s);
    }
    auto ids = enc->encode(kText);
    ASSERT_TRUE(ids.ok());
    EXPECT_LT(ids->size() * 2, kText.size()) << "merges should cut the token count well below the byte count";
    // More merges never lengthen the training text.
    opt.n_vocab = 280;
    auto small  = BpeEncoder::create(*train_bpe(kText, opt));
    ASSERT_TRUE(small.ok());
    EXPECT_GT(small->encode(kText)->size(), ids->size());
}

TEST(Bpe, TrainingIsDeterministicAndStopsWhenPairsRunOut) {
    BpeOptions opt;
    opt.n_vocab = 100000;  // far more than this text can fill with pairs seen twice
    auto a      = train_bpe(kText, opt);
    auto b      = train_bpe(kText, opt);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->merges, b->merges);
    EXPECT_LT(a->tokens.size(), 1000u);
    EXPECT_EQ(a->tokens.size(), 256 + a->merges.size() + 1);
}

TEST(Bpe, RejectsTooSmallVocabularyAndUnknownPre) {
    BpeOptions opt;
    opt.n_vocab = 200;
    EXPECT_FALSE(train_bpe(kText, opt).ok());
    opt.n_vocab = 300;
    opt.pre     = "no-such-pre";
    auto r      = train_bpe(kText, opt);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("no-such-pre"), std::string::npos);
}

}  // namespace
}  // namespace ts::core::train
