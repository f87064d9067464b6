// The sampler's sliders: their ranges, formats and one-sentence tooltips, and the mapping between a slider's value
// and SamplerSettings (clamping, integer rounding, "off" positions). Pure code (no ImGui), unit-tested; the
// controls panel draws the sliders from this table.
#pragma once

#include <cstddef>

#include "core/sample/sampler.hpp"

namespace ts::app {

enum class SamplerField { Temp, TopK, TopP, MinP, RepeatPenalty, Seed, kCount };

struct SliderSpec {
    const char* label;   // "temperature"
    float min, max;      // slider range
    const char* format;  // printf format of the value ("%.2f")
    bool integer;        // rounded to whole numbers
    const char* off;     // what the value at which the stage is off shows ("off"), or nullptr
    const char* help;    // one sentence: what it does to the model's choice
};

[[nodiscard]] const SliderSpec& slider_spec(SamplerField f);
// The slider's value for the current settings.
[[nodiscard]] float slider_value(const core::sample::SamplerSettings& s, SamplerField f);
// Sets the field from a slider value: clamped to the slider's range, rounded when integer. Returns whether the
// settings changed.
bool set_slider_value(core::sample::SamplerSettings& s, SamplerField f, float v);
// True when the stage the field controls is off at this setting (top-k 0, top-p 1, min-p 0, penalty 1) or, for
// temperature, when sampling is greedy (T = 0).
[[nodiscard]] bool slider_is_off(const core::sample::SamplerSettings& s, SamplerField f);

}  // namespace ts::app
