// Conformance with llama.cpp: every case of the fixture vocabularies gives exactly the expected ids (no BOS), and
// decoding gives the input back.
#include <gtest/gtest.h>

#include "tests/core/tokenizer/fixtures.hpp"

namespace ts::core {
namespace {

void check_fixture(const std::string& vocab_file, TokenizerKind kind) {
    std::string why;
    if (!test::file_exists(test::fixture_path(vocab_file)))
        GTEST_SKIP() << test::fixture_path(vocab_file) << " is absent";
    auto tok = test::load_fixture_vocab(vocab_file, why);
    ASSERT_TRUE(tok) << why;
    EXPECT_EQ(tok->vocab().kind, kind);
    const auto cases = test::read_fixture_cases(vocab_file);
    ASSERT_GE(cases.size(), 40u);
    int passed = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
        auto ids = tok->encode(cases[i].text, /*add_special=*/false, /*parse_special=*/false);
        ASSERT_TRUE(ids.ok()) << ids.error().message;
        EXPECT_EQ(*ids, cases[i].ids) << "case " << i << ": '" << cases[i].text << "'";
        passed += *ids == cases[i].ids;
    }
    std::printf("%s: %d of %zu cases pass\n", vocab_file.c_str(), passed, cases.size());
}

void check_round_trip(const std::string& vocab_file) {
    std::string why;
    if (!test::file_exists(test::fixture_path(vocab_file)))
        GTEST_SKIP() << test::fixture_path(vocab_file) << " is absent";
    auto tok = test::load_fixture_vocab(vocab_file, why);
    ASSERT_TRUE(tok) << why;
    for (const auto& c : test::read_fixture_cases(vocab_file)) {
        auto ids = tok->encode(c.text, false, false);
        ASSERT_TRUE(ids.ok());
        EXPECT_EQ(tok->decode(*ids), c.text);
        auto with_bos = tok->encode(c.text, true, false);
        ASSERT_TRUE(with_bos.ok());
        EXPECT_EQ(tok->decode(*with_bos), c.text);
    }
}

TEST(TokenizerFixtures, LlamaSpmMatchesLlamaCppIds) {
    check_fixture("ggml-vocab-llama-spm.gguf", TokenizerKind::Llama);
}
TEST(TokenizerFixtures, Gpt2MatchesLlamaCppIds) {
    check_fixture("ggml-vocab-gpt-2.gguf", TokenizerKind::Gpt2);
}
TEST(TokenizerFixtures, LlamaSpmDecodeGivesInputBack) {
    check_round_trip("ggml-vocab-llama-spm.gguf");
}
TEST(TokenizerFixtures, Gpt2DecodeGivesInputBack) {
    check_round_trip("ggml-vocab-gpt-2.gguf");
}

}  // namespace
}  // namespace ts::core
