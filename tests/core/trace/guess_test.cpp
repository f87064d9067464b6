// Rating a "predict the next token" guess (core/trace/guess.hpp): rank by raw logit with ties by id, softmax at
// T = 1, the guess's text through the default model's tokenizer (first token, several tokens, the leading space).
#include "core/trace/guess.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/gguf/gguf_reader.hpp"

namespace ts::core {
namespace {

std::shared_ptr<const Tokenizer> default_tokenizer() {
    auto f = gguf::GgufFile::open(std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf");
    if (!f.ok()) return nullptr;
    auto t = Tokenizer::from_gguf(*f);
    return t.ok() ? *t : nullptr;
}

TEST(Guess, RankIsByRawLogitWithTiesByLowerIdAndPIsTheFullSoftmax) {
    const std::vector<float> logits = {1.0f, 3.0f, 2.0f, 3.0f, 0.0f};
    const sample::StageView none;
    GuessRating g = rate_guess_token(3, logits, none);
    EXPECT_EQ(g.rank, 2);  // id 1 has the same logit and a lower id
    double z = 0;
    for (float l : logits) z += std::exp(double(l));
    EXPECT_NEAR(g.p, std::exp(3.0) / z, 1e-6);
    EXPECT_EQ(rate_guess_token(1, logits, none).rank, 1);
    EXPECT_EQ(rate_guess_token(4, logits, none).rank, 5);
    EXPECT_EQ(rate_guess_token(9, logits, none).rank, -1);  // not a token
}

TEST(Guess, WithoutFullLogitsTheRecordedListGivesTheRank) {
    sample::StageView raw;
    raw.top       = {{7, 4.0f, 0.5f}, {2, 3.0f, 0.2f}, {5, 1.0f, 0.1f}};
    GuessRating g = rate_guess_token(2, {}, raw);
    EXPECT_EQ(g.rank, 2);
    EXPECT_FLOAT_EQ(g.p, 0.2f);
    EXPECT_EQ(rate_guess_token(3, {}, raw).rank, -1);  // below the listed candidates
}

TEST(Guess, TextIsTokenizedAndAWordIsTriedWithItsLeadingSpace) {
    auto tok = default_tokenizer();
    ASSERT_TRUE(tok);
    auto the = tok->encode(" the", false, false);
    ASSERT_TRUE(the.ok());
    ASSERT_EQ(the->size(), 1u) << "' the' is one token of the default vocabulary";
    std::vector<float> logits(size_t(tok->n_vocab()), 0.0f);
    logits[size_t(the->front())] = 5.0f;
    const int32_t other          = the->front() == 7 ? 8 : 7;
    logits[size_t(other)]        = 6.0f;
    const sample::StageView none;
    auto g = rate_guess_text(*tok, "the", logits, none);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(g->id, the->front());
    EXPECT_TRUE(g->spaced);
    EXPECT_EQ(g->n_tokens, 1);
    EXPECT_EQ(g->rank, 2);
    EXPECT_NEAR(g->p, sample::softmax_at(logits, the->front()), 1e-7);

    // A made-up word is several tokens: the first is rated, the count says so.
    auto many = rate_guess_text(*tok, " qzxqzvqj", logits, none);
    ASSERT_TRUE(many.ok());
    EXPECT_GT(many->n_tokens, 1);
    EXPECT_FALSE(many->spaced);
    EXPECT_EQ(many->id, tok->encode(" qzxqzvqj", false, false)->front());

    EXPECT_FALSE(rate_guess_text(*tok, "", logits, none).ok());
}

}  // namespace
}  // namespace ts::core
