// The `llama` encoder (SentencePiece-style BPE): start from one symbol per UTF-8 character (per byte where the
// UTF-8 is invalid), repeatedly merge the adjacent pair whose concatenation is the highest-scoring vocabulary
// piece (ties: leftmost), then emit each symbol's id; a character with no piece falls back to its <0xXX> byte
// tokens (or the unknown token). A priority queue keeps this O(n log n); texts are merged word by word where the
// vocabulary allows it, and very long words in chunks that no piece can span, so memory stays bounded and the
// result is the same as merging the whole text.
#include <queue>

#include "core/base/check.hpp"
#include "core/tokenizer/tokenizer_impl.hpp"

namespace ts::core::tok {
namespace {

struct Symbol {
    int32_t prev, next;
    uint32_t start, len;  // bytes of the text; len == 0: merged into its left neighbour
};

struct Bigram {
    float score;
    int32_t left, right;
    uint32_t len;  // left.len + right.len when queued; differs once either side has changed
};

// Highest score first; among equal scores the leftmost pair.
struct BigramOrder {
    bool operator()(const Bigram& a, const Bigram& b) const {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
};

class SpmSession {
public:
    explicit SpmSession(const Tokenizer::Impl& impl) : impl_(impl) {}

    // Merges `text` and appends its ids; with `rw`, records every step there (Tokenizer::replay).
    Status run(std::string_view text, std::vector<int32_t>& out, ReplayWord* rw = nullptr) {
        text_ = text;
        rw_   = rw;
        symbols_.clear();
        for (size_t i = 0; i < text_.size();) {
            const size_t n = symbol_len(text_, i);
            const auto idx = int32_t(symbols_.size());
            symbols_.push_back({idx - 1, idx + 1, uint32_t(i), uint32_t(n)});
            i += n;
        }
        if (symbols_.empty()) return {};
        symbols_.back().next = -1;
        for (int32_t i = 1; i < int32_t(symbols_.size()); ++i) try_add(i - 1, i);
        record(ReplayStep::Kind::Start, -1, nullptr);

        while (!queue_.empty()) {
            const Bigram b = queue_.top();
            queue_.pop();
            Symbol& l = symbols_[size_t(b.left)];
            Symbol& r = symbols_[size_t(b.right)];
            if (l.len == 0 || r.len == 0 || l.len + r.len != b.len) continue;  // outdated
            l.len += r.len;
            r.len  = 0;
            l.next = r.next;
            if (r.next >= 0) symbols_[size_t(r.next)].prev = b.left;
            try_add(l.prev, b.left);
            try_add(b.left, l.next);
            record(ReplayStep::Kind::Merge, b.left, &b);
        }

        const size_t from = out.size();
        bool fallback     = false;
        for (int32_t i = 0; i != -1; i = symbols_[size_t(i)].next) {
            const Symbol& s            = symbols_[size_t(i)];
            const std::string_view txt = text_.substr(s.start, s.len);
            const int32_t id           = impl_.find_piece(txt);
            if (id >= 0) {
                out.push_back(id);
                continue;
            }
            TS_TRY(impl_.append_byte_tokens(txt, out));  // byte fallback
            fallback = true;
        }
        if (rw_ && fallback) {
            ReplayStep st{ReplayStep::Kind::ByteFallback, {}, {out.begin() + ptrdiff_t(from), out.end()}};
            for (int32_t id : st.ids) st.pieces.push_back(impl_.bytes[size_t(id)]);
            rw_->steps.push_back(std::move(st));
        }
        return {};
    }

private:
    // The symbols as they stand, appended to the replay (when one is asked for). `at`: the merged symbol's index.
    void record(ReplayStep::Kind kind, int32_t at, const Bigram* b) {
        if (!rw_) return;
        ReplayStep st;
        st.kind = kind;
        for (int32_t i = 0; i != -1; i = symbols_[size_t(i)].next) {
            const Symbol& s = symbols_[size_t(i)];
            if (i == at) st.at = int32_t(st.ids.size());
            st.pieces.emplace_back(text_.substr(s.start, s.len));
            st.ids.push_back(impl_.find_piece(st.pieces.back()));
        }
        if (b) {
            st.merged = st.at >= 0 ? st.ids[size_t(st.at)] : -1;
            st.score  = b->score;
        }
        rw_->steps.push_back(std::move(st));
    }

