// `tokenscope heads` through the real binary on the default model: one JSON record per head with every score, the
// text table's strongest heads, --ablate's losses, and bad flags; on a tiny qwen35 file the linear-attention layers
// are one record / line each ("linear attention — no attention pattern"), and interventions that have no meaning on
// such a layer are refused, naming its kind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/cli/cli_harness.hpp"
#include "tools/random_model.hpp"

namespace ts::cli_test {
namespace {

TEST(CliHeads, JsonHasOneRecordPerHeadWithEveryScore) {
    const Outcome r = run_tokenscope({"heads", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 4u * 8u) << r.out;  // the default model: 4 layers x 8 heads
    int sinks = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        Json j;
        ASSERT_TRUE(JsonParser(lines[i]).parse(j)) << lines[i];
        EXPECT_EQ(int(j.at("layer").num), int(i) / 8);
        EXPECT_EQ(int(j.at("head").num), int(i) % 8);
        for (const char* k :
             {"prev_token", "first_token", "self", "duplicate", "induction", "entropy", "window", "sink", "sinks"})
            ASSERT_TRUE(j.has(k)) << k << " in " << lines[i];
        for (const char* k : {"prev_token", "first_token", "self", "duplicate", "induction", "sink"}) {
            EXPECT_GE(j.at(k).num, 0.0) << lines[i];
            EXPECT_LE(j.at(k).num, 1.0) << lines[i];
        }
        sinks += j.at("tag").str == "first-token";
        if (i == 5) {  // layer 0 head 5 puts 70 % of its weight on position 0: its one sink column
            ASSERT_EQ(j.at("sinks").arr.size(), 1u) << lines[i];
            EXPECT_EQ(j.at("sinks").arr[0].num, 0.0);
            EXPECT_NEAR(j.at("sink").num, j.at("first_token").num, 1e-3);
            EXPECT_GT(j.at("sink").num, 0.5);
        }
    }
    EXPECT_GE(sinks, 1);
}

TEST(CliHeads, TextNamesTheStrongestHeadsAndAblationLosses) {
    const Outcome r = run_tokenscope({"heads", "--ablate"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("first-token      layer 0 head 5"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("with it zeroed"), std::string::npos) << r.out;
}

TEST(CliHeads, Qwen35LinearAttentionLayersHaveNoAttentionPattern) {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("ts_q35heads" + std::to_string(getpid()) + ".gguf")).string();
    ASSERT_TRUE(ts::tools::write_random_model(ts::tools::tiny_qwen35_spec(core::DType::F32), path).ok());
    const Outcome j = run_tokenscope({"heads", "-m", path, "--half", "8", "--json"});
    const Outcome t = run_tokenscope({"heads", "-m", path, "--half", "8"});
    const Outcome r =
        run_tokenscope({"run", "-m", path, "--prompt-ids", "5,9,31", "-n", "2", "--intervene", "no-rope:1"});
    const Outcome z =
        run_tokenscope({"run", "-m", path, "--prompt-ids", "5,9,31", "-n", "2", "--intervene", "zero-head:1.3"});
    std::filesystem::remove(path);
    ASSERT_EQ(j.exit_code, 0) << j.err;
    const auto lines = lines_of(j.out);
    ASSERT_EQ(lines.size(), 3u + 4u) << j.out;  // 3 DeltaNet layers (one record each), then 4 attention heads
    for (size_t i = 0; i < lines.size(); ++i) {
        Json rec;
        ASSERT_TRUE(JsonParser(lines[i]).parse(rec)) << lines[i];
        EXPECT_EQ(rec.at("tag").str == "linear attention", i < 3) << lines[i];
        EXPECT_EQ(rec.has("entropy"), i >= 3) << lines[i];
    }
    ASSERT_EQ(t.exit_code, 0) << t.err;
    EXPECT_NE(t.out.find("    2    -  linear attention — no attention pattern"), std::string::npos) << t.out;
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("layer 1 is linear attention"), std::string::npos) << r.err;
    EXPECT_EQ(z.exit_code, 0) << z.err;
}

TEST(CliHeads, BadFlagsAreUsageErrors) {
    EXPECT_EQ(run_tokenscope({"heads", "--half", "1"}).exit_code, 2);
    const Outcome r = run_tokenscope({"heads", "-m", "/nonexistent.gguf"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("error:", 0), 0u) << r.err;
}

}  // namespace
}  // namespace ts::cli_test
