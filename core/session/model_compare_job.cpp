// The engine worker's quantisation-lens job (see model_compare_job.hpp).
#include "core/session/model_compare_job.hpp"

#include <chrono>

namespace ts::core {

ModelCompareJob::ModelCompareJob() : state_(std::make_shared<const ModelCompareState>()) {}

Status ModelCompareJob::set_model(std::shared_ptr<const Model> b, const Model& a) {
    if (b) TS_TRY(check_same_vocabulary(a, *b));
    ModelCompareState s;
    s.model_b = std::move(b);
    done_.clear();
    publish(std::move(s));
    return {};
}

bool ModelCompareJob::owed(const std::vector<int32_t>& tokens) const {
    return state_->model_b && !tokens.empty() && tokens != done_;
}

void ModelCompareJob::work(const Model& a, const std::vector<int32_t>& tokens, ThreadPool& pool,
                           const std::function<bool()>& interrupted) {
    if (!owed(tokens)) return;
    ModelCompareState s = *state_;
    CompareOptions opt;
    opt.tensors   = !s.tensors;
    const auto t0 = std::chrono::steady_clock::now();
    auto r        = compare_models(a, *s.model_b, tokens, pool, opt, interrupted);
    if (!r && r.error().code == Code::kCancelled) return;  // still owed: redone when the worker is idle again
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r) {
        if (opt.tensors) s.tensors = std::make_shared<const std::vector<TensorDiff>>(std::move(r->tensors));
        r->tensors.clear();
        s.comparison = std::make_shared<const ModelComparison>(std::move(*r));
        s.error.clear();
    } else {
        s.comparison.reset();
        s.error = r.error().message;
    }
    done_ = tokens;
    publish(std::move(s));
}

}  // namespace ts::core
