// KvCache: storage in f32 and f16, rewinding, byte accounting and argument checks.
#include "core/kv/kv_cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include "core/base/fp16.hpp"
#include "tests/core/resident_memory.hpp"

namespace ts::core {
namespace {

using ts::core::testing::resident_bytes;

// Key / value `pos` of `layer` read back as f32 (kv_dim(layer) floats), through the raw rows the kernels read.
void load_row(const KvCache& c, int layer, const void* row, float* out) {
    if (c.type() == DType::F32) {
        std::memcpy(out, row, size_t(c.kv_dim(layer)) * sizeof(float));
        return;
    }
    const auto* h = static_cast<const uint16_t*>(row);
    for (int i = 0; i < c.kv_dim(layer); ++i) out[i] = fp16_to_f32(h[i]);
}
void load_k(const KvCache& c, int layer, int pos, float* out) {
    load_row(c, layer, c.k_row(layer, pos), out);
}
void load_v(const KvCache& c, int layer, int pos, float* out) {
    load_row(c, layer, c.v_row(layer, pos), out);
}

std::vector<float> ramp(int n, float start, float step) {
    std::vector<float> v(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) v[size_t(i)] = start + step * float(i);
    return v;
}

TEST(KvCache, F32StoresAndLoadsExactly) {
    auto c = KvCache::create(2, 8, 6, DType::F32);
    ASSERT_TRUE(c.ok()) << c.error().message;
    const auto k = ramp(6, 0.1f, 0.37f), v = ramp(6, -3.0f, 1.01f);
    c->store(1, 3, k.data(), v.data());
    std::vector<float> out(6);
    load_k(*c, 1, 3, out.data());
    EXPECT_EQ(out, k);
    load_v(*c, 1, 3, out.data());
    EXPECT_EQ(out, v);
    EXPECT_EQ(static_cast<const float*>(c->k_row(1, 3))[2], k[2]);
}

TEST(KvCache, F16RoundsLikeFp16Conversion) {
    auto c = KvCache::create(1, 4, 5, DType::F16);
    ASSERT_TRUE(c.ok()) << c.error().message;
    const std::vector<float> k = {0.1f, -2.5f, 1e-6f, 65504.0f, 1.0f / 3.0f};
    const std::vector<float> v = {7.0f, 0.0f, -0.0001f, 3.14159f, -1.0f};
    c->store(0, 2, k.data(), v.data());
    std::vector<float> out(5);
    load_k(*c, 0, 2, out.data());
    for (size_t i = 0; i < 5; ++i) EXPECT_EQ(out[i], fp16_to_f32(f32_to_fp16(k[i]))) << i;
    load_v(*c, 0, 2, out.data());
    for (size_t i = 0; i < 5; ++i) EXPECT_EQ(out[i], fp16_to_f32(f32_to_fp16(v[i]))) << i;
}

TEST(KvCache, LayersAndPositionsDoNotOverlap) {
    auto c = KvCache::create(3, 4, 2, DType::F32);
    ASSERT_TRUE(c.ok());
    for (int l = 0; l < 3; ++l)
        for (int p = 0; p < 4; ++p) {
            const float k[2] = {float(l * 10 + p), float(-l)}, v[2] = {float(l * 100 + p), float(p)};
            c->store(l, p, k, v);
        }
    for (int l = 0; l < 3; ++l)
        for (int p = 0; p < 4; ++p) {
            float k[2], v[2];
            load_k(*c, l, p, k);
            load_v(*c, l, p, v);
            EXPECT_EQ(k[0], float(l * 10 + p));
            EXPECT_EQ(k[1], float(-l));
            EXPECT_EQ(v[0], float(l * 100 + p));
            EXPECT_EQ(v[1], float(p));
        }
}

TEST(KvCache, BytesCountFilledPositions) {
    auto c = KvCache::create(4, 16, 8, DType::F16);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->bytes_capacity(), 4u * 2 * 16 * 8 * 2);
    EXPECT_EQ(c->bytes_used(), 0u);
    c->set_n_pos(5);
    EXPECT_EQ(c->bytes_used_of(3), 2u * 5 * 8 * 2);
    EXPECT_EQ(c->bytes_used_largest_layer(), 2u * 5 * 8 * 2);
    EXPECT_EQ(c->bytes_used(), 4u * 2 * 5 * 8 * 2);
    EXPECT_EQ(c->bytes_per_pos(), 4u * 2 * 8 * 2);
    auto f = KvCache::create(4, 16, 8, DType::F32);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->bytes_capacity(), 2 * c->bytes_capacity());
}

