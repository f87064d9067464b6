// UTF-8 validation/encoding and the GPT-2 byte <-> unicode table (see unicode.hpp).
#include "core/tokenizer/unicode.hpp"

namespace ts::core::tok {

size_t utf8_valid_len(std::string_view s, size_t i, bool* incomplete) {
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

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

std::string escape_spaces(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 4);
    for (char c : text) {
        if (c == ' ')
            out += kSpaceEscape;
        else
            out += c;
    }
    return out;
}

ByteMap::ByteMap() {
    dec_.fill(-1);
    int n = 0;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        const uint32_t cp    = printable ? uint32_t(b) : uint32_t(256 + n++);
        std::string s;
        append_utf8(s, cp);
        enc_len_[b] = uint8_t(s.size());
        for (size_t k = 0; k < s.size(); ++k) enc_[b][k] = s[k];
        dec_[cp] = int16_t(b);
    }
}

bool ByteMap::decode(std::string_view mapped, std::string& out) const {
    bool all_mapped = true;
    size_t i        = 0;
    while (i < mapped.size()) {
        const size_t n = utf8_valid_len(mapped, i);
        if (n == 1 || n == 2) {
            uint32_t cp = uint8_t(mapped[i]);
            if (n == 2) cp = ((cp & 0x1F) << 6) | (uint8_t(mapped[i + 1]) & 0x3F);
            if (cp < dec_.size() && dec_[cp] >= 0) {
                out += char(dec_[cp]);
                i += n;
                continue;
            }
        }
        const size_t take = n == 0 ? 1 : n;
        out.append(mapped.substr(i, take));
        i += take;
        all_mapped = false;
    }
    return all_mapped;
}

}  // namespace ts::core::tok
