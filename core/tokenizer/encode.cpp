// Tokenizer::encode: cut special tokens out of the text first (longest first), then run the vocabulary's encoder
// on each stretch of plain text between them, adding BOS/EOS and (llama) the space prefix the way llama.cpp does.
// (llama, gemma4: spaces escaped to "▁" first.)
#include "core/tokenizer/tokenizer_impl.hpp"

namespace ts::core {
namespace {

constexpr size_t kMaxText = size_t(1) << 30;

struct Fragment {
    int32_t id;  // >= 0: a special token; -1: plain text [off, off + len)
    size_t off, len;
};

// C's isspace in the "C" locale, as llama.cpp strips around special tokens: bytes, ASCII only.
bool is_c_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// The text cut at special tokens, longest token first (each token splits what the longer ones left), dropping the
// whitespace a token strips on its left / right (vocab.strip).
std::vector<Fragment> partition_specials(const Tokenizer::Impl& impl, std::string_view text, bool parse_special) {
    std::vector<Fragment> frags;
    if (text.empty()) return frags;
    frags.push_back({-1, 0, text.size()});
    std::vector<Fragment> next;
    for (int32_t id : impl.specials) {
        const TokenType type = impl.vocab.types[size_t(id)];
        if (!parse_special && type != TokenType::UserDefined) continue;
        const std::string_view s = impl.vocab.tokens[size_t(id)];
        if (text.find(s) == std::string_view::npos) continue;
        const uint8_t strip = impl.vocab.strip.empty() ? uint8_t(kStripNone) : impl.vocab.strip[size_t(id)];
        next.clear();
        for (const Fragment& f : frags) {
            if (f.id >= 0) {
                next.push_back(f);
                continue;
            }
            const std::string_view span = text.substr(f.off, f.len);
            size_t pos                  = 0;
            for (size_t hit; (hit = span.find(s, pos)) != std::string_view::npos;) {
                size_t left_end = hit;
                if (strip & kStripLeft)
                    while (left_end > pos && is_c_space(span[left_end - 1])) --left_end;
                if (left_end > pos) next.push_back({-1, f.off + pos, left_end - pos});
                next.push_back({id, 0, 0});
                pos = hit + s.size();
                if (strip & kStripRight)
                    while (pos < span.size() && is_c_space(span[pos])) ++pos;
            }
            if (pos < span.size()) next.push_back({-1, f.off + pos, span.size() - pos});
        }
        frags.swap(next);
    }
    return frags;
}

// encode(), and (with `replay`) the steps of every word and special token.
Result<std::vector<int32_t>> encode_with(const Tokenizer::Impl& impl, std::string_view text, bool add_special,
                                         bool parse_special, std::vector<ReplayWord>* replay) {
    const Vocab& v = impl.vocab;
    if (text.size() > kMaxText)
        return make_error(Code::kInvalidArgument, "tokenizer: text of %zu bytes is over the 1 GiB limit", text.size());
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 2);
    if (add_special && v.add_bos) out.push_back(v.bos);

    const auto special = [&](int32_t id) {
        out.push_back(id);
        if (replay) {
            const std::string& piece = v.tokens[size_t(id)];
            replay->push_back({piece, {{ReplayStep::Kind::Whole, {piece}, {id}}}, {id}});
        }
    };
    const std::vector<Fragment> frags = partition_specials(impl, text, parse_special);
    if (v.kind == TokenizerKind::Llama) {
        bool prev_special = true;  // the first stretch of text gets the space prefix too
        std::string plain;
        for (const Fragment& f : frags) {
            if (f.id >= 0) {
                special(f.id);
                prev_special = true;
                continue;
            }
            plain.clear();
            if (v.add_space_prefix && prev_special) plain += ' ';
            plain += text.substr(f.off, f.len);
            TS_TRY(tok::encode_spm(impl, tok::escape_spaces(plain), out, replay));
            prev_special = false;
        }
    } else {
        // gemma4's pieces spell spaces "▁" (no space prefix, unlike llama); gpt2 works on the raw bytes.
        const bool escape = v.kind == TokenizerKind::Gemma4;
        for (const Fragment& f : frags) {
            if (f.id >= 0)
                special(f.id);
            else if (escape)
                TS_TRY(tok::encode_bpe(impl, tok::escape_spaces(text.substr(f.off, f.len)), out, replay));
            else
                TS_TRY(tok::encode_bpe(impl, text.substr(f.off, f.len), out, replay));
        }
    }
    if (add_special && v.add_eos) out.push_back(v.eos);
    return out;
}

}  // namespace

Result<std::vector<int32_t>> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
    return encode_with(*impl_, text, add_special, parse_special, nullptr);
}

Result<TokenizerReplay> Tokenizer::replay(std::string_view text, bool parse_special) const {
    TokenizerReplay r;
    auto ids = encode_with(*impl_, text, false, parse_special, &r.words);
    if (!ids) return ids.error();
    r.ids = std::move(*ids);
    return r;
}

}  // namespace ts::core
