// The Journey of one position: every stage of the forward pass at that position, for every layer, as the engine
// computes it. The position is replayed by the forward pass itself (Forward::replay) against the session's real KV
// cache — the same stage list, the same kernels, nothing recomputed for earlier positions — with an observer that
// keeps every stage's output. The replay is checked against what the trace recorded when the position was first
// evaluated (max |Δ| of the queries and the residual stream; 0 at the same SIMD level), so "shown = computed"
// can be seen, not just claimed. The explorer's Journey panel only draws what this returns; the engine worker
// derives it (Focus::journey) because only it may read the cache.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "core/base/result.hpp"
#include "core/kv/kv_cache.hpp"
#include "core/model/forward.hpp"
#include "core/model/intervention.hpp"
#include "core/model/model.hpp"
#include "core/model/stage.hpp"
#include "core/tensor/thread_pool.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::core {

// One stage's output at the position.
struct StageTensor {
    Stage stage = Stage::Embed;
    int layer   = -1;  // -1: before or after the layers
    StageShape shape;
    std::vector<float> data;  // [rows][cols]
    std::span<const float> row(int r) const {
        return {data.data() + size_t(r) * size_t(shape.cols), size_t(shape.cols)};
    }
    std::span<const float> all() const { return data; }
};

// Per layer: what each norm subtracted and divided by, and the replay against the recorded trace.
struct JourneyLayer {
    float rms_attn_in = 0;  // RMSNorm: √(mean(x²) + ε) of the residual entering the layer; LayerNorm: √(var + ε)
    float rms_ffn_in  = 0;  // the same for the residual entering the MLP
    float mean_attn_in   = 0;  // LayerNorm only: the mean it subtracted (0 for RMSNorm, which subtracts nothing)
    float mean_ffn_in    = 0;
    float q_max_diff     = NAN;  // max |q - recorded q| (NaN: no record of the position)
    float resid_max_diff = NAN;  // max |layer output - recorded residual|
};

struct Journey {
    int pos = -1, n_keys = 0;  // n_keys = pos + 1
    int32_t token = -1;
    std::vector<StageTensor> tensors;  // in the order the forward pass produced them
    std::vector<JourneyLayer> layers;  // [n_layer]
    // The output of `stage` at `layer` (-1 for the stages before / after the layers), or nullptr.
    const StageTensor* find(Stage stage, int layer) const;
};

// Replays position `pos` (token `token`, already in `cache`) through `fwd` and keeps every stage. `record` (may be
// null) is the position's recorded trace, to compare against. `edit` (may be null): the interventions the cache was
// computed with, applied again so the Journey shows the intervened stages (its inner observer is restored after).
[[nodiscard]] Result<Journey> replay_journey(Forward& fwd, const KvCache& cache, int32_t token, int pos,
                                             ThreadPool& pool, const PositionRecord* record,
                                             Intervener* edit = nullptr);

}  // namespace ts::core
