// Run-time dispatch of the dot kernels (scalar / AVX2 / AVX-512 / AVX-512 VNNI tables), and matvec / matmul on the
// ThreadPool: activations are quantised once per call to the weight type's companion (into pool-owned scratch that
// only grows), then rows are handed out to the threads in chunks from an atomic counter, so a thread that the OS
// preempts does not hold up the others. matmul (batched prefill) prefers the register-tiled kernels where the
// level has one: X8 int8 tiles for Q8_0 / Q4_0 / Q4_1 / Q5_0 / Q5_1 / Q4_K / Q5_K / Q6_K (matmul_x8), float tiles for
// F32 / F16 / BF16 (matmul_f32); other types go row by row through dot4 / dot. matvec (one token, decode) takes
// the same kernels' one-token form (gemv_x8, the float tile with one token) or dot where matmul takes dot4, so a
// token's outputs never depend on the path (ops.hpp).
#include "core/tensor/ops.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <vector>

#include "core/base/check.hpp"
#include "core/base/fp16.hpp"
#include "core/tensor/blocks.hpp"
#include "core/tensor/kernels.hpp"
#include "core/tensor/quant.hpp"

namespace ts::core {
namespace {

using kernels::KernelTable;

struct Tables {
    KernelTable ref, avx2, avx512, avx512_vnni;
};

const Tables& tables() {
    static const Tables t = [] {
        // Only levels the CPU has are filled: the fill functions themselves are compiled with those ISA flags.
        Tables r;
        kernels::fill_ref(r.ref);
        r.avx2 = r.ref;
        if (detected_simd() >= SimdLevel::Avx2) kernels::fill_avx2(r.avx2);
        r.avx512 = r.avx2;
        if (detected_simd() >= SimdLevel::Avx512) {
            kernels::fill_avx512(r.avx512);
            kernels::fill_avx512_gemm(r.avx512);
        }
        r.avx512_vnni = r.avx512;
        if (detected_simd() >= SimdLevel::Avx512Vnni) {
            kernels::fill_avx512_gemm(r.avx512_vnni);
            kernels::fill_avx512_vnni(r.avx512_vnni);
        }
        return r;
    }();
    return t;
}

// The level the kernels use; -1 until first asked (then the detected level). Process-wide by design: the
// kernels are pure, so the level only changes speed, never results beyond float rounding.
std::atomic<int>& level_state() {
    static std::atomic<int> level{-1};
    return level;
}

const KernelTable& active_table() {
    switch (active_simd()) {
        case SimdLevel::Avx512Vnni:
            return tables().avx512_vnni;
        case SimdLevel::Avx512:
            return tables().avx512;
        case SimdLevel::Avx2:
            return tables().avx2;
        case SimdLevel::Scalar:
            break;
    }
    return tables().ref;
}

kernels::DotFn dot_fn(const KernelTable& k, DType t) {
    const kernels::DotFn f = uint32_t(t) < kernels::kMaxTypeId ? k.dot[uint32_t(t)] : nullptr;
    TS_CHECK(f != nullptr, "no dot kernel for this weight type (the model loader checks types first)");
    return f;
}

// x quantised to the companion type ct (Q8_0 or Q8_K) with the level's quantiser (quantize_activations).
void quantize_x(const KernelTable& k, DType ct, const float* x, void* dst, int64_t n) {
    const kernels::QuantizeFn f = ct == DType::Q8_0 ? k.quantize_q8_0 : ct == DType::Q8_K ? k.quantize_q8_k : nullptr;
    if (f) {
        TS_CHECK(n % dtype_info(ct).block_size == 0, "activation length is not a multiple of the block size");
        f(x, dst, n);
    } else {
        quantize_row(ct, x, dst, n);
    }
}

// b rounded up to whole cache lines: the pieces of one scratch buffer each start on their own line.
size_t align64(size_t b) {
    return (b + 63) / 64 * 64;
}

// Rows per work item: small enough to balance 2..16 threads, large enough to keep the atomic counter cold.
int64_t row_chunk(int64_t rows, int nth) {
    return std::clamp<int64_t>(rows / (int64_t(nth) * 8), 4, 256);
}

// The d and corr that X8 stores for block b (of 32 elements) of one token (kernels.hpp): from a Q8_0 row, the
// block's scale and -offset * the sum of its values; from a Q8_K row (the K-quants), the super-block's scale and
// -offset * the sum from the two bsums of 16 that make up the block, or with `halves` (Q6_K) those two bsums as
// int16, low half first. One place for both forms of the token (X8 packed, X1 for one token), so they agree.
struct X8Terms {
    float d;
    int32_t corr;
};

X8Terms x8_terms_q8_0(const BlockQ8_0& blk, int32_t offset) {
    int32_t sum = 0;
    for (int i = 0; i < kQK32; ++i) sum += blk.qs[i];
    return {fp16_to_f32(blk.d), -offset * sum};
}

X8Terms x8_terms_q8_k(const BlockQ8_K& sb, int s, int32_t offset, bool halves) {
    const int16_t lo = sb.bsums[2 * s], hi = sb.bsums[2 * s + 1];
    if (halves) return {sb.d, int32_t(uint32_t(uint16_t(lo)) | (uint32_t(uint16_t(hi)) << 16))};
    return {sb.d, -offset * (int32_t(lo) + int32_t(hi))};
}

// The values of block b of a token quantised to ct (Q8_0 or Q8_K), and its X8 terms.
const int8_t* x8_block(DType ct, const uint8_t* xq, int64_t b, int32_t offset, bool halves, X8Terms& terms) {
    if (ct == DType::Q8_K) {
        const auto& sb = reinterpret_cast<const BlockQ8_K*>(xq)[b / 8];
        terms          = x8_terms_q8_k(sb, int(b % 8), offset, halves);
        return sb.qs + 32 * (b % 8);
    }
    const auto& blk = reinterpret_cast<const BlockQ8_0*>(xq)[b];
    terms           = x8_terms_q8_0(blk, offset);
    return blk.qs;
}

// Packs tokens [8 group, 8 group + 8) of the rows xq (type ct, row stride xs bytes) into one X8 group
// (kernels.hpp): 4-byte slices of 8 tokens side by side, then their d and corr.
void pack_x8_group(DType ct, const uint8_t* xq, size_t xs, int64_t n, int64_t n_tokens, int64_t group, int32_t offset,
                   bool halves, uint8_t* dst) {
    const int64_t nb = n / kQK32;
    std::memset(dst, 0, size_t(nb) * kernels::kX8BlockBytes);
    for (int j = 0; j < kernels::kX8Tokens; ++j) {
        const int64_t t = group * kernels::kX8Tokens + j;
        if (t >= n_tokens) break;
        for (int64_t b = 0; b < nb; ++b) {
            uint8_t* o = dst + size_t(b) * kernels::kX8BlockBytes;
            X8Terms terms;
            const int8_t* qs = x8_block(ct, xq + size_t(t) * xs, b, offset, halves, terms);
            for (int g = 0; g < kQK32 / 4; ++g) std::memcpy(o + 32 * g + 4 * j, qs + 4 * g, 4);
            std::memcpy(o + 256 + 4 * j, &terms.d, 4);
            std::memcpy(o + 288 + 4 * j, &terms.corr, 4);
        }
    }
}

// One token in the X1 layout of kernels.hpp (values, then every block's d, then every block's corr).
void pack_x1(DType ct, const uint8_t* xq, int64_t n, int32_t offset, bool halves, uint8_t* dst) {
    const int64_t nb = n / kQK32;
    auto* d          = reinterpret_cast<float*>(dst + n);
    auto* corr       = reinterpret_cast<int32_t*>(d + nb);
    for (int64_t b = 0; b < nb; ++b) {
        X8Terms terms;
        std::memcpy(dst + 32 * b, x8_block(ct, xq, b, offset, halves, terms), 32);
        d[b]    = terms.d;
        corr[b] = terms.corr;
    }
}

// matmul through an X8 kernel: x quantised to its companion type (Q8_0; Q8_K for the K-quants, as in matvec) and
// packed in groups of 8 tokens (in parallel), then work items
// of kX8TileTokens tokens x a chunk of rows, token tile outermost so that its packed x stays in L2 while the
// rows stream past. Each thread decodes its rows into its own slice of the scratch.
void matmul_x8(const KernelTable& k, kernels::GemmX8Fn gemm, const Tensor& w, const float* x, int64_t n_tokens,
               float* y, ThreadPool& pool) {
    constexpr int64_t kX8TileTokens = 64;
    const int64_t n = w.ne[0], rows = w.n_rows();
    const int nth           = pool.n_threads();
    const int64_t n_groups  = (n_tokens + kernels::kX8Tokens - 1) / kernels::kX8Tokens;
    const DType ct          = companion_type(w.type);
    const size_t xs         = row_bytes(ct, n);
    const size_t gs         = size_t(n / kQK32) * kernels::kX8BlockBytes;
    const size_t q_bytes    = align64(xs * size_t(n_tokens));
    const size_t pack_bytes = align64(gs * size_t(n_groups));
    const size_t thr_bytes  = align64(kernels::x8_scratch_bytes(n));
    auto* buf               = static_cast<uint8_t*>(pool.scratch(q_bytes + pack_bytes + thr_bytes * size_t(nth)));
    uint8_t* xq             = buf;
    uint8_t* xp             = buf + q_bytes;
    uint8_t* thr            = xp + pack_bytes;
    const int32_t offset    = kernels::x8_offset(w.type);

    const auto pack = [&](int64_t g0, int64_t g1) {
        const int64_t t0 = g0 * kernels::kX8Tokens, t1 = std::min(n_tokens, g1 * kernels::kX8Tokens);
        for (int64_t t = t0; t < t1; ++t) quantize_x(k, ct, x + t * n, xq + size_t(t) * xs, n);
        for (int64_t g = g0; g < g1; ++g)
            pack_x8_group(ct, xq, xs, n, n_tokens, g, offset, w.type == DType::Q6_K, xp + size_t(g) * gs);
    };
    pool.parallel_for(n_groups, std::cref(pack));

    // Row chunks: a multiple of the kernel's rows, about 8 per thread so that a preempted thread holds up little.
    const int64_t chunk =
        std::clamp<int64_t>(rows / (int64_t(nth) * 8) / kernels::kX8MaxRows, 1, 10) * kernels::kX8MaxRows;
    const int64_t n_row_chunks = (rows + chunk - 1) / chunk;
    const int64_t n_tok_tiles  = (n_tokens + kX8TileTokens - 1) / kX8TileTokens;
    const auto* base           = static_cast<const uint8_t*>(w.data);
    const size_t rs            = w.row_size();
    std::atomic<int64_t> next{0};
    const auto job = [&](int ith, int) {
        for (;;) {
            const int64_t item = next.fetch_add(1, std::memory_order_relaxed);
            if (item >= n_row_chunks * n_tok_tiles) return;
            const int64_t tt = item / n_row_chunks, rc = item % n_row_chunks;
            const int64_t t0 = tt * kX8TileTokens, nt = std::min(n_tokens - t0, kX8TileTokens);
            const int64_t r0 = rc * chunk, nr = std::min(rows - r0, chunk);
            gemm(n, base + size_t(r0) * rs, rs, nr, xp + size_t(t0 / kernels::kX8Tokens) * gs, nt, y + t0 * rows + r0,
                 rows, thr + size_t(ith) * thr_bytes);
        }
    };
    pool.run(std::cref(job));
}

// matmul through a float-type kernel: work items of a token tile x a chunk of rows, token tile outermost and
// sized so that its f32 activations (4n bytes per token) stay in L2 while the rows stream past.
void matmul_f32(kernels::GemmF32Fn gemm, const Tensor& w, const float* x, int64_t n_tokens, float* y,
                ThreadPool& pool) {
    constexpr int64_t kL2Bytes = 384 * 1024;  // the share of a 1 MB L2 for the activations
    const int64_t n = w.ne[0], rows = w.n_rows();
    const int nth          = pool.n_threads();
    const int64_t tok_tile = std::clamp<int64_t>(kL2Bytes / (4 * n) / 4 * 4, 4, 64);
    const int64_t chunk    = std::clamp<int64_t>(rows / (int64_t(nth) * 8) / 4 * 4, 4, 64);
    const int64_t n_chunks = (rows + chunk - 1) / chunk;
    const int64_t n_tiles  = (n_tokens + tok_tile - 1) / tok_tile;
    const auto* base       = static_cast<const uint8_t*>(w.data);
    const size_t rs        = w.row_size();
    std::atomic<int64_t> next{0};
    const auto job = [&](int, int) {
        for (;;) {
            const int64_t item = next.fetch_add(1, std::memory_order_relaxed);
            if (item >= n_chunks * n_tiles) return;
            const int64_t tt = item / n_chunks, rc = item % n_chunks;
            const int64_t t0 = tt * tok_tile, nt = std::min(n_tokens - t0, tok_tile);
            const int64_t r0 = rc * chunk, nr = std::min(rows - r0, chunk);
            gemm(n, base + size_t(r0) * rs, rs, nr, x + t0 * n, nt, y + t0 * rows + r0, rows);
        }
    };
    pool.run(std::cref(job));
}

// matvec through the one-token form of an X8 kernel: x quantised and laid out as X1, then chunks of rows (a
// multiple of the kernel's 8) handed out to the threads, each with its own slice of the scratch.
void matvec_x8(const KernelTable& k, kernels::GemvX8Fn gemv, const Tensor& w, const float* x, float* y,
               ThreadPool& pool) {
    const int64_t n = w.ne[0], rows = w.n_rows();
    const int nth        = pool.n_threads();
    const DType ct       = companion_type(w.type);
    const size_t q_bytes = align64(row_bytes(ct, n)), x1_bytes = align64(kernels::x1_bytes(n));
    const size_t thr = align64(kernels::gemv_scratch_bytes(n));
    auto* buf        = static_cast<uint8_t*>(pool.scratch(q_bytes + x1_bytes + thr * size_t(nth)));
    quantize_x(k, ct, x, buf, n);
    pack_x1(ct, buf, n, kernels::x8_offset(w.type), w.type == DType::Q6_K, buf + q_bytes);
    const uint8_t* x1    = buf + q_bytes;
    uint8_t* scratch     = buf + q_bytes + x1_bytes;
    constexpr int64_t kR = kernels::kGemvRows;
    const int64_t chunk  = std::clamp<int64_t>(rows / (int64_t(nth) * 8) / kR, 1, 32) * kR;
    const auto* base     = static_cast<const uint8_t*>(w.data);
    const size_t rs      = w.row_size();
    std::atomic<int64_t> next{0};
    const auto job = [&](int ith, int) {
        for (;;) {
            const int64_t r0 = next.fetch_add(chunk, std::memory_order_relaxed);
            if (r0 >= rows) return;
            gemv(n, base + size_t(r0) * rs, rs, std::min(chunk, rows - r0), x1, y + r0, scratch + size_t(ith) * thr);
        }
    };
    pool.run(std::cref(job));
}

}  // namespace

SimdLevel detected_simd() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return __builtin_cpu_supports("avx512vnni") ? SimdLevel::Avx512Vnni : SimdLevel::Avx512;
    if (avx2) return SimdLevel::Avx2;
#endif
    return SimdLevel::Scalar;
}

