// UTF-8 validity, the one definition shared by the tokenizers' decoders and every JSON writer: the length of the
// valid character at a position, and whether invalid bytes are a prefix that the end of the buffer cut short.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ts::core {

// Length of the valid UTF-8 character at s[i] (1..4), or 0 when the bytes there are not a valid character
// (stray continuation byte, overlong form, surrogate, > U+10FFFF) or the character is cut off by the end.
// `*incomplete` (optional) is set when the bytes are a valid prefix that the end of the buffer cut short.
inline size_t utf8_valid_length(std::string_view s, size_t i, bool* incomplete = nullptr) {
    if (incomplete) *incomplete = false;
    const auto b0 = uint8_t(s[i]);
    if (b0 < 0x80) return 1;
    size_t n        = 0;
    uint32_t cp     = 0;
    uint32_t min_cp = 0;
    if (b0 >= 0xC2 && b0 < 0xE0) {
        n = 2, cp = b0 & 0x1F, min_cp = 0x80;
    } else if (b0 >= 0xE0 && b0 < 0xF0) {
        n = 3, cp = b0 & 0x0F, min_cp = 0x800;
    } else if (b0 >= 0xF0 && b0 < 0xF5) {
        n = 4, cp = b0 & 0x07, min_cp = 0x10000;
    } else {
        return 0;  // continuation byte, C0/C1 (always overlong) or F5..FF
    }
    for (size_t k = 1; k < n; ++k) {
        if (i + k >= s.size()) {
            // Every byte so far fits: a valid prefix that the end of the buffer cut short.
            if (incomplete) *incomplete = true;
            return 0;
        }
        const auto b = uint8_t(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
        // Reject overlong / surrogate / too large as soon as the second byte tells.
        if (k == 1) {
            if (n == 3 && b0 == 0xE0 && b < 0xA0) return 0;
            if (n == 3 && b0 == 0xED && b >= 0xA0) return 0;
            if (n == 4 && b0 == 0xF0 && b < 0x90) return 0;
            if (n == 4 && b0 == 0xF4 && b >= 0x90) return 0;
        }
    }
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

// The code point at s[i]; *len gets its byte length. A byte that does not start a valid character decodes as
// U+FFFD of length 1, so a loop over any bytes always advances.
inline uint32_t utf8_decode(std::string_view s, size_t i, size_t* len) {
    const size_t n = utf8_valid_length(s, i);
    if (n == 0) {
        *len = 1;
        return 0xFFFD;
    }
    *len          = n;
    const auto b0 = uint8_t(s[i]);
    uint32_t cp   = n == 1 ? b0 : b0 & (0x7Fu >> n);  // the lead byte's payload: 5, 4 or 3 bits
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (uint8_t(s[i + k]) & 0x3F);
    return cp;
}

// `s` with every byte that does not start a valid character replaced by U+FFFD (one per byte, as utf8_decode reads
// them), for text that must be valid UTF-8 (CSV, JSON).
inline std::string utf8_sanitized(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const size_t n = utf8_valid_length(s, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s, i, n);
            i += n;
        }
    }
    return out;
}

}  // namespace ts::core
