// The pre-tokenizer table: every row compiles and cuts a sample sentence into pieces that rebuild it, and the
// rows differ where their models differ (digit grouping, contractions, newlines).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/tokenizer/pretokenize.hpp"
#include "core/tokenizer/tokenizer.hpp"

namespace ts::core {
namespace {

std::vector<std::string> split(std::string_view pre, std::string_view text) {
    const PretokenizerRow* row = find_pretokenizer(pre);
    EXPECT_NE(row, nullptr) << pre;
    if (!row) return {};
    auto p = Pretokenizer::compile(*row);
    EXPECT_TRUE(p.ok()) << p.error().message;
    auto pieces = p->split(text);
    EXPECT_TRUE(pieces.ok());
    return std::vector<std::string>(pieces->begin(), pieces->end());
}

constexpr std::string_view kSample =
    "Hello world! It's 12345 apples,\n\n  they're \xC3\xA9t\xC3\xA9 caf\xC3\xA9s \xE4\xBD\xA0\xE5\xA5\xBD 3.14";

TEST(Pretokenizer, EveryRowCompilesAndRebuildsTheSample) {
    ASSERT_GE(pretokenizer_rows().size(), 12u);
    for (const PretokenizerRow& row : pretokenizer_rows()) {
        auto p = Pretokenizer::compile(row);
        ASSERT_TRUE(p.ok()) << row.name << ": " << p.error().message;
        auto pieces = p->split(kSample);
        ASSERT_TRUE(pieces.ok()) << row.name;
        std::string joined;
        for (std::string_view s : *pieces) {
            EXPECT_FALSE(s.empty()) << row.name;
            joined += s;
        }
        EXPECT_EQ(joined, kSample) << row.name;
        // gemma4 cuts only at newlines: the sample's two lines and the newline run between them.
        EXPECT_GT(pieces->size(), row.name == "gemma4" ? 2u : 10u) << row.name << " hardly splits the sample";
    }
}

TEST(Pretokenizer, RequiredRowsExist) {
    for (const char* name : {"default", "gpt-2", "llama-bpe", "qwen2", "starcoder", "refact", "falcon", "mpt",
                             "gpt-neox", "deepseek-llm", "deepseek-coder", "smollm", "phi-2", "qwen35"})
        EXPECT_NE(find_pretokenizer(name), nullptr) << name;
    EXPECT_EQ(find_pretokenizer("llama3"), find_pretokenizer("llama-bpe"));
    EXPECT_EQ(find_pretokenizer("no-such-pre"), nullptr);
    EXPECT_TRUE(find_pretokenizer("llama-bpe")->ignore_merges);
    EXPECT_FALSE(find_pretokenizer("gpt-2")->ignore_merges);
}

TEST(Pretokenizer, Gpt2KeepsLeadingSpaceWithWordsAndNumbers) {
    EXPECT_EQ(split("gpt-2", "Hello world! It's 12345"),
              (std::vector<std::string>{"Hello", " world", "!", " It", "'s", " 12345"}));
    // A whitespace run leaves its last space to the next word.
    EXPECT_EQ(split("gpt-2", "a   b"), (std::vector<std::string>{"a", "  ", " b"}));
}

TEST(Pretokenizer, DigitGroupingDiffersByRow) {
    EXPECT_EQ(split("llama-bpe", "x 1234567"), (std::vector<std::string>{"x", " ", "123", "456", "7"}));
    EXPECT_EQ(split("qwen2", "x 1234"), (std::vector<std::string>{"x", " ", "1", "2", "3", "4"}));
    EXPECT_EQ(split("starcoder", "x 1234"), (std::vector<std::string>{"x", " ", "1", "2", "3", "4"}));
    EXPECT_EQ(split("deepseek-llm", "x 1234"), (std::vector<std::string>{"x", " ", "1234"}));
    EXPECT_EQ(split("falcon", "1234567"), (std::vector<std::string>{"123", "456", "7"}));
}

TEST(Pretokenizer, Llama3ContractionsAreCaseInsensitiveAndNewlinesStayTogether) {
    EXPECT_EQ(split("llama-bpe", "IT'S ok.\n\nNext"), (std::vector<std::string>{"IT", "'S", " ok", ".\n\n", "Next"}));
    EXPECT_EQ(split("gpt-2", "IT'S"), (std::vector<std::string>{"IT", "'", "S"}));
}

// e + U+0301 (combining acute), then Khmer "ស្វា": ស, coeng U+17D2 (Mn), វ, vowel sign aa U+17B6 (Mc).
constexpr std::string_view kMarks = "e\xCC\x81t\xC3\xA9 \xE1\x9E\x9F\xE1\x9F\x92\xE1\x9E\x9C\xE1\x9E\xB6";

TEST(Pretokenizer, Qwen2CutsWordsAtCombiningMarks) {
    EXPECT_EQ(split("qwen2", kMarks), (std::vector<std::string>{"e", "\xCC\x81t\xC3\xA9", " \xE1\x9E\x9F",
                                                                "\xE1\x9F\x92\xE1\x9E\x9C", "\xE1\x9E\xB6"}));
}

TEST(Pretokenizer, Qwen35KeepsCombiningMarksInTheWord) {
    EXPECT_EQ(split("qwen35", kMarks),
              (std::vector<std::string>{"e\xCC\x81t\xC3\xA9", " \xE1\x9E\x9F\xE1\x9F\x92\xE1\x9E\x9C\xE1\x9E\xB6"}));
    // A variation selector (U+FE0F, a mark) joins the symbol before it; the zero-width joiner (U+200D, a format
    // character) starts the next symbol run: "❤️‍🔥" -> "❤️", "‍🔥".
    EXPECT_EQ(split("qwen35", "\xE2\x9D\xA4\xEF\xB8\x8F\xE2\x80\x8D\xF0\x9F\x94\xA5"),
              (std::vector<std::string>{"\xE2\x9D\xA4\xEF\xB8\x8F", "\xE2\x80\x8D\xF0\x9F\x94\xA5"}));
}

// llama.cpp's whitespace, not PCRE2's: U+180E MONGOLIAN VOWEL SEPARATOR is a format character, so it joins the
// symbol run after the space instead of ending a space run.
TEST(Pretokenizer, MongolianVowelSeparatorIsNotASpace) {
    EXPECT_EQ(split("qwen2", "a \xE1\xA0\x8E b"), (std::vector<std::string>{"a", " \xE1\xA0\x8E", " b"}));
    EXPECT_EQ(split("gpt-2", "a \xE1\xA0\x8E b"), (std::vector<std::string>{"a", " \xE1\xA0\x8E", " b"}));
    // Spaces that are spaces in both still are: U+3000 ideographic space, U+0085 next line.
    EXPECT_EQ(split("qwen2", "a\xE3\x80\x80\xC2\x85 b"), (std::vector<std::string>{"a", "\xE3\x80\x80\xC2\x85", " b"}));
}

TEST(Pretokenizer, Gemma4CutsOnlyAtNewlines) {
    EXPECT_EQ(split("gemma4", "a b\n\n c\nd"), (std::vector<std::string>{"a b", "\n\n", " c", "\n", "d"}));
    EXPECT_TRUE(find_pretokenizer("gemma4")->whole_newline_runs);
    EXPECT_TRUE(find_pretokenizer("gemma4")->add_bos);
}

TEST(Pretokenizer, DeepseekCoderSplitsNewlinesAndCjk) {
    EXPECT_EQ(split("deepseek-coder", "ab\n\xE4\xBD\xA0\xE5\xA5\xBD"),
              (std::vector<std::string>{"ab", "\n", "\xE4\xBD\xA0\xE5\xA5\xBD"}));
}

TEST(Pretokenizer, InvalidUtf8IsKeptAsItsOwnPieces) {
    const std::string text = "ab\xFF\xFE cd\x80";
    std::string joined;
    for (const std::string& s : split("llama-bpe", text)) joined += s;
    EXPECT_EQ(joined, text);
}

TEST(Pretokenizer, UnknownPreGetsAWarningAndTheDefaultRow) {
    Vocab v;
    v.kind   = TokenizerKind::Gpt2;
    v.pre    = "no-such-pre";
    v.tokens = {"a", "b", "ab"};
    v.merges = {"a b"};
    auto tok = Tokenizer::from_vocab(v);
    ASSERT_TRUE(tok.ok()) << tok.error().message;
    ASSERT_EQ((*tok)->warnings().size(), 1u);
    EXPECT_NE((*tok)->warnings()[0].find("no-such-pre"), std::string::npos);
    auto ids = (*tok)->encode("ab", false, false);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, std::vector<int32_t>{2});
}

}  // namespace
}  // namespace ts::core
