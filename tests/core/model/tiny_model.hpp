// Test helpers for core/model: a tiny llama/qwen2/qwen3/gpt2 model with weights chosen by the test, written as GGUF (or
// as a llama2.c checkpoint), and a reference forward pass written with plain loops that recomputes every position from
// scratch (no cache, no kernels from core/model). Only the weight and activation rounding of quantised types comes
// from core/tensor's quantiser, because the engine multiplies quantised rows with activations quantised to the
// weight type's companion (Q8_0 for the 32-blocks, Q8_K for K-quants), as ggml does.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "core/base/check.hpp"
#include "core/base/fp16.hpp"
#include "core/gguf/gguf_writer.hpp"
#include "core/tensor/blocks.hpp"
#include "core/tensor/ops.hpp"
#include "core/tensor/quant.hpp"

namespace ts::core::tiny {

struct TinySpec {
    // "llama" (adjacent-pair RoPE), "qwen2" (NeoX RoPE, Q/K/V biases), "qwen3" (NeoX RoPE, per-head q/k RMSNorm) or
    // "gpt2" (LayerNorm with bias, learned positions, fused QKV, GELU, biases; n_head_kv must equal n_head)
    std::string arch = "llama";
    int n_vocab = 37, n_embd = 16, n_layer = 2, n_head = 4, n_head_kv = 2, n_ff = 24, n_ctx = 64;
    int key_length    = 0;  // qwen3: head size written as attention.key_length; 0: n_embd / n_head
    int n_rot         = 0;  // 0: head_dim
    float eps         = 1e-5f;
    float rope_base   = 10000.0f;
    float rope_factor = 1.0f;       // linear scaling factor; positions are multiplied by 1/factor
    std::vector<float> rope_freqs;  // [rot()/2] llama3 frequency factors, written as rope_freqs.weight; empty: none
    bool tied         = false;
    DType matrix_type = DType::F32;  // type of every matrix (token_embd and output included)
    uint32_t seed     = 1;
    int head_dim() const { return key_length ? key_length : n_embd / n_head; }
    int q_dim() const { return n_head * head_dim(); }
    int kv_dim() const { return n_head_kv * head_dim(); }
    bool neox() const { return arch == "qwen2" || arch == "qwen3" || arch == "phi3" || gemma(); }
    bool gemma() const { return arch == "gemma2" || arch == "gemma3"; }
    int n_swa = 0;  // gemma: attention.sliding_window (every other layer local for gemma2, 5 of 6 for gemma3)
    int rot() const { return n_rot ? n_rot : head_dim(); }
};

struct TinyTensor {
    DType type = DType::F32;
    std::vector<int64_t> ne;     // ggml order
    std::vector<uint8_t> bytes;  // as stored in the file
    std::vector<float> ref;      // the values the engine sees, as f32: [ne1][ne0]
};

struct TinyModel {
    TinySpec spec;
    std::map<std::string, TinyTensor> tensors;
    const TinyTensor& at(const std::string& name) const { return tensors.at(name); }
    bool has(const std::string& name) const { return tensors.count(name) != 0; }
};

// Deterministic uniform values in [-1, 1) (a 64-bit LCG: same numbers on every compiler).
class Lcg {
public:
    explicit Lcg(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 1) {}
    float next() {
        s_ = s_ * 6364136223846793005ull + 1442695040888963407ull;
        return float(double(s_ >> 11) / double(1ull << 53)) * 2.0f - 1.0f;
    }

private:
    uint64_t s_;
};

inline TinyTensor make_tensor(DType type, std::vector<int64_t> ne, Lcg& rng, float scale, float offset = 0.0f) {
    TinyTensor t;
    t.type             = type;
    t.ne               = ne;
    const int64_t cols = ne[0];
    const int64_t rows = ne.size() > 1 ? ne[1] : 1;
    std::vector<float> values(size_t(cols * rows));
    for (float& v : values) v = offset + scale * rng.next();
    t.bytes.resize(row_bytes(type, cols) * size_t(rows));
    t.ref.resize(values.size());
    for (int64_t r = 0; r < rows; ++r) {
        uint8_t* dst = t.bytes.data() + size_t(r) * row_bytes(type, cols);
        if (can_quantize(type)) {
            quantize_row(type, values.data() + r * cols, dst, cols);
        } else {  // Q5_K has no quantiser: random levels and minimums, scales small enough for sane activations
            for (size_t i = 0; i < row_bytes(type, cols); ++i) dst[i] = uint8_t(rng.next() * 128.0f + 128.0f);
            TS_CHECK(type == DType::Q5_K, "make_tensor: a type without a quantiser other than Q5_K");
            auto* b = reinterpret_cast<BlockQ5_K*>(dst);
            for (int64_t i = 0; i < cols / kQKK; ++i) {
                b[i].d    = f32_to_fp16(scale * 0.002f);
                b[i].dmin = f32_to_fp16(scale * 0.02f);
            }
        }
        dequantize_row(type, dst, t.ref.data() + r * cols, cols);
    }
    return t;
}

// gpt2's tensors: every norm and projection with a bias, Q | K | V in one matrix, learned positions.
inline void add_gpt2_tensors(TinyModel& m, Lcg& rng) {
    const TinySpec& s = m.spec;
    const int64_t E = s.n_embd, V = s.n_vocab, F = s.n_ff, QKV = s.q_dim() + 2 * s.kv_dim();
    const DType T                     = s.matrix_type;
    m.tensors["token_embd.weight"]    = make_tensor(T, {E, V}, rng, 1.0f);
    m.tensors["position_embd.weight"] = make_tensor(DType::F32, {E, s.n_ctx}, rng, 0.5f);
    m.tensors["output_norm.weight"]   = make_tensor(DType::F32, {E}, rng, 0.2f, 1.0f);
    m.tensors["output_norm.bias"]     = make_tensor(DType::F32, {E}, rng, 0.2f);
    if (!s.tied) m.tensors["output.weight"] = make_tensor(T, {E, V}, rng, 0.5f);
    for (int il = 0; il < s.n_layer; ++il) {
        const std::string b                 = "blk." + std::to_string(il) + ".";
        m.tensors[b + "attn_norm.weight"]   = make_tensor(DType::F32, {E}, rng, 0.2f, 1.0f);
        m.tensors[b + "attn_norm.bias"]     = make_tensor(DType::F32, {E}, rng, 0.2f);
        m.tensors[b + "attn_qkv.weight"]    = make_tensor(T, {E, QKV}, rng, 0.5f);
        m.tensors[b + "attn_qkv.bias"]      = make_tensor(DType::F32, {QKV}, rng, 0.5f);
        m.tensors[b + "attn_output.weight"] = make_tensor(T, {E, E}, rng, 0.3f);
        m.tensors[b + "attn_output.bias"]   = make_tensor(DType::F32, {E}, rng, 0.2f);
        m.tensors[b + "ffn_norm.weight"]    = make_tensor(DType::F32, {E}, rng, 0.2f, 1.0f);
        m.tensors[b + "ffn_norm.bias"]      = make_tensor(DType::F32, {E}, rng, 0.2f);
        m.tensors[b + "ffn_up.weight"]      = make_tensor(T, {E, F}, rng, 0.5f);
        m.tensors[b + "ffn_up.bias"]        = make_tensor(DType::F32, {F}, rng, 0.5f);
        m.tensors[b + "ffn_down.weight"]    = make_tensor(T, {F, E}, rng, 0.3f);
        m.tensors[b + "ffn_down.bias"]      = make_tensor(DType::F32, {E}, rng, 0.2f);
    }
}

inline TinyModel make_tiny_model(const TinySpec& s) {
    TinyModel m;
    m.spec = s;
    Lcg rng(s.seed);
    if (s.arch == "gpt2") {
        add_gpt2_tensors(m, rng);
        return m;
    }
    const int64_t E = s.n_embd, V = s.n_vocab, F = s.n_ff, KV = s.kv_dim(), Q = s.q_dim(), HD = s.head_dim();
    const DType T                   = s.matrix_type;
    m.tensors["token_embd.weight"]  = make_tensor(T, {E, V}, rng, 1.0f);
    m.tensors["output_norm.weight"] = make_tensor(DType::F32, {E}, rng, 0.2f, 1.0f);
    if (!s.tied) m.tensors["output.weight"] = make_tensor(T, {E, V}, rng, 0.5f);
    for (int il = 0; il < s.n_layer; ++il) {
        const std::string b               = "blk." + std::to_string(il) + ".";
        m.tensors[b + "attn_norm.weight"] = make_tensor(DType::F32, {E}, rng, 0.2f, 1.0f);
        if (s.arch == "phi3") {  // fused Q | K | V and gate | up
            m.tensors[b + "attn_qkv.weight"]    = make_tensor(T, {E, Q + 2 * KV}, rng, 0.5f);
            m.tensors[b + "attn_output.weight"] = make_tensor(T, {Q, E}, rng, 0.3f);
            m.tensors[b + "ffn_norm.weight"]    = make_tensor(DType::F32, {E}, rng, 0.2f, 1.0f);
            m.tensors[b + "ffn_up.weight"]      = make_tensor(T, {E, 2 * F}, rng, 0.5f);
            m.tensors[b + "ffn_down.weight"]    = make_tensor(T, {F, E}, rng, 0.3f);
            continue;
        }
        m.tensors[b + "attn_q.weight"]      = make_tensor(T, {E, Q}, rng, 0.5f);
        m.tensors[b + "attn_k.weight"]      = make_tensor(T, {E, KV}, rng, 0.5f);
        m.tensors[b + "attn_v.weight"]      = make_tensor(T, {E, KV}, rng, 0.5f);
        m.tensors[b + "attn_output.weight"] = make_tensor(T, {Q, E}, rng, 0.3f);
        if (s.gemma()) {
            m.tensors[b + "post_attention_norm.weight"] = make_tensor(DType::F32, {E}, rng, 0.2f, 1.0f);
            m.tensors[b + "post_ffw_norm.weight"]       = make_tensor(DType::F32, {E}, rng, 0.2f, 1.0f);
        }
        if (s.arch == "qwen3" || s.arch == "gemma3") {
            m.tensors[b + "attn_q_norm.weight"] = make_tensor(DType::F32, {HD}, rng, 0.2f, 1.0f);
            m.tensors[b + "attn_k_norm.weight"] = make_tensor(DType::F32, {HD}, rng, 0.2f, 1.0f);
        }
        if (s.arch == "qwen2") {
            m.tensors[b + "attn_q.bias"] = make_tensor(DType::F32, {E}, rng, 0.5f);
            m.tensors[b + "attn_k.bias"] = make_tensor(DType::F32, {KV}, rng, 0.5f);
            m.tensors[b + "attn_v.bias"] = make_tensor(DType::F32, {KV}, rng, 0.5f);
        }
        m.tensors[b + "ffn_norm.weight"] = make_tensor(DType::F32, {E}, rng, 0.2f, 1.0f);
        m.tensors[b + "ffn_gate.weight"] = make_tensor(T, {E, F}, rng, 0.5f);
        m.tensors[b + "ffn_up.weight"]   = make_tensor(T, {E, F}, rng, 0.5f);
        m.tensors[b + "ffn_down.weight"] = make_tensor(T, {F, E}, rng, 0.3f);
    }
    if (!s.rope_freqs.empty()) {
        TinyTensor& t = m.tensors["rope_freqs.weight"];
        t.ne          = {int64_t(s.rope_freqs.size())};
        t.ref         = s.rope_freqs;
        t.bytes.resize(s.rope_freqs.size() * sizeof(float));
        std::memcpy(t.bytes.data(), s.rope_freqs.data(), t.bytes.size());
    }
    return m;
}

// The GGUF metadata of the spec; tests edit the writer's inputs through `skip` and extra keys.
inline gguf::GgufWriter gguf_writer_for(const TinyModel& m, const std::vector<std::string>& skip_tensors = {}) {
    using gguf::Value;
    const TinySpec& s = m.spec;
    gguf::GgufWriter w;
    const std::string a = s.arch + ".";
    w.add("general.architecture", Value::make_string(s.arch));
    w.add("general.name", Value::make_string("tiny " + s.arch));
    w.add(a + "context_length", Value::make_u32(uint32_t(s.n_ctx)));
    w.add(a + "embedding_length", Value::make_u32(uint32_t(s.n_embd)));
    w.add(a + "block_count", Value::make_u32(uint32_t(s.n_layer)));
    w.add(a + "feed_forward_length", Value::make_u32(uint32_t(s.n_ff)));
    w.add(a + "attention.head_count", Value::make_u32(uint32_t(s.n_head)));
    w.add(a + "attention.head_count_kv", Value::make_u32(uint32_t(s.n_head_kv)));
    if (s.key_length) {
        w.add(a + "attention.key_length", Value::make_u32(uint32_t(s.key_length)));
        w.add(a + "attention.value_length", Value::make_u32(uint32_t(s.key_length)));
    }
    if (s.arch == "gpt2") {  // LayerNorm's epsilon; no RoPE keys
        w.add(a + "attention.layer_norm_epsilon", Value::make_f32(s.eps));
    } else {
        w.add(a + "attention.layer_norm_rms_epsilon", Value::make_f32(s.eps));
        w.add(a + "rope.freq_base", Value::make_f32(s.rope_base));
    }
    if (s.n_rot) w.add(a + "rope.dimension_count", Value::make_u32(uint32_t(s.n_rot)));
    if (s.gemma() && s.n_swa) w.add(a + "attention.sliding_window", Value::make_u32(uint32_t(s.n_swa)));
    if (s.rope_factor != 1.0f) {
        w.add(a + "rope.scaling.type", Value::make_string("linear"));
        w.add(a + "rope.scaling.factor", Value::make_f32(s.rope_factor));
    }
    for (const auto& [name, t] : m.tensors) {
        bool skip = false;
        for (const auto& sk : skip_tensors) skip = skip || sk == name;
        if (!skip) w.add_tensor(name, t.type, t.ne, t.bytes);
    }
    return w;
}

// A path in the test's temporary folder, unique per test and name.
inline std::string temp_path(const std::string& name) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string id   = std::string(info->test_suite_name()) + "_" + info->name();
    std::replace(id.begin(), id.end(), '/', '_');  // parameterised tests: Simd/Suite.Name/avx2
    return ::testing::TempDir() + "ts_model_" + id + "_" + name;
}

