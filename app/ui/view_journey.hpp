// View-model of the Journey panel (the `layers` panel): the itinerary of one token through one forward pass, and
// the panel's state. The model's stages — their order, titles, explanations and shapes — come from the
// architecture's description (core/model/stage.hpp, arch_desc()); only the sampler's stages around them (the token,
// the probabilities, the draw, the appended token) are the panel's own. The numbers are the engine's: the worker
// replays the position (core/trace/journey.hpp) and delivers it in Snapshot::derived.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model.hpp"
#include "core/model/stage.hpp"

namespace ts::app {

enum class JourneyKind : uint8_t {
    Token,     // the id the tokenizer gave (before the model)
    Model,     // one stage of the architecture's description
    Probs,     // softmax over the vocabulary at T = 1
    Sampler,   // the sampler's stages and its draw
    Appended,  // the token appended to the sequence
};

struct JourneyStage {
    JourneyKind kind            = JourneyKind::Token;
    const core::StageDesc* desc = nullptr;  // when kind == Model
    int layer                   = -1;       // the layer of a block stage, -1 otherwise
};

// Token, the description's stages before the layers, its block for each layer, its stages after the layers, then
// Probs, Sampler, Appended.
// hp: a model with two kinds of layers (qwen35) lists on each layer only the stages it runs (layer_has_stage).
std::vector<JourneyStage> journey_stages(const core::ArchDesc& arch, int n_layer, const core::Hparams* hp = nullptr);
// Index in journey_stages() of the first stage of `layer` (every layer the same list).
int journey_layer_start(const core::ArchDesc& arch, int layer);
// The same in a list whose layers may differ: the first stage of `layer` in `stages` (0 when there is none).
int journey_layer_start(const std::vector<JourneyStage>& stages, int layer);
std::string_view journey_title(const JourneyStage& s);
// One or two sentences on what the stage computes, for a learner.
std::string_view journey_explain(const JourneyStage& s);
// The stage's output shape with the running model's numbers and the weights it reads, e.g.
// "[8 heads × 64] = 512 floats · reads blk.3.attn_q.weight".
std::string journey_shape(const JourneyStage& s, const core::Hparams& hp, int n_keys);

float l2_norm(std::span<const float> v);

// The panel's view-model, kept in UiState::views (defined here so tests can look at it).
struct LayersView {
    int stage            = 0;
    bool scroll_list     = true;  // bring the current stage into view in the itinerary once
    uint64_t drawn_frame = 0;  // UiState::frame the panel was last drawn in: the bridge asks for the replay only then
};

}  // namespace ts::app
