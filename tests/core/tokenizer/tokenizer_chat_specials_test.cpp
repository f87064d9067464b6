// Chat special tokens (<|user|>, <|end|>, <|turn>, <|im_start|>, <|eot_id|> ...) with special parsing on, as a chat
// template's output is tokenised: every case of tests/data/tokenizer/X.gguf.chat.inp gives exactly llama.cpp's ids
// (X.gguf.chat.out, from its common_tokenize with add_special off, parse_special on; see the README there). The
// cases probe the whitespace around specials (Phi-3's specials drop the whitespace after them), partial and
// adjacent specials, and unknown-typed tokens. A vocabulary absent from both data folders skips with its path.
// The strip rules themselves are also checked on a small handmade vocabulary, so they are tested without any file.
#include <gtest/gtest.h>

#include "core/gguf/gguf_writer.hpp"
#include "tests/core/tokenizer/fixtures.hpp"

namespace ts::core {
namespace {

struct ChatVocab {
    const char* test_name;
    const char* file;
    size_t n_cases;  // cases in the .chat.inp file, so a truncated copy fails instead of passing on fewer
};

constexpr ChatVocab kChatVocabs[] = {
    {"Phi3", "ggml-vocab-phi-3.gguf", 44},         {"Gemma4", "ggml-vocab-gemma-4.gguf", 30},
    {"Qwen35", "ggml-vocab-qwen35.gguf", 23},      {"Qwen2", "ggml-vocab-qwen2.gguf", 16},
    {"LlamaBpe", "ggml-vocab-llama-bpe.gguf", 17}, {"LlamaSpm", "ggml-vocab-llama-spm.gguf", 19},
    {"Gpt2", "ggml-vocab-gpt-2.gguf", 15},
};

class TokenizerChatSpecials : public ::testing::TestWithParam<ChatVocab> {};

TEST_P(TokenizerChatSpecials, MatchesLlamaCppIdsWithSpecialParsing) {
    const ChatVocab& cv = GetParam();
    if (!test::file_exists(test::fixture_path(cv.file))) GTEST_SKIP() << test::fixture_path(cv.file) << " is absent";
    std::string why;
    auto tok = test::load_fixture_vocab(cv.file, why);
    ASSERT_TRUE(tok) << why;
    const std::string cases_file = std::string(cv.file) + ".chat";
    ASSERT_TRUE(test::file_exists(test::fixture_path(cases_file + ".inp"))) << test::fixture_path(cases_file + ".inp");
    const auto cases = test::read_fixture_cases(cases_file);
    ASSERT_EQ(cases.size(), cv.n_cases);
    int passed = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
        auto ids = tok->encode(cases[i].text, /*add_special=*/false, /*parse_special=*/true);
        ASSERT_TRUE(ids.ok()) << ids.error().message;
        EXPECT_EQ(*ids, cases[i].ids) << "case " << i << ": '" << cases[i].text << "'";
        passed += *ids == cases[i].ids;
    }
    std::printf("%s: %d of %zu chat cases pass\n", cv.file, passed, cases.size());
}

INSTANTIATE_TEST_SUITE_P(Vocab, TokenizerChatSpecials, ::testing::ValuesIn(kChatVocabs),
                         [](const ::testing::TestParamInfo<ChatVocab>& p) { return p.param.test_name; });

// A Phi-3-like llama vocabulary: <unk> <s> </s> (user-defined, as in Phi-3's file), <0x0A>, "▁", "x", "▁x",
// <|endoftext|> <|user|> <|end|>.
enum Id : int32_t { kUnk, kBos, kEosText, kNl, kSp, kX, kSpX, kEndOfText, kUser, kEnd };

Vocab phi3_like() {
    Vocab v;
    v.kind   = TokenizerKind::Llama;
    v.tokens = {"<unk>", "<s>",           "</s>",          "<0x0A>",   "\xE2\x96\x81",
                "x",     "\xE2\x96\x81x", "<|endoftext|>", "<|user|>", "<|end|>"};
    v.scores = {0, 0, 0, 0, -2, -2, -1, 0, 0, 0};
    v.types  = {TokenType::Unknown, TokenType::Control, TokenType::UserDefined, TokenType::Byte,    TokenType::Normal,
                TokenType::Normal,  TokenType::Normal,  TokenType::Control,     TokenType::Control, TokenType::Control};
    v.bos = kBos, v.eos = kEndOfText, v.unk = kUnk, v.add_bos = true;
    return v;
}

std::vector<int32_t> encode_special(const Tokenizer& t, std::string_view text) {
    auto ids = t.encode(text, false, /*parse_special=*/true);
    EXPECT_TRUE(ids.ok()) << ids.error().message;
    return ids.ok() ? *ids : std::vector<int32_t>{};
}

TEST(TokenizerStrip, LeftAndRightStripDropOnlyAsciiWhitespaceBesideTheToken) {
    Vocab v            = phi3_like();
    v.add_space_prefix = false;
    v.strip.assign(v.tokens.size(), kStripNone);
    v.strip[kUser] = kStripRight;
    v.strip[kEnd]  = kStripLeft;
    auto t         = Tokenizer::from_vocab(v);
    ASSERT_TRUE(t.ok()) << t.error().message;
    // " \n" before <|end|> goes, "\n x" after it stays; " \t\n\v\f\r" after <|user|> goes.
    EXPECT_EQ(encode_special(**t, " \n<|end|>\n x<|user|> \t\n\v\f\rx"),
              (std::vector<int32_t>{kEnd, kNl, kSpX, kUser, kX}));
    EXPECT_EQ(encode_special(**t, "<|user|>   "), std::vector<int32_t>{kUser});  // nothing left after it
    EXPECT_EQ(encode_special(**t, "<|user|><|end|>"), (std::vector<int32_t>{kUser, kEnd}));
    // Without special parsing the control tokens are text, so nothing is stripped.
    EXPECT_EQ((*t)->encode("<|user|> x", false, false)->size(), 9u);
}

TEST(TokenizerStrip, AStripListOfTheWrongLengthIsRefused) {
    Vocab v = phi3_like();
    v.strip.assign(3, kStripRight);
    auto t = Tokenizer::from_vocab(v);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error().message.find("strip"), std::string::npos) << t.error().message;
}