// ---- the reference forward pass ------------------------------------------------------------------------------

// What the engine's kernels see of an activation vector multiplied with a matrix of type t.
inline std::vector<float> as_activation(DType t, const std::vector<float>& x) {
    DType c = DType::F32;
    switch (t) {
        case DType::Q4_0:
        case DType::Q4_1:
        case DType::Q5_0:
        case DType::Q5_1:
        case DType::Q8_0:
            c = DType::Q8_0;
            break;
        case DType::Q4_K:
        case DType::Q5_K:
        case DType::Q6_K:
            c = DType::Q8_K;
            break;
        default:
            return x;
    }
    std::vector<uint8_t> q(row_bytes(c, int64_t(x.size())));
    std::vector<float> out(x.size());
    quantize_activations(c, x.data(), q.data(), int64_t(x.size()));
    dequantize_row(c, q.data(), out.data(), int64_t(x.size()));
    return out;
}

// y = W x (+ b): W [rows][cols] of the tensor's reference values, sums in double.
inline std::vector<float> ref_linear(const TinyTensor& w, const std::vector<float>& x_in,
                                     const TinyTensor* bias = nullptr) {
    const std::vector<float> x = as_activation(w.type, x_in);
    const int64_t cols = w.ne[0], rows = w.ne[1];
    std::vector<float> y(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        double sum = 0;
        for (int64_t c = 0; c < cols; ++c) sum += double(w.ref[size_t(r * cols + c)]) * double(x[size_t(c)]);
        y[size_t(r)] = float(sum) + (bias ? bias->ref[size_t(r)] : 0.0f);
    }
    return y;
}