// The best level the CPU has; which level is fastest on a given CPU is a matter of measurement (calibrate.hpp), and
// the app makes that choice (TS_SIMD or a cached calibration).
SimdLevel preferred_simd() {
    return detected_simd();
}

SimdLevel active_simd() {
    int l = level_state().load(std::memory_order_relaxed);
    if (l < 0) {
        l = int(preferred_simd());
        level_state().store(l, std::memory_order_relaxed);
    }
    return SimdLevel(l);
}

void set_simd_level(SimdLevel l) {
    level_state().store(std::min(int(l), int(detected_simd())), std::memory_order_relaxed);
}

const char* simd_name(SimdLevel l) {
    switch (l) {
        case SimdLevel::Scalar:
            return "scalar";
        case SimdLevel::Avx2:
            return "avx2";
        case SimdLevel::Avx512:
            return "avx512";
        case SimdLevel::Avx512Vnni:
            return "avx512vnni";
    }
    return "?";
}

int float_lanes(SimdLevel l) {
    return l >= SimdLevel::Avx512 ? 16 : l == SimdLevel::Avx2 ? 8 : 1;
}

std::optional<SimdLevel> simd_level_from_name(std::string_view name) {
    if (name == "scalar") return SimdLevel::Scalar;
    if (name == "avx2") return SimdLevel::Avx2;
    if (name == "avx512") return SimdLevel::Avx512;
    if (name == "vnni" || name == "avx512vnni") return SimdLevel::Avx512Vnni;
    return std::nullopt;
}

