// JSON for the CLI's --json lines and the trace writer: Json (nlohmann/json) and its one-line text, plus the older
// text helpers the bench and eval lines still use: string escaping that always yields valid JSON (control
// characters escaped, invalid UTF-8 bytes as \ufffd, since token pieces may be partial characters) and numbers
// (non-finite values, which JSON cannot hold, become null).
#pragma once

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/base/utf8.hpp"

namespace ts::core {

// A JSON value built with nlohmann/json: keys keep the order they were added in, and numbers are floats, written in
// the fewest digits that read back as the same float (NaN and infinities as null).
using Json =
    nlohmann::basic_json<nlohmann::ordered_map, std::vector, std::string, bool, std::int64_t, std::uint64_t, float>;

// `j` as one line of JSON text. Strings pass as UTF-8; an invalid byte (a token piece may be part of a character)
// becomes U+FFFD rather than an exception.
inline std::string dump_json(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Appends `s` as a quoted JSON string to `out`.
inline void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
            ++i;
        } else if (c < 0x20 || c == 0x7F) {
            switch (c) {
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                case '\b':
                    out += "\\b";
                    break;
                case '\f':
                    out += "\\f";
                    break;
                default: {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c));
                    out += buf;
                }
            }
            ++i;
        } else if (c < 0x80) {
            out += char(c);
            ++i;
        } else if (const size_t n = utf8_valid_length(s, i)) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            out += "\\ufffd";
            ++i;
        }
    }
    out += '"';
}

// `s` as a quoted JSON string.
inline std::string json_string(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

// A number with `digits` significant digits; NaN and infinities as null.
inline std::string json_number(double x, int digits = 6) {
    if (!std::isfinite(x)) return "null";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.*g", digits, x);
    return buf;
}

}  // namespace ts::core
