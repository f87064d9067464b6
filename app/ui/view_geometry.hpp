// View-model of the Geometry panel: 2-D PCA of the context's token embeddings and of their final hidden states
// (the last layer's recorded residual stream after the final norm, i.e. what the output matrix multiplies), the
// output-embedding directions of the top candidates projected into the hidden-state plane, and their cosine with
// the selected position's final vector. Built off the UI thread once per snapshot state and selection.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <span>
#include <vector>

#include "app/ui/pca.hpp"
#include "core/model/model.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::app {

struct GeometryData {
    int n = 0;                      // positions in the context
    std::vector<int32_t> tokens;    // [n]
    Pca2 emb;                       // PCA of the n embedding rows
    Pca2 hidden;                    // PCA of the final hidden states of the positions that have a record
    std::vector<int> hidden_pos;    // [hidden.n] the position of each hidden row
    int sel_pos = -1;               // the position the candidates are for
    std::vector<int32_t> cand_ids;  // top candidates for the token after sel_pos
    std::vector<float> cand_dir;    // [n_cand][2] unit output rows projected onto the hidden PCA axes
    std::vector<float> cand_cos;    // [n_cand] cosine(final hidden state of sel_pos, output row)
    std::vector<float> cand_logit;  // [n_cand] final hidden state · output row (the logit)
};

// Everything above from the model's weights and the steps' records. `cand_ids` are the candidates to draw
// (usually the sampler's top raw logits of sel_pos).
GeometryData build_geometry(const core::Model& model, std::span<const core::StepTracePtr> steps, int sel_pos,
                            std::span<const int32_t> cand_ids);

// The panel's view-model, kept in UiState::views (defined here so tests can look at it).
struct GeometryView {
    // Projections: one job at a time, keyed by (state, selected position).
    uint64_t key_state = 0;
    int key_pos        = -2;
    std::future<GeometryData> job;
    std::shared_ptr<const GeometryData> data;
    // Nearest neighbours of one token.
    int32_t nn_token            = -1;  // the token asked about (-1: the selected position's)
    int32_t nn_done             = -1;  // the token `neighbours` are for
    const core::Model* nn_model = nullptr;
    std::future<std::vector<Neighbour>> nn_job;
    std::shared_ptr<std::atomic<bool>> nn_cancel;
    int32_t nn_job_token = -1;
    std::vector<Neighbour> neighbours;
    int nn_input = 0;  // the id box

    ~GeometryView() {
        if (nn_cancel) nn_cancel->store(true);
    }
};

}  // namespace ts::app
