// Test helper: an Observer that keeps a copy of every stage row the forward pass shows, by (stage, layer, position),
// for the tests that compare stages between runs or against hand-computed values.
#pragma once

#include <map>
#include <tuple>
#include <vector>

#include "core/model/stage.hpp"

namespace ts::core::testing {

struct StageRecorder : Observer {
    std::map<std::tuple<Stage, int, int>, std::vector<float>> seen;
    StageMask wants(int) const override { return StageMask::all(); }
    void observe(Stage s, int layer, int pos, TensorView v) override {
        seen[{s, layer, pos}].assign(v.data, v.data + size_t(v.rows) * size_t(v.cols));
    }
    bool has(Stage s, int layer, int pos) const { return seen.count({s, layer, pos}) > 0; }
    const std::vector<float>& at(Stage s, int layer, int pos) const { return seen.at({s, layer, pos}); }
};

}  // namespace ts::core::testing
