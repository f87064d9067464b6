// KV cache: for each layer, the keys (after RoPE) and values of every position so far, in f32 or f16.
// Layout per layer: k[pos][kv_dim(layer)], v[pos][kv_dim(layer)], kv_dim(layer) = that layer's n_head_kv × head_dim
// (gemma4's layers differ). A layer of row size 0 has no storage: it reads another layer's cache (gemma4's KV-sharing
// layers) or keeps no keys at all (qwen35's recurrent layers); the cache does not know which.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/base/result.hpp"
#include "core/kv/recurrent_state.hpp"
#include "core/tensor/dtype.hpp"

namespace ts::core {

// Releases the cache's anonymous mapping (munmap of `bytes`).
struct KvUnmap {
    size_t bytes = 0;
    void operator()(uint8_t* p) const;
};

class KvCache {
public:
    KvCache() = default;
    // type: DType::F32 or DType::F16. layer_dims: [n_layer] values per K (and per V) row of each layer, >= 0, at
    // least one > 0 (Hparams::kv_cache_dims). Reserves address space for n_ctx rows of K and V of every layer up
    // front; memory is committed page by page as positions are stored, so a long context costs only what is used.
    [[nodiscard]] static Result<KvCache> create(const std::vector<int>& layer_dims, int n_ctx, DType type);
    // Every one of n_layer layers with rows of kv_dim values.
    [[nodiscard]] static Result<KvCache> create(int n_layer, int n_ctx, int kv_dim, DType type);

    int n_layer() const { return int(layers_.size()); }
    int n_ctx() const { return n_ctx_; }
    int kv_dim(int layer) const;  // values per row of `layer`; 0: it stores nothing
    const std::vector<int>& layer_dims() const { return dims_; }
    DType type() const { return type_; }
    int n_pos() const { return n_pos_; }  // positions filled

    // Stores k and v (kv_dim(layer) floats each) of `layer` at `pos` (0 <= pos < n_ctx()), converting to type().
    // A batch stores positions n_pos() .. n_pos() + n - 1 in every layer, then calls set_n_pos(n_pos() + n).
    void store(int layer, int pos, const float* k, const float* v);
    // Marks positions [0, n) as filled after a forward call stored them in every layer (0 <= n <= n_ctx()).
    void set_n_pos(int n);
    // Rewind: forget every position >= n (n > n_pos() is a no-op). Bytes are left in place: they are rewritten
    // before they are read again.
    void truncate(int n);
    // Forget everything (same as truncate(0)).
    void clear() { truncate(0); }
    // Raw row pointers (kv_dim(layer) elements of type()) for fast kernels; head h starts at element h * head_dim.
    // `layer` must have storage (kv_dim(layer) > 0).
    const void* k_row(int layer, int pos) const;
    const void* v_row(int layer, int pos) const;

    size_t bytes_used() const;                // of positions filled, all layers
    size_t bytes_used_of(int layer) const;    // of positions filled, one layer (0 for a layer without storage)
    size_t bytes_used_largest_layer() const;  // of positions filled, the layer that stores the most
    size_t bytes_capacity() const;            // reserved (address space; pages are committed when first written)
    size_t bytes_per_pos() const { return 2 * size_t(sum_dims_) * elem_size_; }  // all layers
    int n_layers_stored() const;                                                 // layers with storage of their own

    // The recurrent layers' state (qwen35), empty for a model without them; the forward pass sizes it on first use.
    // truncate() forgets its positions too.
    RecurrentState& recurrent() { return recurrent_; }
    const RecurrentState& recurrent() const { return recurrent_; }

private:
    struct Layer {
        int dim        = 0;  // values per row; 0: no storage
        size_t offset  = 0;  // K at mem_ + offset, V right after it
        size_t k_bytes = 0;  // n_ctx * dim * elem_size
    };
    int n_ctx_ = 0, n_pos_ = 0;
    int64_t sum_dims_ = 0;
    DType type_       = DType::F32;
    size_t elem_size_ = 4;
    std::vector<int> dims_;
    std::vector<Layer> layers_;
    // One anonymous mapping: each layer with storage has its K, then its V, each [n_ctx][dim] elements, one after
    // the other. Untouched pages read as zeros and take no memory.
    std::unique_ptr<uint8_t, KvUnmap> mem_;
    size_t capacity_ = 0;
    RecurrentState recurrent_;
    uint8_t* k_base(int layer) const { return mem_.get() + layers_[size_t(layer)].offset; }
    uint8_t* v_base(int layer) const { return k_base(layer) + layers_[size_t(layer)].k_bytes; }
};

// One position's K and V rows, all layers, in short: a hash of their bytes and their first values. The KV panel
// compares the digest a step took when it stored a position with one taken now, to show that later steps append to
// the cache and never rewrite what is in it.
struct KvRowDigest {
    int32_t pos   = -1;             // -1: none (the position is not in the cache)
    int32_t layer = 0;              // the layer whose first values k, v are (the first one digested)
    uint64_t hash = 0;              // FNV-1a over the K then V bytes of every digested layer with storage at `pos`
    std::array<float, 4> k{}, v{};  // the first values of `layer`'s K and V rows (as f32)
    bool valid() const { return pos >= 0; }
    bool same_rows(const KvRowDigest& o) const { return valid() && pos == o.pos && hash == o.hash; }
};
// The digest of position `pos` over `layers` (the layers that store K and V: Hparams::stores_kv; empty: every layer
// of the cache); invalid when pos is not a filled position.
KvRowDigest digest_kv_row(const KvCache& cache, int pos, std::span<const int> layers = {});

}  // namespace ts::core
