// ModelLoader: loads a model file on its own thread so the UI keeps drawing. The UI polls it once per frame and
// swaps the result in; a failed load comes back as an Error for the error modal.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "app/ui/model_summary.hpp"
#include "core/base/result.hpp"
#include "core/model/model.hpp"

namespace ts::app {

struct LoadedModel {
    std::shared_ptr<const core::Model> model;
    std::shared_ptr<const ModelSummary> summary;
};

class ModelLoader {
public:
    ModelLoader() = default;
    ~ModelLoader();  // waits for a load in flight (loading cannot be cancelled half-way)
    ModelLoader(const ModelLoader&)            = delete;
    ModelLoader& operator=(const ModelLoader&) = delete;

    // Starts loading `path`; false (and nothing started) while another load is in flight.
    bool start(const std::string& path, const core::LoadOptions& opt = {});
    bool busy() const { return job_ != nullptr; }
    const std::string& path() const { return path_; }
    double elapsed_s() const;
    // The result once the load has finished (returned once), else nullopt. Never blocks.
    std::optional<core::Result<LoadedModel>> poll();
    // Blocks until the load in flight has finished and returns its result (for `shot`).
    std::optional<core::Result<LoadedModel>> wait();

private:
    struct Job {
        std::string path;
        core::LoadOptions opt;
        std::atomic<bool> done{false};
        std::optional<core::Result<LoadedModel>> result;  // written by the thread before `done`
    };
    std::shared_ptr<Job> job_;
    std::thread thread_;
    std::string path_;
    std::chrono::steady_clock::time_point started_;
};

// Loads and summarises a model on the calling thread (what the loader's thread runs).
[[nodiscard]] core::Result<LoadedModel> load_and_summarize(const std::string& path, const core::LoadOptions& opt = {});

}  // namespace ts::app