inline std::vector<float> ref_rms_norm(const std::vector<float>& x, const TinyTensor& w, float eps) {
    double ss = 0;
    for (float v : x) ss += double(v) * v;
    const double scale = 1.0 / std::sqrt(ss / double(x.size()) + eps);
    std::vector<float> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = float(x[i] * scale * w.ref[i]);
    return y;
}

// LayerNorm (gpt2): (x - mean) / √(var + eps) · w + b, mean and variance over the features.
inline std::vector<float> ref_layer_norm(const std::vector<float>& x, const TinyTensor& w, const TinyTensor& b,
                                         float eps) {
    double mean = 0, var = 0;
    for (float v : x) mean += v;
    mean /= double(x.size());
    for (float v : x) var += (v - mean) * (v - mean);
    var /= double(x.size());
    std::vector<float> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = float((x[i] - mean) / std::sqrt(var + eps) * w.ref[i] + b.ref[i]);
    return y;
}

// GELU as ggml's CPU backend defines it (its f16 table): the tanh approximation 0.5·h·(1 + tanh(√(2/π)·h·(1 +
// 0.044715·h²))) of h = x rounded to f16, in float as ggml evaluates it, the result rounded to f16; 0 for x <= -10,
// x for x >= 10.
inline float ref_gelu(float x) {
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x;
    const float h = fp16_to_f32(f32_to_fp16(x));
    // 1 + 0.044715 h² as one fused multiply-add, as llama.cpp's x86 builds compute ggml's formula
    const float g =
        0.5f * h * (1.0f + std::tanh(0.79788456080286535587989211986876f * h * std::fma(0.044715f * h, h, 1.0f)));
    return fp16_to_f32(f32_to_fp16(g));
}

