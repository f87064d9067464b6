// Sampler settings as a JSON object — {"temp", "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n",
// "seed"} — written by the trace file (trace_json.hpp) and saved explorations (exploration.hpp), read back by the
// latter. One place for the field names.
#pragma once

#include <string>

#include "core/base/json.hpp"
#include "core/base/result.hpp"
#include "core/sample/sampler.hpp"

namespace ts::core::sample {

Json settings_json(const SamplerSettings& s);
// Reads an object written by settings_json: every field is required and of its type (numbers; top_k,
// repeat_last_n and seed integers), no other key, and the whole passes validate_settings(). Errors start with
// `where` ("paths[0][5].sampler: top_p must be a number").
[[nodiscard]] Result<SamplerSettings> settings_from_json(const Json& j, const std::string& where);

bool same_settings(const SamplerSettings& a, const SamplerSettings& b);  // every field equal

}  // namespace ts::core::sample
