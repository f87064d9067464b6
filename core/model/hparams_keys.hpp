// Internal to core/model (hparams.cpp): reading one metadata key of a GGUF file as llama.cpp's loader reads it. Each
// returns a one-line error naming the file and the key when it is missing (where required), of the wrong type or out
// of range.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/result.hpp"
#include "core/gguf/gguf_reader.hpp"
#include "core/model/model.hpp"

namespace ts::core::model_detail {

// "m.gguf: metadata key 'general.architecture' has type u32, expected string".
Error wrong_type(const gguf::GgufFile& f, const std::string& key, const gguf::Value& v, const char* expected);
bool is_integer(gguf::ValueType t);
// A required or defaulted integer key, in [1, INT_MAX] (absent and not required: `out` keeps its default).
[[nodiscard]] Status read_int(const gguf::GgufFile& f, const std::string& key, int& out, bool required);
// A finite float key (absent: `out` keeps its default).
[[nodiscard]] Status read_float(const gguf::GgufFile& f, const std::string& key, float& out);
// A required string key.
[[nodiscard]] Result<std::string> read_string(const gguf::GgufFile& f, const std::string& key);
// A count that may be 0 (absent: 0), in [0, INT_MAX].
[[nodiscard]] Status read_count(const gguf::GgufFile& f, const std::string& key, int& out);
// An integer key that may also be an array of one value per layer (llama.cpp's get_key_or_arr): `out` gets the
// largest value and, for an array whose values differ, `per_layer` every layer's (else it stays empty).
[[nodiscard]] Status read_int_per_layer(const gguf::GgufFile& f, const std::string& key, int n_layer, int& out,
                                        std::vector<int>& per_layer, bool required);
// A key llama.cpp reads for another variant of the architecture: refused when present with a value other than
// `expected`.
[[nodiscard]] Status refuse_other(const gguf::GgufFile& f, const std::string& key, int expected, const char* why);
// A count where 0 (or, for the groups, 1) means "none": refused when it is more than max_ok.
[[nodiscard]] Status refuse_count(const gguf::GgufFile& f, const std::string& a, const char* key, uint64_t max_ok,
                                  const char* why);
// attention.sliding_window_pattern as an array: one bool (or integer) per layer, true for a sliding-window layer,
// into hp.swa_layers.
[[nodiscard]] Status read_layer_flags(const gguf::GgufFile& f, const std::string& key, Hparams& hp);

}  // namespace ts::core::model_detail
