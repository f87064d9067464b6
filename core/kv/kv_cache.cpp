// KV cache storage: one K and one V buffer per layer, [n_ctx][kv_dim(layer)] elements of f32 or f16 (none for a layer
// of row size 0), reserved once as one anonymous mapping (MAP_NORESERVE): the kernel commits a page when it is first
// written, so a 4096-position cache of which 12 positions are used costs 12 positions of memory, not a 4 GiB zeroed
// allocation up front.
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

Result<KvCache> KvCache::create(const std::vector<int>& layer_dims, int n_ctx, DType type) {
    if (layer_dims.size() > size_t(1) << 20)
        return make_error(Code::kOutOfMemory, "KV cache: %zu layers is too many", layer_dims.size());
    const int n_layer = int(layer_dims.size());
    int n_stored      = 0;
    for (int d : layer_dims) {
        if (d < 0) return make_error(Code::kInvalidArgument, "KV cache: a layer of %d values per row", d);
        n_stored += d > 0 ? 1 : 0;
    }
    if (n_layer <= 0 || n_ctx <= 0 || n_stored == 0)
        return make_error(Code::kInvalidArgument,
                          "KV cache: n_layer %d, n_ctx %d and the layers with storage (%d) must all be positive",
                          n_layer, n_ctx, n_stored);
    if (type != DType::F32 && type != DType::F16)
        return make_error(Code::kUnsupported, "KV cache: type %s is not supported (f32 or f16)",
                          std::string(dtype_name(type)).c_str());
    KvCache c;
    c.n_ctx_     = n_ctx;
    c.type_      = type;
    c.elem_size_ = type == DType::F32 ? 4 : 2;
    c.dims_      = layer_dims;
    c.layers_.resize(size_t(n_layer));
    uint64_t total = 0;
    for (int l = 0; l < n_layer; ++l) {
        Layer& L             = c.layers_[size_t(l)];
        L.dim                = layer_dims[size_t(l)];
        const auto per_layer = checked_mul(uint64_t(n_ctx), uint64_t(L.dim));
        const auto bytes     = per_layer ? checked_mul(*per_layer, c.elem_size_) : std::nullopt;
        if (!bytes || *bytes > uint64_t(1) << 46 || total > uint64_t(1) << 46)
            return make_error(Code::kOutOfMemory, "KV cache: %d layers x %d positions x %d values is too large",
                              n_layer, n_ctx, L.dim);
        L.offset  = size_t(total);
        L.k_bytes = size_t(*bytes);
        total += 2 * *bytes;
        c.sum_dims_ += L.dim;
    }
    if (total > uint64_t(1) << 46)
        return make_error(Code::kOutOfMemory, "KV cache: %d layers x %d positions (%llu bytes) is too large", n_layer,
                          n_ctx, static_cast<unsigned long long>(total));
    void* p = mmap(nullptr, size_t(total), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return make_error(Code::kOutOfMemory, "KV cache: cannot reserve %llu bytes: %s",
                          static_cast<unsigned long long>(total), std::strerror(errno));
    c.mem_      = std::unique_ptr<uint8_t, KvUnmap>(static_cast<uint8_t*>(p), KvUnmap{size_t(total)});
    c.capacity_ = size_t(total);
    return c;
}

Result<KvCache> KvCache::create(int n_layer, int n_ctx, int kv_dim, DType type) {
    if (n_layer <= 0 || n_ctx <= 0 || kv_dim <= 0)
        return make_error(Code::kInvalidArgument, "KV cache: n_layer %d, n_ctx %d, kv_dim %d must all be positive",
                          n_layer, n_ctx, kv_dim);
    if (n_layer > (1 << 20))
        return make_error(Code::kOutOfMemory, "KV cache: %d layers x %d positions x %d values is too large", n_layer,
                          n_ctx, kv_dim);
    return create(std::vector<int>(size_t(n_layer), kv_dim), n_ctx, type);
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

int KvCache::kv_dim(int layer) const {
    TS_CHECK(layer >= 0 && layer < n_layer(), "KV kv_dim: layer out of range");
    return layers_[size_t(layer)].dim;
}

void KvCache::store(int layer, int pos, const float* k, const float* v) {
    TS_CHECK(layer >= 0 && layer < n_layer() && layers_[size_t(layer)].dim > 0, "KV store: no such layer in the cache");
    TS_CHECK(pos >= 0 && pos < n_ctx_, "KV store: position out of range");
    const int dim    = layers_[size_t(layer)].dim;
    const size_t off = size_t(pos) * size_t(dim) * elem_size_;
    store_row(type_, k, k_base(layer) + off, dim);
    store_row(type_, v, v_base(layer) + off, dim);
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
    TS_CHECK(layer >= 0 && layer < n_layer() && pos >= 0 && pos < n_ctx_ && layers_[size_t(layer)].dim > 0,
             "KV k_row: out of range, or a layer without storage");
    return k_base(layer) + size_t(pos) * size_t(layers_[size_t(layer)].dim) * elem_size_;
}

const void* KvCache::v_row(int layer, int pos) const {
    TS_CHECK(layer >= 0 && layer < n_layer() && pos >= 0 && pos < n_ctx_ && layers_[size_t(layer)].dim > 0,
             "KV v_row: out of range, or a layer without storage");
    return v_base(layer) + size_t(pos) * size_t(layers_[size_t(layer)].dim) * elem_size_;
}

size_t KvCache::bytes_used_of(int layer) const {
    return 2 * size_t(n_pos_) * size_t(kv_dim(layer)) * elem_size_;
}

size_t KvCache::bytes_used_largest_layer() const {
    size_t b = 0;
    for (int l = 0; l < n_layer(); ++l) b = std::max(b, bytes_used_of(l));
    return b;
}

size_t KvCache::bytes_used() const {
    return size_t(n_pos_) * bytes_per_pos();
}

size_t KvCache::bytes_capacity() const {
    return capacity_;
}

int KvCache::n_layers_stored() const {
    int n = 0;
    for (const Layer& L : layers_) n += L.dim > 0 ? 1 : 0;
    return n;
}

KvRowDigest digest_kv_row(const KvCache& cache, int pos, std::span<const int> layers) {
    KvRowDigest d;
    if (pos < 0 || pos >= cache.n_pos()) return d;
    std::vector<int> all;  // default: every layer with storage (a KV-sharing or recurrent layer keeps no rows)
    if (layers.empty()) {
        for (int l = 0; l < cache.n_layer(); ++l)
            if (cache.kv_dim(l) > 0) all.push_back(l);
        layers = all;
    }
    for (int l : layers) TS_CHECK(l >= 0 && l < cache.n_layer(), "digest_kv_row: layer out of range");
    if (layers.empty()) return d;
    d.pos            = pos;
    d.layer          = layers[0];
    const int first  = d.layer;
    const size_t esz = cache.type() == DType::F32 ? 4 : 2;
    uint64_t h       = 1469598103934665603ull;  // FNV-1a 64
    const auto mix   = [&](const void* row, size_t row_bytes) {
        const auto* b = static_cast<const uint8_t*>(row);
        for (size_t i = 0; i < row_bytes; ++i) h = (h ^ b[i]) * 1099511628211ull;
    };
    for (int l : layers) {
        if (cache.kv_dim(l) == 0) continue;  // reads another layer's rows, or keeps none
        mix(cache.k_row(l, pos), size_t(cache.kv_dim(l)) * esz);
        mix(cache.v_row(l, pos), size_t(cache.kv_dim(l)) * esz);
    }
    d.hash         = h;
    const size_t n = std::min(d.k.size(), size_t(cache.kv_dim(first)));
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