// One token goes through the batched kernel's own arithmetic where the level has one (gemv_x8 for the X8 types,
// the float tile with one token for F32 / F16 / BF16), so its outputs equal those of the same token in a batch.
void matvec(const Tensor& w, const float* x, float* y, ThreadPool& pool) {
    const KernelTable& k = active_table();
    if (const kernels::GemvX8Fn gemv = k.gemv_x8[uint32_t(w.type)]) return matvec_x8(k, gemv, w, x, y, pool);
    TS_CHECK(k.gemm_x8[uint32_t(w.type)] == nullptr, "an X8 type without its one-token kernel");
    if (const kernels::GemmF32Fn gemm = k.gemm_f32[uint32_t(w.type)]) return matmul_f32(gemm, w, x, 1, y, pool);
    const int64_t n = w.ne[0], rows = w.n_rows();
    const kernels::DotFn dot = dot_fn(k, w.type);
    const DType ct           = companion_type(w.type);
    const void* xq           = x;
    if (ct != DType::F32) {
        void* buf = pool.scratch(row_bytes(ct, n));
        quantize_x(k, ct, x, buf, n);
        xq = buf;
    }
    const auto* base    = static_cast<const uint8_t*>(w.data);
    const size_t rs     = w.row_size();
    const int64_t chunk = row_chunk(rows, pool.n_threads());
    std::atomic<int64_t> next{0};
    const auto job = [&](int, int) {
        for (;;) {
            const int64_t r0 = next.fetch_add(chunk, std::memory_order_relaxed);
            if (r0 >= rows) return;
            const int64_t r1 = std::min(rows, r0 + chunk);
            for (int64_t r = r0; r < r1; ++r) y[r] = dot(n, base + size_t(r) * rs, xq);
        }
    };
    pool.run(std::cref(job));  // by reference: a std::function of a reference_wrapper never allocates
}

