// Entry points of the explorer's panels (ARCHITECTURE §6): one file each, one function each, one shape:
//     void draw_<name>_panel(UiState& ui, const core::Snapshot& snap);
// A panel draws into the current window (a tab of the shell, or the whole window for `tokenscope shot --panel`),
// reads the snapshot it is given and UiState, keeps its view-model in ui.views (rebuilt when snap.version or the
// selection changes), and acts on the engine only through the command functions of ui_state.hpp.
#pragma once

#include <string>
#include <vector>

#include "app/ui/model_summary.hpp"
#include "app/ui/ui_state.hpp"
#include "core/session/worker.hpp"
#include "core/trace/journey.hpp"
#include "core/trace/recurrent.hpp"

namespace ts::app {

struct KvView;  // app/ui/view_kv.hpp

void draw_model_panel(UiState& ui, const ModelSummary& summary);  // app/ui/panel_model.cpp

// Prompt box, Step / Run / Rewind / Reset, steps/s, model picker, sampler sliders (the left column).
void draw_controls_panel(UiState& ui, const core::Snapshot* snap);  // app/ui/panel_controls.cpp (snap may be null)

// The session's interventions: list, toggle, remove, add by spec, zero the selected head (under the sampler).
void draw_interventions_strip(UiState& ui, const core::Snapshot* snap);  // app/ui/panel_interventions.cpp

void draw_tokens_panel(UiState& ui, const core::Snapshot& snap);  // app/ui/panel_tokens.cpp: the token strip
// Screen rectangle (x0, y0, x1, y1) of position `pos`'s chip as last drawn; false when it was not (tests, tours).
bool token_chip_rect(const UiState& ui, int pos, float rect[4]);
void draw_attention_panel(UiState& ui, const core::Snapshot& snap);  // app/ui/panel_attention.cpp
// Screen rectangle of the big heatmap as last drawn and its positions per side; false when none was (tests, tours).
bool attention_heatmap_rect(const UiState& ui, float rect[4], int* n);
// The heatmap's row title of position `pos` as last drawn ("" when there is none): tests.
std::string attention_row_label(const UiState& ui, int pos);
// The rows whose title the heatmap drew last frame (every row when they are tall enough for the labels): tests.
std::vector<int> attention_labelled_rows(const UiState& ui);
// Whether the heatmap last drew the dashed line where the prompt ends and generation begins (tests).
bool attention_prompt_edge_drawn(const UiState& ui);
// The Attention panel on a recurrent (gated DeltaNet) layer: what the layer computes instead of attention weights —
// the decay factor exp(g), the write strength β and the state norm ‖S‖ per token and value head (app/ui/
// panel_recurrent.cpp; draw_attention_panel calls it when the selected layer is recurrent).
void draw_recurrent_layer(UiState& ui, const core::Snapshot& snap);
// A cell of its strips (strip 0: decay, 1: β, 2: state norm; -1: none) and where strip `strip` was last drawn;
// false when it was not (tests).
struct RecurrentCell {
    int strip = -1, pos = -1, head = -1;
};
RecurrentCell recurrent_hovered_cell(const UiState& ui);
bool recurrent_strip_rect(const UiState& ui, int strip, float rect[4]);
// The series the view last drew (null when it showed an error instead).
const core::RecurrentSeries* recurrent_series_shown(const UiState& ui);
void draw_qk_panel(UiState& ui, const core::Snapshot& snap);       // app/ui/panel_qk.cpp: Q·K scores
void draw_softmax_panel(UiState& ui, const core::Snapshot& snap);  // app/ui/panel_softmax.cpp: sampler stages
void draw_logits_panel(UiState& ui, const core::Snapshot& snap);   // app/ui/panel_logits.cpp: ranked candidates
void draw_kv_panel(UiState& ui, const core::Snapshot& snap);       // app/ui/panel_kv.cpp: KV cache
// app/ui/panel_kv_layers.cpp: the KV panel's table of each layer's size, where the layers differ (gemma4).
void draw_kv_layer_table(const KvView& v);
void draw_layers_panel(UiState& ui, const core::Snapshot& snap);    // app/ui/panel_layers.cpp: the Journey
void draw_geometry_panel(UiState& ui, const core::Snapshot& snap);  // app/ui/panel_geometry.cpp: PCA, neighbours
void draw_heads_panel(UiState& ui, const core::Snapshot& snap);     // app/ui/panel_heads.cpp: the head atlas
// Screen rectangle of the Heads panel's layers × heads grid as last drawn; false when none was (tests).
bool heads_grid_rect(const UiState& ui, float rect[4]);
// The branch tree as indented text, keyboard moves, undo / redo, and the comparison of two branches.
void draw_branches_panel(UiState& ui, const core::Snapshot& snap);  // app/ui/panel_branches.cpp
// Whether the Branches tab is on screen, so the arrow keys move in the tree (not step / rewind / the position).
bool branch_keys_active(const UiState& ui);

// Two models on the session's tokens (the quantisation lens): per position KL and top-1, per layer residual cosine,
// where the logit lens parts, per tensor type and dequantisation error.
void draw_models_panel(UiState& ui, const core::Snapshot& snap);  // app/ui/panel_models.cpp

// app/ui/panel_experts.cpp: a mixture of experts' routing, a layers × positions grid coloured by the chosen experts
// (a note for a dense model).
void draw_experts_panel(UiState& ui, const core::Snapshot& snap);
// Screen rectangle of the experts grid as last drawn and how many cells had a recorded route; false when none (tests).
bool experts_grid_rect(const UiState& ui, float rect[4], int* cells = nullptr);
// The Journey's lines for a mixture-of-experts stage at `layer` (each chosen expert with its weight); true when
// they replace the stage's generic numbers.
bool draw_moe_stage(const UiState& ui, const core::Journey& j, core::Stage id, int layer);

}  // namespace ts::app
