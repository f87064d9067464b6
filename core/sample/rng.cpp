// The sampler's RNG: splitmix64 seeding and xoshiro256** steps (public-domain algorithms, written from the papers'
// descriptions). Only integer arithmetic, so streams are identical on every platform.
#include "core/sample/rng.hpp"

namespace ts::core::sample {
namespace {
constexpr uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}
}  // namespace

uint64_t splitmix64(uint64_t& x) {
    x += 0x9e3779b97f4a7c15ull;
    uint64_t z = x;
    z          = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z          = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void Rng::reseed(uint64_t seed) {
    uint64_t x = seed;
    for (uint64_t& w : s_) w = splitmix64(x);
    // splitmix64 is a bijection of its counter, so four consecutive outputs cannot all be zero; keep the
    // guarantee explicit anyway since an all-zero state would make xoshiro emit zeros forever.
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
}

uint64_t Rng::next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t      = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
}

float Rng::uniform() {
    return float(next_u64() >> 40) * (1.0f / 16777216.0f);
}

}  // namespace ts::core::sample
