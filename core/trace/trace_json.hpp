// write_trace(): a trace as one JSON document for notebooks, with the large arrays (queries, residual stream,
// logits, optionally every attention matrix) in NumPy .npy files beside it. The format is documented field by
// field in core/trace/README.md; `version` changes when a field changes meaning.
//
//   PATH            the JSON document (any name; "trace.json")
//   STEM.q.npy      float32 [R][n_layer][n_head][head_dim]   post-RoPE queries of the R recorded positions
//   STEM.resid.npy  float32 [R][n_layer][n_embd]             residual stream after each layer
//   STEM.logits.npy float32 [n_vocab]                        logits of the newest position
//   STEM.attn.npy   float32 [n_layer][n_head][T][T]          attention probabilities (only when asked for)
//   STEM.router.npy float32 [R][n_layer][n_expert]           the router's softmax (a mixture of experts only)
// STEM is PATH without a trailing ".json".
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/base/result.hpp"
#include "core/kv/kv_cache.hpp"
#include "core/model/intervention.hpp"
#include "core/model/model.hpp"
#include "core/sample/sampler.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::core {

struct TraceWriteOptions {
    bool arrays                 = true;   // write STEM.q.npy, STEM.resid.npy and STEM.logits.npy
    bool attention              = false;  // write STEM.attn.npy, derived exactly from the queries and the KV cache
    int max_attention_positions = 512;    // attention is skipped (and the JSON says why) beyond this many positions
};

// What the writer reads; a Session fills it (Session::write_trace), so can any caller that ran a TraceRecorder.
struct TraceSource {
    const Model& model;
    std::span<const StepTracePtr> steps;                       // [pos]
    const KvCache* cache                           = nullptr;  // needed for `attention`
    int n_prompt                                   = 0;
    int n_ctx                                      = 0;
    const sample::SamplerSettings* settings        = nullptr;  // the settings now (each step also has its own)
    const std::vector<float>* logits               = nullptr;  // of the newest position, may be null
    const std::vector<Intervention>* interventions = nullptr;  // the run's interventions, may be null
};

[[nodiscard]] Status write_trace(const std::string& path, const TraceSource& src, const TraceWriteOptions& opt = {});

// The .npy files' names for a trace written to `path`: STEM + suffix (".q.npy" ...).
std::string trace_array_path(const std::string& path, const char* suffix);

}  // namespace ts::core
