// Hostile and large inputs: empty text, NUL bytes, invalid UTF-8, random strings, 10 MB texts. Every one gives ids
// (byte fallback) and, every vocabulary having every byte, decodes back to exactly the input.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/core/tokenizer/fixtures.hpp"

namespace ts::core {
namespace {

constexpr const char* kVocabs[] = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf", "ggml-vocab-gemma-4.gguf"};

#define LOAD_OR_SKIP(tok, file)                                                                                 \
    if (!test::file_exists(test::fixture_path(file))) GTEST_SKIP() << test::fixture_path(file) << " is absent"; \
    std::string why_;                                                                                           \
    auto tok = test::load_fixture_vocab(file, why_);                                                            \
    ASSERT_TRUE(tok) << why_

// In a loop over kVocabs: a vocabulary whose file is absent is left out (tokenizer_fixtures_test names it), so the
// others are still checked.
#define LOAD_OR_NEXT(tok, file)                                 \
    if (!test::file_exists(test::fixture_path(file))) continue; \
    std::string why_;                                           \
    auto tok = test::load_fixture_vocab(file, why_);            \
    ASSERT_TRUE(tok) << why_

void expect_round_trip(const Tokenizer& tok, const std::string& text, const char* what) {
    auto ids = tok.encode(text, false, false);
    ASSERT_TRUE(ids.ok()) << what << ": " << ids.error().message;
    for (int32_t id : *ids) ASSERT_TRUE(id >= 0 && id < tok.n_vocab()) << what;
    EXPECT_TRUE(tok.decode(*ids) == text) << what << " (" << text.size() << " bytes)";
}

std::string random_utf8(std::mt19937& rng, size_t n_chars) {
    static constexpr uint32_t kRanges[][2] = {{0x20, 0x7E},     {0x09, 0x0D},     {0xA0, 0x24F},
                                              {0x400, 0x4FF},   {0x4E00, 0x9FFF}, {0x1F300, 0x1FAFF},
                                              {0x0E00, 0x0E7F}, {0x30, 0x39},     {0x20, 0x20}};
    std::string s;
    for (size_t i = 0; i < n_chars; ++i) {
        const auto& r     = kRanges[rng() % std::size(kRanges)];
        const uint32_t cp = r[0] + rng() % (r[1] - r[0] + 1);
        if (cp < 0x80) {
            s += char(cp);
        } else if (cp < 0x800) {
            s += char(0xC0 | (cp >> 6)), s += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            s += char(0xE0 | (cp >> 12)), s += char(0x80 | ((cp >> 6) & 0x3F)), s += char(0x80 | (cp & 0x3F));
        } else {
            s += char(0xF0 | (cp >> 18)), s += char(0x80 | ((cp >> 12) & 0x3F));
            s += char(0x80 | ((cp >> 6) & 0x3F)), s += char(0x80 | (cp & 0x3F));
        }
    }
    return s;
}

TEST(TokenizerRobustness, EmptyTextGivesNothingOrBosAlone) {
    for (const char* file : kVocabs) {
        LOAD_OR_NEXT(tok, file);
        auto ids = tok->encode("", false, false);
        ASSERT_TRUE(ids.ok());
        EXPECT_TRUE(ids->empty()) << file;
        auto with_bos = tok->encode("", true, false);
        ASSERT_TRUE(with_bos.ok());
        if (tok->vocab().add_bos)
            EXPECT_EQ(*with_bos, std::vector<int32_t>{tok->vocab().bos}) << file;
        else
            EXPECT_TRUE(with_bos->empty()) << file;
    }
}

TEST(TokenizerRobustness, NulAndInvalidUtf8FallBackToBytes) {
    const std::string nasty = std::string("a\0b", 3) + "\xFF\xFE" + "\xC3(" + "\xE2\x82" + " end \x80\xBF" +
                              "\xED\xA0\x80" + "\xF4\x90\x80\x80" + "\xC0\xAF" + "\xF0\x9F\x98";
    for (const char* file : kVocabs) {
        LOAD_OR_NEXT(tok, file);
        expect_round_trip(*tok, nasty, file);
        expect_round_trip(*tok, std::string(1, '\0'), file);
        expect_round_trip(*tok, std::string(100, '\0'), file);
    }
}

TEST(TokenizerRobustness, RandomUtf8AndRandomBytesRoundTrip) {
    std::mt19937 rng(42);
    for (const char* file : kVocabs) {
        LOAD_OR_NEXT(tok, file);
        for (int i = 0; i < 200; ++i) expect_round_trip(*tok, random_utf8(rng, 1 + rng() % 60), file);
        for (int i = 0; i < 100; ++i) {
            std::string bytes(1 + rng() % 60, '\0');
            for (char& c : bytes) c = char(rng());
            expect_round_trip(*tok, bytes, file);
        }
    }
}

TEST(TokenizerRobustness, TenMegabytesOfTextEncode) {
    std::mt19937 rng(7);
    std::string words;
    while (words.size() < (10u << 20)) {
        words += random_utf8(rng, 1 + rng() % 12);
        words += rng() % 10 == 0 ? "\n" : " ";
    }
    std::string bytes(10u << 20, '\0');
    for (char& c : bytes) c = char(rng());
    // SentencePiece reads "▁" (U+2581) as a space; keep it out of the random bytes (see SpaceEscapeIsASpace).
    for (size_t p = 0; (p = bytes.find("\xE2\x96\x81", p)) != std::string::npos;) bytes[p] = 'x';
    for (const char* file : kVocabs) {
        LOAD_OR_NEXT(tok, file);
        expect_round_trip(*tok, words, file);
        expect_round_trip(*tok, bytes, file);
    }
}

TEST(TokenizerRobustness, SpaceEscapeIsASpaceForLlama) {
    // The one input a llama vocabulary cannot give back: SentencePiece's own space mark decodes as a space.
    LOAD_OR_SKIP(tok, "ggml-vocab-llama-spm.gguf");
    auto ids = tok->encode(
        "a\xE2\x96\x81"
        "b",
        false, false);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(tok->decode(*ids), "a b");
}

TEST(TokenizerRobustness, HugeWordWithoutCutsStaysBounded) {
    // One 3 MB "word" of a single letter: no position is safe to cut, so the encoder cuts every 1 MB.
    for (const char* file : kVocabs) {
        LOAD_OR_NEXT(tok, file);
        expect_round_trip(*tok, std::string(3u << 20, 'a'), file);
    }
}

}  // namespace
}  // namespace ts::core
