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
