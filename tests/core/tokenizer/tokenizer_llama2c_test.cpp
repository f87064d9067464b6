// The llama2.c tokenizer.bin path: a file written here (max_token_length, then per token f32 score, i32 length,
// bytes) goes through the same `llama` encoder as GGUF vocabularies.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/tokenizer/tokenizer.hpp"

namespace ts::core {
namespace {

struct Piece {
    std::string text;  // as llama2.c stores it: ' ' where SentencePiece has "▁"
    float score;
};

std::string write_tokenizer_bin(const std::string& name, const std::vector<Piece>& pieces, size_t truncate = 0) {
    std::string bytes;
    auto put        = [&](const void* p, size_t n) { bytes.append(static_cast<const char*>(p), n); };
    int32_t max_len = 0;
    for (const Piece& p : pieces) max_len = std::max(max_len, int32_t(p.text.size()));
    put(&max_len, 4);
    for (const Piece& p : pieces) {
        const auto len = int32_t(p.text.size());
        put(&p.score, 4);
        put(&len, 4);
        put(p.text.data(), p.text.size());
    }
    if (truncate) bytes.resize(bytes.size() - truncate);
    const std::string path = ::testing::TempDir() + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

// <unk>, <s>, </s>, 256 byte pieces (ids 3..258), then the pieces of "hello" with scores that force an order.
std::vector<Piece> small_vocab() {
    std::vector<Piece> v = {{"<unk>", 0}, {"\n<s>\n", 0}, {"\n</s>\n", 0}};
    for (int b = 0; b < 256; ++b) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        v.push_back({buf, 0});
    }
    for (Piece p : std::vector<Piece>{{" ", -1},
                                      {"h", -1},
                                      {"e", -1},
                                      {"l", -1},
                                      {"o", -1},
                                      {"he", -1},
                                      {"ll", -2},
                                      {"hell", -3},
                                      {"hello", -10},
                                      {" hello", -4},
                                      {"lo", -20}})
        v.push_back(p);
    return v;
}
constexpr int32_t kSpace = 259, kH = 260, kE = 261, kL = 262, kO = 263, kHello = 267, kSpaceHello = 268;

TEST(Llama2cTokenizer, MergesByScoreWithDummyPrefix) {
    const auto path = write_tokenizer_bin("merge.bin", small_vocab());
    auto tok        = Tokenizer::from_llama2c(path, int32_t(small_vocab().size()));
    ASSERT_TRUE(tok.ok()) << tok.error().message;
    EXPECT_EQ((*tok)->vocab().bos, 1);
    EXPECT_EQ((*tok)->vocab().eos, 2);
    auto ids = (*tok)->encode("hello", false, false);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, std::vector<int32_t>({kSpaceHello}));
    ids = (*tok)->encode("hello", true, false);
    EXPECT_EQ(*ids, std::vector<int32_t>({1, kSpaceHello}));
    ids = (*tok)->encode("hello hello", false, false);
    EXPECT_EQ(*ids, std::vector<int32_t>({kSpaceHello, kSpaceHello}));
    // "ho": no merge, two single-character pieces.
    ids = (*tok)->encode("ho", false, false);
    EXPECT_EQ(*ids, std::vector<int32_t>({kSpace, kH, kO}));
    (void)kE, (void)kL, (void)kHello;
}

TEST(Llama2cTokenizer, UnknownCharactersFallBackToBytes) {
    const auto path = write_tokenizer_bin("bytes.bin", small_vocab());
    auto tok        = Tokenizer::from_llama2c(path, 0);  // 0: read to the end of the file
    ASSERT_TRUE(tok.ok()) << tok.error().message;
    auto ids = (*tok)->encode("h\xC3\xA9\n", false, false);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, std::vector<int32_t>({kSpace, kH, 3 + 0xC3, 3 + 0xA9, 3 + '\n'}));
    EXPECT_EQ((*tok)->decode(*ids), "h\xC3\xA9\n");
    EXPECT_EQ((*tok)->token_bytes(3 + '\n'), "\n");
    EXPECT_EQ((*tok)->display(3 + 0xC3), "<0xC3>");
}

TEST(Llama2cTokenizer, SpecialTextBecomesControlIdOnlyWhenParsed) {
    const auto path = write_tokenizer_bin("special.bin", small_vocab());
    auto tok        = Tokenizer::from_llama2c(path, 0);
    ASSERT_TRUE(tok.ok());
    auto parsed = (*tok)->encode("<s>hello", false, true);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, std::vector<int32_t>({1, kSpaceHello}));
    auto plain = (*tok)->encode("<s>hello", false, false);
    ASSERT_TRUE(plain.ok());
    EXPECT_EQ(std::count(plain->begin(), plain->end(), 1), 0);
    EXPECT_EQ((*tok)->decode(*plain), "<s>hello");
}

TEST(Llama2cTokenizer, TruncatedFileIsAnErrorNamingTheToken) {
    const auto pieces = small_vocab();
    const auto path   = write_tokenizer_bin("short.bin", pieces, 3);
    auto tok          = Tokenizer::from_llama2c(path, int32_t(pieces.size()));
    ASSERT_FALSE(tok.ok());
    EXPECT_NE(tok.error().message.find("token 269"), std::string::npos) << tok.error().message;
    auto more = Tokenizer::from_llama2c(write_tokenizer_bin("ok.bin", pieces), int32_t(pieces.size()) + 1);
    EXPECT_FALSE(more.ok());
    EXPECT_FALSE(Tokenizer::from_llama2c(::testing::TempDir() + "does-not-exist.bin", 10).ok());
}

}  // namespace
}  // namespace ts::core
