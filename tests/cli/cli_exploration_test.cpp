// `gui --open` and `shot --open` with files that cannot be opened: a missing file, damaged JSON, a newer format
// version, a model file that is gone or differs from the saved SHA-256, and flags that --open replaces. Each is one
// `error:` line (exit 1) or a usage error (exit 2), before any window is made (no display needed).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/cli/cli_harness.hpp"

namespace ts::cli_test {
namespace {

const std::string kDefaultModel = std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf";

std::string write_file(const std::string& name, const std::string& text) {
    const std::string path =
        (fs::temp_directory_path() / ("ts_cli_expl_" + std::to_string(getpid()) + "_" + name)).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

// A version-1 exploration of two prompt tokens on `model` with the given SHA-256 and version.
std::string exploration(const std::string& model, const std::string& sha, int version = 1) {
    return R"({"format": "tokenscope-exploration", "version": )" + std::to_string(version) +
           R"(, "model": {"path": ")" + model + R"(", "sha256": ")" + sha +
           R"("}, "prompt": {"text": "", "ids": [1, 5]}, "paths": [[{"id": 1, "source": "prompt"},
           {"id": 5, "source": "prompt"}]], "current": {"path": 0, "pos": -1},
           "sampler": {"temp": 0.8, "top_k": 40, "top_p": 0.95, "min_p": 0.05, "repeat_penalty": 1.0,
                       "repeat_last_n": 64, "seed": 42}})";
}

void expect_error(const Outcome& r, const std::string& expect) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(lines_of(r.err).size(), 1u) << r.err;
    EXPECT_NE(r.err.find(expect), std::string::npos) << r.err;
}

// gui and shot exist only in a build with the explorer (the sanitizer stage of scripts/test.sh builds without it).
class CliExploration : public ::testing::Test {
protected:
    void SetUp() override {
#ifndef TS_HAS_GUI
        GTEST_SKIP() << "gui and shot need the explorer, which this build has not (TS_BUILD_GUI=OFF)";
#endif
    }
};

TEST_F(CliExploration, AFileThatCannotBeOpenedIsAnErrorLine) {
    const std::string missing = (fs::temp_directory_path() / "ts_no_such_exploration.tscope").string();
    for (const char* verb : {"gui", "shot"}) {
        std::vector<std::string> args = {verb, "--open", missing};
        if (std::string(verb) == "shot") args.insert(args.end(), {"-o", "/tmp/ts_never.png"});
        expect_error(run_tokenscope(args), "ts_no_such_exploration.tscope");
    }
    const std::string cut = write_file("cut.tscope", exploration(kDefaultModel, "").substr(0, 90));
    expect_error(run_tokenscope({"shot", "--open", cut, "-o", "/tmp/ts_never.png"}), "not valid JSON");
    const std::string types = write_file("types.tscope", R"({"format": "tokenscope-exploration", "version": "1"})");
    expect_error(run_tokenscope({"gui", "--open", types}), "version: must be an integer");
}

TEST_F(CliExploration, ANewerVersionIsRefusedNamingBoth) {
    const std::string f = write_file("v2.tscope", exploration(kDefaultModel, "", 2));
    const Outcome r     = run_tokenscope({"shot", "--open", f, "-o", "/tmp/ts_never.png"});
    expect_error(r, "version 2 is newer than this TokenScope reads (version 1)");
}

TEST_F(CliExploration, AMissingOrChangedModelFileIsAnErrorLine) {
    const std::string gone = write_file("gone.tscope", exploration("/nonexistent/model.gguf", ""));
    expect_error(run_tokenscope({"shot", "--open", gone, "-o", "/tmp/ts_never.png"}), "/nonexistent/model.gguf");
    if (!fs::exists(kDefaultModel)) GTEST_SKIP() << "no default model at " << kDefaultModel;
    const std::string zeros(64, '0');
    const std::string changed = write_file("changed.tscope", exploration(kDefaultModel, zeros));
    expect_error(run_tokenscope({"gui", "--open", changed}), "not the model file the exploration was saved with");
    expect_error(run_tokenscope({"shot", "--open", changed, "-o", "/tmp/ts_never.png"}), "-m FILE");
}

TEST_F(CliExploration, FlagsThatOpenReplacesAreUsageErrors) {
    const std::string f = write_file("ok.tscope", exploration(kDefaultModel, ""));
    for (const std::vector<std::string>& extra :
         std::vector<std::vector<std::string>>{{"-p", "hello"}, {"-n", "3"}, {"--intervene", "skip-mlp:0"}}) {
        std::vector<std::string> args = {"shot", "--open", f, "-o", "/tmp/ts_never.png"};
        args.insert(args.end(), extra.begin(), extra.end());
        const Outcome r = run_tokenscope(args);
        EXPECT_EQ(r.exit_code, 2) << extra[0] << ": " << r.err;
        EXPECT_NE(r.err.find("--open restores its own"), std::string::npos) << r.err;
    }
    EXPECT_EQ(run_tokenscope({"gui", "--open", f, "-p", "x"}).exit_code, 2);
}

}  // namespace
}  // namespace ts::cli_test