// Layers of different row sizes (gemma4: heads of 512 on global layers, 256 on local ones) and layers without storage
// (KV-sharing, recurrent): each stores exactly its own rows, the bytes are the sum of the layers' own, and a layer
// without storage takes no address space at all.
TEST(KvCache, LayersOfTheirOwnSizeAndLayersWithoutStorage) {
    for (DType type : {DType::F32, DType::F16}) {
        SCOPED_TRACE(std::string(dtype_name(type)));
        const size_t e = type == DType::F32 ? 4 : 2;
        auto c         = KvCache::create({6, 2, 0, 4, 0}, 8, type);
        ASSERT_TRUE(c.ok()) << c.error().message;
        EXPECT_EQ(c->n_layer(), 5);
        EXPECT_EQ(c->layer_dims(), (std::vector<int>{6, 2, 0, 4, 0}));
        EXPECT_EQ(c->kv_dim(0), 6);
        EXPECT_EQ(c->kv_dim(2), 0);
        EXPECT_EQ(c->n_layers_stored(), 3);
        EXPECT_EQ(c->bytes_capacity(), 2 * 8 * (6 + 2 + 4) * e);
        EXPECT_EQ(c->bytes_per_pos(), 2 * (6 + 2 + 4) * e);
        for (int p = 0; p < 8; ++p)
            for (int l : {0, 1, 3}) {
                const auto k = ramp(c->kv_dim(l), float(10 * l + p), 0.5f);
                const auto v = ramp(c->kv_dim(l), -float(10 * l + p), 0.25f);
                c->store(l, p, k.data(), v.data());
            }
        c->set_n_pos(3);
        EXPECT_EQ(c->bytes_used_of(0), 2 * 3 * 6 * e);
        EXPECT_EQ(c->bytes_used_of(2), 0u);
        EXPECT_EQ(c->bytes_used_largest_layer(), 2 * 3 * 6 * e);
        EXPECT_EQ(c->bytes_used(), 2 * 3 * (6 + 2 + 4) * e);
        // Every row reads back as stored: the layers' regions do not overlap whatever their sizes.
        for (int p = 0; p < 8; ++p)
            for (int l : {0, 1, 3}) {
                std::vector<float> k(size_t(c->kv_dim(l))), v(k.size());
                load_k(*c, l, p, k.data());
                load_v(*c, l, p, v.data());
                EXPECT_EQ(k, ramp(c->kv_dim(l), float(10 * l + p), 0.5f)) << l << " " << p;
                EXPECT_EQ(v, ramp(c->kv_dim(l), -float(10 * l + p), 0.25f)) << l << " " << p;
            }
        // The digest covers the stored layers only, and shows the first of them.
        const KvRowDigest d = digest_kv_row(*c, 2);
        ASSERT_TRUE(d.valid());
        EXPECT_EQ(d.k[1], 2.5f);
        EXPECT_EQ(d.v[1], -1.75f);
    }
    EXPECT_EQ(KvCache::create({0, 0}, 8, DType::F32).error().code, Code::kInvalidArgument);
    EXPECT_EQ(KvCache::create({4, -1}, 8, DType::F32).error().code, Code::kInvalidArgument);
    EXPECT_EQ(KvCache::create(std::vector<int>{}, 8, DType::F32).error().code, Code::kInvalidArgument);
}

TEST(KvCache, TruncateRewindsAndNeverGrows) {
    auto c = KvCache::create(1, 10, 2, DType::F32);
    ASSERT_TRUE(c.ok());
    c->set_n_pos(7);
    c->truncate(9);
    EXPECT_EQ(c->n_pos(), 7);
    c->truncate(3);
    EXPECT_EQ(c->n_pos(), 3);
    EXPECT_EQ(c->bytes_used(), 3u * 2 * 2 * 4);
    c->clear();
    EXPECT_EQ(c->n_pos(), 0);
}

TEST(KvCache, TruncatedPositionsAreOverwrittenOnStore) {
    auto c = KvCache::create(1, 4, 1, DType::F32);
    ASSERT_TRUE(c.ok());
    const float a = 1, b = 2;
    c->store(0, 1, &a, &a);
    c->set_n_pos(2);
    c->truncate(1);
    c->store(0, 1, &b, &b);
    c->set_n_pos(2);
    float out = 0;
    load_k(*c, 0, 1, &out);
    EXPECT_EQ(out, 2.0f);
}

TEST(KvCache, RejectsBadArguments) {
    EXPECT_EQ(KvCache::create(0, 4, 4, DType::F32).error().code, Code::kInvalidArgument);
    EXPECT_EQ(KvCache::create(2, -1, 4, DType::F32).error().code, Code::kInvalidArgument);
    EXPECT_EQ(KvCache::create(2, 4, 0, DType::F32).error().code, Code::kInvalidArgument);
    const auto q = KvCache::create(2, 4, 4, DType::Q8_0);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.error().code, Code::kUnsupported);
    EXPECT_NE(q.error().message.find("q8_0"), std::string::npos) << q.error().message;
}

TEST(KvCache, RefusesAbsurdSizesWithoutAllocating) {
    const auto c = KvCache::create(1 << 30, 1 << 30, 1 << 30, DType::F32);
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, Code::kOutOfMemory);
}

}  // namespace

// A 7B-shaped layer width at a long context: reserving the cache must not commit (or zero) its capacity; storing a
// few positions commits about those positions only.
TEST(KvCache, MemoryGrowsWithThePositionsStoredNotTheCapacity) {
    constexpr int kLayers = 8, kCtx = 4096, kDim = 4096;  // 8 x 2 x 4096 x 4096 x 4 bytes = 1 GiB reserved
    const size_t before = resident_bytes();
    ASSERT_GT(before, 0u);
    auto c = KvCache::create(kLayers, kCtx, kDim, DType::F32);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->bytes_capacity(), size_t(1) << 30);
    const size_t after_create = resident_bytes();
    EXPECT_LT(after_create, before + (size_t(16) << 20)) << "creating a 1 GiB cache committed its memory";
    std::vector<float> k(kDim, 1.0f), v(kDim, 2.0f);
    for (int p = 0; p < 12; ++p)
        for (int l = 0; l < kLayers; ++l) c->store(l, p, k.data(), v.data());
    c->set_n_pos(12);
    const size_t after_store = resident_bytes();
    EXPECT_LT(after_store, before + (size_t(16) << 20)) << "12 positions (3 MiB) committed far more";
    float out[kDim];
    load_v(*c, kLayers - 1, 11, out);
    EXPECT_EQ(out[kDim - 1], 2.0f);
    load_k(*c, 0, kCtx - 1, out);  // never written: reads as zeros
    EXPECT_EQ(out[0], 0.0f);
}

}  // namespace ts::core
