// Pre-tokenizers of BPE vocabularies (byte-level gpt2 ones and gemma4): how text is cut into words before merging, one
// table row per `tokenizer.ggml.pre` value (its split expressions and flags), never a code fork. Expressions are PCRE2
// (UTF, UCP, JIT, invalid UTF-8 tolerated) and are applied in order, each one splitting the pieces the previous one
// left: a match and the text between two matches both become pieces; matching never looks outside the current piece.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/base/result.hpp"

namespace ts::core {

struct PretokenizerRow {
    std::string_view name;                  // canonical tokenizer.ggml.pre value
    std::array<std::string_view, 6> exprs;  // split expressions in order; unused slots are empty
    bool ignore_merges      = false;        // a word that is a whole vocabulary entry is not merged (llama-bpe)
    bool add_bos            = false;        // BOS by default when the file does not say (llama-bpe, tekken)
    bool whole_newline_runs = false;        // a word of only newlines that is a token is not merged (gemma4)
};

// Every row, "default" first.
std::span<const PretokenizerRow> pretokenizer_rows();
// The row for a pre value or one of its aliases ("llama3" -> "llama-bpe"); nullptr when unknown.
const PretokenizerRow* find_pretokenizer(std::string_view pre);

// A row's expressions, compiled. Thread-safe: split() may run concurrently.
class Pretokenizer {
public:
    [[nodiscard]] static Result<Pretokenizer> compile(const PretokenizerRow& row);
    const PretokenizerRow& row() const { return *row_; }
    // Pieces of `text` in order (views into it); their concatenation is `text`. Fails only when PCRE2 reports a
    // matching error (resource limits), with its message.
    [[nodiscard]] Result<std::vector<std::string_view>> split(std::string_view text) const;

    Pretokenizer(Pretokenizer&&) noexcept;
    Pretokenizer& operator=(Pretokenizer&&) noexcept;
    ~Pretokenizer();

private:
    Pretokenizer() = default;
    struct Compiled;
    const PretokenizerRow* row_ = nullptr;
    std::vector<std::unique_ptr<Compiled>> codes_;
};

}  // namespace ts::core
