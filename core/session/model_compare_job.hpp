// The quantisation lens as a job of the engine worker (worker.hpp, ARCHITECTURE §4): the explorer hands the worker a
// second model of the same vocabulary (cmd::CompareWith), and whenever the session's evaluated tokens change the
// worker, once it has nothing else to do, runs them through the session's model and the second one
// (compare_models, core/trace/compare.hpp — the maths of `tokenscope compare`, in one place) and publishes the
// result in Snapshot::model_compare. A command that arrives meanwhile interrupts the comparison, which is redone
// when the worker is idle again: a Step never waits on it. The per-tensor table (type and mean dequantisation error)
// depends on the two files only, so it is measured once per second model. Closing the second model
// (cmd::CompareWith{nullptr}) drops it, and its memory goes with the last snapshot that holds it.
//
// The session's model is compared as loaded: an enabled intervention changes what the other panels show, not this.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/base/result.hpp"
#include "core/model/model.hpp"
#include "core/trace/compare.hpp"

namespace ts::core {

class Session;

// What the job has, as published (immutable once published).
struct ModelCompareState {
    std::shared_ptr<const Model> model_b;                    // the second model (null: none open)
    std::shared_ptr<const ModelComparison> comparison;       // of the tokens it names (null until computed); its
                                                             // `tensors` is empty: they are in `tensors`
    std::shared_ptr<const std::vector<TensorDiff>> tensors;  // the second model's table (null until measured)
    double seconds = 0;  // the last comparison's time (the tensor table's included the first time)
    std::string error;   // why the comparison of the last tokens tried failed ("" when it did not)
};

class ModelCompareJob {
public:
    ModelCompareJob();
    // Opens `b` beside `a` (the session's model), or closes the second model when `b` is null. Errors, and nothing
    // kept: the vocabularies differ (check_same_vocabulary's message).
    [[nodiscard]] Status set_model(std::shared_ptr<const Model> b, const Model& a);
    // Whether work() has something to do for the session's evaluated tokens.
    bool owed(const std::vector<int32_t>& tokens) const;
    // Compares `tokens` (the session's evaluated ones) through `a` and the second model; `interrupted` (a command
    // arrived) stops it, leaving it owed.
    void work(const Model& a, const std::vector<int32_t>& tokens, ThreadPool& pool,
              const std::function<bool()>& interrupted);
    std::shared_ptr<const ModelCompareState> state() const { return state_; }

private:
    void publish(ModelCompareState s) { state_ = std::make_shared<const ModelCompareState>(std::move(s)); }
    std::shared_ptr<const ModelCompareState> state_;
    std::vector<int32_t> done_;  // the tokens the published comparison (or error) is of
};

}  // namespace ts::core
