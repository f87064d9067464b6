// ThreadPool: a fixed set of worker threads that run one parallel job at a time (the caller takes part as
// thread 0). Workers spin briefly, then sleep, so per-token dispatch overhead stays in microseconds.
// One job at a time, from one caller thread at a time; a job must not call run() on its own pool (no nesting).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace ts::core {

// The threads a tool uses when it is not told (-t of every verb, the explorer's engine): the hardware's threads, at
// most 8. Generating a token reads every weight once, so past about 8 threads memory bandwidth, not cores, sets the
// speed, and the rest of the machine stays free for the UI and everything else.
int default_thread_count();

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

    // A 64-byte aligned buffer of at least `bytes`, owned by the pool, for the caller's per-call scratch (e.g. the
    // quantised activations of matvec). It only grows, so steady-state calls allocate nothing. Valid until the
    // next scratch() call; workers may read it during run().
    void* scratch(size_t bytes);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace ts::core
