// The `gpt2` and `gemma4` encoders (BPE with ranked merges): the pre-tokenizer cuts the text into words; each word
// starts as one symbol per byte (gpt2: bytes are mapped characters) or per UTF-8 character (gemma4: the text with
// spaces escaped to "▁"), and the adjacent pair with the lowest merge rank (ties: leftmost) is merged until no
// ranked pair is left. Symbols carry their token id, so ranks are looked up by id pair, never by building strings.
// With ignore_merges (llama-bpe) a word that is itself a vocabulary entry becomes that token directly; with
// whole_newline_runs (gemma4) so does a word of newlines only. A symbol without a token falls back to byte tokens.
#include <queue>

#include "core/base/check.hpp"
#include "core/tokenizer/tokenizer_impl.hpp"

namespace ts::core::tok {
namespace {

struct Symbol {
    int32_t prev, next;
    uint32_t start, len;  // len == 0: merged into its left neighbour
    int32_t id;           // token of these bytes, -1 when none
};

struct Bigram {
    int32_t rank;
    int32_t left, right;
    uint32_t len;
    int32_t id;  // the merged token
};

// Lowest rank first; among equal ranks the leftmost pair.
struct BigramOrder {
    bool operator()(const Bigram& a, const Bigram& b) const {
        return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    }
};

class BpeSession {
public:
    explicit BpeSession(const Tokenizer::Impl& impl)
        : impl_(impl), byte_level_(impl.vocab.kind == TokenizerKind::Gpt2) {}

    // Merges `word` and appends its ids; with `rw`, records every step there (Tokenizer::replay).
    Status run(std::string_view word, std::vector<int32_t>& out, ReplayWord* rw = nullptr) {
        rw_ = rw;
        if (byte_level_ && word.size() == 1 && impl_.byte_to_id[uint8_t(word[0])] >= 0) {
            out.push_back(impl_.byte_to_id[uint8_t(word[0])]);
            if (rw_) rw_->steps.push_back({ReplayStep::Kind::Whole, {std::string(word)}, {out.back()}});
            return {};
        }
        if (impl_.ignore_merges ||
            (impl_.whole_newline_runs && word.find_first_not_of('\n') == std::string_view::npos)) {
            const int32_t id = impl_.find_piece(word);
            if (id >= 0) {
                out.push_back(id);
                if (rw_) rw_->steps.push_back({ReplayStep::Kind::Whole, {std::string(word)}, {id}});
                return {};
            }
        }
        symbols_.clear();
        for (size_t i = 0; i < word.size();) {
            const size_t n   = byte_level_ ? 1 : symbol_len(word, i);
            const int32_t id = byte_level_ ? impl_.byte_to_id[uint8_t(word[i])] : impl_.find_piece(word.substr(i, n));
            const auto idx   = int32_t(symbols_.size());
            symbols_.push_back({idx - 1, idx + 1, uint32_t(i), uint32_t(n), id});
            i += n;
        }
        if (symbols_.empty()) return {};
        symbols_.back().next = -1;
        for (int32_t i = 1; i < int32_t(symbols_.size()); ++i) try_add(i - 1, i);
        record(word, ReplayStep::Kind::Start, -1, nullptr);

        while (!queue_.empty()) {
            const Bigram b = queue_.top();
            queue_.pop();
            Symbol& l = symbols_[size_t(b.left)];
            Symbol& r = symbols_[size_t(b.right)];
            if (l.len == 0 || r.len == 0 || l.len + r.len != b.len) continue;  // outdated
            l.len += r.len;
            l.id   = b.id;
            r.len  = 0;
            l.next = r.next;
            if (r.next >= 0) symbols_[size_t(r.next)].prev = b.left;
            try_add(l.prev, b.left);
            try_add(b.left, l.next);
            record(word, ReplayStep::Kind::Merge, b.left, &b);
        }

        const size_t from = out.size();
        bool fallback     = false;
        for (int32_t i = 0; i != -1; i = symbols_[size_t(i)].next) {
            const Symbol& s = symbols_[size_t(i)];
            if (s.id >= 0) {
                out.push_back(s.id);
                continue;
            }
            // A byte (or merge result) without a token.
            TS_TRY(impl_.append_byte_tokens(word.substr(s.start, s.len), out));
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
    void record(std::string_view word, ReplayStep::Kind kind, int32_t at, const Bigram* b) {
        if (!rw_) return;
        ReplayStep st;
        st.kind = kind;
        for (int32_t i = 0; i != -1; i = symbols_[size_t(i)].next) {
            if (i == at) st.at = int32_t(st.ids.size());
            st.pieces.emplace_back(word.substr(symbols_[size_t(i)].start, symbols_[size_t(i)].len));
            st.ids.push_back(symbols_[size_t(i)].id);
        }
        if (b) {
            st.merged = b->id;
            st.rank   = b->rank;
        }
        rw_->steps.push_back(std::move(st));
    }

    void try_add(int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const Symbol& l = symbols_[size_t(left)];
        const Symbol& r = symbols_[size_t(right)];
        if (l.id < 0 || r.id < 0) return;
        auto it = impl_.merges.find(Tokenizer::Impl::pair_key(l.id, r.id));
        if (it == impl_.merges.end()) return;
        queue_.push({it->second.rank, left, right, l.len + r.len, it->second.id});
    }

    const Tokenizer::Impl& impl_;
    const bool byte_level_;  // gpt2: one symbol per byte; gemma4: one per UTF-8 character
    std::vector<Symbol> symbols_;
    std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue_;
    ReplayWord* rw_ = nullptr;
};

}  // namespace

Status encode_bpe(const Tokenizer::Impl& impl, std::string_view text, std::vector<int32_t>& out,
                  std::vector<ReplayWord>* replay) {
    TS_CHECK(impl.pre.has_value(), "BPE tokenizer without a pre-tokenizer");
    auto words = impl.pre->split(text);
    if (!words.ok()) return words.error();
    BpeSession session(impl);
    WordCache cache;
    for (std::string_view word : *words) {
        if (replay) {  // every word merged afresh, its steps kept
            TS_TRY(replay_word(impl, session, word, out, *replay));
            continue;
        }
        if (word.size() <= kChunkBytes) {
            if (cache.lookup(word, out)) continue;
            const size_t from = out.size();
            TS_TRY(session.run(word, out));
            cache.store(word, out, from);
            continue;
        }
        size_t begin = 0;  // a huge word (10 MB of letters): merge it in pieces no token can span
        for (size_t end : safe_chunk_ends(impl, word, kChunkBytes)) {
            TS_TRY(session.run(word.substr(begin, end - begin), out));
            begin = end;
        }
    }
    return {};
}

}  // namespace ts::core::tok
