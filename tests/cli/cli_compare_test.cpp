// `tokenscope compare` through the real binary: a file against itself (KL 0, 100 % agreement), a random file against
// its Q8_0 copy (the same values quantised: KL small and positive), A's greedy continuation with -n, and the errors
// (vocabularies of another size or other token texts, a missing -m2).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/cli/cli_harness.hpp"
#include "tools/random_model.hpp"

namespace ts::cli_test {
namespace {

namespace fs = std::filesystem;

const std::string kDefault = std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf";

class CliCompare : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = fs::temp_directory_path() / ("ts_cli_compare_" + std::to_string(getpid()));
        fs::create_directories(dir_);
        ts::tools::RandomModelSpec s;
        s.n_ctx = 64;
        s.seed  = 21;
        s.type  = core::DType::F32;
        ASSERT_TRUE(ts::tools::write_random_model(s, path("f32")).ok());
        s.type = core::DType::Q8_0;  // the same random values, quantised
        ASSERT_TRUE(ts::tools::write_random_model(s, path("q8_0")).ok());
        s.n_vocab = 4096;  // the default model's size, other token texts
        ASSERT_TRUE(ts::tools::write_random_model(s, path("v4096")).ok());
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }
    static std::string path(const std::string& name) { return (dir_ / (name + ".gguf")).string(); }

    // The per-position lines and the summary of --json output.
    struct Parsed {
        std::vector<Json> positions, tensors;
        Json summary;
    };
    static Parsed parse(const Outcome& r) {
        Parsed p;
        for (const std::string& line : lines_of(r.out)) {
            Json j;
            EXPECT_TRUE(JsonParser(line).parse(j)) << line;
            if (j.has("summary"))
                p.summary = j.at("summary");
            else if (j.has("tensor"))
                p.tensors.push_back(j);
            else
                p.positions.push_back(j);
        }
        return p;
    }

    static inline fs::path dir_;
};

TEST_F(CliCompare, AFileAgainstItselfHasKlZeroAndFullAgreement) {
    const Outcome r = run_tokenscope({"compare", "-m", kDefault, "-m2", kDefault, "-p", "And God said unto", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Parsed p = parse(r);
    ASSERT_EQ(p.positions.size(), 5u) << r.out;  // <|endoftext|> And ␣God ␣said ␣unto
    for (const Json& j : p.positions) {
        for (const char* k : {"pos", "kl", "top1_a", "top1_b", "agree"}) ASSERT_TRUE(j.has(k)) << k;
        EXPECT_EQ(j.at("kl").num, 0.0);
        EXPECT_EQ(j.at("top1_a").num, j.at("top1_b").num);
        EXPECT_TRUE(j.at("agree").b);
    }
    EXPECT_EQ(p.summary.at("mean_kl").num, 0.0);
    EXPECT_EQ(p.summary.at("agreement").num, 1.0);
    EXPECT_EQ(p.summary.at("first_part_layer").num, -1.0);
    ASSERT_EQ(p.summary.at("layer_cosine").arr.size(), 4u);
    for (const Json& c : p.summary.at("layer_cosine").arr) EXPECT_NEAR(c.num, 1.0, 1e-9);
    for (const Json& t : p.tensors) EXPECT_EQ(t.at("mean_abs_diff").num, 0.0) << t.at("tensor").str;
}

TEST_F(CliCompare, AgainstItsQ8CopyTheKlIsSmallAndPositive) {
    const Outcome r =
        run_tokenscope({"compare", "-m", path("f32"), "-m2", path("q8_0"), "--prompt-ids", "1,5,9,200,17", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Parsed p = parse(r);
    ASSERT_EQ(p.positions.size(), 5u);
    for (const Json& j : p.positions) EXPECT_GT(j.at("kl").num, 0.0);
    EXPECT_GT(p.summary.at("mean_kl").num, 0.0);
    EXPECT_LT(p.summary.at("mean_kl").num, 0.01);
    EXPECT_GE(p.summary.at("agreement").num, 0.6);
    int q8 = 0;
    for (const Json& t : p.tensors) {
        if (t.at("type_b").str != "q8_0") continue;
        ++q8;
        EXPECT_EQ(t.at("type_a").str, "f32");
        EXPECT_GT(t.at("mean_abs_diff").num, 0.0);
        EXPECT_LT(t.at("mean_abs_diff").num, 0.01 * t.at("mean_abs_a").num);
    }
    EXPECT_EQ(q8, 2 + 2 * 7);

    // The text form: the table and the summary line.
    const Outcome text = run_tokenscope({"compare", "-m", path("f32"), "-m2", path("q8_0"), "--prompt-ids", "1,5,9"});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("mean KL"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("residual stream cosine per layer"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("blk.1.ffn_down.weight"), std::string::npos) << text.out;
}

TEST_F(CliCompare, GeneratesWithAAndComparesThoseTokens) {
    const Outcome r = run_tokenscope({"compare", "-m", path("f32"), "-m2", path("q8_0"), "--prompt-ids", "1,5,9", "-n",
                                      "4", "--json", "--no-tensors"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Parsed p = parse(r);
    ASSERT_EQ(p.positions.size(), 7u);
    EXPECT_TRUE(p.tensors.empty());
    EXPECT_EQ(p.summary.at("generated").num, 4.0);
    for (size_t i = 3; i < 7; ++i) {
        EXPECT_TRUE(p.positions[i].at("generated").b);
        EXPECT_EQ(p.positions[i].at("token").num, p.positions[i - 1].at("top1_a").num);  // A's greedy choice
    }
}

TEST_F(CliCompare, VocabulariesThatDifferAreErrors) {
    Outcome r = run_tokenscope({"compare", "-m", kDefault, "-m2", path("f32"), "-p", "In"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("error: the vocabularies differ", 0), 0u) << r.err;  // 4096 tokens against 300
    r = run_tokenscope({"compare", "-m", kDefault, "-m2", path("v4096"), "-p", "In"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("error: the vocabularies differ: token", 0), 0u) << r.err;  // same size, other texts
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
}

TEST_F(CliCompare, BadUsage) {
    EXPECT_EQ(run_tokenscope({"compare", "-m", kDefault, "-p", "In"}).exit_code, 2);  // no -m2
    EXPECT_EQ(run_tokenscope({"compare", "-m2", kDefault}).exit_code, 2);             // no prompt
    EXPECT_EQ(run_tokenscope({"compare", "-m2", kDefault, "-p", "In", "--prompt-ids", "1"}).exit_code, 2);
    const Outcome r = run_tokenscope({"compare", "-m2", "/nonexistent.gguf", "-p", "In"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("error:", 0), 0u) << r.err;
    const Outcome ids = run_tokenscope({"compare", "-m2", kDefault, "--prompt-ids", "1,99999"});
    EXPECT_EQ(ids.exit_code, 1);
    EXPECT_EQ(ids.err.rfind("error:", 0), 0u) << ids.err;
}

}  // namespace
}  // namespace ts::cli_test
