// Helpers shared by lesson_check.cpp and lesson_facts.cpp (not part of the lesson API).
#pragma once

#include <cstdint>

#include "core/base/result.hpp"
#include "core/lesson/lesson.hpp"

namespace ts::core::lesson {

// The id a TokenRef names in the session's model: text must be exactly one token.
[[nodiscard]] Result<int32_t> resolve_token(const Session& session, const TokenRef& t);
// A fact's position: -1 is the newest; errors when nothing is evaluated or the position is past the newest.
[[nodiscard]] Result<int32_t> resolve_pos(const Session& session, int32_t at);

}  // namespace ts::core::lesson
