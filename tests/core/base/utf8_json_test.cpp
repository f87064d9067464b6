// The shared text helpers of core/base: UTF-8 validity (whole characters, invalid bytes, characters cut short by
// the end of the buffer) and JSON escaping/numbers that always yield valid JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/base/json.hpp"
#include "core/base/utf8.hpp"

namespace ts::core {
namespace {

TEST(Utf8, MeasuresValidCharacters) {
    const std::string s = "a\xC3\xA9\xE2\x96\x81\xF0\x9F\x98\x80";
    EXPECT_EQ(utf8_valid_length(s, 0), 1u);
    EXPECT_EQ(utf8_valid_length(s, 1), 2u);
    EXPECT_EQ(utf8_valid_length(s, 3), 3u);
    EXPECT_EQ(utf8_valid_length(s, 6), 4u);
}

TEST(Utf8, RejectsOverlongSurrogatesAndOutOfRange) {
    EXPECT_EQ(utf8_valid_length("\x80", 0), 0u);              // stray continuation byte
    EXPECT_EQ(utf8_valid_length("\xC0\xAF", 0), 0u);          // overlong '/'
    EXPECT_EQ(utf8_valid_length("\xE0\x80\xAF", 0), 0u);      // overlong, 3 bytes
    EXPECT_EQ(utf8_valid_length("\xED\xA0\x80", 0), 0u);      // a surrogate
    EXPECT_EQ(utf8_valid_length("\xF4\x90\x80\x80", 0), 0u);  // above U+10FFFF
    EXPECT_EQ(utf8_valid_length("\xFF", 0), 0u);
}

TEST(Utf8, FlagsCharactersCutShortByTheEnd) {
    bool incomplete = false;
    EXPECT_EQ(utf8_valid_length("\xE2\x96", 0, &incomplete), 0u);
    EXPECT_TRUE(incomplete);
    EXPECT_EQ(utf8_valid_length("\xE2\x41", 0, &incomplete), 0u);
    EXPECT_FALSE(incomplete);
    EXPECT_EQ(utf8_valid_length("\xED\xA0", 0, &incomplete), 0u);  // a surrogate's start is no valid prefix
    EXPECT_FALSE(incomplete);
}

TEST(JsonOut, EscapesQuotesBackslashesAndControlCharacters) {
    EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(json_string("\n\t\r"), "\"\\n\\t\\r\"");
    EXPECT_EQ(json_string(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\\u007f\"");
    EXPECT_EQ(json_string(std::string("a\0b", 3)), "\"a\\u0000b\"");
}

TEST(JsonOut, KeepsValidUtf8AndReplacesInvalidBytes) {
    EXPECT_EQ(json_string("h\xC3\xA9 \xE2\x96\x81 \xF0\x9F\x98\x80"), "\"h\xC3\xA9 \xE2\x96\x81 \xF0\x9F\x98\x80\"");
    EXPECT_EQ(json_string("\xE2\x96"), "\"\\ufffd\\ufffd\"");                        // a cut character
    EXPECT_EQ(json_string("\xC0\xAF"), "\"\\ufffd\\ufffd\"");                        // overlong '/'
    EXPECT_EQ(json_string("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");             // a surrogate
    EXPECT_EQ(json_string("\xF4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // above U+10FFFF
    EXPECT_EQ(json_string("\xFF"
                          "a"),
              "\"\\ufffda\"");
}

TEST(JsonOut, NonFiniteNumbersBecomeNull) {
    EXPECT_EQ(json_number(1.5), "1.5");
    EXPECT_EQ(json_number(-std::numeric_limits<double>::infinity()), "null");
    EXPECT_EQ(json_number(std::nan("")), "null");
}

TEST(JsonOut, AppendsToAnExistingBuffer) {
    std::string out = "x:";
    append_json_string(out, "\xE2\x96");
    EXPECT_EQ(out, "x:\"\\ufffd\\ufffd\"");
}

}  // namespace
}  // namespace ts::core

TEST(Utf8, DecodeGivesCodePointsAndReplacesEachInvalidByte) {
    const std::string s = "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xC0\xAF\xFF";  // A é € 😀, overlong '/', 0xFF
    std::vector<uint32_t> cps;
    for (size_t i = 0, len = 0; i < s.size(); i += len) cps.push_back(ts::core::utf8_decode(s, i, &len));
    EXPECT_EQ(cps, (std::vector<uint32_t>{0x41, 0xE9, 0x20AC, 0x1F600, 0xFFFD, 0xFFFD, 0xFFFD}));
}
