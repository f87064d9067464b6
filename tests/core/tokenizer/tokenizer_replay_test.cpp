// Tokenizer::replay (the Tokens panel's replay): the steps end at the ids encode() gives, for every word of the
// default model's vocabulary and for texts around them; merges are applied in rank order (gpt2) or by score
// (llama); byte fallback is a step of its own.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/gguf/gguf_reader.hpp"
#include "core/tokenizer/tokenizer.hpp"

namespace ts::core {
namespace {

const std::string kModel = std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf";

std::shared_ptr<const Tokenizer> default_tokenizer() {
    auto f = gguf::GgufFile::open(kModel);
    EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message);
    if (!f.ok()) return nullptr;
    auto t = Tokenizer::from_gguf(*f);
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return t.ok() ? *t : nullptr;
}

// The steps of one word hold together: each merge joins two neighbours of the step before into the merged token.
void expect_consistent(const ReplayWord& w) {
    ASSERT_FALSE(w.steps.empty()) << w.text;
    for (size_t s = 1; s < w.steps.size(); ++s) {
        const ReplayStep& prev = w.steps[s - 1];
        const ReplayStep& st   = w.steps[s];
        if (st.kind != ReplayStep::Kind::Merge) continue;
        ASSERT_EQ(st.pieces.size() + 1, prev.pieces.size()) << w.text;
        ASSERT_GE(st.at, 0);
        const size_t at = size_t(st.at);
        EXPECT_EQ(st.pieces[at], prev.pieces[at] + prev.pieces[at + 1]) << w.text;
        EXPECT_EQ(st.ids[at], st.merged);
    }
    std::string all;
    for (const std::string& p : w.steps.front().pieces) all += p;
    EXPECT_EQ(all, w.text);
}

TEST(TokenizerReplay, EndsAtEncodesIdsForEveryWordOfTheDefaultVocabulary) {
    auto tok = default_tokenizer();
    ASSERT_TRUE(tok);
    int tried = 0, merged = 0;
    for (int32_t id = 0; id < tok->n_vocab(); ++id) {
        if (tok->token_type(id) == TokenType::Control) continue;
        const std::string word = tok->token_bytes(id);
        if (word.empty()) continue;
        for (const std::string& text : {word, word + word, "the" + word + " x"}) {
            auto enc = tok->encode(text, false, false);
            auto rep = tok->replay(text);
            ASSERT_TRUE(enc.ok() && rep.ok()) << text;
            ASSERT_EQ(rep->ids, *enc) << "'" << text << "'";
            std::vector<int32_t> joined;
            for (const ReplayWord& w : rep->words) {
                expect_consistent(w);
                joined.insert(joined.end(), w.ids.begin(), w.ids.end());
                for (const ReplayStep& st : w.steps) merged += st.kind == ReplayStep::Kind::Merge ? 1 : 0;
            }
            EXPECT_EQ(joined, *enc);
            ++tried;
        }
    }
    EXPECT_GT(tried, 1000);
    EXPECT_GT(merged, 1000);
}

TEST(TokenizerReplay, Gpt2MergesFollowRankOrderAndEndAtTheWordsToken) {
    auto tok = default_tokenizer();
    ASSERT_TRUE(tok);
    auto rep = tok->replay(" unto");
    ASSERT_TRUE(rep.ok());
    ASSERT_EQ(rep->words.size(), 1u);
    const ReplayWord& w = rep->words[0];
    EXPECT_EQ(w.steps.front().kind, ReplayStep::Kind::Start);
    EXPECT_EQ(w.steps.front().pieces.size(), 5u);  // one symbol per byte
    int last_rank = -1;
    for (const ReplayStep& st : w.steps) {
        if (st.kind != ReplayStep::Kind::Merge) continue;
        EXPECT_GE(st.rank, 0);
        EXPECT_GE(st.rank, last_rank) << "a merge is applied after every merge of a lower rank";
        last_rank = st.rank;
    }
    EXPECT_EQ(w.steps.back().ids, w.ids);
}

// llama: <unk> <s> </s>, the byte pieces of "€" (E2 82 AC), then "▁" "a" "b" "ab" "▁ab".
TEST(TokenizerReplay, ByteFallbackIsAStepOfItsOwn) {
    Vocab v;
    v.kind   = TokenizerKind::Llama;
    v.tokens = {"<unk>",
                "<s>",
                "</s>",
                "<0xE2>",
                "<0x82>",
                "<0xAC>",
                "\xE2\x96\x81",
                "a",
                "b",
                "ab",
                "\xE2\x96\x81"
                "ab"};
    v.scores = {0, 0, 0, 0, 0, 0, -5, -3, -3, -2, -1};
    v.types  = {TokenType::Unknown, TokenType::Control, TokenType::Control, TokenType::Byte,
                TokenType::Byte,    TokenType::Byte,    TokenType::Normal,  TokenType::Normal,
                TokenType::Normal,  TokenType::Normal,  TokenType::Normal};
    v.bos = 1, v.eos = 2, v.unk = 0;
    auto t = Tokenizer::from_vocab(v);
    ASSERT_TRUE(t.ok()) << t.error().message;
    const std::string text = "ab\xE2\x82\xAC";  // "ab€": € has no piece
    auto enc               = (*t)->encode(text, false, false);
    auto rep               = (*t)->replay(text);
    ASSERT_TRUE(enc.ok() && rep.ok());
    EXPECT_EQ(rep->ids, *enc);
    EXPECT_EQ(*enc, (std::vector<int32_t>{10, 3, 4, 5}));  // "▁ab", then the three bytes of €
    ASSERT_EQ(rep->words.size(), 1u);
    const ReplayWord& w = rep->words[0];
    expect_consistent(w);
    ASSERT_GE(w.steps.size(), 3u);
    EXPECT_EQ(w.steps.front().pieces.size(), 4u);  // ▁ a b €: one symbol per character
    EXPECT_EQ(w.steps.front().ids.back(), -1);     // € has no token
    EXPECT_EQ(w.steps.back().kind, ReplayStep::Kind::ByteFallback);
    EXPECT_EQ(w.steps.back().ids, *enc);
    // Merges by score: "ab" (-2) before "▁ab" (-1) can exist.
    EXPECT_EQ(w.steps[1].kind, ReplayStep::Kind::Merge);
    EXPECT_EQ(w.steps[1].merged, 9);
    EXPECT_FLOAT_EQ(w.steps[1].score, -2.0f);
}

TEST(TokenizerReplay, SpecialTokensAreWholeWords) {
    auto tok = default_tokenizer();
    ASSERT_TRUE(tok);
    const int32_t eos = tok->vocab().eos;
    if (eos < 0) GTEST_SKIP() << "no end-of-text token";
    const std::string text = "the" + tok->vocab().tokens[size_t(eos)] + "the";
    auto rep               = tok->replay(text, true);
    ASSERT_TRUE(rep.ok());
    EXPECT_EQ(rep->ids, *tok->encode(text, false, true));
    bool found = false;
    for (const ReplayWord& w : rep->words)
        found |= w.ids == std::vector<int32_t>{eos} && w.steps.front().kind == ReplayStep::Kind::Whole;
    EXPECT_TRUE(found);
}

}  // namespace
}  // namespace ts::core
