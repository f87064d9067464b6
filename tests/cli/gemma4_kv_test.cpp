// gemma4's KV cache on tiny random files (tools/random_model), sizes written out by hand: each layer stores rows of
// its own size (local heads of 16, global heads of 32) and a KV-sharing layer stores nothing; F32 and F16 caches,
// a batch against one token at a time and a rewind, bit for bit; a file without attn_v takes its values from the keys
// (before their norm and RoPE, as llama.cpp's gemma4: Vcur = Kcur); a KV-sharing layer's attention reads exactly its
// source layer's cached rows. The comparison with llama.cpp is CliArch.Gemma4AgreesWithLlamaCpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <tuple>

#include "core/model/forward.hpp"
#include "core/model/layers.hpp"
#include "core/model/model.hpp"
#include "tests/cli/random_file.hpp"
#include "tests/core/model/stage_recorder.hpp"
#include "tools/random_model.hpp"

namespace ts::core {
namespace {

using Recorder = testing::StageRecorder;

// 10 layers: 0-3 local (heads of 16), 4 global (heads of 32), 5-9 read the caches of 3 (local) and 4 (global, 9).
// 2 kv heads everywhere, a window of 8 positions.
ts::tools::RandomModelSpec tiny_spec(DType type) {
    ts::tools::RandomModelSpec s;
    s.arch             = "gemma4";
    s.n_layer          = 10;
    s.n_embd           = 64;
    s.n_head           = 4;
    s.n_head_kv        = 2;
    s.head_dim         = 32;
    s.head_dim_swa     = 16;
    s.n_embd_per_layer = 32;
    s.n_kv_shared      = 5;
    s.n_ff             = 128;
    s.n_vocab          = 300;
    s.n_ctx            = 128;
    s.n_swa            = 8;
    s.rope_base        = 1000000.0f;
    s.type             = type;
    s.seed             = 11;
    return s;
}

std::shared_ptr<const Model> load_tiny(DType type, const std::string& tag) {
    return testing::load_random_model(tiny_spec(type), "g4kv_" + tag);
}

std::vector<int32_t> prompt(int n) {
    return testing::cycling_prompt(n);
}

// Logits of every position, the prompt in one batch or one token at a time, in a cache of `type`.
std::vector<float> run(const Model& m, DType type, const std::vector<int32_t>& ids, bool one_by_one,
                       Observer* obs = nullptr, KvCache* out_cache = nullptr) {
    ThreadPool pool(2);
    Forward fwd(m, 64, 16);
    auto cache = fwd.make_cache(type);
    EXPECT_TRUE(cache.ok());
    const size_t V = size_t(m.hp.n_vocab);
    std::vector<float> logits(ids.size() * V);
    if (one_by_one) {
        for (size_t t = 0; t < ids.size(); ++t)
            EXPECT_TRUE(fwd.eval(*cache, &ids[t], 1, int(t), &logits[t * V], LogitRows::Last, pool, obs).ok());
    } else {
        EXPECT_TRUE(fwd.eval(*cache, ids.data(), int(ids.size()), 0, logits.data(), LogitRows::All, pool, obs).ok());
    }
    if (out_cache) *out_cache = std::move(*cache);
    return logits;
}

TEST(Gemma4Kv, EachLayerStoresRowsOfItsOwnSizeAndASharingLayerNone) {
    auto m = load_tiny(DType::F32, "sizes");
    ASSERT_TRUE(m);
    const Hparams& hp = m->hp;
    // K and V rows per layer: 2 kv heads × 16 (local 0-3), 2 × 32 (global 4), nothing for the sharing layers 5-9.
    EXPECT_EQ(hp.kv_cache_dims(), (std::vector<int>{32, 32, 32, 32, 64, 0, 0, 0, 0, 0}));
    EXPECT_EQ(hp.kv_source(7), 3);
    EXPECT_EQ(hp.kv_source(9), 4);
    // Per position, f32: 2 (K, V) × (4 × 32 + 64) values × 4 B = 1536 B (every layer at the largest row, 10 × 64,
    // would be 5120 B). At 4096 positions 6 MiB, f16 3 MiB; at 32768 48 MiB, f16 24 MiB.
    EXPECT_EQ(hp.kv_bytes(1, 4), 1536u);
    EXPECT_EQ(hp.kv_layer_bytes(0, 1, 4), 256u);
    EXPECT_EQ(hp.kv_layer_bytes(4, 1, 4), 512u);
    EXPECT_EQ(hp.kv_layer_bytes(7, 1000, 4), 0u);
    EXPECT_EQ(hp.kv_bytes(4096, 4), size_t(6) << 20);
    EXPECT_EQ(hp.kv_bytes(4096, 2), size_t(3) << 20);
    EXPECT_EQ(hp.kv_bytes(32768, 4), size_t(48) << 20);
    EXPECT_EQ(hp.kv_bytes(32768, 2), size_t(24) << 20);
    EXPECT_EQ(describe_kv_layer(hp, 4), "global, 2 kv heads x 32 = 64 values per K and per V row");
    EXPECT_EQ(describe_kv_layer(hp, 7), "local, reads layer 3's cache (no storage of its own)");
    EXPECT_TRUE(kv_layers_differ(hp));
    // The shapes shown (the Journey's): each layer's own head size, not the largest.
    EXPECT_EQ(stage_shape(Dims::KvHeads, hp, 1, 0).cols, 16);
    EXPECT_EQ(stage_shape(Dims::KvHeads, hp, 1, 4).cols, 32);
    EXPECT_EQ(stage_shape(Dims::QHeads, hp, 1, 7).cols, 16);
    EXPECT_EQ(describe_dims(Dims::QHeads, hp, 1, 3), "[4 heads × 16] = 64 floats");
    EXPECT_EQ(stage_shape(Dims::RopeSwa, hp, 1).cols, hp.n_rot_of(0) / 2);
    // The cache the forward pass makes: what it reserves and what 10 positions use, f32 and f16.
    for (DType type : {DType::F32, DType::F16}) {
        const size_t e = type == DType::F32 ? 4 : 2;
        KvCache cache;
        run(*m, type, prompt(10), false, nullptr, &cache);
        EXPECT_EQ(cache.layer_dims(), hp.kv_cache_dims());
        EXPECT_EQ(cache.n_layers_stored(), 5);
        EXPECT_EQ(cache.bytes_capacity(), 64 * 2 * (4 * 32 + 64) * e);
        EXPECT_EQ(cache.bytes_used(), 10 * 2 * (4 * 32 + 64) * e);
        EXPECT_EQ(cache.bytes_used_largest_layer(), 10 * 2 * 64 * e);
        EXPECT_EQ(cache.bytes_used_of(8), 0u);
    }
}

// The bit-exact rule, as for every architecture: a prompt in one batch gives bit for bit the logits of one token at
// a time, in F32 and F16 caches; a rewind and the same tokens again give them once more.
TEST(Gemma4Kv, BatchOneByOneAndRewindAgreeBitForBit) {
    auto m = load_tiny(DType::Q8_0, "exact");
    ASSERT_TRUE(m);
    const auto ids = prompt(20);  // crosses the window of 8
    const size_t V = size_t(m->hp.n_vocab);
    for (DType type : {DType::F32, DType::F16}) {
        SCOPED_TRACE(std::string(dtype_name(type)));
        const std::vector<float> a = run(*m, type, ids, false), b = run(*m, type, ids, true);
        ASSERT_EQ(a.size(), b.size());
        for (size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << "logit " << i % V << " of position " << i / V;
        ThreadPool pool(2);
        Forward fwd(*m, 64, 16);
        auto cache = fwd.make_cache(type);
        ASSERT_TRUE(cache.ok());
        std::vector<float> logits(V);
        ASSERT_TRUE(fwd.eval(*cache, ids.data(), 20, 0, logits.data(), LogitRows::Last, pool).ok());
        const int32_t other = 42;
        ASSERT_TRUE(fwd.eval(*cache, &other, 1, 12, logits.data(), LogitRows::Last, pool).ok());  // a branch at 12
        EXPECT_EQ(cache->n_pos(), 13);
        ASSERT_TRUE(fwd.eval(*cache, ids.data() + 12, 8, 12, logits.data(), LogitRows::Last, pool).ok());
        for (size_t i = 0; i < V; ++i) ASSERT_EQ(logits[i], a[19 * V + i]) << i;
    }
}

// llama.cpp's gemma4: "if v_proj is not present, use Kcur as Vcur", taken before the key norm and RoPE, then RMS-normed
// without a weight. Known answer: without attn_v each value head is the key projection's head divided by its RMS;
// and the model runs bit for bit as one whose attn_v is attn_k itself.
TEST(Gemma4Kv, ValuesAreTheKeysWhereTheFileHasNoAttnV) {
    auto m = load_tiny(DType::F32, "nov");
    ASSERT_TRUE(m);
    Model no_v = *m, v_is_k = *m;
    for (int il = 0; il < m->hp.n_layer; ++il) {
        no_v.w.layers[size_t(il)].wv   = Tensor{};
        v_is_k.w.layers[size_t(il)].wv = v_is_k.w.layers[size_t(il)].wk;
    }
    const auto ids = prompt(12);
    Recorder rec;
    const std::vector<float> a = run(no_v, DType::F32, ids, false, &rec);
    const std::vector<float> b = run(v_is_k, DType::F32, ids, false);
    const std::vector<float> c = run(*m, DType::F32, ids, false);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);  // the file's own attn_v: other values (the test would not see V ignored otherwise)
    const Hparams& hp = m->hp;
    for (int il : {0, 4})
        for (int pos : {0, 11}) {
            const std::vector<float>& kp = rec.at(Stage::KProj, il, pos);
            const std::vector<float>& v  = rec.at(Stage::V, il, pos);
            const int hd                 = hp.head_dim_of(il);
            ASSERT_EQ(v.size(), size_t(hp.n_head_kv_of(il) * hd));
            for (int h = 0; h < hp.n_head_kv_of(il); ++h) {
                double ss = 0;
                for (int d = 0; d < hd; ++d) ss += double(kp[size_t(h * hd + d)]) * kp[size_t(h * hd + d)];
                const double rms = std::sqrt(ss / hd + double(hp.norm_eps));
                for (int d = 0; d < hd; ++d)
                    EXPECT_NEAR(v[size_t(h * hd + d)], kp[size_t(h * hd + d)] / rms, 1e-5)
                        << "layer " << il << " pos " << pos << " head " << h << " dim " << d;
            }
        }
}

// A KV-sharing layer's attention, recomputed in the test from the cache's rows of its source layer (layer 7 reads
// layer 3's, local, in its window; layer 9 reads layer 4's, global): the forward pass's weighted sum equals it.
TEST(Gemma4Kv, ASharingLayerReadsExactlyItsSourceLayersCachedRows) {
    auto m = load_tiny(DType::F32, "share");
    ASSERT_TRUE(m);
    const Hparams& hp = m->hp;
    const auto ids    = prompt(14);
    Recorder rec;
    KvCache cache;
    run(*m, DType::F32, ids, true, &rec, &cache);
    for (const auto& [layer, source] : {std::pair{7, 3}, std::pair{9, 4}}) {
        EXPECT_EQ(cache.kv_dim(layer), 0);
        const int hd = hp.head_dim_of(layer), n_kv = hp.n_head_kv_of(layer), group = hp.n_head / n_kv;
        EXPECT_EQ(hd, hp.head_dim_of(source));
        const float scale = attn::params(hp, layer).scale;  // 1: gemma4 does not divide by √head_dim
        for (int pos : {5, 13}) {
            const std::vector<float>& q   = rec.at(Stage::Q, layer, pos);
            const std::vector<float>& out = rec.at(Stage::AttnOut, layer, pos);
            const int j0                  = hp.is_swa(layer) && pos >= hp.n_swa ? pos - hp.n_swa + 1 : 0;
            for (int h = 0; h < hp.n_head; ++h) {
                const int kvh = h / group;
                std::vector<double> s;
                double mx = -1e300;
                for (int j = j0; j <= pos; ++j) {
                    const float* k = static_cast<const float*>(cache.k_row(source, j)) + kvh * hd;
                    double dot     = 0;
                    for (int d = 0; d < hd; ++d) dot += double(q[size_t(h * hd + d)]) * k[d];
                    s.push_back(dot * scale);
                    mx = std::max(mx, s.back());
                }
                double sum = 0;
                for (double& x : s) sum += (x = std::exp(x - mx));
                for (int d = 0; d < hd; ++d) {
                    double o = 0;
                    for (int j = j0; j <= pos; ++j)
                        o += s[size_t(j - j0)] / sum * static_cast<const float*>(cache.v_row(source, j))[kvh * hd + d];
                    EXPECT_NEAR(out[size_t(h * hd + d)], o, 1e-5)
                        << "layer " << layer << " pos " << pos << " head " << h << " dim " << d;
                }
            }
        }
    }
}

}  // namespace
}  // namespace ts::core
