// UTF-8 encoding and the GPT-2 byte <-> unicode table (see unicode.hpp).
#include "core/tokenizer/unicode.hpp"

namespace ts::core::tok {

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
        const size_t n = utf8_valid_length(mapped, i);
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
