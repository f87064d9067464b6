// Tokenizer: text <-> token ids for the vocabularies GGUF stores (tokenizer.ggml.*) and llama2.c's tokenizer.bin.
// `llama` = SentencePiece-style BPE merged by score with byte fallback; `gpt2` = byte-level BPE with ranked merges
// and a pre-tokenizer chosen by tokenizer.ggml.pre; `gemma4` = BPE with ranked merges over SentencePiece-style
// pieces (spaces written "▁", <0xXX> byte fallback), each line merged whole.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.hpp"

namespace ts::core {
namespace gguf {
class GgufFile;
}

enum class TokenizerKind { Llama, Gpt2, Gemma4 };

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type)
enum class TokenType : int32_t {
    Undefined   = 0,
    Normal      = 1,
    Unknown     = 2,
    Control     = 3,
    UserDefined = 4,
    Unused      = 5,
    Byte        = 6
};

// llama.cpp's per-token LSTRIP / RSTRIP attributes: when a special token is cut out of the text, the ASCII whitespace
// (C's isspace) just before / after it is dropped. GGUF does not store them; llama.cpp sets them by model name.
enum TokenStrip : uint8_t { kStripNone = 0, kStripLeft = 1, kStripRight = 2 };

struct Vocab {
    TokenizerKind kind = TokenizerKind::Llama;
    std::string pre    = "default";   // gpt2 / gemma4 pre-tokenizer name
    std::vector<std::string> tokens;  // id -> piece (llama, gemma4: "▁" for space; gpt2: byte-to-unicode mapped)
    std::vector<float> scores;        // llama: merge priority (higher first)
    std::vector<TokenType> types;
    std::vector<std::string> merges;  // gpt2, gemma4: "a b" in rank order
    std::vector<uint8_t> strip;       // per token: TokenStrip bits; empty when no token strips
    int32_t bos = -1, eos = -1, eot = -1, unk = -1, pad = -1;
    bool add_bos = false, add_eos = false, add_space_prefix = true;
};

// The tokenizer replayed on a piece of text, step by step (Tokenizer::replay; the explorer's Tokens panel): each word
// the encoder merged, from its first symbols through every merge in the order the encoder applied it to the ids,
// with byte fallback shown. Symbols are given by their bytes and their token id (-1: no token for them).
struct ReplayStep {
    enum class Kind : uint8_t {
        Start,         // one symbol per byte (gpt2) or per UTF-8 character (llama, gemma4)
        Merge,         // two neighbours became one token: gpt2, gemma4 lowest rank first; llama best score first
        Whole,         // the word is a token by itself (a special token, llama-bpe's ignore_merges, one byte)
        ByteFallback,  // symbols without a token became byte tokens (<0xXX>) or the unknown token
    };
    Kind kind = Kind::Start;
    std::vector<std::string> pieces;  // the symbols after this step, as bytes
    std::vector<int32_t> ids;         // their tokens (-1: none yet)
    int32_t at     = -1;              // Merge: the index in `pieces` of the merged symbol
    int32_t merged = -1;              // Merge: the token the pair became
    int32_t rank   = -1;              // Merge (gpt2, gemma4): the merge's rank, 0 = the first learned
    float score    = 0;               // Merge (llama): the merged piece's score
};
struct ReplayWord {
    std::string text;               // the word as the encoder saw it (llama, gemma4: spaces written "▁")
    std::vector<ReplayStep> steps;  // Start (or Whole), the merges in order, then ByteFallback when needed
    std::vector<int32_t> ids;       // what the word became
};
struct TokenizerReplay {
    std::vector<ReplayWord> words;  // in text order, special tokens included (one Whole step each)
    std::vector<int32_t> ids;       // the words' ids in order: equal to encode(text, false, parse_special)
};

class Tokenizer {
public:
    // Reads tokenizer.ggml.* from a GGUF file.
    [[nodiscard]] static Result<std::shared_ptr<const Tokenizer>> from_gguf(const gguf::GgufFile& f);
    // Reads karpathy/llama2.c's tokenizer.bin (max_token_length, then per token: f32 score, i32 len, bytes).
    [[nodiscard]] static Result<std::shared_ptr<const Tokenizer>> from_llama2c(const std::string& path,
                                                                               int32_t n_vocab);
    [[nodiscard]] static Result<std::shared_ptr<const Tokenizer>> from_vocab(Vocab v);

    const Vocab& vocab() const;
    int32_t n_vocab() const;
    // Problems found while loading that did not stop it (unknown pre-tokenizer, bad special ids, ...): the CLI
    // prints them as `warning:` lines. Core never prints.
    const std::vector<std::string>& warnings() const;
    // The id whose piece is exactly `text` (any type, e.g. "<|im_start|>"); -1 when none. Linear: not for loops.
    int32_t find_token(std::string_view text) const;
    TokenType token_type(int32_t id) const;  // Undefined for ids out of range

    // Text -> ids. add_special: prepend BOS / append EOS when the vocabulary asks for it (vocab().add_bos,
    // add_eos). parse_special: text such as "<|im_start|>" or "<s>" becomes its control id; otherwise it is plain
    // text (user-defined tokens are always matched, as in llama.cpp). Any bytes are accepted (invalid UTF-8, NUL):
    // they fall back to byte tokens; errors only when a byte has no token at all, or the text is over 1 GiB.
    [[nodiscard]] Result<std::vector<int32_t>> encode(std::string_view text, bool add_special,
                                                      bool parse_special) const;
    // encode(text, false, parse_special) step by step (see TokenizerReplay). Each word is merged afresh (no cache),
    // so this is for a word or a line, not a book.
    [[nodiscard]] Result<TokenizerReplay> replay(std::string_view text, bool parse_special = false) const;
    // id -> the bytes it stands for ("<0x0A>" -> "\n", "▁the" -> " the"). Control tokens give "" unless
    // render_special. Out-of-range ids give "".
    // Unknown tokens give "▅" unless render_special.
    std::string token_bytes(int32_t id, bool render_special = false) const;
    // The concatenation of token_bytes; for llama vocabularies with add_space_prefix, the space that encode put
    // before the text (at the start and after a control token) is removed again, so decode(encode(t)) == t.
    std::string decode(const std::vector<int32_t>& ids, bool render_special = false) const;
    // A form for the UI in which spaces, newlines and byte tokens are visible ("␣the", "↵", "<0xE2>"): ' ' -> ␣,
    // '\n' -> ↵, '\t' -> ⇥, '\r' -> ␍, other control bytes and bytes that are not whole UTF-8 characters -> <0xXX>;
    // control / user-defined / unknown tokens show their text ("<s>").
    std::string display(int32_t id) const;
    bool is_eog(int32_t id) const;  // end of generation: EOS or EOT

    ~Tokenizer();
    struct Impl;
    explicit Tokenizer(std::unique_ptr<Impl> impl);

private:
    std::unique_ptr<Impl> impl_;
};

// Streaming decoder: feed ids one at a time; emits only complete UTF-8 characters (holds back partial ones).
class StreamDecoder {
public:
    explicit StreamDecoder(const Tokenizer& tok) : tok_(tok) {}
    std::string push(int32_t id);
    std::string flush();  // whatever is held back (invalid sequences come out as U+FFFD)

private:
    const Tokenizer& tok_;
    std::string pending_;
};

}  // namespace ts::core