// The vocabulary above as a GGUF file with the given general.name (none when empty).
Result<std::shared_ptr<const Tokenizer>> load_named(const std::string& name, std::vector<uint8_t>& buf) {
    const Vocab v = phi3_like();
    gguf::GgufWriter w;
    if (!name.empty()) w.add("general.name", gguf::Value::make_string(name));
    w.add("tokenizer.ggml.model", gguf::Value::make_string("llama"));
    w.add("tokenizer.ggml.tokens", gguf::Value::make_string_array(v.tokens));
    w.add("tokenizer.ggml.scores", gguf::Value::make_f32_array(v.scores));
    std::vector<int32_t> types;
    for (TokenType t : v.types) types.push_back(int32_t(t));
    w.add("tokenizer.ggml.token_type", gguf::Value::make_i32_array(types));
    buf    = w.to_bytes();
    auto f = gguf::GgufFile::parse(buf.data(), buf.size(), "vocab.gguf");
    if (!f.ok()) return f.error();
    return Tokenizer::from_gguf(*f);
}

TEST(TokenizerStrip, Phi3FilesStripAfterEverySpecialButUnkBosAndEndOfText) {
    for (const char* name : {"Phi3", "Phi-3-mini-4k-instruct", "my PHI3 finetune"}) {
        std::vector<uint8_t> buf;
        auto t = load_named(name, buf);
        ASSERT_TRUE(t.ok()) << t.error().message;
        const std::vector<uint8_t>& strip = (*t)->vocab().strip;
        ASSERT_EQ(strip.size(), size_t(kEnd + 1)) << name;
        for (int32_t id : {kUser, kEnd, kEosText}) EXPECT_EQ(strip[size_t(id)], kStripRight) << name << " " << id;
        for (int32_t id : {kUnk, kBos, kEndOfText, kNl, kSp, kX, kSpX})
            EXPECT_EQ(strip[size_t(id)], kStripNone) << name << " " << id;
        // The chat template's newlines after <|user|> and <|end|> are dropped; the text after a special still gets
        // the space prefix. </s> is user-defined: matched, and stripping, even without special parsing.
        EXPECT_EQ(encode_special(**t, "<|user|>\nx<|end|>\n"), (std::vector<int32_t>{kUser, kSpX, kEnd}));
        EXPECT_EQ(encode_special(**t, "<|endoftext|>\nx"), (std::vector<int32_t>{kEndOfText, kSp, kNl, kX}));
        EXPECT_EQ(*(*t)->encode("x</s> x", false, false), (std::vector<int32_t>{kSpX, kEosText, kSpX}));
    }
}

TEST(TokenizerStrip, OtherFilesStripNothing) {
    for (const char* name : {"", "Llama", "Phi 3.5 mini instruct"}) {  // llama.cpp matches "phi-3" and "phi3" only
        std::vector<uint8_t> buf;
        auto t = load_named(name, buf);
        ASSERT_TRUE(t.ok()) << t.error().message;
        EXPECT_TRUE((*t)->vocab().strip.empty()) << name;
        EXPECT_EQ(encode_special(**t, "<|user|>\nx"), (std::vector<int32_t>{kUser, kSp, kNl, kX})) << name;
    }
}

