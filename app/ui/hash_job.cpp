// The background SHA-256 of a model file (hash_job.hpp): one thread per job, the result handed over through an
// atomic flag.
#include "app/ui/hash_job.hpp"

#include <exception>

#include "core/base/sha256.hpp"

namespace ts::app {

HashJob::~HashJob() {
    cancel();
}

void HashJob::join() {
    if (thread_.joinable()) thread_.join();
}

void HashJob::cancel() {
    if (job_) job_->stop.store(true, std::memory_order_relaxed);
    join();
    job_.reset();
}

void HashJob::start(const std::string& path) {
    if (job_ && path_ == path) return;
    cancel();
    auto job  = std::make_shared<Job>();
    job->path = path;
    job_      = job;
    path_     = path;
    thread_   = std::thread([job] {
        try {
            job->result.emplace(core::sha256_file(job->path, [&job](size_t done, size_t total) {
                job->fraction.store(total > 0 ? double(done) / double(total) : 1.0, std::memory_order_relaxed);
                return !job->stop.load(std::memory_order_relaxed);
            }));
        } catch (const std::exception& e) {  // nothing may escape a thread
            job->result.emplace(core::make_error(core::Code::kInternal, "%s: %s", job->path.c_str(), e.what()));
        }
        job->done.store(true, std::memory_order_release);
    });
}

float HashJob::progress() const {
    return job_ ? float(job_->fraction.load(std::memory_order_relaxed)) : 0.0f;
}

std::optional<core::Result<std::string>> HashJob::poll() {
    if (!job_ || !job_->done.load(std::memory_order_acquire)) return std::nullopt;
    join();
    auto out = std::move(job_->result);
    job_.reset();
    return out;
}

std::optional<core::Result<std::string>> HashJob::wait() {
    if (!job_) return std::nullopt;
    join();
    auto out = std::move(job_->result);
    job_.reset();
    return out;
}

}  // namespace ts::app
