// HashJob: the SHA-256 of a model file on its own thread. A saved exploration names its model by the hash
// (core/session/exploration.hpp), and hashing a model of several GB takes seconds: saving and opening start a job and
// go on when it is done, while the UI keeps drawing (the status bar shows its progress). Polled once per frame, like
// ModelLoader.
//
//   HashJob job; job.start(path);
//   ... each frame: if (auto r = job.poll()) use(*r);   // never blocks
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "core/base/result.hpp"

namespace ts::app {

class HashJob {
public:
    HashJob() = default;
    ~HashJob();  // stops the job in flight (at its next 16 MiB) and joins it
    HashJob(const HashJob&)            = delete;
    HashJob& operator=(const HashJob&) = delete;

    // Starts hashing `path`; a job in flight for another file is stopped first. Same file: nothing new is started.
    void start(const std::string& path);
    void cancel();  // stops the job in flight; poll() then gives nothing
    bool busy() const { return job_ != nullptr; }
    const std::string& path() const { return path_; }
    float progress() const;  // 0..1 of the file hashed
    // The hex digest (or why not) once the job has finished, returned once; else nullopt. Never blocks.
    std::optional<core::Result<std::string>> poll();
    // Blocks until the job in flight has finished and returns its result (tests, `shot`).
    std::optional<core::Result<std::string>> wait();

private:
    struct Job {
        std::string path;
        std::atomic<bool> done{false}, stop{false};
        std::atomic<double> fraction{0.0};
        std::optional<core::Result<std::string>> result;  // written by the thread before `done`
    };
    void join();
    std::shared_ptr<Job> job_;
    std::thread thread_;
    std::string path_;
};

}  // namespace ts::app
