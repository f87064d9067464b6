// `run --intervene` and `eval --intervene` through the real binary on the default model: the intervened text
// differs, --json lines carry the KL and each candidate's d_logit / d_p, eval reports the loss with and without,
// and bad specs (a layer or head the model does not have, an unknown kind, a malformed spec) are `error:` lines.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/cli/cli_harness.hpp"

namespace ts::cli_test {
namespace {

const std::string kDefaultModel = std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf";

std::vector<std::string> run_args(std::vector<std::string> extra) {
    std::vector<std::string> a = {"run", "-m", kDefaultModel, "-p", "Once upon a time", "-n", "6", "--temp", "0"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

class CliIntervene : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(kDefaultModel)) GTEST_SKIP() << "no default model at " << kDefaultModel;
    }
};

TEST_F(CliIntervene, RunChangesTheTextAndJsonComparesWithTheCleanRun) {
    const Outcome plain = run_tokenscope(run_args({}));
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    const Outcome cut = run_tokenscope(run_args({"--intervene", "skip-mlp:0", "--intervene", "zero-head:2.4"}));
    ASSERT_EQ(cut.exit_code, 0) << cut.err;
    EXPECT_NE(plain.out, cut.out);
    EXPECT_NE(cut.err.find("intervention: skip-mlp:0 (layer 0: MLP skipped"), std::string::npos) << cut.err;
    EXPECT_NE(cut.err.find("KL(intervened || clean)"), std::string::npos) << cut.err;

    const Outcome js = run_tokenscope(run_args({"--json", "--intervene", "skip-mlp:0"}));
    ASSERT_EQ(js.exit_code, 0) << js.err;
    const auto lines = lines_of(js.out);
    ASSERT_EQ(lines.size(), 7u) << js.out;
    for (size_t i = 0; i + 1 < lines.size(); ++i) {
        const Json j = parse_json(lines[i]);
        ASSERT_TRUE(j.has("kl")) << lines[i];
        EXPECT_GT(j.at("kl").num, 0.0) << lines[i];
        for (const Json& c : j.at("top").arr) {
            ASSERT_TRUE(c.has("d_logit")) << lines[i];
            ASSERT_TRUE(c.has("d_p")) << lines[i];
            EXPECT_LE(std::abs(c.at("d_p").num), 1.0);
        }
    }
    const Json summary = parse_json(lines.back());
    ASSERT_EQ(summary.at("summary").at("interventions").arr.size(), 1u);
    EXPECT_EQ(summary.at("summary").at("interventions").arr[0].str, "skip-mlp:0");

    // without interventions the lines have no comparison
    const Outcome none = run_tokenscope(run_args({"--json"}));
    ASSERT_EQ(none.exit_code, 0) << none.err;
    EXPECT_EQ(none.out.find("\"kl\""), std::string::npos);
}

TEST_F(CliIntervene, SteeringFromTwoTexts) {
    const Outcome r = run_tokenscope(run_args({"--intervene", "steer:2:6: happy| sad"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("(\" happy\" − \" sad\")"), std::string::npos) << r.err;
    EXPECT_NE(r.out, run_tokenscope(run_args({})).out);
}

TEST_F(CliIntervene, BadSpecsAreErrors) {
    for (const auto& [spec, want] : std::vector<std::pair<std::string, std::string>>{
             {"zero-head:4.0", "layers 0 .. 3"},
             {"zero-head:0.8", "heads 0 .. 7"},
             {"melt:1", "unknown kind"},
             {"skip-mlp", "KIND:LAYER"},
             {"skip-mlp:x", "whole number"},
             {"scale-head:1.1:inf", "finite"},
             {"steer:1:2", "two texts"},
             {"mean-head:1", "LAYER.HEAD"},
         }) {
        for (const char* verb : {"run", "eval"}) {
            std::vector<std::string> args =
                std::string(verb) == "run"
                    ? run_args({"--intervene", spec})
                    : std::vector<std::string>{"eval",      "-m",          kDefaultModel, "--corpus",
                                               "/dev/null", "--intervene", spec};
            const Outcome r = run_tokenscope(args);
            EXPECT_EQ(r.exit_code, 1) << verb << " " << spec << ": " << r.err;
            EXPECT_EQ(r.err.rfind("error: intervention '" + spec + "'", 0), 0u) << r.err;
            EXPECT_NE(r.err.find(want), std::string::npos) << r.err;
            EXPECT_EQ(r.signal, 0);
        }
    }
}

TEST_F(CliIntervene, EvalReportsTheLossWithAndWithout) {
    const std::string corpus = (fs::temp_directory_path() / ("ts_iv_corpus_" + std::to_string(getpid()))).string();
    {
        std::ofstream f(corpus);
        for (int i = 0; i < 40; ++i)
            f << "Once upon a time there was a little girl who liked to play in the garden with her dog. ";
    }
    const std::vector<std::string> base = {"eval",       "-m",  kDefaultModel,    "--corpus",  corpus, "--json",
                                           "--val-frac", "0.5", "--no-baselines", "--windows", "1"};
    const Outcome plain                 = run_tokenscope(base);
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(plain.out.find("intervened_loss"), std::string::npos);
    auto with = base;
    with.insert(with.end(), {"--intervene", "skip-mlp:0"});
    const Outcome r = run_tokenscope(with);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Json j       = parse_json(lines_of(r.out).at(0));
    const double clean = j.at("model_loss").at("nats_per_token").num;
    const double cut   = j.at("intervened_loss").at("nats_per_token").num;
    EXPECT_EQ(clean, parse_json(lines_of(plain.out).at(0)).at("model_loss").at("nats_per_token").num);
    EXPECT_NE(cut, clean);
    EXPECT_EQ(j.at("interventions").arr.at(0).str, "skip-mlp:0");
    // a head scaled by 1 changes nothing: the same loss, to the last digit
    auto same = base;
    same.insert(same.end(), {"--intervene", "scale-head:1.2:1"});
    const Outcome s1 = run_tokenscope(same);
    ASSERT_EQ(s1.exit_code, 0) << s1.err;
    const Json j1 = parse_json(lines_of(s1.out).at(0));
    EXPECT_EQ(j1.at("intervened_loss").at("nats_per_token").num, clean);
    auto text = with;
    text.erase(std::find(text.begin(), text.end(), "--json"));
    const Outcome t = run_tokenscope(text);
    ASSERT_EQ(t.exit_code, 0) << t.err;
    EXPECT_NE(t.out.find("model, intervened"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("skip-mlp:0: layer 0: MLP skipped"), std::string::npos) << t.out;
    fs::remove(corpus);
}

TEST_F(CliIntervene, HelpListsTheFlag) {
    for (const char* verb : {"run", "eval"}) {
        const Outcome r = run_tokenscope({verb, "--help"});
        ASSERT_EQ(r.exit_code, 0);
        EXPECT_NE(r.out.find("--intervene SPEC"), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("repeatable"), std::string::npos) << r.out;
    }
}

}  // namespace
}  // namespace ts::cli_test
