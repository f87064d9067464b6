// Forward and backward of the trainer's operations (see ops.hpp for the formulas and shapes).
#include "core/train/ops.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/train/gemm.hpp"

namespace ts::core::train {
namespace {

// Eight independent partial sums, so the compiler can vectorise without reassociating (no -ffast-math needed);
// the order of additions is fixed, so the result is deterministic.
float dot(const float* a, const float* b, int64_t n) {
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i  = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; ++j) s[j] += a[i + j] * b[i + j];
    float tail = 0;
    for (; i < n; ++i) tail += a[i] * b[i];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + tail;
}

void axpy(float alpha, const float* x, float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void for_range(ThreadPool* pool, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
    if (!pool || pool->n_threads() <= 1 || n < 2) {
        fn(0, n);
        return;
    }
    pool->parallel_for(n, fn);
}

}  // namespace

// --- embedding ---------------------------------------------------------------------------------------------------
void embedding_forward(const float* e, const int32_t* tok, int64_t n, int64_t d, float* x) {
    for (int64_t t = 0; t < n; ++t) std::memcpy(x + t * d, e + int64_t(tok[t]) * d, size_t(d) * sizeof(float));
}

void embedding_backward(const int32_t* tok, const float* dx, int64_t n, int64_t d, float* de) {
    for (int64_t t = 0; t < n; ++t) axpy(1.0f, dx + t * d, de + int64_t(tok[t]) * d, d);
}

// --- linear ------------------------------------------------------------------------------------------------------
void linear_forward(const float* x, const float* w, int64_t n, int64_t in, int64_t out, float* y, ThreadPool* pool) {
    // y[t][o] = sum_i x[t][i] * W[o][i]: B(i, o) = W[o][i] is W transposed.
    gemm(n, out, in, rows_of(x, in), transposed(w, in), y, out, false, pool);
}

void linear_backward(const float* x, const float* w, const float* dy, int64_t n, int64_t in, int64_t out, float* dx,
                     bool dx_accumulate, float* dw, ThreadPool* pool) {
    // dx[t][i] = sum_o dy[t][o] * W[o][i]
    if (dx) gemm(n, in, out, rows_of(dy, out), rows_of(w, in), dx, in, dx_accumulate, pool);
    // dW[o][i] += sum_t dy[t][o] * x[t][i]
    gemm(out, in, n, transposed(dy, out), rows_of(x, in), dw, in, true, pool);
}

// --- rmsnorm -----------------------------------------------------------------------------------------------------
void rmsnorm_forward(const float* x, const float* w, int64_t n, int64_t d, float eps, float* y, float* rstd) {
    for (int64_t t = 0; t < n; ++t) {
        const float* xr = x + t * d;
        float* yr       = y + t * d;
        const float r   = 1.0f / std::sqrt(dot(xr, xr, d) / float(d) + eps);
        rstd[t]         = r;
        for (int64_t i = 0; i < d; ++i) yr[i] = xr[i] * r * w[i];
    }
}

void rmsnorm_backward(const float* x, const float* w, const float* rstd, const float* dy, int64_t n, int64_t d,
                      float* dx, float* dw) {
    // y_i = x_i r w_i, r = (mean(x²)+eps)^-1/2, ∂r/∂x_j = -r³ x_j / d
    // dx_j = r w_j dy_j - x_j r³/d * sum_i dy_i w_i x_i
    for (int64_t t = 0; t < n; ++t) {
        const float* xr  = x + t * d;
        const float* dyr = dy + t * d;
        float* dxr       = dx + t * d;
        const float r    = rstd[t];
        float s[8]       = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t i        = 0;
        for (; i + 8 <= d; i += 8)
            for (int j = 0; j < 8; ++j) s[j] += dyr[i + j] * w[i + j] * xr[i + j];
        float sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
        for (; i < d; ++i) sum += dyr[i] * w[i] * xr[i];
        const float c = r * r * r * sum / float(d);
        for (int64_t j = 0; j < d; ++j) {
            dxr[j] += r * w[j] * dyr[j] - xr[j] * c;
            dw[j] += dyr[j] * xr[j] * r;
        }
    }
}

// --- rope --------------------------------------------------------------------------------------------------------
RopeTable make_rope_table(int64_t n_pos, int64_t head_dim, double base) {
    RopeTable rt;
    rt.n_pos = n_pos;
    rt.half  = head_dim / 2;
    rt.cos.resize(size_t(n_pos * rt.half));
    rt.sin.resize(size_t(n_pos * rt.half));
    for (int64_t p = 0; p < n_pos; ++p)
        for (int64_t i = 0; i < rt.half; ++i) {
            const double theta              = double(p) * std::pow(base, -2.0 * double(i) / double(head_dim));
            rt.cos[size_t(p * rt.half + i)] = float(std::cos(theta));
            rt.sin[size_t(p * rt.half + i)] = float(std::sin(theta));
        }
    return rt;
}

namespace {
void rope_rotate(const RopeTable& rt, const int32_t* pos, int64_t n, int64_t n_heads, int64_t head_dim, float* x,
                 float sign) {
    for (int64_t t = 0; t < n; ++t) {
        const float* c = rt.cos.data() + int64_t(pos[t]) * rt.half;
        const float* s = rt.sin.data() + int64_t(pos[t]) * rt.half;
        for (int64_t h = 0; h < n_heads; ++h) {
            float* xh = x + (t * n_heads + h) * head_dim;
            for (int64_t i = 0; i < rt.half; ++i) {
                const float x0 = xh[2 * i], x1 = xh[2 * i + 1];
                const float sn = sign * s[i];
                xh[2 * i]      = x0 * c[i] - x1 * sn;
                xh[2 * i + 1]  = x0 * sn + x1 * c[i];
            }
        }
    }
}
}  // namespace

void rope_forward(const RopeTable& rt, const int32_t* pos, int64_t n, int64_t n_heads, int64_t head_dim, float* x) {
    rope_rotate(rt, pos, n, n_heads, head_dim, x, 1.0f);
}

void rope_backward(const RopeTable& rt, const int32_t* pos, int64_t n, int64_t n_heads, int64_t head_dim, float* dx) {
    // The rotation is orthogonal: its Jacobian's transpose is the rotation by the opposite angle.
    rope_rotate(rt, pos, n, n_heads, head_dim, dx, -1.0f);
}

// --- attention ---------------------------------------------------------------------------------------------------
// Per (sequence, head) the products are small GEMMs on strided views of q, k, v (no copies). Causality is used by
// row blocks: query rows [r0, r1) only need keys [0, r1), so about 5/8 of the full T×T products are computed for
// T = 256. Entries above the diagonal of probs / ds are exactly zero, so the blocks may include them.
namespace {
constexpr int64_t kAttnRowBlock = 64;

MatView shift_rows(MatView v, int64_t r) {
    return MatView{v.p + r * v.rs, v.rs, v.cs};
}
}  // namespace

void attention_forward(const AttnShape& s, const float* q, const float* k, const float* v, float* probs, float* out,
                       ThreadPool* pool) {
    const int64_t T = s.n_ctx, H = s.n_head, Hkv = s.n_head_kv, hd = s.head_dim;
    const int64_t group = H / Hkv;
    const float scale   = 1.0f / std::sqrt(float(hd));
    for_range(pool, s.n_seq * H, [&](int64_t b0, int64_t b1) {
        for (int64_t job = b0; job < b1; ++job) {
            const int64_t sq = job / H, h = job % H, g = h / group;
            const MatView qh{q + (sq * T * H + h) * hd, H * hd, 1};      // [T][hd]
            const MatView kt{k + (sq * T * Hkv + g) * hd, 1, Hkv * hd};  // kᵀ: [hd][T]
            const MatView vg{v + (sq * T * Hkv + g) * hd, Hkv * hd, 1};  // [T][hd]
            float* p = probs + (sq * H + h) * T * T;                     // [T][T]
            // scores = q·kᵀ (row blocks, keys up to the block's last row)
            for (int64_t r0 = 0; r0 < T; r0 += kAttnRowBlock) {
                const int64_t r1 = std::min(T, r0 + kAttnRowBlock);
                gemm(r1 - r0, r1, hd, shift_rows(qh, r0), kt, p + r0 * T, T, false, nullptr);
            }
            // causal softmax of scores * scale, row by row
            for (int64_t t = 0; t < T; ++t) {
                float* row = p + t * T;
                float mx   = -INFINITY;
                for (int64_t u = 0; u <= t; ++u) {
                    row[u] *= scale;
                    mx = std::max(mx, row[u]);
                }
                float sum = 0;
                for (int64_t u = 0; u <= t; ++u) {
                    row[u] = std::exp(row[u] - mx);
                    sum += row[u];
                }
                const float inv = 1.0f / sum;
                for (int64_t u = 0; u <= t; ++u) row[u] *= inv;
                for (int64_t u = t + 1; u < T; ++u) row[u] = 0.0f;
            }
            // out = probs · v
            for (int64_t r0 = 0; r0 < T; r0 += kAttnRowBlock) {
                const int64_t r1 = std::min(T, r0 + kAttnRowBlock);
                gemm(r1 - r0, hd, r1, MatView{p + r0 * T, T, 1}, vg, out + ((sq * T + r0) * H + h) * hd, H * hd, false,
                     nullptr);
            }
        }
    });
}

void attention_backward(const AttnShape& s, const float* q, const float* k, const float* v, const float* probs,
                        const float* dout, float* dq, float* dk, float* dv, ThreadPool* pool) {
    const int64_t T = s.n_ctx, H = s.n_head, Hkv = s.n_head_kv, hd = s.head_dim;
    const int64_t group = H / Hkv;
    const float scale   = 1.0f / std::sqrt(float(hd));
    // One job per (sequence, kv head): the heads of a group add into the same dk / dv, in head order.
    for_range(pool, s.n_seq * Hkv, [&](int64_t b0, int64_t b1) {
        std::vector<float> ds(static_cast<size_t>(T * T));  // dP, then dS = ∂L/∂scores·scale
        for (int64_t job = b0; job < b1; ++job) {
            const int64_t sq = job / Hkv, g = job % Hkv;
            const int64_t kv0 = (sq * T * Hkv + g) * hd;
            const MatView kg{k + kv0, Hkv * hd, 1}, vt{v + kv0, 1, Hkv * hd};
            for (int64_t u = 0; u < T; ++u) {
                std::fill_n(dk + kv0 + u * Hkv * hd, hd, 0.0f);
                std::fill_n(dv + kv0 + u * Hkv * hd, hd, 0.0f);
            }
            for (int64_t h = g * group; h < (g + 1) * group; ++h) {
                const int64_t q0 = (sq * T * H + h) * hd;
                const MatView qh{q + q0, H * hd, 1}, doh{dout + q0, H * hd, 1};
                const float* p = probs + (sq * H + h) * T * T;
                // dP = dout · vᵀ
                for (int64_t r0 = 0; r0 < T; r0 += kAttnRowBlock) {
                    const int64_t r1 = std::min(T, r0 + kAttnRowBlock);
                    gemm(r1 - r0, r1, hd, shift_rows(doh, r0), vt, ds.data() + r0 * T, T, false, nullptr);
                }
                // dS = P ∘ (dP - Σ_u P dP) · scale, zero above the diagonal
                for (int64_t t = 0; t < T; ++t) {
                    const float* pr = p + t * T;
                    float* d        = ds.data() + t * T;
                    float pdp       = 0;
                    for (int64_t u = 0; u <= t; ++u) pdp += pr[u] * d[u];
                    for (int64_t u = 0; u <= t; ++u) d[u] = pr[u] * (d[u] - pdp) * scale;
                    for (int64_t u = t + 1; u < T; ++u) d[u] = 0.0f;
                }
                for (int64_t r0 = 0; r0 < T; r0 += kAttnRowBlock) {
                    const int64_t r1 = std::min(T, r0 + kAttnRowBlock);
                    // dq = dS · k  (query rows r0..r1 see keys < r1)
                    gemm(r1 - r0, hd, r1, MatView{ds.data() + r0 * T, T, 1}, kg, dq + q0 + r0 * H * hd, H * hd, false,
                         nullptr);
                    // dk += dSᵀ · q and dv += Pᵀ · dout (key rows r0..r1 are seen by queries >= r0)
                    const MatView dst{ds.data() + r0 * T + r0, 1, T}, pt{p + r0 * T + r0, 1, T};
                    gemm(r1 - r0, hd, T - r0, dst, shift_rows(qh, r0), dk + kv0 + r0 * Hkv * hd, Hkv * hd, true,
                         nullptr);
                    gemm(r1 - r0, hd, T - r0, pt, shift_rows(doh, r0), dv + kv0 + r0 * Hkv * hd, Hkv * hd, true,
                         nullptr);
                }
            }
        }
    });
}

// --- swiglu ------------------------------------------------------------------------------------------------------
void swiglu_forward(const float* gate, const float* up, int64_t n, float* h) {
    for (int64_t i = 0; i < n; ++i) h[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void swiglu_backward(const float* gate, const float* up, const float* dh, int64_t n, float* dgate, float* dup) {
    for (int64_t i = 0; i < n; ++i) {
        const float sig = 1.0f / (1.0f + std::exp(-gate[i]));
        const float sl  = gate[i] * sig;
        dup[i]          = dh[i] * sl;
        dgate[i]        = dh[i] * up[i] * sig * (1.0f + gate[i] * (1.0f - sig));
    }
}

// --- cross-entropy -----------------------------------------------------------------------------------------------
namespace {
// log Σ exp(row) computed stably (subtract the max), in double.
double log_sum_exp(const float* row, int64_t n_vocab) {
    float mx = row[0];
    for (int64_t j = 1; j < n_vocab; ++j) mx = std::max(mx, row[j]);
    double sum = 0;
    for (int64_t j = 0; j < n_vocab; ++j) sum += std::exp(double(row[j] - mx));
    return double(mx) + std::log(sum);
}
}  // namespace

double cross_entropy_loss(const float* logits, const int32_t* target, int64_t n, int64_t n_vocab) {
    double total = 0;
    for (int64_t t = 0; t < n; ++t) {
        const float* row = logits + t * n_vocab;
        total += log_sum_exp(row, n_vocab) - double(row[target[t]]);
    }
    return total;
}

double cross_entropy_forward_backward(float* logits, const int32_t* target, int64_t n, int64_t n_vocab, float scale,
                                      ThreadPool* pool) {
    std::vector<double> loss(static_cast<size_t>(n));
    for_range(pool, n, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
            float* row               = logits + t * n_vocab;
            const float target_logit = row[target[t]];
            float mx                 = row[0];
            for (int64_t j = 1; j < n_vocab; ++j) mx = std::max(mx, row[j]);
            double sum = 0;
            for (int64_t j = 0; j < n_vocab; ++j) {
                row[j] = std::exp(row[j] - mx);
                sum += row[j];
            }
            loss[size_t(t)] = double(mx) + std::log(sum) - double(target_logit);
            const float f   = float(double(scale) / sum);
            for (int64_t j = 0; j < n_vocab; ++j) row[j] *= f;
            row[target[t]] -= scale;
        }
    });
    double total = 0;
    for (double l : loss) total += l;  // in token order: independent of the thread split
    return total;
}

}  // namespace ts::core::train
