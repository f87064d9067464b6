// How the explorer writes a token: the tokenizer's display form (spaces as ␣, newlines as ↵, byte tokens as
// <0xE2>, control tokens as their text), shortened for chips and axis labels, with a fallback when the model has
// no tokenizer. Pure code (no ImGui), unit-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/model/model.hpp"

namespace ts::app {

// The display form of `id` ("␣the", "↵", "<s>"); "#id" when `model` is null, has no tokenizer, or the form is
// empty; "#id?" for ids outside the vocabulary.
[[nodiscard]] std::string token_display(const core::Model* model, int32_t id);
// At most `max_chars` characters (code points), the cut marked with "…" (so the result has max_chars of them).
[[nodiscard]] std::string elide_utf8(const std::string& s, size_t max_chars);
// token_display elided to max_chars.
[[nodiscard]] std::string token_label(const core::Model* model, int32_t id, size_t max_chars);

}  // namespace ts::app
