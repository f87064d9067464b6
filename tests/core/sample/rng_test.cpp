// The sampler's RNG: pinned outputs (so a platform or compiler change that alters the stream is caught), seeding
// and the uniform float's range and resolution.
#include "core/sample/rng.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>

namespace ts::core::sample {
namespace {

// Expected values computed with an independent Python implementation of splitmix64 + xoshiro256**.
TEST(Rng, FirstOutputsForSeed42ArePinned) {
    Rng r(42);
    EXPECT_EQ(r.next_u64(), 0x15780b2e0c2ec716ull);
    EXPECT_EQ(r.next_u64(), 0x6104d9866d113a7eull);
    EXPECT_EQ(r.next_u64(), 0xae17533239e499a1ull);
    EXPECT_EQ(r.next_u64(), 0xecb8ad4703b360a1ull);
    EXPECT_EQ(r.next_u64(), 0xfde6dc7fe2ec5e64ull);
}

TEST(Rng, FirstOutputsForSeed0ArePinned) {
    Rng r(0);
    EXPECT_EQ(r.next_u64(), 0x99ec5f36cb75f2b4ull);
    EXPECT_EQ(r.next_u64(), 0xbf6e1f784956452aull);
    EXPECT_EQ(r.next_u64(), 0x1a5f849d4933e6e0ull);
}

TEST(Rng, UniformIsTopTwentyFourBits) {
    Rng r(42);
    EXPECT_EQ(r.uniform(), float(0x15780b2e0c2ec716ull >> 40) / 16777216.0f);
    EXPECT_FLOAT_EQ(r.uniform(), 0.37898021936416626f);
    EXPECT_FLOAT_EQ(r.uniform(), 0.6800433993339539f);
}

TEST(Rng, UniformStaysInHalfOpenUnitInterval) {
    Rng r(7);
    for (int i = 0; i < 100000; ++i) {
        const float u = r.uniform();
        ASSERT_GE(u, 0.0f);
        ASSERT_LT(u, 1.0f);
    }
}

TEST(Rng, SameSeedGivesSameStreamAndCopiesReplay) {
    Rng a(123), b(123);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
    Rng saved        = a;
    const uint64_t x = a.next_u64();
    EXPECT_EQ(saved.next_u64(), x);
}

TEST(Rng, ReseedRestartsTheStream) {
    Rng a(5);
    const uint64_t first = a.next_u64();
    a.next_u64();
    a.reseed(5);
    EXPECT_EQ(a.next_u64(), first);
}

TEST(Rng, DifferentSeedsGiveDifferentStreams) {
    std::set<uint64_t> firsts;
    for (uint64_t s = 0; s < 1000; ++s) firsts.insert(Rng(s).next_u64());
    EXPECT_EQ(firsts.size(), 1000u);
}

}  // namespace
}  // namespace ts::core::sample
