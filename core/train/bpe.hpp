// Byte-level BPE (the GPT-2 scheme, tokenizer.ggml.model = "gpt2"): a vocabulary trainer and the encoder the
// trainer uses to turn its corpus into ids.
// Vocabulary layout made by train_bpe: ids 0..255 are the 256 bytes (in byte order, written in GPT-2's
// byte-to-unicode form, e.g. ' ' -> "Ġ"), then one token per merge in rank order, then the special token
// "<|endoftext|>" (control type), which is both BOS and EOS as in GPT-2.
// Words are cut by the tokenizer module's pre-tokenizer row (default "gpt-2"), so training sees the same words as
// the engine's tokenizer and llama.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/base/result.hpp"
#include "core/tokenizer/tokenizer.hpp"

namespace ts::core::train {

struct BpeOptions {
    int n_vocab         = 4096;             // bytes + merges + the special token; fewer when pairs run out
    std::string pre     = "gpt-2";          // tokenizer.ggml.pre row that cuts words
    int min_frequency   = 2;                // a pair seen fewer times is not merged
    std::string special = "<|endoftext|>";  // BOS = EOS
};

// Learns merges from corpus (UTF-8 text; invalid bytes are allowed, they are bytes like any other).
[[nodiscard]] Result<Vocab> train_bpe(std::string_view corpus, const BpeOptions& opt);

// Encodes plain text with a gpt2 vocabulary's ranked merges (no special tokens are parsed, no BOS added).
class BpeEncoder {
public:
    [[nodiscard]] static Result<BpeEncoder> create(const Vocab& vocab);
    [[nodiscard]] Result<std::vector<int32_t>> encode(std::string_view text) const;
    std::string decode(const std::vector<int32_t>& ids) const;  // control tokens decode to ""
    // Ids of one word's bytes after applying the merges.
    std::vector<int32_t> encode_word(std::string_view word) const;

private:
    static uint64_t key(int32_t a, int32_t b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
    struct Merge {
        int32_t rank = 0, id = 0;
    };
    std::string pre_;
    std::vector<int32_t> byte_id_;                // byte -> id of its single-byte token
    std::vector<std::string> bytes_of_;           // id -> the bytes it stands for ("" for control tokens)
    std::unordered_map<uint64_t, Merge> merges_;  // (left id, right id) -> rank and merged id
};

}  // namespace ts::core::train