void matmul(const Tensor& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
    if (n_tokens == 1) return matvec(w, x, y, pool);
    if (n_tokens <= 0) return;
    const int64_t n = w.ne[0], rows = w.n_rows();
    const KernelTable& k = active_table();
    if (const kernels::GemmX8Fn gemm = k.gemm_x8[uint32_t(w.type)]) return matmul_x8(k, gemm, w, x, n_tokens, y, pool);
    if (const kernels::GemmF32Fn gemm = k.gemm_f32[uint32_t(w.type)]) return matmul_f32(gemm, w, x, n_tokens, y, pool);
    const kernels::DotFn dot   = dot_fn(k, w.type);
    const kernels::Dot4Fn dot4 = k.dot4[uint32_t(w.type)];
    const DType ct             = companion_type(w.type);

    // Activations, quantised once: xq + t * xs is token t in the companion type.
    const size_t xs   = row_bytes(ct, n);
    const uint8_t* xq = reinterpret_cast<const uint8_t*>(x);
    if (ct != DType::F32) {
        auto* buf           = static_cast<uint8_t*>(pool.scratch(xs * size_t(n_tokens)));
        const auto quantize = [&](int64_t t0, int64_t t1) {
            for (int64_t t = t0; t < t1; ++t) quantize_x(k, ct, x + t * n, buf + size_t(t) * xs, n);
        };
        pool.parallel_for(n_tokens, std::cref(quantize));
        xq = buf;
    }

    // Tiles of kRowTile rows x kTokTile tokens: a weight row stays in L1 while it meets every token of the tile,
    // and the tile's activations stay in L2 while the rows stream past, so weights are read from memory once per
    // token tile instead of once per token.
    constexpr int64_t kRowTile = 16, kTokTile = 64;
    const auto* base          = static_cast<const uint8_t*>(w.data);
    const size_t rs           = w.row_size();
    const int64_t n_row_tiles = (rows + kRowTile - 1) / kRowTile;
    const int64_t n_tok_tiles = (n_tokens + kTokTile - 1) / kTokTile;
    std::atomic<int64_t> next{0};
    const auto job = [&](int, int) {
        for (;;) {
            const int64_t item = next.fetch_add(1, std::memory_order_relaxed);
            if (item >= n_row_tiles * n_tok_tiles) return;
            const int64_t tt = item / n_row_tiles, rt = item % n_row_tiles;  // token tile outer: x stays hot
            const int64_t t0 = tt * kTokTile, t1 = std::min(n_tokens, t0 + kTokTile);
            const int64_t r0 = rt * kRowTile, r1 = std::min(rows, r0 + kRowTile);
            for (int64_t r = r0; r < r1; ++r) {
                const uint8_t* wr = base + size_t(r) * rs;
                int64_t t         = t0;
                if (dot4) {
                    for (; t + 4 <= t1; t += 4) {
                        float out[4];
                        dot4(n, wr, xq + size_t(t) * xs, xs, out);
                        for (int j = 0; j < 4; ++j) y[(t + j) * rows + r] = out[j];
                    }
                }
                for (; t < t1; ++t) y[t * rows + r] = dot(n, wr, xq + size_t(t) * xs);
            }
        }
    };
    pool.run(std::cref(job));
}

float dot_row(DType t, const void* row, const float* x, int64_t n) {
    const KernelTable& k = active_table();
    const DType ct       = companion_type(t);
    if (ct == DType::F32) return dot_fn(k, t)(n, row, x);
    std::vector<uint8_t> xq(row_bytes(ct, n));
    quantize_x(k, ct, x, xq.data(), n);
    return dot_fn(k, t)(n, row, xq.data());
}

void quantize_activations(DType t, const float* x, void* dst, int64_t n) {
    TS_CHECK(t == DType::Q8_0 || t == DType::Q8_K, "quantize_activations: Q8_0 or Q8_K only");
    quantize_x(active_table(), t, x, dst, n);
}

float dot_f32(const float* a, const float* b, int64_t n) {
    return active_table().dot_f32(a, b, n);
}

void axpy_f32(float a, const float* x, float* y, int64_t n) {
    active_table().axpy_f32(a, x, y, n);
}

}  // namespace ts::core
