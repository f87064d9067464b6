// UTF-8 and byte-mapping helpers shared by the tokenizers: the length of a UTF-8 sequence, how many leading bytes
// of a buffer form complete characters, SentencePiece's "▁" whitespace escape and GPT-2's byte <-> unicode table
// (each byte 0..255 stands for one printable code point, so byte-level BPE vocabularies are readable text).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/utf8.hpp"

namespace ts::core::tok {

inline constexpr std::string_view kSpaceEscape = "\xE2\x96\x81";  // U+2581 "▁"

// Length of the UTF-8 sequence that starts with this byte (1 for ASCII, continuation and invalid bytes).
inline size_t utf8_len(uint8_t b) {
    if (b < 0xC0) return 1;
    if (b < 0xE0) return 2;
    if (b < 0xF0) return 3;
    if (b < 0xF8) return 4;
    return 1;
}

// Length of the valid UTF-8 character at s[i], 0 if invalid or cut short (see core/base/utf8.hpp).
using core::utf8_valid_length;

// Length of the symbol the encoders start from at s[i]: a whole valid character, or one byte of invalid UTF-8.
// (llama.cpp takes the length from the first byte alone, which on invalid input can swallow the start of the next
// character, e.g. of an escaped space; on valid UTF-8 both agree.)
inline size_t symbol_len(std::string_view s, size_t i) {
    const size_t n = utf8_valid_length(s, i);
    return n ? n : 1;
}

// Appends the UTF-8 encoding of a code point.
void append_utf8(std::string& out, uint32_t cp);

// Replaces every ' ' with "▁" (SentencePiece's visible space).
std::string escape_spaces(std::string_view text);

// The GPT-2 byte <-> unicode mapping. Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves;
// the others to U+0100 + n in byte order (so ' ' -> 'Ġ', '\n' -> 'Ċ').
class ByteMap {
public:
    ByteMap();
    // UTF-8 of the code point standing for byte b.
    std::string_view encode(uint8_t b) const { return {enc_[b].data(), enc_len_[b]}; }
    // Decodes mapped text back to bytes. Characters outside the mapping are copied as they are; returns false
    // when there was at least one.
    bool decode(std::string_view mapped, std::string& out) const;

private:
    std::array<std::array<char, 2>, 256> enc_{};
    std::array<uint8_t, 256> enc_len_{};
    std::array<int16_t, 512> dec_{};  // code point (< 512) -> byte, -1 when unmapped
};

}  // namespace ts::core::tok
