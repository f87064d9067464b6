// View-model of the Geometry panel: what the panel remembers between frames. The numbers — PCA of the context's
// embeddings and final hidden states, candidate directions, nearest neighbours — are derived by the engine worker
// (core/trace/geometry.hpp, Focus::geometry / Focus::neighbours_of) and read from Snapshot::derived.
#pragma once

#include <cstdint>

namespace ts::app {

// The panel's view-model, kept in UiState::views (defined here so tests can look at it).
struct GeometryView {
    int32_t nn_token     = -1;  // the token whose neighbours are asked for (-1: the selected position's)
    int nn_input         = 0;   // the id box
    uint64_t drawn_frame = 0;   // UiState::frame the panel was last drawn in: the bridge asks for its numbers then
};

}  // namespace ts::app