    void try_add(int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const Symbol& l    = symbols_[size_t(left)];
        const Symbol& r    = symbols_[size_t(right)];
        const uint32_t len = l.len + r.len;
        if (len > impl_.max_piece_len) return;
        const int32_t id = impl_.find_piece(text_.substr(l.start, len));
        if (id < 0) return;
        const float score = impl_.vocab.scores.empty() ? 0.0f : impl_.vocab.scores[size_t(id)];
        queue_.push({score, left, right, len});
    }

    const Tokenizer::Impl& impl_;
    std::string_view text_;
    std::vector<Symbol> symbols_;
    std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue_;
    ReplayWord* rw_ = nullptr;
};

}  // namespace

std::vector<size_t> safe_chunk_ends(const Tokenizer::Impl& impl, std::string_view text, size_t chunk_bytes) {
    std::vector<size_t> ends;
    const size_t max_len = std::max<size_t>(impl.max_piece_len, 1);
    // Can a piece text[a, b) with a < p < b exist? Short spans first: an unsafe position usually fails at once.
    auto is_safe = [&](size_t p) {
        for (size_t a = p; a-- > 0 && p - a < max_len;)
            for (size_t b = p + 1; b <= std::min(text.size(), a + max_len); ++b)
                if (impl.piece_to_id.count(text.substr(a, b - a))) return false;
        return true;
    };
    // A text with no safe position for this long (10 MB of one letter) is cut anyway, so memory stays bounded;
    // only there can the result differ from merging the whole text (llama.cpp would need GBs for it).
    constexpr size_t kMaxUncut = size_t(1) << 20;
    size_t start               = 0;
    while (text.size() - start > chunk_bytes) {
        const size_t limit = std::min(text.size(), start + kMaxUncut);
        size_t cut         = 0;
        for (size_t p = start + chunk_bytes; p < limit && cut == 0; ++p)
            if ((uint8_t(text[p]) & 0xC0) != 0x80 && is_safe(p)) cut = p;
        if (cut == 0) {
            if (limit == text.size()) break;
            cut = limit;
            while (cut > start + 1 && (uint8_t(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
        }
        ends.push_back(cut);
        start = cut;
    }
    ends.push_back(text.size());
    return ends;
}

Status encode_spm(const Tokenizer::Impl& impl, std::string_view escaped, std::vector<int32_t>& out,
                  std::vector<ReplayWord>* replay) {
    TS_CHECK(escaped.size() < (size_t(1) << 32) - 1, "spm: text over 4 GiB");
    SpmSession session(impl);
    WordCache cache;
    // One word: from the cache, whole, or (a huge word) in chunks no piece can span.
    auto encode_word = [&](std::string_view word) -> Status {
        if (replay) {  // every word merged afresh, its steps kept
            if (word.empty()) return {};
            return replay_word(impl, session, word, out, *replay);
        }
        if (cache.lookup(word, out)) return {};
        const size_t from = out.size();
        if (word.size() <= kChunkBytes) {
            TS_TRY(session.run(word, out));
            cache.store(word, out, from);
            return {};
        }
        size_t begin = 0;
        for (size_t end : safe_chunk_ends(impl, word, kChunkBytes)) {
            TS_TRY(session.run(word.substr(begin, end - begin), out));
            begin = end;
        }
        return {};
    };
    if (!impl.spm_word_cuts) return encode_word(escaped);
    // Cut before every "▁" that follows another character ("▁the▁▁cat" -> "▁the", "▁▁cat"), stepping by the
    // session's symbols so a cut never falls inside one.
    size_t begin    = 0;
    bool prev_space = false;
    for (size_t p = 0; p < escaped.size();) {
        const bool space = escaped.compare(p, kSpaceEscape.size(), kSpaceEscape) == 0;
        if (space && p > 0 && !prev_space) {
            TS_TRY(encode_word(escaped.substr(begin, p - begin)));
            begin = p;
        }
        prev_space = space;
        p += symbol_len(escaped, p);
    }
    return encode_word(escaped.substr(begin));
}

}  // namespace ts::core::tok