// RMSNorm of each head_dim-sized head of x (qwen3's q_norm / k_norm), with one weight shared by the heads.
inline std::vector<float> ref_head_norm(const std::vector<float>& x, const TinyTensor& w, int head_dim, float eps) {
    std::vector<float> y(x.size());
    for (size_t h = 0; h < x.size() / size_t(head_dim); ++h) {
        double ss = 0;
        for (int i = 0; i < head_dim; ++i)
            ss += double(x[h * size_t(head_dim) + size_t(i)]) * x[h * size_t(head_dim) + size_t(i)];
        const double scale = 1.0 / std::sqrt(ss / head_dim + eps);
        for (int i = 0; i < head_dim; ++i)
            y[h * size_t(head_dim) + size_t(i)] = float(x[h * size_t(head_dim) + size_t(i)] * scale * w.ref[size_t(i)]);
    }
    return y;
}

// RoPE on one head: llama rotates (2i, 2i+1), qwen2 and qwen3 rotate (i, i + n_rot/2); angle
// pos/factor · base^(-2i/n_rot) / rope_freqs[i] (llama3's frequency factors divide each pair's frequency).
inline void ref_rope(float* head, int pos, const TinySpec& s) {
    const int n_rot = s.rot();
    for (int i = 0; i < n_rot / 2; ++i) {
        const double freq_factor = s.rope_freqs.empty() ? 1.0 : double(s.rope_freqs[size_t(i)]);
        const double angle =
            double(pos) / s.rope_factor * std::pow(double(s.rope_base), -2.0 * i / n_rot) / freq_factor;
        const int a    = s.neox() ? i : 2 * i;
        const int b    = s.neox() ? i + n_rot / 2 : 2 * i + 1;
        const double x = head[a], y = head[b];
        head[a] = float(x * std::cos(angle) - y * std::sin(angle));
        head[b] = float(x * std::sin(angle) + y * std::cos(angle));
    }
}

