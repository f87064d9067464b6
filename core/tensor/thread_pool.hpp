// ThreadPool: a fixed set of worker threads that run one parallel job at a time (the caller takes part as
// thread 0). Workers spin briefly, then sleep, so per-token dispatch overhead stays in microseconds.
#pragma once

#include <functional>
#include <memory>

namespace ts::core {

class ThreadPool {
public:
    explicit ThreadPool(int n_threads);  // n_threads >= 1; 1 means run everything on the caller
    ~ThreadPool();
    ThreadPool(const ThreadPool&)            = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int n_threads() const;

    // Runs fn(ith, nth) on every thread, ith in [0, nth); returns when all have finished.
    void run(const std::function<void(int ith, int nth)>& fn);

    // Splits [0, n) into contiguous chunks, one per thread: fn(begin, end).
    void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ts::core
