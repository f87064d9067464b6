// "Predict the next token" (the explorer's predict mode): a student's guess, as text or as a token, rated against a
// position's next-token distribution: the guess's first token, its rank by raw logit and its probability (softmax at
// T = 1 over the whole vocabulary), and whether the guess is several tokens (only the first one is rated: it is the
// one the model predicts here).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/base/result.hpp"
#include "core/sample/sampler.hpp"
#include "core/tokenizer/tokenizer.hpp"

namespace ts::core {

struct GuessRating {
    int32_t id       = -1;     // the guess's first token
    int32_t n_tokens = 0;      // how many tokens the guess's text is (1 for a picked token)
    bool spaced      = false;  // the text was rated with a space before it (" unto" rather than "unto")
    int32_t rank     = -1;     // 1: the model's favourite (ties by lower id); -1: below the candidates listed
    float p          = 0;      // softmax at T = 1 over the whole vocabulary (0 when not listed and unknown)
};

// The rating of token `id` against full logits (exact rank among n_vocab) or, when `logits` is empty, against the
// raw-logits stage a position's sampler view recorded (rank among its listed candidates, -1 below them).
[[nodiscard]] GuessRating rate_guess_token(int32_t id, std::span<const float> logits, const sample::StageView& raw);

// The guess's text tokenized (no BOS), its first token rated. A word typed without its leading space ("unto") is
// rated both ways and the better ranked is kept (spaced says which): BPE vocabularies spell most words with the
// space before them (a llama vocabulary puts that space in front itself). Errors: empty text, a text the tokenizer
// cannot encode.
[[nodiscard]] Result<GuessRating> rate_guess_text(const Tokenizer& tok, std::string_view text,
                                                  std::span<const float> logits, const sample::StageView& raw);

}  // namespace ts::core
