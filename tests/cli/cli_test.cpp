// The `tokenscope` executable end to end on a tiny random model written by the test: run (greedy determinism, JSON
// lines, seeds, the context limit), info, bench, and bad input answered with exit code 1 or 2 and an `error:` line,
// never a signal. The trace verbs' tests are in cli_trace_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/gguf/gguf_writer.hpp"
#include "tests/cli/cli_harness.hpp"

namespace ts::cli_test {
namespace {

class Cli : public CliModelTest {};

TEST_F(Cli, RunGreedyWithPromptIdsIsDeterministic) {
    const std::vector<std::string> args{"run", "-m",     model(), "--prompt-ids", "1,5,7", "-n",
                                        "8",   "--temp", "0",     "--json",       "-t",    "1"};
    const Outcome a = run(args), b = run(args);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(ids_of(a).size(), 8u);
    EXPECT_EQ(ids_of(a), ids_of(b));
}

TEST_F(Cli, RunGreedyDoesNotDependOnThreads) {
    auto ids = [&](const char* t) {
        return ids_of(run({"run", "-m", model(), "--prompt-ids", "3,4", "-n", "6", "--temp", "0", "--json", "-t", t}));
    };
    EXPECT_EQ(ids("1"), ids("2"));
}

TEST_F(Cli, RunJsonLinesHaveTheDocumentedKeys) {
    const Outcome r = run({"run", "-m", model(), "--prompt-ids", "1,2", "-n", "4", "--json", "--seed", "3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 5u);
    for (size_t i = 0; i < 4; ++i) {
        const Json j = parse_json(lines[i]);
        for (const char* k : {"pos", "id", "text", "logit", "p_model", "p_sampler", "top"})
            EXPECT_TRUE(j.has(k)) << k << " in " << lines[i];
        EXPECT_FALSE(j.has("p")) << "renamed: p_model or p_sampler";
        EXPECT_EQ(int(j.at("pos").num), int(2 + i));
        ASSERT_EQ(j.at("top").arr.size(), 5u);  // the default --n-probs
        for (const Json& t : j.at("top").arr)
            for (const char* k : {"id", "text", "logit", "p_model", "p_sampler"}) EXPECT_TRUE(t.has(k)) << k;
    }
    const Json s = parse_json(lines.back());
    ASSERT_TRUE(s.has("summary"));
    for (const char* k : {"prompt_tokens", "generated", "prefill_tok_s", "decode_tok_s"})
        EXPECT_TRUE(s.at("summary").has(k)) << k;
    EXPECT_EQ(int(s.at("summary").at("prompt_tokens").num), 2);
    EXPECT_EQ(int(s.at("summary").at("generated").num), 4);
}

// --n-probs sets how many alternatives a token lists; p_model is the softmax at T = 1 (the same number for the token
// and for its own entry in top), p_sampler the final distribution's (top-k 3 keeps three: the rest are 0).
TEST_F(Cli, RunNProbsListsThatManyAlternativesWithBothProbabilities) {
    const Outcome r =
        run({"run", "-m",      model(), "--prompt-ids", "1,2", "-n",     "3",   "--json", "--n-probs", "12", "--top-k",
             "3",   "--top-p", "1",     "--min-p",      "0",   "--temp", "0.8", "--seed", "4"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 4u);
    for (size_t i = 0; i < 3; ++i) {
        const Json j    = parse_json(lines[i]);
        const auto& top = j.at("top").arr;
        ASSERT_EQ(top.size(), 12u) << lines[i];
        double sum_model = 0, sum_sampler = 0;
        bool listed = false;
        for (size_t c = 0; c < top.size(); ++c) {
            const double pm = top[c].at("p_model").num, ps = top[c].at("p_sampler").num;
            if (c > 0) {
                EXPECT_LE(pm, top[c - 1].at("p_model").num);  // best first
            }
            if (c >= 3) {
                EXPECT_EQ(ps, 0.0) << "removed by top-k 3";
            }
            sum_model += pm;
            sum_sampler += ps;
            if (int(top[c].at("id").num) == int(j.at("id").num)) {
                listed = true;
                EXPECT_EQ(top[c].at("p_model").num, j.at("p_model").num);
                EXPECT_EQ(top[c].at("p_sampler").num, j.at("p_sampler").num);
            }
        }
        EXPECT_TRUE(listed) << "top-k 3 draws one of the three best";
        EXPECT_LE(sum_model, 1.0 + 1e-5);
        EXPECT_NEAR(sum_sampler, 1.0, 1e-5);
        EXPECT_GT(j.at("p_sampler").num, j.at("p_model").num * 0.999) << "truncation only raises a kept token's p";
    }
    const Outcome none = run({"run", "-m", model(), "--prompt-ids", "1,2", "-n", "2", "--json", "--n-probs", "0"});
    ASSERT_EQ(none.exit_code, 0) << none.err;
    EXPECT_TRUE(parse_json(lines_of(none.out)[0]).at("top").arr.empty());
    for (const char* bad : {"-1", "1001", "many"}) {
        const Outcome b = run({"run", "-m", model(), "--prompt-ids", "1", "-n", "1", "--json", "--n-probs", bad});
        EXPECT_NE(b.exit_code, 0) << bad;
        EXPECT_NE(b.err.find("--n-probs"), std::string::npos) << b.err;
    }
}

TEST_F(Cli, RunSeedsReproduce) {
    auto ids = [&](const char* seed) {
        return ids_of(run({"run", "-m", model(), "--prompt-ids", "9", "-n", "16", "--json", "--temp", "1.5", "--top-k",
                           "0", "--top-p", "1", "--min-p", "0", "--seed", seed}));
    };
    EXPECT_EQ(ids("5"), ids("5"));
    EXPECT_NE(ids("5"), ids("6"));
}

TEST_F(Cli, RunStopsWhenTheContextIsFull) {
    const Outcome r = run({"run", "-m", model(), "--prompt-ids", "1,2,3", "-n", "50", "-c", "8", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_LE(ids_of(r).size(), 6u);
    EXPECT_NE(r.err.find("full"), std::string::npos) << r.err;
}

TEST_F(Cli, RunFromBosAloneWithEmptyPrompt) {
    const Outcome r = run({"run", "-m", model(), "-p", "", "-n", "3", "--temp", "0", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(int(parse_json(lines.back()).at("summary").at("prompt_tokens").num), 1);
}

TEST_F(Cli, RunTextModePrintsSomething) {
    const Outcome r = run({"run", "-m", model(), "-p", "", "-n", "3", "--temp", "0"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(r.out.empty());
}

#ifdef TS_HAS_BUILTIN_MODEL
// The executable carries the default model: from a folder without assets/ it still opens it, byte for byte the
// file in the source tree (the same greedy tokens).
TEST_F(Cli, TheBuiltInDefaultModelOpensFromAnyFolder) {
    const fs::path empty = fs::temp_directory_path() / ("ts_cli_nowhere_" + std::to_string(getpid()));
    fs::create_directories(empty);
    const Outcome info = run_tokenscope({"info"}, empty.string());
    ASSERT_EQ(info.exit_code, 0) << info.err;
    EXPECT_NE(info.out.find("builtin:default.gguf"), std::string::npos) << info.out;
    EXPECT_NE(info.out.find(std::to_string(fs::file_size(std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf")) +
                            " bytes"),
              std::string::npos)
        << info.out;
    const std::vector<std::string> gen{"-p", "And God said", "-n", "12", "--temp", "0", "--json"};
    std::vector<std::string> builtin{"run"},
        on_disk{"run", "-m", std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf"};
    builtin.insert(builtin.end(), gen.begin(), gen.end());
    on_disk.insert(on_disk.end(), gen.begin(), gen.end());
    const Outcome a = run_tokenscope(builtin, empty.string()), b = run_tokenscope(on_disk, empty.string());
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(ids_of(a).size(), 12u);
    EXPECT_EQ(ids_of(a), ids_of(b));
    fs::remove_all(empty);
}
#endif

// ts_mkmodel's qwen2 files (NeoX RoPE, Q/K/V biases): they load, describe themselves and generate
// deterministically. (Against llama.cpp, through ../shared/tools/ref_llama.mjs, 4-layer ones matched 32/32 greedy
// tokens in F32 and Q4_K.)
TEST_F(Cli, RandomQwen2ModelsLoadAndRun) {
    ts::tools::RandomModelSpec s;
    s.arch  = "qwen2";
    s.n_ctx = 64;
    s.seed  = 12;
    s.type  = core::DType::F32;
    const std::string path =
        (fs::temp_directory_path() / ("ts_cli_qwen2_" + std::to_string(getpid()) + ".gguf")).string();
    ASSERT_TRUE(ts::tools::write_random_model(s, path).ok());
    const Outcome info = run({"info", "-m", path});
    ASSERT_EQ(info.exit_code, 0) << info.err;
    EXPECT_NE(info.out.find("architecture   qwen2"), std::string::npos) << info.out;
    const std::vector<std::string> args{"run", "-m", path, "--prompt-ids", "1,5,7", "-n", "6", "--temp", "0", "--json"};
    const Outcome a = run(args), b = run(args);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(ids_of(a).size(), 6u);
    EXPECT_EQ(ids_of(a), ids_of(b));
    s.arch = "gpt-j";
    EXPECT_FALSE(ts::tools::write_random_model(s, path).ok());
    fs::remove(path);
}

// Llama 3.2's frequency factors (factor 32, low 1, high 4, original context 8192) for head size 64, base 500000:
// pairs 0-14 keep their speed, 18-31 are 32 times slower, 15-17 blend (values from the formula, computed by hand).
TEST(RandomModel, Llama3RopeFactorsFollowTheLlama3Formula) {
    const std::vector<float> f = ts::tools::llama3_rope_factors(64, 500000.0f);
    ASSERT_EQ(f.size(), 32u);
    for (int i = 0; i <= 14; ++i) EXPECT_EQ(f[size_t(i)], 1.0f) << i;
    EXPECT_NEAR(f[15], 1.65133, 1e-4);
    EXPECT_NEAR(f[16], 3.29226, 1e-4);
    EXPECT_NEAR(f[17], 9.66673, 1e-4);
    for (int i = 18; i < 32; ++i) EXPECT_EQ(f[size_t(i)], 32.0f) << i;
}

// ts_mkmodel --arch llama3: a llama file with rope_freqs.weight, which `info` describes and `run` uses. (Against
// llama.cpp, through the lead's ref_llama.mjs runner, a 4-layer F32 one matched 32/32 greedy tokens after a 200-token
// prompt, top logits within 4e-6; without the factors the greedy tokens part at the 12th.)
TEST_F(Cli, RandomLlama3ModelsCarryTheirRopeFactors) {
    ts::tools::RandomModelSpec s;
    s.llama3_rope = true;
    s.rope_base   = 500000.0f;
    s.n_ctx       = 64;
    s.type        = core::DType::F32;
    const std::string path =
        (fs::temp_directory_path() / ("ts_cli_llama3_" + std::to_string(getpid()) + ".gguf")).string();
    ASSERT_TRUE(ts::tools::write_random_model(s, path).ok());
    const Outcome info = run({"info", "-m", path});
    ASSERT_EQ(info.exit_code, 0) << info.err;
    EXPECT_NE(info.out.find("frequency factors (rope_freqs.weight): 8 pairs divided by 1 to 32"), std::string::npos)
        << info.out;
    const Outcome a = run({"run", "-m", path, "--prompt-ids", "1,5,7,9", "-n", "4", "--temp", "0", "--json"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(ids_of(a).size(), 4u);
    s.arch = "qwen2";  // the factors are a llama tensor
    EXPECT_FALSE(ts::tools::write_random_model(s, path).ok());
    fs::remove(path);
}

TEST_F(Cli, InfoShowsTheShape) {
    const Outcome r = run({"info", "-m", model()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* s : {"gguf v3", "llama", "n_layer          2", "n_embd           64", "n_head_kv        2",
                          "n_vocab          300", "q8_0", "f32", "parameters"})
        EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
}

// A vocabulary-only Gemma 4 file (tokenizer.ggml.model gemma4, no tensors): <pad> <eos> <bos> <unk>, the 256
// <0xXX> byte tokens, then "a" "▁" "▁a" and the one merge "▁ a". tokenize adds BOS, spells the space "▁" and falls
// back to byte tokens for a character the vocabulary lacks.
TEST_F(Cli, TokenizeReadsAVocabularyOnlyGemma4File) {
    using core::gguf::Value;
    std::vector<std::string> tokens{"<pad>", "<eos>", "<bos>", "<unk>"};
    std::vector<int32_t> types{3, 3, 3, 2};
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        tokens.push_back(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">");
        types.push_back(6);
    }
    for (const char* t : {"a", "\xE2\x96\x81",
                          "\xE2\x96\x81"
                          "a"}) {
        tokens.push_back(t);
        types.push_back(1);
    }
    core::gguf::GgufWriter w;
    w.add("general.architecture", Value::make_string("gemma4"));
    w.add("tokenizer.ggml.model", Value::make_string("gemma4"));
    w.add("tokenizer.ggml.tokens", Value::make_string_array(tokens));
    w.add("tokenizer.ggml.token_type", Value::make_i32_array(types));
    w.add("tokenizer.ggml.merges", Value::make_string_array({"\xE2\x96\x81 a"}));
    w.add("tokenizer.ggml.bos_token_id", Value::make_u32(2));
    w.add("tokenizer.ggml.eos_token_id", Value::make_u32(1));
    const std::string path =
        (fs::temp_directory_path() / ("ts_cli_gemma4_" + std::to_string(getpid()) + ".gguf")).string();
    ASSERT_TRUE(w.write(path).ok());
    const Outcome ids = run({"tokenize", "-m", path, "-p", "a a\xC3\xBC", "--ids"});
    ASSERT_EQ(ids.exit_code, 0) << ids.err;
    EXPECT_EQ(ids.out, "2 260 262 " + std::to_string(4 + 0xC3) + " " + std::to_string(4 + 0xBC) + "\n");
    const Outcome table = run({"tokenize", "-m", path, "-p", "a a"});
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_NE(table.out.find("\xE2\x90\xA3"
                             "a"),
              std::string::npos)
        << table.out;  // ␣a
    fs::remove(path);
}

TEST_F(Cli, BenchJsonHasTheDocumentedKeys) {
    const Outcome r = run({"bench", "-m", model(), "-p", "8", "-n", "4", "-t", "1", "--json", "--membw", "0"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 1u);
    const Json j = parse_json(lines[0]);
    for (const char* k : {"model", "threads", "trace", "prompt_tokens", "prefill_tok_s", "generated", "decode_tok_s"})
        EXPECT_TRUE(j.has(k)) << k;
    EXPECT_EQ(j.at("trace").str, "off");
    EXPECT_EQ(int(j.at("prompt_tokens").num), 8);
    EXPECT_EQ(int(j.at("generated").num), 4);
}

TEST_F(Cli, BenchTableWithoutJson) {
    const Outcome r = run({"bench", "-m", model(), "-p", "4", "-n", "2", "-t", "1", "--trace", "on", "--membw", "0"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("prefill"), std::string::npos);
    EXPECT_NE(r.out.find("decode"), std::string::npos);
}

// --membw measures the read bandwidth (a small buffer here) and relates decode to it; 0 skips the measurement.
TEST_F(Cli, BenchRelatesDecodeToTheMeasuredBandwidth) {
    const Outcome j = run({"bench", "-m", model(), "-p", "4", "-n", "4", "-t", "1", "--json", "--membw", "64"});
    ASSERT_EQ(j.exit_code, 0) << j.err;
    const Json o = parse_json(lines_of(j.out).at(0));
    EXPECT_GT(o.at("weight_bytes_per_token").num, 0);
    EXPECT_EQ(o.at("weight_bytes_per_token").num, std::floor(o.at("weight_bytes_per_token").num));  // whole bytes
    EXPECT_GT(o.at("read_bandwidth_gb_s").num, 0);
    EXPECT_GT(o.at("decode_bandwidth_fraction").num, 0);
    EXPECT_FALSE(o.at("simd").str.empty());
    const Outcome skip = run({"bench", "-m", model(), "-p", "4", "-n", "2", "-t", "1", "--json", "--membw", "0"});
    ASSERT_EQ(skip.exit_code, 0) << skip.err;
    EXPECT_EQ(parse_json(lines_of(skip.out).at(0)).at("read_bandwidth_gb_s").num, 0);
    const Outcome table = run({"bench", "-m", model(), "-p", "4", "-n", "2", "-t", "1", "--membw", "64"});
    ASSERT_EQ(table.exit_code, 0) << table.err;
    EXPECT_NE(table.out.find("% of the memory bandwidth"), std::string::npos) << table.out;
}

TEST_F(Cli, MissingFileIsAnError) {
    for (const char* verb : {"run", "info", "bench"}) {
        std::vector<std::string> args{verb, "-m", (dir_ / "missing.gguf").string()};
        if (std::string(verb) == "run") args.insert(args.end(), {"--prompt-ids", "1"});
        const Outcome r = run(args);
        expect_error(r, 1);
        EXPECT_NE(r.err.find("missing.gguf"), std::string::npos) << r.err;
    }
}

TEST_F(Cli, TruncatedFileIsAnError) {
    expect_error(run({"info", "-m", truncated()}), 1);
    expect_error(run({"run", "-m", truncated(), "--prompt-ids", "1"}), 1);
    expect_error(run({"bench", "-m", truncated()}), 1);
}

TEST_F(Cli, AbsurdValuesAreUsageErrors) {
    const std::vector<std::vector<std::string>> cases{{"-n", "-1"},
                                                      {"--top-p", "3"},
                                                      {"-t", "0"},
                                                      {"-t", "10000"},
                                                      {"--temp", "abc"},
                                                      {"-n", "12x"},
                                                      {"--min-p", "-1"},
                                                      {"--top-k", "-5"},
                                                      {"-c", "100000"},
                                                      {"-c", "0"},
                                                      {"--temp", "nan"},
                                                      {"--repeat-penalty", "0"},
                                                      {"--prompt-ids", "1,x"},
                                                      {"--prompt-ids", "100000"},
                                                      {"-n"}};
    for (const auto& c : cases) {
        std::vector<std::string> args{"run", "-m", model()};
        if (c[0] != "--prompt-ids") args.insert(args.end(), {"--prompt-ids", "1"});
        args.insert(args.end(), c.begin(), c.end());
        const Outcome r = run(args);
        expect_error(r, 2);
        EXPECT_NE(r.err.find("usage:"), std::string::npos) << c[0];
    }
}

TEST_F(Cli, UnknownFlagIsAUsageError) {
    for (const char* verb : {"run", "info", "bench"}) {
        const Outcome r = run({verb, "-m", model(), "--bogus"});
        expect_error(r, 2);
        EXPECT_NE(r.err.find("--bogus"), std::string::npos);
        EXPECT_NE(r.err.find("usage: tokenscope"), std::string::npos);
    }
}

TEST_F(Cli, PromptLongerThanTheContextIsAnError) {
    expect_error(run({"run", "-m", model(), "--prompt-ids", "1,2,3,4,5", "-c", "4"}), 1);
}

TEST_F(Cli, RunNeedsExactlyOnePrompt) {
    expect_error(run({"run", "-m", model()}), 2);
    expect_error(run({"run", "-m", model(), "-p", "a", "--prompt-ids", "1"}), 2);
}

TEST_F(Cli, HelpListsTheFlags) {
    for (const char* verb : {"run", "info", "bench"}) {
        const Outcome r = run({verb, "--help"});
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_NE(r.out.find("-m, --model"), std::string::npos) << verb;
    }
    const Outcome r = run({"run", "--help"});
    for (const char* f : {"--temp", "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--seed", "--json", "--trace",
                          "--trace-budget", "--prompt-ids", "-c, --ctx-size", "-t, --threads"})
        EXPECT_NE(r.out.find(f), std::string::npos) << f;
}

}  // namespace
}  // namespace ts::cli_test
