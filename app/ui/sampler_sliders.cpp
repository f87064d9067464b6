// The sampler sliders' table and their mapping to SamplerSettings.
#include "app/ui/sampler_sliders.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace ts::app {
namespace {

constexpr SliderSpec kSpecs[] = {
    {"temperature", 0.0f, 2.0f, "%.2f", false, "greedy",
     "Divides the logits before the softmax: below 1 sharpens the distribution toward the top token, above 1 "
     "flattens it; 0 always takes the most likely token."},
    {"top-k", 0.0f, 200.0f, "%.0f", true, "off",
     "Keeps only the k most likely tokens before drawing; 0 keeps them all."},
    {"top-p", 0.0f, 1.0f, "%.2f", false, "off",
     "Keeps the smallest set of most likely tokens whose probabilities add up to p; 1 keeps them all."},
    {"min-p", 0.0f, 1.0f, "%.2f", false, "off",
     "Drops tokens whose probability is below min-p times the top token's; 0 keeps them all."},
    {"repeat penalty", 1.0f, 2.0f, "%.2f", false, "off",
     "Makes tokens seen in the last 64 positions less likely by dividing their positive logits by this factor; 1 "
     "is off."},
    {"seed", 0.0f, 9999.0f, "%.0f", true, nullptr,
     "Seeds the random draw: the same seed and settings give the same tokens again."},
};
static_assert(std::size(kSpecs) == size_t(SamplerField::kCount), "one spec per sampler field");

}  // namespace

const SliderSpec& slider_spec(SamplerField f) {
    return kSpecs[size_t(f)];
}

float slider_value(const core::sample::SamplerSettings& s, SamplerField f) {
    switch (f) {
        case SamplerField::Temp:
            return s.temp;
        case SamplerField::TopK:
            return float(s.top_k);
        case SamplerField::TopP:
            return s.top_p;
        case SamplerField::MinP:
            return s.min_p;
        case SamplerField::RepeatPenalty:
            return s.repeat_penalty;
        case SamplerField::Seed:
            return float(s.seed);
        case SamplerField::kCount:
            break;
    }
    return 0.0f;
}

bool set_slider_value(core::sample::SamplerSettings& s, SamplerField f, float v) {
    const SliderSpec& spec = slider_spec(f);
    if (!std::isfinite(v)) return false;
    v = std::clamp(v, spec.min, spec.max);
    if (spec.integer) v = std::round(v);
    const core::sample::SamplerSettings before = s;
    switch (f) {
        case SamplerField::Temp:
            s.temp = v;
            break;
        case SamplerField::TopK:
            s.top_k = int32_t(v);
            break;
        case SamplerField::TopP:
            s.top_p = v;
            break;
        case SamplerField::MinP:
            s.min_p = v;
            break;
        case SamplerField::RepeatPenalty:
            s.repeat_penalty = v;
            break;
        case SamplerField::Seed:
            s.seed = uint64_t(v);
            break;
        case SamplerField::kCount:
            break;
    }
    return before.temp != s.temp || before.top_k != s.top_k || before.top_p != s.top_p || before.min_p != s.min_p ||
           before.repeat_penalty != s.repeat_penalty || before.seed != s.seed;
}

bool slider_is_off(const core::sample::SamplerSettings& s, SamplerField f) {
    switch (f) {
        case SamplerField::Temp:
            return s.temp <= 0.0f;
        case SamplerField::TopK:
            return s.top_k <= 0;
        case SamplerField::TopP:
            return s.top_p >= 1.0f;
        case SamplerField::MinP:
            return s.min_p <= 0.0f;
        case SamplerField::RepeatPenalty:
            return s.repeat_penalty == 1.0f;
        case SamplerField::Seed:
        case SamplerField::kCount:
            break;
    }
    return false;
}

}  // namespace ts::app
