// Implementations of the per-token layer operations (see layers.hpp). Plain loops: these are O(n_embd) or
// O(n_pos · head_dim) per head, small next to the matrix products.
#include "core/model/layers.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/base/fp16.hpp"
#include "core/tensor/ops.hpp"
#include "core/tensor/simd.hpp"

namespace ts::core {

void rms_norm(const float* x, const float* weight, float eps, int n, float* out) {
    // As ggml: each square in float, summed in double; the mean and the scale in float.
    double ss = 0.0;
    for (int i = 0; i < n; ++i) ss += double(x[i] * x[i]);
    const float mean  = float(ss / double(n));
    const float scale = 1.0f / std::sqrt(mean + eps);
    if (!weight) {  // gemma4's values: normed without a weight
        for (int i = 0; i < n; ++i) out[i] = x[i] * scale;
        return;
    }
    for (int i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

// As ggml's CPU backend computes it on x86, so that a file gives llama.cpp's numbers: the mean from a double sum,
// rounded to float and divided in float; the squares of x - mean in float, summed in groups of the SIMD width of the
// matching llama.cpp build (16 lanes for AVX-512, 8 for AVX2; one at the scalar level), each group added pairwise by
// halves, the groups' sums in double; the variance rounded to float, the scale 1 / sqrt(variance + eps) in float;
// then (x - mean) · scale, · weight, + bias, each rounded (README.md: the agreement with llama.cpp).
void layer_norm(const float* x, const float* weight, const float* bias, float eps, int n, float* out) {
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += double(x[i]);
    const float mean = float(sum) / float(n);
    const int lanes  = float_lanes(active_simd());
    double var       = 0.0;
    int i            = 0;
    float sq[16];
    for (; lanes > 1 && i + lanes <= n; i += lanes) {
        for (int j = 0; j < lanes; ++j) {
            const float v = x[i + j] - mean;
            sq[j]         = v * v;
        }
        for (int half = lanes / 2; half >= 1; half /= 2)
            for (int j = 0; j < half; ++j) sq[j] = sq[j] + sq[j + half];
        var += double(sq[0]);
    }
    for (; i < n; ++i) {
        const float v = x[i] - mean;
        var += double(v * v);
    }
    const float variance = float(var / double(n));
    const float scale    = 1.0f / std::sqrt(variance + eps);
    for (int j = 0; j < n; ++j) {
        const float y = (x[j] - mean) * scale;
        out[j]        = y * weight[j] + bias[j];
    }
}

void output_norm(const Model& model, const float* x, float* out) {
    const Hparams& hp = model.hp;
    const Weights& w  = model.w;
    if (w.output_norm_b.data) {
        layer_norm(x, w.output_norm.f32(), w.output_norm_b.f32(), hp.norm_eps, hp.n_embd, out);
    } else {
        rms_norm(x, w.output_norm.f32(), hp.norm_eps, hp.n_embd, out);
    }
}

namespace {

// ggml's GELU table: for each f16 input h, f16(0.5 h (1 + tanh(√(2/π) h (1 + 0.044715 h²)))) as a float. The value
// depends on the f16 input alone, so the table is made once (65536 tanh calls) instead of one tanh per element:
// gpt2's prefill spent about half its time in tanh before. 1 + 0.044715 h² is one fused multiply-add of
// (0.044715 h) and h, as GCC contracts ggml's expression in llama.cpp's x86 builds (all of them from AVX2 up): at a
// few inputs the rounded product lands the result on the other side of an f16 rounding boundary (h = -1.99902:
// -0.0455017 fused, -0.0454712 not).
const float* gelu_table() {
    static const std::vector<float> table = [] {
        constexpr float kCoefA = 0.044715f, kSqrt2OverPi = 0.79788456080286535587989211986876f;
        std::vector<float> t(65536);
        for (uint32_t i = 0; i < 65536; ++i) {
            const float h = fp16_to_f32(uint16_t(i));
            const float g = 0.5f * h * (1.0f + std::tanh(kSqrt2OverPi * h * std::fma(kCoefA * h, h, 1.0f)));
            t[i]          = std::isfinite(h) ? fp16_to_f32(f32_to_fp16(g)) : 0.0f;  // non-finite h is never read
        }
        return t;
    }();
    return table.data();
}

}  // namespace

void gelu(float* x, int64_t n) {
    const float* table = gelu_table();
    for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        if (v <= -10.0f) {
            x[i] = 0.0f;
        } else if (v < 10.0f) {
            x[i] = table[f32_to_fp16(v)];  // the entry of v rounded to f16, the table's index
        }
    }
}

bool rope_pair_rotates(const Hparams& hp, int i) {
    const auto& sec     = hp.rope_sections;
    const int sect_dims = sec[0] + sec[1] + sec[2] + sec[3];
    if (sect_dims <= 0) return true;
    const int s = i % sect_dims;
    return (s % 3 == 0 && s < 3 * sec[0]) || (s % 3 == 1 && s < 3 * sec[1]) || (s % 3 == 2 && s < 3 * sec[2]);
}

double rope_theta(const Hparams& hp, int pos, int i, bool swa) {
    if (!rope_pair_rotates(hp, i)) return 0.0;
    // In float, as ggml's rope cache computes it: pos · s^i by repeated multiplication with s = base^(-2/n_rot), then
    // divided by the pair's factor and multiplied by the scale. (A closed form in double differs by up to i ulps,
    // which heads of 256 dimensions — gemma — turn into visible differences once activations are quantised.)
    // The frequency factors are the global layers' (gemma4 reads rope_freqs on those only).
    const float factor = swa || hp.rope_freq_factors.empty() ? 1.0f : hp.rope_freq_factors[size_t(i)];
    const float base   = swa ? hp.rope_freq_base_swa : hp.rope_freq_base;
    const float scale  = swa ? hp.rope_freq_scale_swa : hp.rope_freq_scale;
    const int n_rot    = swa && hp.n_rot_swa > 0 ? hp.n_rot_swa : hp.n_rot;
    const float step   = std::pow(base, -2.0f / float(n_rot));
    float theta        = float(pos);
    for (int k = 0; k < i; ++k) theta *= step;
    return double(scale * (theta / factor));
}

void rope_angles(const Hparams& hp, int pos, float* cos_out, float* sin_out, bool swa) {
    const float base  = swa ? hp.rope_freq_base_swa : hp.rope_freq_base;
    const float scale = swa ? hp.rope_freq_scale_swa : hp.rope_freq_scale;
    const int n_rot   = swa && hp.n_rot_swa > 0 ? hp.n_rot_swa : hp.n_rot;
    const float step  = std::pow(base, -2.0f / float(n_rot));
    float theta       = float(pos);  // pos · step^i, as rope_theta
    for (int i = 0; i < n_rot / 2; ++i, theta *= step) {
        const float factor = swa || hp.rope_freq_factors.empty() ? 1.0f : hp.rope_freq_factors[size_t(i)];
        // cosf / sinf of the float angle, as ggml's rope_yarn (a double cos rounded to float differs in the last bit
        // now and then)
        const float angle = rope_pair_rotates(hp, i) ? scale * (theta / factor) : 0.0f;
        cos_out[i]        = std::cos(angle);
        sin_out[i]        = std::sin(angle);
    }
}

void add_bias(const Tensor& b, int n, int dim, float* out) {
    if (!b.data) return;
    const auto* bias = b.f32();
    for (int t = 0; t < n; ++t)
        for (int i = 0; i < dim; ++i) out[size_t(t) * size_t(dim) + size_t(i)] += bias[i];
}

void apply_rope(float* head, int n_rot, RopeStyle style, const float* cos_a, const float* sin_a) {
    const int half = n_rot / 2;
    for (int i = 0; i < half; ++i) {
        // The pair (a, b) rotated by angle i: Normal pairs neighbours, NeoX pairs the two halves.
        float& a = style == RopeStyle::Normal ? head[2 * i] : head[i];
        float& b = style == RopeStyle::Normal ? head[2 * i + 1] : head[i + half];
        // As ggml's rotate_pairs compiled for x86 with FMA (GCC contracts its x0*cos - x1*sin): the first product
        // fused, the second rounded. Rounded apart, 1 value in 4 differs in the last bit from llama.cpp's.
        const float x = a, y = b;
        a = std::fma(x, cos_a[i], -(y * sin_a[i]));
        b = std::fma(x, sin_a[i], y * cos_a[i]);
    }
}

void swiglu(float* gate, const float* up, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        gate[i]       = g / (1.0f + std::exp(-g)) * up[i];
    }
}

void geglu(float* gate, const float* up, int64_t n) {
    gelu(gate, n);
    for (int64_t i = 0; i < n; ++i) gate[i] *= up[i];
}

void softcap(float* x, int64_t n, float cap) {
    if (cap == 0.0f) return;
    const float inv = 1.0f / cap;  // as ggml: scale by 1/cap, tanh, scale by cap
    for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i] * inv) * cap;
}

