// Rating a "predict the next token" guess (see guess.hpp).
#include "core/trace/guess.hpp"

#include <cmath>
#include <string>

namespace ts::core {

GuessRating rate_guess_token(int32_t id, std::span<const float> logits, const sample::StageView& raw) {
    GuessRating g;
    g.id       = id;
    g.n_tokens = 1;
    if (!logits.empty()) {
        if (id < 0 || size_t(id) >= logits.size()) return g;
        const float mine = logits[size_t(id)];
        int32_t better   = 0;  // ids ranked above: a higher logit, or the same logit and a lower id
        for (size_t i = 0; i < logits.size(); ++i)
            if (logits[i] > mine || (logits[i] == mine && int32_t(i) < id)) ++better;
        g.rank = better + 1;
        g.p    = sample::softmax_at(logits, id);
        return g;
    }
    for (size_t i = 0; i < raw.top.size(); ++i) {  // best first, ties by lower id: the listed order is the rank
        if (raw.top[i].id != id) continue;
        g.rank = int32_t(i) + 1;
        g.p    = raw.top[i].p;
    }
    return g;
}

Result<GuessRating> rate_guess_text(const Tokenizer& tok, std::string_view text, std::span<const float> logits,
                                    const sample::StageView& raw) {
    if (text.empty()) return make_error(Code::kInvalidArgument, "guess: type a word or pick a token");
    const auto rate = [&](std::string_view t, bool spaced) -> Result<GuessRating> {
        auto ids = tok.encode(t, false, false);
        if (!ids) return ids.error();
        if (ids->empty())
            return make_error(Code::kInvalidArgument, "guess: '%s' has no tokens", std::string(t).c_str());
        GuessRating g = rate_guess_token(ids->front(), logits, raw);
        g.n_tokens    = int32_t(ids->size());
        g.spaced      = spaced;
        return g;
    };
    const Vocab& v = tok.vocab();
    if (v.kind == TokenizerKind::Llama && v.add_space_prefix) {
        // encode() puts the space before the text itself: " unto" and "unto" are both "▁unto".
        const bool had_space = text.front() == ' ';
        auto g               = rate(had_space ? text.substr(1) : text, !had_space);
        if (!g && had_space && text.size() == 1) return rate(text, false);
        return g;
    }
    auto plain = rate(text, false);
    if (!plain) return plain.error();
    if (text.front() == ' ' || text.front() == '\n') return plain;
    std::string with_space(1, ' ');  // (appended: GCC 12 warns falsely about " " + std::string)
    with_space.append(text);
    auto spaced = rate(with_space, true);
    if (!spaced) return plain;
    const auto better = [](const GuessRating& a, const GuessRating& b) {  // a ranks above b
        if (a.rank < 0) return false;
        return b.rank < 0 || a.rank < b.rank;
    };
    return better(*spaced, *plain) ? spaced : plain;
}

}  // namespace ts::core