// A Gemma-3-like SentencePiece vocabulary (tokenizer.ggml.model llama, add_space_prefix false, <start_of_turn> and
// <end_of_turn> control tokens, <mask> user-defined): no fixture file of llama.cpp has one, so the expected ids below
// are llama.cpp's for the same vocabulary written with its gguf-py (common_tokenize, add_special off).
gguf::GgufWriter gemma3_like() {
    const std::string sp            = "\xE2\x96\x81";
    std::vector<std::string> tokens = {"<pad>",  "<eos>",           "<bos>",        "<unk>",
                                       "<mask>", "<start_of_turn>", "<end_of_turn>"};
    std::vector<int32_t> types      = {3, 3, 3, 2, 4, 3, 3};
    std::vector<float> scores(tokens.size(), 0.0f);
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        tokens.push_back(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">");
        types.push_back(6);
        scores.push_back(0.0f);
    }
    const std::vector<std::string> pieces = {"\n",     "\n\n", sp,        "u",   "s",         "e",     "r",  "m",
                                             "o",      "d",    "l",       "H",   "i",         "t",     "h",  "er",
                                             "us",     "user", "mo",      "de",  "mod",       "model", "Hi", sp + "Hi",
                                             sp + "t", "th",   sp + "th", "ere", sp + "there"};
    for (size_t i = 0; i < pieces.size(); ++i) {
        tokens.push_back(pieces[i]);
        types.push_back(1);
        const bool merged = pieces[i].size() > 1 && pieces[i] != "\n\n" && pieces[i] != sp;
        scores.push_back(merged ? -float(pieces.size() - i) : -100.0f - float(i));
    }
    gguf::GgufWriter w;
    w.add("general.name", gguf::Value::make_string("gemma3-like"));
    w.add("tokenizer.ggml.model", gguf::Value::make_string("llama"));
    w.add("tokenizer.ggml.tokens", gguf::Value::make_string_array(tokens));
    w.add("tokenizer.ggml.scores", gguf::Value::make_f32_array(scores));
    w.add("tokenizer.ggml.token_type", gguf::Value::make_i32_array(types));
    w.add("tokenizer.ggml.bos_token_id", gguf::Value::make_u32(2));
    w.add("tokenizer.ggml.eos_token_id", gguf::Value::make_u32(1));
    w.add("tokenizer.ggml.unknown_token_id", gguf::Value::make_u32(3));
    w.add("tokenizer.ggml.padding_token_id", gguf::Value::make_u32(0));
    w.add("tokenizer.ggml.add_bos_token", gguf::Value::make_bool(true));
    w.add("tokenizer.ggml.add_space_prefix", gguf::Value::make_bool(false));
    return w;
}

TEST(TokenizerGemmaChat, StartAndEndOfTurnAsLlamaCpp) {
    const std::vector<uint8_t> buf = gemma3_like().to_bytes();
    auto f                         = gguf::GgufFile::parse(buf.data(), buf.size(), "gemma3-like.gguf");
    ASSERT_TRUE(f.ok()) << f.error().message;
    auto tok = Tokenizer::from_gguf(*f);
    ASSERT_TRUE(tok.ok()) << tok.error().message;
    const Tokenizer& t = **tok;
    EXPECT_TRUE(t.warnings().empty()) << t.warnings().front();
    EXPECT_EQ(t.vocab().eot, 6);  // <end_of_turn>
    struct Case {
        const char* text;
        std::vector<int32_t> ids;
    };
    const std::vector<int32_t> start_of_turn_as_text = {67,  267, 276, 104, 269, 276, 102,
                                                        271, 109, 102, 276, 266, 269, 117};
    const Case special[]                             = {
                                    {"<start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\n",
                                     {5, 280, 263, 285, 291, 6, 263, 5, 281, 282, 273, 263}},
                                    {"<bos><start_of_turn>user\nHi<end_of_turn>\n", {2, 5, 280, 263, 285, 6, 263}},
                                    {" <start_of_turn> user ", {265, 5, 265, 280, 265}},
                                    {"Hi<end_of_turn>\n\n", {285, 6, 264}},
                                    {"x<mask>y", {127, 4, 128}},
                                    {"<start_of_turn", start_of_turn_as_text},
                                    {" Hi there", {286, 291}},
                                    {"\n\nHi", {264, 285}},
    };
    for (const Case& c : special) EXPECT_EQ(encode_special(t, c.text), c.ids) << c.text;
    // Without special parsing a control token is text, byte by byte; the user-defined <mask> is still matched.
    std::vector<int32_t> plain = {265};
    plain.insert(plain.end(), start_of_turn_as_text.begin(), start_of_turn_as_text.end());
    plain.insert(plain.end(), {69, 265, 280, 265});
    EXPECT_EQ(*t.encode(" <start_of_turn> user ", false, false), plain);
    EXPECT_EQ(*t.encode("x<mask>y", false, false), (std::vector<int32_t>{127, 4, 128}));
    EXPECT_EQ(*t.encode("Hi", /*add_special=*/true, true), (std::vector<int32_t>{2, 285}));
}

}  // namespace
}  // namespace ts::core
