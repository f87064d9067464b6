// The SIMD level's choice in the app (app/cli/simd_choice.hpp): TS_SIMD forcing a level, its errors, and the cache
// of the level measured on this CPU.
#include "app/cli/simd_choice.hpp"

#include <gtest/gtest.h>

namespace ts::app {
namespace {

using core::SimdLevel;

const SimdChoice kFallback{SimdLevel::Avx512Vnni, "measured"};

TEST(SimdChoice, UnsetOrEmptyTakesTheFallback) {
    for (const char* v : {static_cast<const char*>(nullptr), ""}) {
        auto c = choose_simd(v, SimdLevel::Avx512Vnni, kFallback);
        ASSERT_TRUE(c.ok());
        EXPECT_EQ(c->level, SimdLevel::Avx512Vnni);
        EXPECT_EQ(c->why, "measured");
    }
}

TEST(SimdChoice, EveryNameForcesItsLevel) {
    const std::pair<const char*, SimdLevel> names[] = {{"scalar", SimdLevel::Scalar},
                                                       {"avx2", SimdLevel::Avx2},
                                                       {"avx512", SimdLevel::Avx512},
                                                       {"vnni", SimdLevel::Avx512Vnni},
                                                       {"avx512vnni", SimdLevel::Avx512Vnni}};
    for (const auto& [name, level] : names) {
        auto c = choose_simd(name, SimdLevel::Avx512Vnni, kFallback);
        ASSERT_TRUE(c.ok()) << name;
        EXPECT_EQ(c->level, level) << name;
        EXPECT_EQ(c->why, std::string("TS_SIMD=") + name);
    }
}

TEST(SimdChoice, AnUnknownNameOrALevelTheCpuLacksIsAClearError) {
    auto bad = choose_simd("avx1024", SimdLevel::Avx512Vnni, kFallback);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message, "TS_SIMD=avx1024: unknown SIMD level (use scalar, avx2, avx512 or vnni)");
    auto high = choose_simd("vnni", SimdLevel::Avx2, kFallback);
    ASSERT_FALSE(high.ok());
    EXPECT_EQ(high.error().message, "TS_SIMD=vnni: this CPU supports up to avx2");
}

TEST(SimdChoice, TheCacheRecordsOneLevelForOneCpuModelAndBuild) {
    const std::string text = format_simd_cache("Some CPU 9000", "0.1.0 abc", SimdLevel::Avx2);
    EXPECT_EQ(parse_simd_cache(text, "Some CPU 9000", "0.1.0 abc"), SimdLevel::Avx2);
    EXPECT_EQ(parse_simd_cache(text, "Another CPU", "0.1.0 abc"), std::nullopt);    // measured on another machine
    EXPECT_EQ(parse_simd_cache(text, "Some CPU 9000", "0.1.0 def"), std::nullopt);  // with other kernels
    EXPECT_EQ(parse_simd_cache("cpu=Some CPU 9000\nlevel=avx2\n", "Some CPU 9000", "0.1.0 abc"),
              std::nullopt);  // an older cache without the build
    EXPECT_EQ(parse_simd_cache("cpu=Some CPU 9000\nbuild=0.1.0 abc\nlevel=avx9\n", "Some CPU 9000", "0.1.0 abc"),
              std::nullopt);
    EXPECT_EQ(parse_simd_cache("", "Some CPU 9000", "0.1.0 abc"), std::nullopt);
}

}  // namespace
}  // namespace ts::app
