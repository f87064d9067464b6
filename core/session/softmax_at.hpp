// softmax(logits)[id] at T = 1: the probability a position's logits give one token (a forced token's p_token, a
// prompt token's). Shared by session_edit.cpp and session_prompt.cpp.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>

namespace ts::core {

// In double, so that a long vocabulary sums without loss.
inline float softmax_at(std::span<const float> logits, int32_t id) {
    float max = -INFINITY;
    for (float l : logits)
        if (l > max) max = l;
    double sum = 0;
    for (float l : logits) sum += std::exp(double(l) - double(max));
    return sum > 0 ? float(std::exp(double(logits[size_t(id)]) - double(max)) / sum) : 0.0f;
}

}  // namespace ts::core