// Logits of every position, recomputed from scratch: [n_tokens][n_vocab].
inline std::vector<float> reference_logits(const TinyModel& m, const std::vector<int32_t>& tokens) {
    const TinySpec& s = m.spec;
    const int n = int(tokens.size()), E = s.n_embd, hd = s.head_dim(), group = s.n_head / s.n_head_kv;
    std::vector<std::vector<float>> x(static_cast<size_t>(n));
    const TinyTensor& embd = m.at("token_embd.weight");
    for (int t = 0; t < n; ++t)
        x[size_t(t)].assign(embd.ref.begin() + tokens[size_t(t)] * E, embd.ref.begin() + (tokens[size_t(t)] + 1) * E);
    for (int il = 0; il < s.n_layer; ++il) {
        const std::string b = "blk." + std::to_string(il) + ".";
        auto bias           = [&](const char* name) { return m.has(b + name) ? &m.at(b + name) : nullptr; };
        std::vector<std::vector<float>> q(static_cast<size_t>(n)), k(static_cast<size_t>(n)), v(static_cast<size_t>(n));
        for (int t = 0; t < n; ++t) {
            const auto xb = ref_rms_norm(x[size_t(t)], m.at(b + "attn_norm.weight"), s.eps);
            q[size_t(t)]  = ref_linear(m.at(b + "attn_q.weight"), xb, bias("attn_q.bias"));
            k[size_t(t)]  = ref_linear(m.at(b + "attn_k.weight"), xb, bias("attn_k.bias"));
            v[size_t(t)]  = ref_linear(m.at(b + "attn_v.weight"), xb, bias("attn_v.bias"));
            for (int h = 0; h < s.n_head; ++h) ref_rope(q[size_t(t)].data() + h * hd, t, s);
            for (int h = 0; h < s.n_head_kv; ++h) ref_rope(k[size_t(t)].data() + h * hd, t, s);
        }
        for (int t = 0; t < n; ++t) {
            std::vector<float> att(size_t(E), 0.0f);
            for (int h = 0; h < s.n_head; ++h) {
                const int kvh = h / group;
                std::vector<double> p(size_t(t + 1));
                double max = -1e300, sum = 0;
                for (int j = 0; j <= t; ++j) {
                    double d = 0;
                    for (int i = 0; i < hd; ++i)
                        d += double(q[size_t(t)][size_t(h * hd + i)]) * k[size_t(j)][size_t(kvh * hd + i)];
                    p[size_t(j)] = d / std::sqrt(double(hd));
                    max          = std::max(max, p[size_t(j)]);
                }
                for (double& e : p) sum += (e = std::exp(e - max));
                for (int j = 0; j <= t; ++j)
                    for (int i = 0; i < hd; ++i)
                        att[size_t(h * hd + i)] += float(p[size_t(j)] / sum * v[size_t(j)][size_t(kvh * hd + i)]);
            }
            const auto o = ref_linear(m.at(b + "attn_output.weight"), att);
            for (int i = 0; i < E; ++i) x[size_t(t)][size_t(i)] += o[size_t(i)];
            const auto xb = ref_rms_norm(x[size_t(t)], m.at(b + "ffn_norm.weight"), s.eps);
            auto g        = ref_linear(m.at(b + "ffn_gate.weight"), xb);
            const auto u  = ref_linear(m.at(b + "ffn_up.weight"), xb);
            for (size_t i = 0; i < g.size(); ++i) g[i] = float(g[i] / (1.0 + std::exp(-double(g[i]))) * u[i]);
            const auto d = ref_linear(m.at(b + "ffn_down.weight"), g);
            for (int i = 0; i < E; ++i) x[size_t(t)][size_t(i)] += d[size_t(i)];
        }
    }
    const TinyTensor& out = s.tied ? embd : m.at("output.weight");
    std::vector<float> logits;
    for (int t = 0; t < n; ++t) {
        const auto l = ref_linear(out, ref_rms_norm(x[size_t(t)], m.at("output_norm.weight"), s.eps));
        logits.insert(logits.end(), l.begin(), l.end());
    }
    return logits;
}

