// Tokenizer: text <-> token ids for the vocabularies GGUF stores (tokenizer.ggml.*) and llama2.c's tokenizer.bin.
// `llama` = SentencePiece-style BPE merged by score with byte fallback; `gpt2` = byte-level BPE with ranked merges
// and a pre-tokenizer chosen by tokenizer.ggml.pre.
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

enum class TokenizerKind { Llama, Gpt2 };

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type)
enum class TokenType : int32_t { Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5,
                                 Byte = 6 };

struct Vocab {
    TokenizerKind kind = TokenizerKind::Llama;
    std::string pre = "default";          // gpt2 pre-tokenizer name
    std::vector<std::string> tokens;      // id -> piece (llama: "▁" for space; gpt2: byte-to-unicode mapped)
    std::vector<float> scores;            // llama: merge priority (higher first)
    std::vector<TokenType> types;
    std::vector<std::string> merges;      // gpt2: "a b" in rank order
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

    // Text -> ids. add_bos: prepend BOS when the vocabulary asks for it (vocab().add_bos). parse_special: text
    // such as "<|im_start|>" becomes its control/user-defined id; otherwise it is plain text.
    [[nodiscard]] Result<std::vector<int32_t>> encode(std::string_view text, bool add_special,
                                                      bool parse_special) const;
    // id -> the bytes it stands for ("<0x0A>" -> "\n", "▁the" -> " the"). Control tokens give "" unless
    // render_special. Out-of-range ids give "".
    std::string token_bytes(int32_t id, bool render_special = false) const;
    std::string decode(const std::vector<int32_t>& ids, bool render_special = false) const;
    // A form for the UI in which spaces, newlines and byte tokens are visible ("␣the", "↵", "<0xE2>").
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
