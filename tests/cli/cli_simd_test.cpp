// The SIMD level through the real binary: TS_SIMD forces a level and `info` says which and why, an unknown value
// is one `error:` line and exit 2, and without TS_SIMD a verb that runs a model measures the levels once and caches
// the fastest for this CPU (then `info` reads the cache).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "tests/cli/cli_harness.hpp"

namespace ts::cli_test {
namespace {

class CliSimd : public CliModelTest {
protected:
    void TearDown() override {
        unsetenv("TS_SIMD");
        unsetenv("XDG_CACHE_HOME");
    }
    static std::string simd_line(const Outcome& r) {
        for (const auto& line : lines_of(r.out))
            if (line.rfind("simd", 0) == 0) return line;
        return "";
    }
};

TEST_F(CliSimd, TsSimdForcesTheLevelAndInfoSaysWhy) {
    setenv("TS_SIMD", "scalar", 1);
    const Outcome r = run({"info", "-m", model()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(simd_line(r).find("scalar (TS_SIMD=scalar;"), std::string::npos) << simd_line(r);
}

TEST_F(CliSimd, AnUnknownTsSimdIsAUsageError) {
    setenv("TS_SIMD", "sse9", 1);
    const Outcome r = run({"info", "-m", model()});
    expect_error(r, 2);
    EXPECT_NE(r.err.find("TS_SIMD=sse9: unknown SIMD level"), std::string::npos) << r.err;
}

TEST_F(CliSimd, RunMeasuresOnceAndCachesTheLevelThatInfoThenUses) {
    const std::string cache = (fs::temp_directory_path() / ("ts_simd_cache_" + std::to_string(getpid()))).string();
    fs::remove_all(cache);
    setenv("XDG_CACHE_HOME", cache.c_str(), 1);
    const Outcome r = run({"run", "-m", model(), "--prompt-ids", "1,2", "-n", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string text = slurp(cache + "/tokenscope/simd-level");
    const Outcome i        = run({"info", "-m", model()});
    fs::remove_all(cache);
    ASSERT_EQ(i.exit_code, 0) << i.err;
    if (text.empty()) {  // a CPU without AVX2 has nothing to choose between
        EXPECT_NE(simd_line(i).find("the best level this CPU has"), std::string::npos) << simd_line(i);
        return;
    }
    EXPECT_NE(text.find("\ncpu="), std::string::npos) << text;
    EXPECT_NE(text.find("\nbuild="), std::string::npos) << text;
    EXPECT_NE(text.find("\nlevel="), std::string::npos) << text;
    EXPECT_NE(simd_line(i).find("measured fastest on this CPU, cached in " + cache), std::string::npos) << simd_line(i);
}

}  // namespace
}  // namespace ts::cli_test
