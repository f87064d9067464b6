// The trainer's deterministic random numbers: the sampler's generator (xoshiro256** seeded by splitmix64,
// core/sample/rng.hpp) plus the draws training needs on top of it. Its whole state is four u64 values, so a
// checkpoint can store it and a resumed run draws the same numbers as an uninterrupted one.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/sample/rng.hpp"

namespace ts::core::train {

using Rng = sample::Rng;

// Uniform in [0, 1) with 53 random bits.
inline double uniform53(Rng& rng) {
    return double(rng.next_u64() >> 11) * 0x1.0p-53;
}

// Uniform integer in [0, n) (n > 0); the modulo bias is below 2^-40 for the sizes we use.
inline uint64_t below(Rng& rng, uint64_t n) {
    return rng.next_u64() % n;
}

// Standard normal (Box-Muller, one value per call so the stream position is simple to reason about).
inline double normal(Rng& rng) {
    double u1 = uniform53(rng);
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = uniform53(rng);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace ts::core::train
