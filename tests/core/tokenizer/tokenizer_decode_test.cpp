// Decoding and loading on small handmade vocabularies: token bytes, the UI's display form, the streaming decoder
// (never half a character), and the tokenizer.ggml.* keys of a GGUF file (defaults, llama-bpe's ignore_merges,
// errors and warnings).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/gguf/gguf_reader.hpp"
#include "core/gguf/gguf_writer.hpp"
#include "core/tokenizer/tokenizer.hpp"
#include "core/tokenizer/unicode.hpp"

namespace ts::core {
namespace {

using gguf::Value;

// llama: <unk> <s> </s>, byte pieces for 0x0A 0xC3 0xA9 0xFF, then "▁the" "▁" "t" "h" "e".
std::shared_ptr<const Tokenizer> small_llama() {
    Vocab v;
    v.kind   = TokenizerKind::Llama;
    v.tokens = {"<unk>",           "<s>",          "</s>", "<0x0A>", "<0xC3>", "<0xA9>", "<0xFF>",
                "\xE2\x96\x81the", "\xE2\x96\x81", "t",    "h",      "e",      "th",     "he"};
    v.scores = {0, 0, 0, 0, 0, 0, 0, -1, -2, -3, -3, -3, -2, -1.5f};
    v.types  = {TokenType::Unknown, TokenType::Control, TokenType::Control, TokenType::Byte,   TokenType::Byte,
                TokenType::Byte,    TokenType::Byte,    TokenType::Normal,  TokenType::Normal, TokenType::Normal,
                TokenType::Normal,  TokenType::Normal,  TokenType::Normal,  TokenType::Normal};
    v.bos = 1, v.eos = 2, v.unk = 0, v.add_bos = true;
    auto t = Tokenizer::from_vocab(v);
    EXPECT_TRUE(t.ok()) << t.error().message;
    return *t;
}

// gpt2 tokens: the 256 byte characters (id = byte), then merged tokens, then <|endoftext|>.
Vocab byte_level_vocab(const std::vector<std::pair<std::string, std::string>>& merges) {
    tok::ByteMap map;
    Vocab v;
    v.kind = TokenizerKind::Gpt2;
    for (int b = 0; b < 256; ++b) v.tokens.emplace_back(map.encode(uint8_t(b)));
    for (const auto& [l, r] : merges) {
        std::string ml, mr;
        for (char c : l) ml += map.encode(uint8_t(c));
        for (char c : r) mr += map.encode(uint8_t(c));
        v.merges.push_back(ml + " " + mr);
        v.tokens.push_back(ml + mr);
    }
    v.tokens.push_back("<|endoftext|>");
    v.types.assign(v.tokens.size(), TokenType::Normal);
    v.types.back() = TokenType::Control;
    v.eos = v.bos = int32_t(v.tokens.size() - 1);
    return v;
}

TEST(TokenizerDecode, TokenBytesAndDisplayForms) {
    auto t = small_llama();
    EXPECT_EQ(t->token_bytes(7), " the");
    EXPECT_EQ(t->display(7), "\xE2\x90\xA3the");  // ␣the
    EXPECT_EQ(t->token_bytes(3), "\n");
    EXPECT_EQ(t->display(3), "<0x0A>");
    EXPECT_EQ(t->token_bytes(1), "");
    EXPECT_EQ(t->token_bytes(1, /*render_special=*/true), "<s>");
    EXPECT_EQ(t->display(1), "<s>");
    EXPECT_EQ(t->token_bytes(-1), "");
    EXPECT_EQ(t->token_bytes(1000), "");
    EXPECT_TRUE(t->is_eog(2));
    EXPECT_FALSE(t->is_eog(7));

    auto g = Tokenizer::from_vocab(byte_level_vocab({{"\xE2", "\x86"}}));
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ((*g)->display('\n'), "\xE2\x86\xB5");  // ↵
    EXPECT_EQ((*g)->display(' '), "\xE2\x90\xA3");   // ␣
    EXPECT_EQ((*g)->display('\t'), "\xE2\x87\xA5");  // ⇥
    EXPECT_EQ((*g)->display(0x01), "<0x01>");
    EXPECT_EQ((*g)->display(256), "<0xE2><0x86>");  // half of "↵": bytes, not a broken character
    EXPECT_EQ((*g)->token_bytes(256), "\xE2\x86");
}

TEST(TokenizerDecode, DecodeRemovesOnlyTheAddedSpacePrefix) {
    auto t   = small_llama();
    auto ids = t->encode("the the", true, false);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, (std::vector<int32_t>{1, 8, 9, 13, 8, 9, 13}));  // "he" outscores "th"; no "▁t" piece
    EXPECT_EQ(t->decode(*ids), "the the");
    auto spaced = t->encode(" the", false, false);
    ASSERT_TRUE(spaced.ok());
    EXPECT_EQ(t->decode(*spaced), " the");
}

TEST(TokenizerDecode, LlamaMergesHighestScoreFirst) {
    // "▁the": pairs "th" (-2) and "he" (-1.5); "he" wins although "th" is further left, and "▁t" is no piece.
    auto t   = small_llama();
    auto ids = t->encode("the", false, false);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, (std::vector<int32_t>{8, 9, 13}));  // ▁ t he
}

