// Test helpers for core/session: the model engineer's tiny model (tests/core/model/tiny_model.hpp) written with a
// small llama vocabulary, so that sessions can take text prompts and know their end-of-text token.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/model/model.hpp"
#include "core/session/session.hpp"
#include "tests/core/model/tiny_model.hpp"

namespace ts::core::tiny {

// Ids: 0 "</s>" (EOS), 1 "<s>" (BOS), 2 "<unk>", 3 "▁", 4.. "a".."z", then a few merges: 37 tokens (TinySpec's).
inline std::vector<std::string> tiny_vocab() {
    std::vector<std::string> v = {"</s>", "<s>", "<unk>", "\xE2\x96\x81"};
    for (char c = 'a'; c <= 'z'; ++c) v.emplace_back(1, c);
    for (const char* m : {"\xE2\x96\x81t",
                          "\xE2\x96\x81"
                          "a",
                          "he", "th", "in", "er", "an"})
        v.emplace_back(m);
    return v;
}

// Writes `m` with the tiny llama vocabulary (the model's n_vocab must be 37) to a temporary file named `name` and
// loads it.
inline std::shared_ptr<const Model> load_with_vocab(const TinyModel& m, const std::string& name) {
    gguf::GgufWriter w = gguf_writer_for(m);
    using gguf::Value;
    const auto tokens = tiny_vocab();
    EXPECT_EQ(int(tokens.size()), m.spec.n_vocab);
    std::vector<float> scores;
    std::vector<int32_t> types;
    for (size_t i = 0; i < tokens.size(); ++i) {
        scores.push_back(-float(i));
        types.push_back(i < 2 ? 3 : i == 2 ? 2 : 1);  // control, unknown, normal
    }
    w.add("tokenizer.ggml.model", Value::make_string("llama"));
    w.add("tokenizer.ggml.tokens", Value::make_string_array(tokens));
    w.add("tokenizer.ggml.scores", Value::make_f32_array(scores));
    w.add("tokenizer.ggml.token_type", Value::make_i32_array(types));
    w.add("tokenizer.ggml.eos_token_id", Value::make_u32(0));
    w.add("tokenizer.ggml.bos_token_id", Value::make_u32(1));
    w.add("tokenizer.ggml.unknown_token_id", Value::make_u32(2));
    w.add("tokenizer.ggml.add_bos_token", Value::make_bool(true));
    const std::string path = temp_path(name);
    const Status st        = w.write(path);
    EXPECT_TRUE(st.ok()) << st.error().message;
    auto r = load_model(path);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : nullptr;
}

// zero_output: every output row is zero, so all logits tie and greedy sampling picks id 0, the EOS.
inline std::shared_ptr<const Model> load_tiny_with_vocab(const TinySpec& spec = {}, bool zero_output = false) {
    TinyModel m = make_tiny_model(spec);
    if (zero_output) {
        TinyTensor& out = m.tensors.at("output.weight");
        std::fill(out.bytes.begin(), out.bytes.end(), uint8_t(0));
        std::fill(out.ref.begin(), out.ref.end(), 0.0f);
    }
    return load_with_vocab(m, zero_output ? "zero.gguf" : "model.gguf");
}

inline std::unique_ptr<Session> make_session(std::shared_ptr<const Model> model, SessionOptions opt = {}) {
    if (opt.n_ctx == 0) opt.n_ctx = 48;
    auto s = Session::create(std::move(model), opt);
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? std::move(*s) : nullptr;
}

}  // namespace ts::core::tiny
