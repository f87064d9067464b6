// The background model loader: one thread per load, result handed over through an atomic flag.
#include "app/ui/model_loader.hpp"

#include <exception>
#include <new>

namespace ts::app {

core::Result<LoadedModel> load_and_summarize(const std::string& path, const core::LoadOptions& opt) {
    auto model = core::load_model(path, "", opt);
    if (!model) return model.error();
    LoadedModel out;
    out.model = *model;
    try {
        out.summary = std::make_shared<const ModelSummary>(summarize_model(*out.model));
    } catch (const std::bad_alloc&) {
        return core::make_error(core::Code::kOutOfMemory, "%s: out of memory while summarising the model",
                                path.c_str());
    }
    return out;
}

ModelLoader::~ModelLoader() {
    if (thread_.joinable()) thread_.join();
}

bool ModelLoader::start(const std::string& path, const core::LoadOptions& opt) {
    if (job_) return false;
    if (thread_.joinable()) thread_.join();
    auto job  = std::make_shared<Job>();
    job->path = path;
    job->opt  = opt;
    job_      = job;
    path_     = path;
    started_  = std::chrono::steady_clock::now();
    thread_   = std::thread([job] {
        try {
            job->result.emplace(load_and_summarize(job->path, job->opt));
        } catch (const std::exception& e) {  // nothing may escape a thread; report it like any failed load
            job->result.emplace(core::make_error(core::Code::kInternal, "%s: %s", job->path.c_str(), e.what()));
        }
        job->done.store(true, std::memory_order_release);
    });
    return true;
}

double ModelLoader::elapsed_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

std::optional<core::Result<LoadedModel>> ModelLoader::poll() {
    if (!job_ || !job_->done.load(std::memory_order_acquire)) return std::nullopt;
    thread_.join();
    auto out = std::move(job_->result);
    job_.reset();
    return out;
}

std::optional<core::Result<LoadedModel>> ModelLoader::wait() {
    if (!job_) return std::nullopt;
    thread_.join();
    auto out = std::move(job_->result);
    job_.reset();
    return out;
}

}  // namespace ts::app