// A karpathy/llama2.c checkpoint of an F32 llama model (tied output: positive vocab_size).
inline std::vector<uint8_t> llama2c_bytes(const TinyModel& m) {
    const TinySpec& s = m.spec;
    std::vector<uint8_t> out;
    auto put = [&](const void* p, size_t n) {
        const size_t at = out.size();
        out.resize(at + n);
        std::memcpy(out.data() + at, p, n);
    };
    const int32_t header[7] = {s.n_embd, s.n_ff, s.n_layer, s.n_head, s.n_head_kv, s.tied ? s.n_vocab : -s.n_vocab,
                               s.n_ctx};
    put(header, sizeof header);
    auto put_t      = [&](const std::string& name) { put(m.at(name).ref.data(), m.at(name).ref.size() * 4); };
    auto put_layers = [&](const std::string& suffix) {
        for (int il = 0; il < s.n_layer; ++il) put_t("blk." + std::to_string(il) + "." + suffix);
    };
    put_t("token_embd.weight");
    put_layers("attn_norm.weight");
    put_layers("attn_q.weight");
    put_layers("attn_k.weight");
    put_layers("attn_v.weight");
    put_layers("attn_output.weight");
    put_layers("ffn_norm.weight");
    put_layers("ffn_gate.weight");  // w1
    put_layers("ffn_down.weight");  // w2
    put_layers("ffn_up.weight");    // w3
    put_t("output_norm.weight");
    const std::vector<float> freq(size_t(s.n_ctx * s.head_dim()), 0.5f);  // freq_cis_real + imag (unused)
    put(freq.data(), freq.size() * 4);
    if (!s.tied) put_t("output.weight");
    return out;
}

// A llama2.c tokenizer.bin: max_token_length, then per token: f32 score (here -id), i32 length, the bytes.
inline std::vector<uint8_t> tokenizer_bin_bytes(const std::vector<std::string>& pieces) {
    std::vector<uint8_t> out;
    auto put = [&](const void* p, size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        out.insert(out.end(), b, b + n);
    };
    int32_t max_len = 0;
    for (const std::string& piece : pieces) max_len = std::max(max_len, int32_t(piece.size()));
    put(&max_len, 4);
    for (size_t i = 0; i < pieces.size(); ++i) {
        const float score = -float(i);
        const auto len    = int32_t(pieces[i].size());
        put(&score, 4);
        put(&len, 4);
        put(pieces[i].data(), pieces[i].size());
    }
    return out;
}

inline bool write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return false;
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    return std::fclose(f) == 0 && ok;
}

}  // namespace ts::core::tiny
