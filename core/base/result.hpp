// Result<T>: a value or an Error, for failures caused by the user or a file (STYLE.md "Errors").
// std::expected does not build with clang 14, so this is our own small version. No exceptions cross core headers.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ts::core {

enum class Code {
    kInvalidArgument,  // a bad flag value, an id out of range, a prompt longer than the context
    kIo,               // a file that cannot be opened, read or written
    kFormat,           // a file that is not what it claims to be (bad magic, truncated, inconsistent)
    kUnsupported,      // a valid file using something we do not implement (an architecture, a type)
    kOutOfMemory,
    kCancelled,
    kInternal,
};

struct Error {
    Code code = Code::kInternal;
    std::string message;
};

// printf-style Error construction: make_error(Code::kFormat, "%s: bad magic", path.c_str()). The format attribute
// makes the compiler check every call's arguments against its format string (-Wformat, an error with -Werror).
[[nodiscard]] Error make_error(Code code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Status: success or an Error, for functions that return nothing else.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
    [[nodiscard]] bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return error_; }

private:
    Error error_;
    bool ok_ = true;
};

}  // namespace ts::core

// Propagate an error from a Result/Status expression: TS_TRY(status_expr);
#define TS_TRY(expr)                                   \
    do {                                               \
        auto ts_try_r_ = (expr);                       \
        if (!ts_try_r_.ok()) return ts_try_r_.error(); \
    } while (0)

// Unwrap a Result into a new variable or propagate its error: TS_TRY_ASSIGN(value, result_expr);
#define TS_TRY_ASSIGN(var, expr)          \
    auto var##_r = (expr);                \
    if (!var##_r) return var##_r.error(); \
    auto var = std::move(*var##_r)