void route_experts(const float* probs, int n_expert, int k, bool normalize, int* ids, float* w) {
    // Insertion into a list of the k best so far: k is small (2 to 8 of up to a few hundred experts).
    int have = 0;
    for (int e = 0; e < n_expert; ++e) {
        int at = have;
        while (at > 0 && probs[e] > probs[ids[at - 1]]) --at;
        if (at >= k) continue;
        for (int j = std::min(have, k - 1); j > at; --j) ids[j] = ids[j - 1];
        ids[at] = e;
        have    = std::min(have + 1, k);
    }
    float sum = 0.0f;
    for (int j = 0; j < k; ++j) sum += probs[ids[j]];
    const float div = normalize ? std::fmax(sum, 6.103515625e-5f) : 1.0f;
    for (int j = 0; j < k; ++j) w[j] = probs[ids[j]] / div;
}

namespace attn {

Params params(const Hparams& hp, int layer) {
    Params p;
    p.head_dim  = hp.head_dim_of(layer);
    p.n_head_kv = hp.n_head_kv_of(layer);
    p.kv_layer  = hp.kv_source(layer);
    p.scale     = hp.attn_scale > 0.0f ? hp.attn_scale : 1.0f / std::sqrt(float(p.head_dim));
    p.softcap   = hp.attn_softcap;
    p.window    = hp.is_swa(layer) ? hp.n_swa : 0;
    return p;
}

int layer_scores_row(const Params& p, const float* q_head, const KvCache& cache, int layer, int kv_head, int head_dim,
                     int n_pos, float* scores) {
    const int j0          = p.first_key(n_pos - 1);
    const size_t head_off = size_t(kv_head) * size_t(head_dim);
    for (int j = 0; j < j0; ++j) scores[j] = -INFINITY;
    for (int j = j0; j < n_pos; ++j) {
        const void* row = cache.k_row(layer, j);
        float dot;
        if (cache.type() == DType::F32) {
            dot = dot_f32(q_head, static_cast<const float*>(row) + head_off, head_dim);
        } else {
            dot = dot_row(cache.type(), static_cast<const uint16_t*>(row) + head_off, q_head, head_dim);
        }
        scores[j] = dot * p.scale;
    }
    softcap(scores + j0, n_pos - j0, p.softcap);
    return j0;
}

void scores_row(const float* q_head, const KvCache& cache, int layer, int kv_head, int head_dim, int n_pos,
                float* scores) {
    const float scale     = 1.0f / std::sqrt(float(head_dim));
    const size_t head_off = size_t(kv_head) * size_t(head_dim);
    for (int j = 0; j < n_pos; ++j) {
        const void* row = cache.k_row(layer, j);
        float dot;
        if (cache.type() == DType::F32) {
            dot = dot_f32(q_head, static_cast<const float*>(row) + head_off, head_dim);
        } else {
            dot = dot_row(cache.type(), static_cast<const uint16_t*>(row) + head_off, q_head, head_dim);
        }
        scores[j] = dot * scale;
    }
}

void softmax_row(const float* scores, float* probs, int n) {
    float max = scores[0];
    for (int j = 1; j < n; ++j) max = std::fmax(max, scores[j]);
    double sum = 0.0;
    for (int j = 0; j < n; ++j) {
        probs[j] = std::exp(scores[j] - max);
        sum += probs[j];
    }
    const float inv = float(1.0 / sum);
    for (int j = 0; j < n; ++j) probs[j] *= inv;
}

void weighted_sum_row(const float* probs, const KvCache& cache, int layer, int kv_head, int head_dim, int n_pos,
                      float* out) {
    weighted_sum_row(probs, cache, layer, kv_head, head_dim, 0, n_pos, out);
}

void weighted_sum_row(const float* probs, const KvCache& cache, int layer, int kv_head, int head_dim, int j0, int n_pos,
                      float* out) {
    const size_t head_off = size_t(kv_head) * size_t(head_dim);
    for (int d = 0; d < head_dim; ++d) out[d] = 0.0f;
    for (int j = j0; j < n_pos; ++j) {
        const void* row = cache.v_row(layer, j);
        if (cache.type() == DType::F32) {
            axpy_f32(probs[j], static_cast<const float*>(row) + head_off, out, head_dim);
        } else {
            const uint16_t* v = static_cast<const uint16_t*>(row) + head_off;
            for (int d = 0; d < head_dim; ++d) out[d] += probs[j] * fp16_to_f32(v[d]);
        }
    }
}

}  // namespace attn
}  // namespace ts::core
