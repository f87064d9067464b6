// `tokenscope --version` and `tokenscope version` through the real binary: CMake's project version, the git commit
// the binary was built from, the compiler, the SIMD levels built and the one in use; and `tokenscope FILE.gguf`
// (the desktop entry's command line) going to the explorer rather than being an unknown verb.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <string>

#include "tests/cli/cli_harness.hpp"

namespace ts::cli_test {
namespace {

// The first line of a command's output ("" when it fails).
std::string first_line_of(const std::string& command) {
    FILE* p = popen(command.c_str(), "r");
    if (!p) return "";
    char buf[256]    = {};
    const bool got   = std::fgets(buf, sizeof buf, p) != nullptr;
    const int rc     = pclose(p);
    std::string line = got && rc == 0 ? buf : "";
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
}

TEST(CliVersion, PrintsTheProjectVersionCommitCompilerAndSimdLevels) {
    const Outcome r = run_tokenscope({"--version"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 5u) << r.out;
    EXPECT_EQ(lines[0], std::string("tokenscope ") + TS_PROJECT_VERSION);
    EXPECT_EQ(lines[1].rfind("commit    ", 0), 0u) << lines[1];
    EXPECT_GT(lines[1].size(), std::string("commit    ").size());
    EXPECT_EQ(lines[2].rfind("compiler  ", 0), 0u) << lines[2];
#if defined(__clang__)
    const std::string compiler = __clang_version__;  // the test is built by the binary's compiler
#else
    const std::string compiler = __VERSION__;
#endif
    EXPECT_NE(lines[2].find(compiler), std::string::npos) << lines[2] << " (this test: " << compiler << ")";
    EXPECT_EQ(lines[3], "simd      built: scalar avx2 avx512 avx512vnni");
    EXPECT_EQ(lines[4].rfind("          in use: ", 0), 0u) << lines[4];
    EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(CliVersion, TheVerbPrintsWhatTheFlagPrints) {
    const Outcome flag = run_tokenscope({"--version"}), verb = run_tokenscope({"version"});
    ASSERT_EQ(verb.exit_code, 0) << verb.err;
    EXPECT_EQ(verb.out, flag.out);
    const Outcome help = run_tokenscope({"version", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("usage: tokenscope version"), std::string::npos) << help.out;
    EXPECT_EQ(run_tokenscope({"version", "--bogus"}).exit_code, 2);
}

TEST(CliVersion, NamesTheSimdLevelInUseAndWhy) {
    setenv("TS_SIMD", "scalar", 1);
    const Outcome r = run_tokenscope({"--version"});
    unsetenv("TS_SIMD");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("in use: scalar (TS_SIMD=scalar; this CPU has up to "), std::string::npos) << r.out;
}

// The commit is read at build time: a binary built from this checkout names its HEAD (with -dirty while tracked
// files differ from it). Outside git there is nothing to compare with.
TEST(CliVersion, NamesTheCommitOfTheCheckoutItWasBuiltFrom) {
    const std::string head =
        first_line_of("git -C '" + std::string(TS_SOURCE_DIR) + "' rev-parse --short=12 HEAD 2>/dev/null");
    if (head.empty()) GTEST_SKIP() << TS_SOURCE_DIR << " is not a git checkout";
    const Outcome r = run_tokenscope({"--version"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("commit    " + head), std::string::npos)
        << r.out << "(HEAD is " << head << "; rebuild after committing)";
}

// `tokenscope FILE.gguf` is `tokenscope gui -m FILE.gguf`: without a display it fails where the explorer fails (no
// window), not as an unknown verb; a word that is neither a verb nor a file is still a usage error.
TEST(CliVersion, AModelFileAsFirstArgumentOpensTheExplorer) {
    const char* display     = std::getenv("DISPLAY");
    const std::string saved = display ? display : "";
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    const Outcome r = run_tokenscope({"no-such-model.gguf"});
    if (!saved.empty()) setenv("DISPLAY", saved.c_str(), 1);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    // The explorer fails to open a window without a display, or a build without the GUI says it has none.
    EXPECT_TRUE(r.err.find("window") != std::string::npos || r.err.find("needs the explorer") != std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("unknown verb"), std::string::npos) << r.err;
    EXPECT_EQ(run_tokenscope({"no-such-verb"}).exit_code, 2);
}

}  // namespace
}  // namespace ts::cli_test
