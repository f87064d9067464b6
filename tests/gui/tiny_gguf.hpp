// Writes a tiny llama-architecture GGUF for the GUI tests: 2 layers, n_embd 64, a SentencePiece-style vocabulary
// with a few non-ASCII pieces (so the font's glyph ranges are exercised), and three tensor types (f32 norms, f16
// embeddings, q8_0 matrices) so the Model panel's type table has rows to show. Weights are small pseudo-random
// numbers; only their shapes and types matter to these tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/base/fp16.hpp"
#include "core/gguf/gguf_writer.hpp"

namespace ts::test {

// A path in the test temp folder that no other test process uses: ctest runs every test in its own process, in
// parallel, and rewriting a model file another process has mapped kills that process with SIGBUS.
inline std::string unique_temp_path(const std::string& name) {
    return ::testing::TempDir() + std::to_string(::getpid()) + "_" + name;
}

struct TinyGgufSpec {
    // "llama"; "gpt2" (LayerNorm with biases, learned positions, fused QKV, GELU; n_head_kv is taken as n_head);
    // "qwen3" (per-head q/k norms, heads of key_length 32, wider than n_embd / n_head); "phi3" (fused attn_qkv and
    // gate+up); "gemma2" / "gemma3" (heads of key_length 32, post-norms, a sliding window of 4 positions on every
    // layer but the last of each pattern, soft-caps (gemma2), q/k norms (gemma3), tied output (gemma2)); "qwen3moe"
    // (qwen3's attention, 4 experts of n_ff / 2 with 2 used per token, router in F32); "olmoe" (the same experts,
    // sized by feed_forward_length, one kv head per head, q/k norms over the whole vector).
    // "gemma4" (3 layers whatever
    // n_layer: local, global, local; global heads of 32, local of 16, a window of 4, per-layer embeddings of 32,
    // layer 2 sharing layer 0's KV cache, rope_freqs on the global layer, logits soft-capped at 30); "gemma4moe" (that
    // gemma4 file with qwen3moe's 4 experts, 2 used, beside each layer's MLP: gate and up fused, per-expert scales).
    std::string arch = "llama";
    int n_embd = 64, n_layer = 2, n_head = 4, n_head_kv = 2, n_ff = 128, n_ctx = 128;
    std::vector<float> rope_freqs;  // [head_dim/2] llama3 RoPE frequency factors (rope_freqs.weight); empty: none
};

// The vocabulary: <unk> <s> </s>, the 256 byte tokens, then pieces. Includes "▁café", "θ", "→", "日本".
inline std::vector<std::string> tiny_vocab() {
    std::vector<std::string> v = {"<unk>", "<s>", "</s>"};
    char buf[8];
    for (int b = 0; b < 256; ++b) {
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        v.emplace_back(buf);
    }
    for (const char* p : {"▁the", "▁a", "▁model", "▁token", "▁café", "▁naïve", "θ", "→", "日本", "▁Ω", "ing", "ed"})
        v.emplace_back(p);
    return v;
}

class TinyRng {
public:
    float next() {  // uniform in [-1, 1)
        s_ = s_ * 6364136223846793005ull + 1442695040888963407ull;
        return float(double(s_ >> 11) / double(1ull << 53)) * 2.0f - 1.0f;
    }

private:
    uint64_t s_ = 42;
};

inline std::vector<uint8_t> f16_bytes(int64_t n, TinyRng& rng, float scale) {
    std::vector<uint8_t> out(size_t(n) * 2);
    for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = core::f32_to_fp16(scale * rng.next());
        std::memcpy(out.data() + size_t(i) * 2, &h, 2);
    }
    return out;
}

// Q8_0: blocks of 32 weights = an f16 scale d and 32 int8 q, weight = d * q.
inline std::vector<uint8_t> q8_0_bytes(int64_t n, TinyRng& rng, float scale) {
    std::vector<uint8_t> out;
    for (int64_t b = 0; b < n / 32; ++b) {
        const uint16_t d = core::f32_to_fp16(scale / 127.0f);
        out.push_back(uint8_t(d & 0xff));
        out.push_back(uint8_t(d >> 8));
        for (int i = 0; i < 32; ++i) out.push_back(uint8_t(int8_t(rng.next() * 127.0f)));
    }
    return out;
}

