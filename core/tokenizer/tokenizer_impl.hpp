// Tokenizer::Impl: the lookup tables built once from a Vocab, shared by the encoders (spm.cpp, bpe.cpp), the
// special-token splitter (encode.cpp) and the decoders (decode.cpp). Internal to core/tokenizer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/tokenizer/pretokenize.hpp"
#include "core/tokenizer/tokenizer.hpp"
#include "core/tokenizer/unicode.hpp"

namespace ts::core {

struct Tokenizer::Impl {
    Vocab vocab;
    std::vector<std::string> warnings;

    // Every token's bytes as text (llama: "▁" -> ' ', "<0x0A>" -> "\n"; gpt2: byte-unmapped). Control, unknown and
    // user-defined tokens keep their text verbatim.
    std::vector<std::string> bytes;

    // llama: piece text -> id for tokens that merges may produce (not control, unknown or byte tokens).
    // gpt2: token bytes -> id for every token (later ids win, as in llama.cpp). gemma4: token text -> id, every token.
    std::unordered_map<std::string_view, int32_t> piece_to_id;
    size_t max_piece_len = 0;  // bytes of the longest key of piece_to_id

    std::array<int32_t, 256> byte_to_id{};  // llama, gemma4: the <0xXX> tokens; gpt2: the mapped bytes (-1: none)
    // llama: no piece holds a "▁" right after another character (only at its start, or in runs of "▁"), so a
    // text can be merged word by word, cutting before each "▁" that follows another character.
    bool spm_word_cuts = false;

    // gpt2, gemma4: (left id, right id) -> merge rank and the id of the merged token.
    struct Merge {
        int32_t rank;
        int32_t id;
    };
    std::unordered_map<uint64_t, Merge> merges;
    std::optional<Pretokenizer> pre;
    bool ignore_merges      = false;
    bool whole_newline_runs = false;

    // Tokens matched in the text before the encoders run, longest text first: user-defined ones always, control
    // and unknown ones only when special parsing is on.
    std::vector<int32_t> specials;

    tok::ByteMap byte_map;

    static uint64_t pair_key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
    int32_t find_piece(std::string_view s) const {
        auto it = piece_to_id.find(s);
        return it == piece_to_id.end() ? -1 : it->second;
    }
    // Byte fallback, shared by both encoders: each byte of `text` as its byte token (<0xXX> for llama, the mapped
    // byte for gpt2), else the unknown token; an error when the vocabulary has neither.
    [[nodiscard]] Status append_byte_tokens(std::string_view text, std::vector<int32_t>& out) const {
        for (char c : text) {
            int32_t id = byte_to_id[uint8_t(c)];
            if (id < 0) id = vocab.unk;
            if (id < 0)
                return make_error(Code::kUnsupported, "tokenizer: no token for byte 0x%02X and no unknown token",
                                  unsigned(uint8_t(c)));
            out.push_back(id);
        }
        return {};
    }
};

namespace tok {

// Ids of words already encoded during one encode() call (natural text repeats its words). Keys are views into
// that call's text; bounded in entries and word length, so memory stays small.
class WordCache {
public:
    static constexpr size_t kMaxWord = 64, kMaxEntries = 1 << 16;
    // The ids of `word` appended to out, or false when it is not cached.
    bool lookup(std::string_view word, std::vector<int32_t>& out) const {
        auto it = map_.find(word);
        if (it == map_.end()) return false;
        out.insert(out.end(), ids_.begin() + it->second.first, ids_.begin() + it->second.second);
        return true;
    }
    // Remembers the ids out[from..] as the encoding of `word`.
    void store(std::string_view word, const std::vector<int32_t>& out, size_t from) {
        if (word.size() > kMaxWord || map_.size() >= kMaxEntries) return;
        const size_t begin = ids_.size();
        ids_.insert(ids_.end(), out.begin() + ptrdiff_t(from), out.end());
        map_.emplace(word, std::make_pair(begin, ids_.size()));
    }

private:
    std::unordered_map<std::string_view, std::pair<size_t, size_t>> map_;
    std::vector<int32_t> ids_;
};

// llama (SentencePiece-style): text with spaces already escaped to "▁"; appends ids. With `replay`, every word is
// merged afresh and its steps appended there (Tokenizer::replay).
[[nodiscard]] Status encode_spm(const Tokenizer::Impl& impl, std::string_view escaped, std::vector<int32_t>& out,
                                std::vector<ReplayWord>* replay = nullptr);
// gpt2 (byte-level BPE): raw text of one fragment; gemma4: one fragment with spaces already escaped to "▁".
// Pre-tokenizes, merges, appends ids (and the steps, with `replay`).
[[nodiscard]] Status encode_bpe(const Tokenizer::Impl& impl, std::string_view text, std::vector<int32_t>& out,
                                std::vector<ReplayWord>* replay = nullptr);

// Chunk ends for merging a long text in pieces of about chunk_bytes: each cut is where no key of impl.piece_to_id
// spans it, so no merge could cross it and the result equals merging the whole text. Only a text without any such
// position for 1 MB is cut regardless (bounded memory). The last end is text.size().
std::vector<size_t> safe_chunk_ends(const Tokenizer::Impl& impl, std::string_view text, size_t chunk_bytes);

// Words longer than this are merged in safe chunks (safe_chunk_ends), by both encoders.
inline constexpr size_t kChunkBytes = 64 * 1024;

// One word merged afresh by an encoder session (BPE or SentencePiece: `run(piece, out, ReplayWord*)`), in safe chunks,
// its ids appended to `out` and its steps kept in `replay` (Tokenizer::replay; no word cache on this path).
template <class EncoderSession>
[[nodiscard]] Status replay_word(const Tokenizer::Impl& impl, EncoderSession& session, std::string_view word,
                                 std::vector<int32_t>& out, std::vector<ReplayWord>& replay) {
    ReplayWord rw{std::string(word), {}, {}};
    const size_t from = out.size();
    size_t begin      = 0;
    for (size_t end : safe_chunk_ends(impl, word, kChunkBytes)) {
        TS_TRY(session.run(word.substr(begin, end - begin), out, &rw));
        begin = end;
    }
    rw.ids.assign(out.begin() + ptrdiff_t(from), out.end());
    replay.push_back(std::move(rw));
    return {};
}

}  // namespace tok
}  // namespace ts::core
