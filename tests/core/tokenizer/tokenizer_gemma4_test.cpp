// The gemma4 tokenizer on a small handmade vocabulary (no fixture files needed): spaces spelled "▁" with no space
// prefix, merges applied by rank over UTF-8 characters, newline runs taken whole, <0xXX> byte fallback, and the
// tokenizer.ggml.* keys llama.cpp reads for it (BOS always, "<turn|>" as end of turn, gpt2 files with its pre).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/gguf/gguf_reader.hpp"
#include "core/gguf/gguf_writer.hpp"
#include "core/tokenizer/tokenizer.hpp"

namespace ts::core {
namespace {

using gguf::Value;

constexpr const char* kSp = "\xE2\x96\x81";  // ▁

// <pad> <eos> <bos> <unk> <|tool_call>, the 256 byte tokens, then the pieces below and <turn|>.
constexpr int32_t kBos = 2, kEos = 1, kToolCall = 4, kBytes = 5;
enum Piece : int32_t { kNl = kBytes + 256, kNlNl, kSpace, kA, kB, kEAcute, kSpA, kAB, kSpAB, kTurn };

Vocab gemma4_vocab(const std::vector<std::string>& merges) {
    Vocab v;
    v.kind   = TokenizerKind::Gemma4;
    v.pre    = "gemma4";
    v.tokens = {"<pad>", "<eos>", "<bos>", "<unk>", "<|tool_call>"};
    v.types  = {TokenType::Control, TokenType::Control, TokenType::Control, TokenType::Unknown, TokenType::UserDefined};
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        v.tokens.push_back(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">");
        v.types.push_back(TokenType::Byte);
    }
    for (std::string t :
         {std::string("\n"), std::string("\n\n"), std::string(kSp), std::string("a"), std::string("b"),
          std::string("\xC3\xA9"), kSp + std::string("a"), std::string("ab"), kSp + std::string("ab")}) {
        v.tokens.push_back(t);
        v.types.push_back(TokenType::Normal);
    }
    v.tokens.push_back("<turn|>");
    v.types.push_back(TokenType::Control);
    v.merges = merges;
    v.bos = kBos, v.eos = kEos, v.unk = 3;
    v.add_bos = true, v.add_space_prefix = false;
    return v;
}

const std::vector<std::string> kMerges = {kSp + std::string(" a"), "a b", kSp + std::string("a b")};

std::shared_ptr<const Tokenizer> make(const std::vector<std::string>& merges = kMerges) {
    auto t = Tokenizer::from_vocab(gemma4_vocab(merges));
    EXPECT_TRUE(t.ok()) << t.error().message;
    return t.ok() ? *t : nullptr;
}

std::vector<int32_t> encode(const Tokenizer& t, std::string_view text, bool add_special = false) {
    auto ids = t.encode(text, add_special, false);
    EXPECT_TRUE(ids.ok()) << ids.error().message;
    return ids.ok() ? *ids : std::vector<int32_t>{};
}

TEST(TokenizerGemma4, SpacesBecomeEscapesWithoutAPrefix) {
    auto t = make();
    ASSERT_TRUE(t);
    EXPECT_EQ(encode(*t, "a ab"), (std::vector<int32_t>{kA, kSpAB}));
    EXPECT_EQ(encode(*t, " a"), (std::vector<int32_t>{kSpA}));
    EXPECT_EQ(encode(*t, "a  b"), (std::vector<int32_t>{kA, kSpace, kSpace, kB}));
    EXPECT_EQ(t->decode(encode(*t, "a ab")), "a ab");
    EXPECT_EQ(t->decode(encode(*t, " a")), " a");  // no prefix was added, so none is removed
}

TEST(TokenizerGemma4, MergesApplyInRankOrder) {
    // "▁ a" ranked first: ▁a, then ▁a + b. "a b" ranked first: ▁ + ab, and no merge joins those two.
    auto by_space = make({kSp + std::string(" a"), "a b", kSp + std::string("a b")});
    auto by_ab    = make({"a b", kSp + std::string(" a"), kSp + std::string("a b")});
    ASSERT_TRUE(by_space && by_ab);
    EXPECT_EQ(encode(*by_space, " ab"), (std::vector<int32_t>{kSpAB}));
    EXPECT_EQ(encode(*by_ab, " ab"), (std::vector<int32_t>{kSpace, kAB}));
}

TEST(TokenizerGemma4, NewlineRunsAreTakenWholeWhenTheyAreTokens) {
    auto t = make();  // no merge joins newlines, yet "\n\n" is one token
    ASSERT_TRUE(t);
    EXPECT_EQ(encode(*t, "a\n\nb"), (std::vector<int32_t>{kA, kNlNl, kB}));
    EXPECT_EQ(encode(*t, "\n\n\n"), (std::vector<int32_t>{kNl, kNl, kNl}));  // not a token: merged, i.e. left as is
}

TEST(TokenizerGemma4, CharacterWithoutATokenFallsBackToByteTokens) {
    auto t = make();
    ASSERT_TRUE(t);
    EXPECT_EQ(encode(*t, "\xC3\xA9"), (std::vector<int32_t>{kEAcute}));                       // é is a piece
    EXPECT_EQ(encode(*t, "\xC3\xBC"), (std::vector<int32_t>{kBytes + 0xC3, kBytes + 0xBC}));  // ü is not
    EXPECT_EQ(t->decode(encode(*t, "a\xC3\xBC b")), "a\xC3\xBC b");
    EXPECT_EQ(t->display(kBytes + 0xC3), "<0xC3>");
    EXPECT_EQ(t->display(kSpAB),
              "\xE2\x90\xA3"
              "ab");  // ␣ab
}

TEST(TokenizerGemma4, UserDefinedTokensAreMatchedAndBosIsAdded) {
    auto t = make();
    ASSERT_TRUE(t);
    EXPECT_EQ(encode(*t, "a<|tool_call>b", /*add_special=*/true), (std::vector<int32_t>{kBos, kA, kToolCall, kB}));
    EXPECT_NE(encode(*t, "<turn|>"), std::vector<int32_t>{kTurn});  // control text stays text without parse_special
    EXPECT_EQ(*t->encode("<turn|>", false, /*parse_special=*/true), std::vector<int32_t>{kTurn});
}

// A vocabulary-only GGUF in memory with the keys a Gemma 4 conversion writes.
Result<std::shared_ptr<const Tokenizer>> load_gguf(const std::string& model, const std::string& pre, bool add_bos,
                                                   std::vector<uint8_t>& buf) {
    const Vocab v = gemma4_vocab(kMerges);
    gguf::GgufWriter w;
    w.add("tokenizer.ggml.model", Value::make_string(model));
    if (!pre.empty()) w.add("tokenizer.ggml.pre", Value::make_string(pre));
    w.add("tokenizer.ggml.tokens", Value::make_string_array(v.tokens));
    w.add("tokenizer.ggml.merges", Value::make_string_array(v.merges));
    std::vector<int32_t> types;
    for (TokenType t : v.types) types.push_back(int32_t(t));
    w.add("tokenizer.ggml.token_type", Value::make_i32_array(types));
    w.add("tokenizer.ggml.bos_token_id", Value::make_u32(uint32_t(kBos)));
    w.add("tokenizer.ggml.eos_token_id", Value::make_u32(uint32_t(kEos)));
    w.add("tokenizer.ggml.add_bos_token", Value::make_bool(add_bos));
    buf    = w.to_bytes();
    auto f = gguf::GgufFile::parse(buf.data(), buf.size(), "vocab.gguf");
    if (!f.ok()) return f.error();
    return Tokenizer::from_gguf(*f);
}

TEST(TokenizerGemma4, GgufModelGemma4LoadsWithBosAndEndOfTurn) {
    std::vector<uint8_t> buf;
    auto t = load_gguf("gemma4", "", /*add_bos=*/true, buf);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ((*t)->vocab().kind, TokenizerKind::Gemma4);
    EXPECT_TRUE((*t)->warnings().empty()) << (*t)->warnings().front();
    EXPECT_TRUE((*t)->vocab().add_bos);
    EXPECT_EQ((*t)->vocab().eot, kTurn);
    EXPECT_TRUE((*t)->is_eog(kTurn));
    EXPECT_EQ(*(*t)->encode("a ab", true, false), (std::vector<int32_t>{kBos, kA, kSpAB}));
}

TEST(TokenizerGemma4, BosIsAddedEvenWhenTheFileSaysNoWithAWarning) {
    std::vector<uint8_t> buf;
    auto t = load_gguf("gemma4", "", /*add_bos=*/false, buf);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_TRUE((*t)->vocab().add_bos);
    ASSERT_EQ((*t)->warnings().size(), 1u);
    EXPECT_NE((*t)->warnings()[0].find("add_bos_token"), std::string::npos) << (*t)->warnings()[0];
}

TEST(TokenizerGemma4, Gpt2FileWithGemma4PreIsReadAsGemma4) {
    for (const char* pre : {"gemma4", "granite-embed-multi-311m"}) {
        std::vector<uint8_t> buf;
        auto t = load_gguf("gpt2", pre, /*add_bos=*/true, buf);
        ASSERT_TRUE(t.ok()) << t.error().message;
        EXPECT_EQ((*t)->vocab().kind, TokenizerKind::Gemma4) << pre;
        EXPECT_EQ(*(*t)->encode("a ab", false, false), (std::vector<int32_t>{kA, kSpAB})) << pre;
    }
}

}  // namespace
}  // namespace ts::core