inline core::Status write_tiny_gguf(const std::string& path, const TinyGgufSpec& s = {}) {
    using core::DType;
    using core::gguf::Value;
    core::gguf::GgufWriter w;
    const std::vector<std::string> vocab = tiny_vocab();
    const bool olmoe                     = s.arch == "olmoe";
    const bool moe                       = s.arch == "qwen3moe" || olmoe;
    const bool gpt2 = s.arch == "gpt2", qwen3 = s.arch == "qwen3" || s.arch == "qwen3moe", phi3 = s.arch == "phi3";
    const bool g4moe            = s.arch == "gemma4moe";  // gemma4 with experts beside the MLP
    const bool gemma4           = s.arch == "gemma4" || g4moe;
    const std::string arch_name = g4moe ? "gemma4" : s.arch;
    const bool gemma = s.arch == "gemma2" || s.arch == "gemma3" || gemma4, gemma3 = s.arch == "gemma3" || gemma4;
    const int n_layer       = gemma4 ? 3 : s.n_layer;
    const int64_t head_dim  = qwen3 || gemma ? 32 : s.n_embd / s.n_head;
    const int64_t n_head_kv = gpt2 || olmoe ? s.n_head : s.n_head_kv;
    const int64_t P         = 32;  // gemma4's per-layer embedding width
    const int64_t E = s.n_embd, F = s.n_ff, V = int64_t(vocab.size()), KV = n_head_kv * head_dim,
                  Q     = s.n_head * head_dim;
    const std::string a = arch_name + ".";
    w.add("general.architecture", Value::make_string(arch_name));
    w.add("general.name", Value::make_string("tiny test model"));
    w.add(a + "context_length", Value::make_u32(uint32_t(s.n_ctx)));
    w.add(a + "embedding_length", Value::make_u32(uint32_t(E)));
    w.add(a + "block_count", Value::make_u32(uint32_t(n_layer)));
    w.add(a + "feed_forward_length", Value::make_u32(uint32_t(olmoe ? F / 2 : F)));  // olmoe: each expert's
    w.add(a + "attention.head_count", Value::make_u32(uint32_t(s.n_head)));
    w.add(a + "attention.head_count_kv", Value::make_u32(uint32_t(n_head_kv)));
    if (gpt2) {
        w.add(a + "attention.layer_norm_epsilon", Value::make_f32(1e-5f));
    } else {
        w.add(a + "attention.layer_norm_rms_epsilon", Value::make_f32(1e-5f));
        w.add(a + "rope.freq_base", Value::make_f32(10000.0f));
    }
    if (qwen3 || gemma) w.add(a + "attention.key_length", Value::make_u32(uint32_t(head_dim)));
    const int64_t X = 4, FX = F / 2;  // qwen3moe: experts, and each one's hidden size
    if (moe || g4moe) {
        w.add(a + "expert_count", Value::make_u32(uint32_t(X)));
        w.add(a + "expert_used_count", Value::make_u32(2));
        if (!olmoe) w.add(a + "expert_feed_forward_length", Value::make_u32(uint32_t(FX)));
    }
    if (gemma4) {
        w.add(a + "attention.sliding_window", Value::make_u32(4));
        const std::vector<Value> local = {Value::make_bool(true), Value::make_bool(false), Value::make_bool(true)};
        w.add(a + "attention.sliding_window_pattern", Value::make_array(core::gguf::ValueType::Bool, local));
        w.add(a + "attention.key_length_swa", Value::make_u32(16));
        w.add(a + "attention.value_length_swa", Value::make_u32(16));
        w.add(a + "rope.dimension_count_swa", Value::make_u32(16));
        w.add(a + "embedding_length_per_layer_input", Value::make_u32(uint32_t(P)));
        w.add(a + "attention.shared_kv_layers", Value::make_u32(1));
        w.add(a + "final_logit_softcapping", Value::make_f32(30.0f));
    } else if (gemma) {
        w.add(a + "attention.sliding_window", Value::make_u32(4));
        w.add(a + "attention.sliding_window_pattern", Value::make_u32(2));
    }
    w.add("tokenizer.ggml.model", Value::make_string("llama"));
    w.add("tokenizer.ggml.tokens", Value::make_string_array(vocab));
    std::vector<float> scores(vocab.size());
    std::vector<int32_t> types(vocab.size(), 1);
    for (size_t i = 0; i < vocab.size(); ++i) scores[i] = -float(i);
    types[0] = 2;
    types[1] = types[2] = 3;
    for (size_t i = 3; i < 259; ++i) types[i] = 6;
    w.add("tokenizer.ggml.scores", Value::make_f32_array(scores));
    w.add("tokenizer.ggml.token_type", Value::make_i32_array(types));
    w.add("tokenizer.ggml.bos_token_id", Value::make_u32(1));
    w.add("tokenizer.ggml.eos_token_id", Value::make_u32(2));
    w.add("tokenizer.ggml.unknown_token_id", Value::make_u32(0));

    TinyRng rng;
    auto norm = [&](const std::string& name) { w.add_tensor_f32(name, {E}, std::vector<float>(size_t(E), 1.0f)); };
    auto bias = [&](const std::string& name, int64_t n) {
        std::vector<float> b(static_cast<size_t>(n));
        for (float& x : b) x = 0.1f * rng.next();
        w.add_tensor_f32(name, {n}, b);
    };
    auto q8 = [&](const std::string& name, int64_t cols, int64_t rows) {
        w.add_tensor(name, DType::Q8_0, {cols, rows}, q8_0_bytes(cols * rows, rng, 0.1f));
    };
    w.add_tensor("token_embd.weight", DType::F16, {E, V}, f16_bytes(E * V, rng, 0.5f));
    if (gpt2) w.add_tensor("position_embd.weight", DType::F16, {E, s.n_ctx}, f16_bytes(E * s.n_ctx, rng, 0.1f));
    if (gemma4) {
        q8("per_layer_token_embd.weight", P * n_layer, V);
        q8("per_layer_model_proj.weight", E, P * n_layer);
        w.add_tensor_f32("per_layer_proj_norm.weight", {P}, std::vector<float>(size_t(P), 1.0f));
        std::vector<float> factors(size_t(head_dim / 2), 1e30f);
        std::fill(factors.begin(), factors.begin() + head_dim / 8, 1.0f);
        w.add_tensor_f32("rope_freqs.weight", {int64_t(factors.size())}, factors);
    }
    for (int l = 0; l < n_layer; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        norm(b + "attn_norm.weight");
        if (gemma4) {  // layer 1 global (heads of 32), 0 and 2 local (16); layer 2 reads layer 0's cache
            const int64_t hd = l == 1 ? head_dim : 16, q = s.n_head * hd, kv = n_head_kv * hd;
            q8(b + "attn_q.weight", E, q);
            if (l < 2) {
                q8(b + "attn_k.weight", E, kv);
                q8(b + "attn_v.weight", E, kv);
                w.add_tensor_f32(b + "attn_k_norm.weight", {hd}, std::vector<float>(size_t(hd), 1.0f));
            }
            w.add_tensor_f32(b + "attn_q_norm.weight", {hd}, std::vector<float>(size_t(hd), 1.0f));
            q8(b + "attn_output.weight", q, E);
            norm(b + "post_attention_norm.weight");
            norm(b + "ffn_norm.weight");
            q8(b + "ffn_gate.weight", E, F);
            q8(b + "ffn_up.weight", E, F);
            q8(b + "ffn_down.weight", F, E);
            norm(b + "post_ffw_norm.weight");
            if (g4moe) {  // the router (and its input scale), the three norms, fused gate | up, down, their scales
                std::vector<float> router(size_t(E * X));
                for (float& x : router) x = 0.5f * rng.next();
                w.add_tensor_f32(b + "ffn_gate_inp.weight", {E, X}, router);
                w.add_tensor_f32(b + "ffn_gate_inp.scale", {E}, std::vector<float>(size_t(E), 8.0f));
                for (const char* n : {"pre_ffw_norm_2.weight", "post_ffw_norm_1.weight", "post_ffw_norm_2.weight"})
                    norm(b + n);
                w.add_tensor(b + "ffn_gate_up_exps.weight", DType::Q8_0, {E, 2 * FX, X},
                             q8_0_bytes(E * 2 * FX * X, rng, 0.1f));
                w.add_tensor(b + "ffn_down_exps.weight", DType::Q8_0, {FX, E, X}, q8_0_bytes(FX * E * X, rng, 0.1f));
                w.add_tensor_f32(b + "ffn_down_exps.scale", {X}, {0.9f, 1.1f, 0.8f, 1.2f});
            }
            w.add_tensor_f32(b + "layer_output_scale.weight", {1}, {0.7f});
            q8(b + "inp_gate.weight", E, P);
            q8(b + "proj.weight", P, E);
            norm(b + "post_norm.weight");
            continue;
        }
        if (gpt2) {
            bias(b + "attn_norm.bias", E);
            q8(b + "attn_qkv.weight", E, Q + 2 * KV);
            bias(b + "attn_qkv.bias", Q + 2 * KV);
            q8(b + "attn_output.weight", Q, E);
            bias(b + "attn_output.bias", E);
            norm(b + "ffn_norm.weight");
            bias(b + "ffn_norm.bias", E);
            q8(b + "ffn_up.weight", E, F);
            bias(b + "ffn_up.bias", F);
            q8(b + "ffn_down.weight", F, E);
            bias(b + "ffn_down.bias", E);
            continue;
        }
        if (phi3) {
            q8(b + "attn_qkv.weight", E, Q + 2 * KV);
            q8(b + "attn_output.weight", Q, E);
            norm(b + "ffn_norm.weight");
            q8(b + "ffn_up.weight", E, 2 * F);
            q8(b + "ffn_down.weight", F, E);
            continue;
        }
        q8(b + "attn_q.weight", E, Q);
        q8(b + "attn_k.weight", E, KV);
        q8(b + "attn_v.weight", E, KV);
        if (gemma) {
            norm(b + "post_attention_norm.weight");
            norm(b + "post_ffw_norm.weight");
        }
        if (qwen3 || gemma3 || olmoe) {  // olmoe: over the whole q and k vectors
            const int64_t qn = olmoe ? Q : head_dim, kn = olmoe ? KV : head_dim;
            w.add_tensor_f32(b + "attn_q_norm.weight", {qn}, std::vector<float>(size_t(qn), 1.0f));
            w.add_tensor_f32(b + "attn_k_norm.weight", {kn}, std::vector<float>(size_t(kn), 1.0f));
        }
        q8(b + "attn_output.weight", Q, E);
        norm(b + "ffn_norm.weight");
        if (moe) {
            std::vector<float> router(size_t(E * X));
            for (float& x : router) x = 0.5f * rng.next();
            w.add_tensor_f32(b + "ffn_gate_inp.weight", {E, X}, router);
            w.add_tensor(b + "ffn_gate_exps.weight", DType::Q8_0, {E, FX, X}, q8_0_bytes(E * FX * X, rng, 0.1f));
            w.add_tensor(b + "ffn_up_exps.weight", DType::Q8_0, {E, FX, X}, q8_0_bytes(E * FX * X, rng, 0.1f));
            w.add_tensor(b + "ffn_down_exps.weight", DType::Q8_0, {FX, E, X}, q8_0_bytes(FX * E * X, rng, 0.1f));
            continue;
        }
        q8(b + "ffn_gate.weight", E, F);
        q8(b + "ffn_up.weight", E, F);
        q8(b + "ffn_down.weight", F, E);
    }
    norm("output_norm.weight");
    if (gpt2) bias("output_norm.bias", E);
    if (arch_name != "gemma2") q8("output.weight", E, V);
    if (!s.rope_freqs.empty()) w.add_tensor_f32("rope_freqs.weight", {int64_t(s.rope_freqs.size())}, s.rope_freqs);
    return w.write(path);
}

}  // namespace ts::test
