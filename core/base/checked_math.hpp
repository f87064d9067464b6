// Overflow-checked size arithmetic for validating untrusted counts and sizes (GGUF headers, flags).
#pragma once

#include <cstdint>
#include <optional>

namespace ts::core {

[[nodiscard]] inline std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
    uint64_t r;
    if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
    return r;
}

[[nodiscard]] inline std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
    uint64_t r;
    if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
    return r;
}

}  // namespace ts::core
