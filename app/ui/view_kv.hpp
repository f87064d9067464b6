// View-model logic of the KV cache panel: the multiply-adds one step does with the cache against recomputing the
// whole sequence without it, and the per-position byte cost of the cache. Pure functions of the hyper-parameters,
// unit-tested without a window.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model/model.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::app {

// Multiply-adds of the llama-family forward pass, by part (matvec of an {n_in, n_out} matrix = n_in·n_out).
struct MacCounts {
    uint64_t projections = 0;  // Q, K, V and the attention output projection, every layer (a recurrent layer's own)
    uint64_t attention   = 0;  // q·k scores and the weighted sum of V, every attention layer and head; plus the
                               // recurrent layers' state update and read (the same at every position)
    uint64_t mlp    = 0;       // gate, up and down, every layer
    uint64_t output = 0;       // the output matrix (logits)
    uint64_t total() const { return projections + attention + mlp + output; }
};

// One new token at position `pos` with the cache: its projections and MLP, attention over keys 0..pos, logits.
MacCounts step_macs_with_cache(const core::Hparams& hp, int pos);
// The same logits without a cache: every token 0..pos goes through every layer again (token t attends to t+1
// keys), and only the last one needs logits.
MacCounts step_macs_without_cache(const core::Hparams& hp, int pos);

// Bytes the cache adds per position, all layers (K and V, each layer's n_head_kv·head_dim; nothing for a layer that
// reads another's cache or keeps a recurrent state), for an element size.
uint64_t kv_bytes_per_position(const core::Hparams& hp, uint64_t elem_bytes);

// One row of the KV panel's layers × positions grid. An attention layer's cache grows with the positions (bytes: its
// K and V of the n_pos positions); a recurrent layer (qwen35's gated DeltaNet) keeps one state of constant size
// (bytes: the convolution's inputs and every head's d × d state, f32), whatever n_pos is.
enum class KvRowKind { Cache, State };
struct KvGridRow {
    int layer      = 0;
    KvRowKind kind = KvRowKind::Cache;
    uint64_t bytes = 0;
};
// Every layer's row at n_pos positions, elem_bytes per cached K/V value.
std::vector<KvGridRow> kv_grid_rows(const core::Hparams& hp, int n_pos, uint64_t elem_bytes);
// One layer's line of the per-layer table (shown where the layers' caches differ, gemma4).
struct KvLayerRow {
    int layer  = 0;
    int source = -1;             // the layer whose cache it reads (a KV-sharing layer), else -1
    std::string what;            // core::describe_kv_layer
    uint64_t bytes_per_pos = 0;  // K and V it adds per position (0: it stores none)
};
std::vector<KvLayerRow> kv_layer_rows(const core::Hparams& hp, uint64_t elem_bytes);

// The panel's view-model, kept in UiState::views (defined here so tests can look at it).
struct KvView {
    uint64_t version = 0;
    int n_pos        = 0;
    core::KvStats kv;                               // of the newest position
    core::DType kv_type    = core::DType::F32;      // the cache's element type (Snapshot::kv_type)
    uint64_t bytes_per_pos = 0;                     // all layers
    std::vector<KvLayerRow> layers;                 // each layer's (the table where they differ)
    std::vector<double> with_cache, without_cache;  // [pos] multiply-adds of the step that evaluated pos
    bool whole_context = false;  // x axes span the whole context window instead of the positions so far
    bool macs_log      = true;   // the multiply-adds plot on a log axis (else linear)
    // "Old entries never change": an old position's K/V rows as its step stored them and as the cache holds them
    // now (StepTrace::kv_written, Snapshot::kv_now), as last drawn.
    core::KvRowDigest written, now;
    bool unchanged = false;
    std::vector<KvGridRow> grid;  // the grid's rows as last drawn
};

}  // namespace ts::app
