// Conformance with llama.cpp: every case of each fixture vocabulary gives exactly the expected ids (no BOS), and
// decoding gives the input back. One row per vocabulary file of llama.cpp's models/ folder whose tokenizer we
// read; a row whose file is absent from the fixtures folder skips with its path.
#include <gtest/gtest.h>

#include "tests/core/tokenizer/fixtures.hpp"

namespace ts::core {
namespace {

struct FixtureVocab {
    const char* test_name;  // gtest parameter name
    const char* file;
    TokenizerKind kind;
    size_t n_cases;  // cases in the .inp file, so a truncated copy fails instead of passing on fewer
};

constexpr FixtureVocab kFixtureVocabs[] = {
    {"LlamaSpm", "ggml-vocab-llama-spm.gguf", TokenizerKind::Llama, 46},
    {"Phi3", "ggml-vocab-phi-3.gguf", TokenizerKind::Llama, 46},
    {"Gpt2", "ggml-vocab-gpt-2.gguf", TokenizerKind::Gpt2, 46},
    {"LlamaBpe", "ggml-vocab-llama-bpe.gguf", TokenizerKind::Gpt2, 46},
    {"Qwen2", "ggml-vocab-qwen2.gguf", TokenizerKind::Gpt2, 46},
    {"Qwen35", "ggml-vocab-qwen35.gguf", TokenizerKind::Gpt2, 50},
    {"Gemma4", "ggml-vocab-gemma-4.gguf", TokenizerKind::Gemma4, 46},
    {"CommandR", "ggml-vocab-command-r.gguf", TokenizerKind::Gpt2, 46},
    {"DeepseekCoder", "ggml-vocab-deepseek-coder.gguf", TokenizerKind::Gpt2, 46},
    {"DeepseekLlm", "ggml-vocab-deepseek-llm.gguf", TokenizerKind::Gpt2, 46},
    {"Falcon", "ggml-vocab-falcon.gguf", TokenizerKind::Gpt2, 46},
    {"Mpt", "ggml-vocab-mpt.gguf", TokenizerKind::Gpt2, 46},
    {"Refact", "ggml-vocab-refact.gguf", TokenizerKind::Gpt2, 46},
    {"Starcoder", "ggml-vocab-starcoder.gguf", TokenizerKind::Gpt2, 46},
};

class TokenizerFixtures : public ::testing::TestWithParam<FixtureVocab> {};

#define LOAD_OR_SKIP(tok, file)                                                                                 \
    if (!test::file_exists(test::fixture_path(file))) GTEST_SKIP() << test::fixture_path(file) << " is absent"; \
    std::string why_;                                                                                           \
    auto tok = test::load_fixture_vocab(file, why_);                                                            \
    ASSERT_TRUE(tok) << why_

TEST_P(TokenizerFixtures, MatchesLlamaCppIds) {
    const FixtureVocab& fv = GetParam();
    LOAD_OR_SKIP(tok, fv.file);
    EXPECT_EQ(tok->vocab().kind, fv.kind);
    EXPECT_TRUE(tok->warnings().empty()) << tok->warnings().front();
    const auto cases = test::read_fixture_cases(fv.file);
    ASSERT_EQ(cases.size(), fv.n_cases);
    int passed = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
        auto ids = tok->encode(cases[i].text, /*add_special=*/false, /*parse_special=*/false);
        ASSERT_TRUE(ids.ok()) << ids.error().message;
        EXPECT_EQ(*ids, cases[i].ids) << "case " << i << ": '" << cases[i].text << "'";
        passed += *ids == cases[i].ids;
    }
    std::printf("%s: %d of %zu cases pass\n", fv.file, passed, cases.size());
}

TEST_P(TokenizerFixtures, DecodeGivesInputBack) {
    const FixtureVocab& fv = GetParam();
    LOAD_OR_SKIP(tok, fv.file);
    for (const auto& c : test::read_fixture_cases(fv.file)) {
        auto ids = tok->encode(c.text, false, false);
        ASSERT_TRUE(ids.ok());
        EXPECT_EQ(tok->decode(*ids), c.text);
        auto with_bos = tok->encode(c.text, true, false);
        ASSERT_TRUE(with_bos.ok());
        EXPECT_EQ(tok->decode(*with_bos), c.text);
    }
}

INSTANTIATE_TEST_SUITE_P(Vocab, TokenizerFixtures, ::testing::ValuesIn(kFixtureVocabs),
                         [](const ::testing::TestParamInfo<FixtureVocab>& p) { return p.param.test_name; });

}  // namespace
}  // namespace ts::core
