// Ids back to text: the bytes of one token, a whole sequence, the UI's visible form of a token, and the streaming
// decoder that only ever emits whole UTF-8 characters.
#include "core/tokenizer/tokenizer_impl.hpp"

namespace ts::core {
namespace {

constexpr std::string_view kUnknownGlyph = "\xE2\x96\x85";  // ▅, what llama.cpp prints for <unk>
constexpr std::string_view kReplacement  = "\xEF\xBF\xBD";  // U+FFFD

void append_hex_byte(std::string& out, uint8_t b) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out += "<0x";
    out += kHex[b >> 4];
    out += kHex[b & 15];
    out += '>';
}

}  // namespace

std::string Tokenizer::token_bytes(int32_t id, bool render_special) const {
    if (id < 0 || id >= n_vocab()) return {};
    const TokenType type = impl_->vocab.types[size_t(id)];
    if (type == TokenType::Control) return render_special ? impl_->vocab.tokens[size_t(id)] : std::string();
    if (type == TokenType::Unknown)
        return render_special ? impl_->vocab.tokens[size_t(id)] : std::string(kUnknownGlyph);
    return impl_->bytes[size_t(id)];
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool render_special) const {
    const Vocab& v         = impl_->vocab;
    const bool strip_space = v.kind == TokenizerKind::Llama && v.add_space_prefix;
    std::string out;
    bool at_start = true;  // at the start, or right after a control token: where encode added a space
    for (int32_t id : ids) {
        std::string piece = token_bytes(id, render_special);
        const TokenType t = token_type(id);
        if (t == TokenType::Control || t == TokenType::UserDefined) {
            out += piece;
            at_start = true;
            continue;
        }
        if (strip_space && at_start && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
        at_start = false;
        out += piece;
    }
    return out;
}

std::string Tokenizer::display(int32_t id) const {
    if (id < 0 || id >= n_vocab()) return "<bad id " + std::to_string(id) + ">";
    const TokenType type    = impl_->vocab.types[size_t(id)];
    const std::string& text = impl_->vocab.tokens[size_t(id)];
    if (type == TokenType::Control || type == TokenType::Unknown || type == TokenType::UserDefined) return text;
    if (type == TokenType::Byte && impl_->vocab.kind != TokenizerKind::Gpt2) return text;  // already "<0xE2>"
    const std::string& b = impl_->bytes[size_t(id)];
    std::string out;
    for (size_t i = 0; i < b.size();) {
        const size_t n = tok::utf8_valid_length(b, i);
        const auto c   = uint8_t(b[i]);
        if (n == 0) {
            append_hex_byte(out, c);
            ++i;
            continue;
        }
        if (n == 1) {
            if (c == ' ')
                out += "\xE2\x90\xA3";  // ␣
            else if (c == '\n')
                out += "\xE2\x86\xB5";  // ↵
            else if (c == '\t')
                out += "\xE2\x87\xA5";  // ⇥
            else if (c == '\r')
                out += "\xE2\x90\x8D";  // ␍
            else if (c < 0x20 || c == 0x7F)
                append_hex_byte(out, c);
            else
                out += char(c);
        } else {
            out.append(b, i, n);
        }
        i += n;
    }
    return out;
}

bool Tokenizer::is_eog(int32_t id) const {
    const Vocab& v = impl_->vocab;
    return id >= 0 && (id == v.eos || id == v.eot);
}

std::string StreamDecoder::push(int32_t id) {
    pending_ += tok_.token_bytes(id);
    std::string out;
    size_t i = 0, done = 0;
    while (i < pending_.size()) {
        bool incomplete = false;
        const size_t n  = tok::utf8_valid_length(pending_, i, &incomplete);
        if (n > 0) {
            i += n;
            continue;
        }
        if (incomplete) break;  // may still become a character: hold it back
        out.append(pending_, done, i - done);
        out += kReplacement;  // can never become a character
        done = ++i;
    }
    out.append(pending_, done, i - done);
    pending_.erase(0, i);
    return out;
}

std::string StreamDecoder::flush() {
    std::string out = pending_.empty() ? std::string() : std::string(kReplacement);
    pending_.clear();
    return out;
}

}  // namespace ts::core