TEST(TokenizerDecode, StreamDecoderNeverEmitsHalfACharacter) {
    auto t = small_llama();
    StreamDecoder d(*t);
    EXPECT_EQ(d.push(7), " the");
    EXPECT_EQ(d.push(4), "");  // 0xC3: first byte of "é"
    EXPECT_EQ(d.push(5), "\xC3\xA9");
    EXPECT_EQ(d.push(6), "\xEF\xBF\xBD");  // 0xFF can never start a character
    EXPECT_EQ(d.push(4), "");
    EXPECT_EQ(d.push(3), "\xEF\xBF\xBD\n");  // 0xC3 then '\n': the lone 0xC3 is replaced
    EXPECT_EQ(d.push(4), "");
    EXPECT_EQ(d.flush(), "\xEF\xBF\xBD");
    EXPECT_EQ(d.flush(), "");
}

TEST(TokenizerDecode, Gpt2SpecialTextOnlyWithParseSpecial) {
    auto g = Tokenizer::from_vocab(byte_level_vocab({{"a", "b"}}));
    ASSERT_TRUE(g.ok());
    const int32_t eot = (*g)->n_vocab() - 1;
    auto parsed       = (*g)->encode("ab<|endoftext|>ab", false, true);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, (std::vector<int32_t>{256, eot, 256}));
    auto plain = (*g)->encode("ab<|endoftext|>", false, false);
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(std::count(plain->begin(), plain->end(), eot), 0);
    EXPECT_EQ((*g)->decode(*plain), "ab<|endoftext|>");
    EXPECT_EQ((*g)->find_token("<|endoftext|>"), eot);
}

// A vocabulary-only GGUF in memory, parsed back; the bytes live in `buf`.
Result<std::shared_ptr<const Tokenizer>> load_gguf(const gguf::GgufWriter& w, std::vector<uint8_t>& buf) {
    buf    = w.to_bytes();
    auto f = gguf::GgufFile::parse(buf.data(), buf.size(), "vocab.gguf");
    if (!f.ok()) return f.error();
    return Tokenizer::from_gguf(*f);
}

void add_byte_level(gguf::GgufWriter& w, const Vocab& v, const std::string& pre) {
    w.add("tokenizer.ggml.model", Value::make_string("gpt2"));
    w.add("tokenizer.ggml.pre", Value::make_string(pre));
    w.add("tokenizer.ggml.tokens", Value::make_string_array(v.tokens));
    w.add("tokenizer.ggml.merges", Value::make_string_array(v.merges));
    std::vector<int32_t> types;
    for (TokenType t : v.types) types.push_back(int32_t(t));
    w.add("tokenizer.ggml.token_type", Value::make_i32_array(types));
    w.add("tokenizer.ggml.bos_token_id", Value::make_u32(uint32_t(v.bos)));
    w.add("tokenizer.ggml.eos_token_id", Value::make_u32(uint32_t(v.eos)));
}

