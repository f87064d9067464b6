// make_error: the printf-style Error constructor declared in result.hpp.
#include "core/base/result.hpp"

#include <cstdarg>
#include <cstdio>

namespace ts::core {

Error make_error(Code code, const char* fmt, ...) {
    std::va_list args;
    va_start(args, fmt);
    std::va_list again;
    va_copy(again, args);
    const int n = std::vsnprintf(nullptr, 0, fmt, args);
    va_end(args);
    std::string s(n > 0 ? size_t(n) : 0, '\0');
    if (n > 0) std::vsnprintf(s.data(), s.size() + 1, fmt, again);
    va_end(again);
    return Error{code, std::move(s)};
}

}  // namespace ts::core
