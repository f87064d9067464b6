// KV cache storage: one K and one V buffer per layer, [n_ctx][kv_dim] elements of f32 or f16, reserved once as one
// anonymous mapping (MAP_NORESERVE): the kernel commits a page when it is first written, so a 4096-position cache
// of which 12 positions are used costs 12 positions of memory, not a 4 GiB zeroed allocation up front.
// Stores convert from f32; loads convert back. What is "filled" is only n_pos_: truncating (rewinding) is O(1).
#include "core/kv/kv_cache.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/base/check.hpp"
#include "core/base/checked_math.hpp"
#include "core/base/fp16.hpp"

namespace ts::core {

Result<KvCache> KvCache::create(int n_layer, int n_ctx, int kv_dim, DType type) {
    if (n_layer <= 0 || n_ctx <= 0 || kv_dim <= 0)
        return make_error(Code::kInvalidArgument, "KV cache: n_layer %d, n_ctx %d, kv_dim %d must all be positive",
                          n_layer, n_ctx, kv_dim);
    if (type != DType::F32 && type != DType::F16)
        return make_error(Code::kUnsupported, "KV cache: type %s is not supported (f32 or f16)",
                          std::string(dtype_name(type)).c_str());
    KvCache c;
    c.n_layer_           = n_layer;
    c.n_ctx_             = n_ctx;
    c.kv_dim_            = kv_dim;
    c.type_              = type;
    c.elem_size_         = type == DType::F32 ? 4 : 2;
    const auto per_layer = checked_mul(uint64_t(n_ctx), uint64_t(kv_dim));
    const auto bytes     = per_layer ? checked_mul(*per_layer, c.elem_size_) : std::nullopt;
    const auto total     = bytes ? checked_mul(*bytes, 2 * uint64_t(n_layer)) : std::nullopt;
    if (!total || *total > uint64_t(1) << 46)
        return make_error(Code::kOutOfMemory, "KV cache: %d layers x %d positions x %d values is too large", n_layer,
                          n_ctx, kv_dim);
    void* p = mmap(nullptr, size_t(*total), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return make_error(Code::kOutOfMemory, "KV cache: cannot reserve %llu bytes: %s",
                          static_cast<unsigned long long>(*total), std::strerror(errno));
    c.mem_         = std::unique_ptr<uint8_t, KvUnmap>(static_cast<uint8_t*>(p), KvUnmap{size_t(*total)});
    c.layer_bytes_ = size_t(*bytes);
    return c;
}

void KvUnmap::operator()(uint8_t* p) const {
    if (p) munmap(p, bytes);
}

namespace {

void store_row(DType type, const float* src, uint8_t* dst, int n) {
    if (type == DType::F32) {
        std::memcpy(dst, src, size_t(n) * 4);
        return;
    }
    auto* h = reinterpret_cast<uint16_t*>(dst);
    for (int i = 0; i < n; ++i) h[i] = f32_to_fp16(src[i]);
}
}  // namespace

void KvCache::store(int layer, int pos, const float* k, const float* v) {
    TS_CHECK(layer >= 0 && layer < n_layer_, "KV store: layer out of range");
    TS_CHECK(pos >= 0 && pos < n_ctx_, "KV store: position out of range");
    const size_t off = size_t(pos) * size_t(kv_dim_) * elem_size_;
    store_row(type_, k, k_base(layer) + off, kv_dim_);
    store_row(type_, v, v_base(layer) + off, kv_dim_);
}

void KvCache::set_n_pos(int n) {
    TS_CHECK(n >= 0 && n <= n_ctx_, "KV set_n_pos: beyond the context");
    n_pos_ = n;
}

void KvCache::truncate(int n) {
    TS_CHECK(n >= 0, "KV truncate: negative length");
    if (n < n_pos_) n_pos_ = n;
    recurrent_.forget_from(n);
}

const void* KvCache::k_row(int layer, int pos) const {
    TS_CHECK(layer >= 0 && layer < n_layer_ && pos >= 0 && pos < n_ctx_, "KV k_row: out of range");
    return k_base(layer) + size_t(pos) * size_t(kv_dim_) * elem_size_;
}

const void* KvCache::v_row(int layer, int pos) const {
    TS_CHECK(layer >= 0 && layer < n_layer_ && pos >= 0 && pos < n_ctx_, "KV v_row: out of range");
    return v_base(layer) + size_t(pos) * size_t(kv_dim_) * elem_size_;
}

size_t KvCache::bytes_used_per_layer() const {
    return 2 * size_t(n_pos_) * size_t(kv_dim_) * elem_size_;
}

size_t KvCache::bytes_used() const {
    return size_t(n_layer_) * bytes_used_per_layer();
}

size_t KvCache::bytes_capacity() const {
    return size_t(n_layer_) * 2 * size_t(n_ctx_) * size_t(kv_dim_) * elem_size_;
}

KvRowDigest digest_kv_row(const KvCache& cache, int pos, std::span<const int> layers) {
    KvRowDigest d;
    if (pos < 0 || pos >= cache.n_pos()) return d;
    std::vector<int> all;
    if (layers.empty()) {
        for (int l = 0; l < cache.n_layer(); ++l) all.push_back(l);
        layers = all;
    }
    for (int l : layers) TS_CHECK(l >= 0 && l < cache.n_layer(), "digest_kv_row: layer out of range");
    d.pos                  = pos;
    d.layer                = layers[0];
    const size_t row_bytes = size_t(cache.kv_dim()) * (cache.type() == DType::F32 ? 4 : 2);
    uint64_t h             = 1469598103934665603ull;  // FNV-1a 64
    const auto mix         = [&](const void* row) {
        const auto* b = static_cast<const uint8_t*>(row);
        for (size_t i = 0; i < row_bytes; ++i) h = (h ^ b[i]) * 1099511628211ull;
    };
    for (int l : layers) {
        mix(cache.k_row(l, pos));
        mix(cache.v_row(l, pos));
    }
    d.hash         = h;
    const size_t n = std::min(d.k.size(), size_t(cache.kv_dim()));
    for (size_t i = 0; i < n; ++i) {
        if (cache.type() == DType::F32) {
            d.k[i] = static_cast<const float*>(cache.k_row(d.layer, pos))[i];
            d.v[i] = static_cast<const float*>(cache.v_row(d.layer, pos))[i];
        } else {
            d.k[i] = fp16_to_f32(static_cast<const uint16_t*>(cache.k_row(d.layer, pos))[i]);
            d.v[i] = fp16_to_f32(static_cast<const uint16_t*>(cache.v_row(d.layer, pos))[i]);
        }
    }
    return d;
}

}  // namespace ts::core