TEST(TokenizerGguf, LlamaBpeSkipsMergesForWholeWordsAndAddsBos) {
    // "abc" is a token but no merge builds it: llama-bpe takes the word whole, gpt-2 merges "ab" + "c".
    Vocab v = byte_level_vocab({{"a", "b"}});
    v.tokens.insert(v.tokens.end() - 1, "abc");
    v.types.insert(v.types.end() - 1, TokenType::Normal);
    v.eos = v.bos    = int32_t(v.tokens.size() - 1);
    const int32_t ab = 256, abc = 257;
    std::vector<uint8_t> buf1, buf2;
    gguf::GgufWriter w1, w2;
    add_byte_level(w1, v, "llama-bpe");
    add_byte_level(w2, v, "gpt-2");
    auto l3 = load_gguf(w1, buf1);
    auto g2 = load_gguf(w2, buf2);
    ASSERT_TRUE(l3.ok()) << l3.error().message;
    ASSERT_TRUE(g2.ok()) << g2.error().message;
    EXPECT_TRUE((*l3)->vocab().add_bos);
    EXPECT_FALSE((*g2)->vocab().add_bos);
    EXPECT_EQ(*(*l3)->encode("abc", true, false), (std::vector<int32_t>{v.bos, abc}));
    EXPECT_EQ(*(*g2)->encode("abc", true, false), (std::vector<int32_t>{ab, 'c'}));
}

TEST(TokenizerGguf, AddBosKeyOverridesTheDefault) {
    Vocab v = byte_level_vocab({{"a", "b"}});
    gguf::GgufWriter w;
    add_byte_level(w, v, "gpt-2");
    w.add("tokenizer.ggml.add_bos_token", Value::make_bool(true));
    std::vector<uint8_t> buf;
    auto t = load_gguf(w, buf);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(*(*t)->encode("ab", true, false), (std::vector<int32_t>{v.bos, 256}));
    EXPECT_EQ(*(*t)->encode("ab", false, false), (std::vector<int32_t>{256}));
}

TEST(TokenizerGguf, MissingOrUnsupportedTokenizerIsAnError) {
    std::vector<uint8_t> buf;
    gguf::GgufWriter none;
    none.add("general.architecture", Value::make_string("llama"));
    auto r = load_gguf(none, buf);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("tokenizer.ggml.model"), std::string::npos) << r.error().message;

    gguf::GgufWriter bert;
    bert.add("tokenizer.ggml.model", Value::make_string("bert"));
    bert.add("tokenizer.ggml.tokens", Value::make_string_array({"a"}));
    r = load_gguf(bert, buf);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Code::kUnsupported);

    gguf::GgufWriter no_merges;
    no_merges.add("tokenizer.ggml.model", Value::make_string("gpt2"));
    no_merges.add("tokenizer.ggml.tokens", Value::make_string_array({"a", "b"}));
    r = load_gguf(no_merges, buf);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("merges"), std::string::npos) << r.error().message;

    gguf::GgufWriter bad_tokens;
    bad_tokens.add("tokenizer.ggml.model", Value::make_string("llama"));
    bad_tokens.add("tokenizer.ggml.tokens", Value::make_u32(3));
    r = load_gguf(bad_tokens, buf);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("tokenizer.ggml.tokens"), std::string::npos) << r.error().message;

    gguf::GgufWriter short_scores;
    short_scores.add("tokenizer.ggml.model", Value::make_string("llama"));
    short_scores.add("tokenizer.ggml.tokens", Value::make_string_array({"<unk>", "<s>", "</s>"}));
    short_scores.add("tokenizer.ggml.scores", Value::make_f32_array({0.0f}));
    r = load_gguf(short_scores, buf);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("scores"), std::string::npos) << r.error().message;
}

TEST(TokenizerGguf, OutOfRangeSpecialIdIsAWarning) {
    Vocab v = byte_level_vocab({{"a", "b"}});
    gguf::GgufWriter w;
    add_byte_level(w, v, "qwen2");
    w.add("tokenizer.ggml.padding_token_id", Value::make_u32(999999));
    std::vector<uint8_t> buf;
    auto t = load_gguf(w, buf);
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ((*t)->vocab().pad, -1);
    ASSERT_FALSE((*t)->warnings().empty());
    EXPECT_NE((*t)->warnings()[0].find("padding_token_id"), std::string::npos);
}

}  // namespace
}  // namespace ts::core
