// Rng: the sampler's own random number generator, xoshiro256** seeded through splitmix64.
// Integer-only state and arithmetic, so a seed gives the same stream on every compiler, library and machine
// (std::mt19937 is portable too, but std::uniform_real_distribution is not). The state is a plain value: copy it
// to replay a draw (the explorer's "resample with new settings" copies the Rng it had before the step).
#pragma once

#include <array>
#include <cstdint>

namespace ts::core::sample {

class Rng {
public:
    explicit Rng(uint64_t seed = 0) { reseed(seed); }

    // Fills the 256-bit state with four splitmix64 outputs of `seed` (never all zero).
    void reseed(uint64_t seed);

    // Next 64 random bits (xoshiro256**, Blackman & Vigna 2018).
    uint64_t next_u64();

    // Uniform in [0, 1) from the top 24 bits of next_u64(): every value is exact in a float.
    float uniform();

    const std::array<uint64_t, 4>& state() const { return s_; }
    // Restores a state saved with state() (e.g. from a training checkpoint).
    void set_state(const std::array<uint64_t, 4>& s) { s_ = s; }
    friend bool operator==(const Rng&, const Rng&) = default;

private:
    std::array<uint64_t, 4> s_{};
};

// One step of splitmix64 (Steele, Lea & Flood 2014): advances `x` and returns a well-mixed 64-bit value.
uint64_t splitmix64(uint64_t& x);

}  // namespace ts::core::sample
