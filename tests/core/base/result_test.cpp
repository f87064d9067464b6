// make_error: printf formatting into Error::message, whatever the length; the compile-time format check itself is
// tests/core/base/make_error_bad_format.cpp (a ctest that expects the compiler to refuse it).
#include "core/base/result.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace ts::core {
namespace {

TEST(MakeError, FormatsLikePrintf) {
    const Error e = make_error(Code::kFormat, "%s: tensor %d of %zu, offset %llu", "m.gguf", 3, size_t(7),
                               static_cast<unsigned long long>(uint64_t(1) << 40));
    EXPECT_EQ(e.code, Code::kFormat);
    EXPECT_EQ(e.message, "m.gguf: tensor 3 of 7, offset 1099511627776");
}

TEST(MakeError, AMessageWithoutArgumentsIsKeptAsIs) {
    EXPECT_EQ(make_error(Code::kIo, "no model is loaded").message, "no model is loaded");
    EXPECT_EQ(make_error(Code::kIo, "100%% done").message, "100% done");
}

TEST(MakeError, LongMessagesAreNotCut) {
    const std::string name(5000, 'x');
    EXPECT_EQ(make_error(Code::kIo, "%s!", name.c_str()).message, name + "!");
    EXPECT_EQ(make_error(Code::kIo, "%s", "").message, "");
}

Result<int> half_of(int x) {
    if (x % 2 != 0) return make_error(Code::kInvalidArgument, "%d is odd", x);
    return x / 2;
}

Result<int> quarter_of(int x) {
    TS_TRY_ASSIGN(h, half_of(x));
    TS_TRY_ASSIGN(q, half_of(h));
    return q;
}

TEST(TryAssign, UnwrapsAValueOrPassesTheFirstErrorOn) {
    EXPECT_EQ(*quarter_of(12), 3);
    const Result<int> odd = quarter_of(6);  // 6 / 2 = 3 is odd
    ASSERT_FALSE(odd.ok());
    EXPECT_EQ(odd.error().message, "3 is odd");
}

}  // namespace
}  // namespace ts::core
