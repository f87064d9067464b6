// ThreadPool: every share runs exactly once per dispatch, many dispatches in a row, the sleeping path, parallel_for
// coverage, and the scratch buffer. Also run under ThreadSanitizer (the tsan preset).
#include "core/tensor/thread_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace ts::core {
namespace {

TEST(ThreadPool, RunsEveryIndexExactlyOnce) {
    for (int nth = 1; nth <= 5; ++nth) {
        ThreadPool pool(nth);
        EXPECT_EQ(pool.n_threads(), nth);
        std::vector<std::atomic<int>> hits(static_cast<size_t>(nth));
        std::atomic<int> bad_nth{0};
        pool.run([&](int ith, int n) {
            if (n != nth) bad_nth.fetch_add(1);
            hits[size_t(ith)].fetch_add(1);
        });
        EXPECT_EQ(bad_nth.load(), 0);
        for (auto& h : hits) EXPECT_EQ(h.load(), 1);
    }
}

TEST(ThreadPool, ManyDispatchesInARow) {
    ThreadPool pool(4);
    std::vector<int> per_thread(4, 0);  // each slot written only by its own thread
    for (int i = 0; i < 5000; ++i) pool.run([&](int ith, int) { per_thread[size_t(ith)]++; });
    for (int v : per_thread) EXPECT_EQ(v, 5000);
}

TEST(ThreadPool, WakesSleepingWorkers) {
    ThreadPool pool(3);
    std::atomic<int> total{0};
    for (int i = 0; i < 5; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(3));  // longer than the spin: workers sleep
        pool.run([&](int, int) { total.fetch_add(1); });
    }
    EXPECT_EQ(total.load(), 15);
}

TEST(ThreadPool, CallerWaitsForSlowWorkers) {
    ThreadPool pool(3);
    std::vector<int> done(3, 0);
    pool.run([&](int ith, int) {
        if (ith != 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        done[size_t(ith)] = 1;
    });
    for (int d : done) EXPECT_EQ(d, 1);  // plain reads: run() must have synchronised with the workers
}

TEST(ThreadPool, ParallelForCoversRangeOnceIncludingTinyRanges) {
    ThreadPool pool(4);
    for (int64_t n : {0, 1, 3, 4, 5, 1000, 1001}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallel_for(n, [&](int64_t b, int64_t e) {
            EXPECT_LT(b, e);
            for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1);
        });
        for (auto& h : hits) EXPECT_EQ(h.load(), 1) << "n=" << n;
    }
}

TEST(ThreadPool, ScratchIsAlignedAndGrowsOnly) {
    ThreadPool pool(2);
    void* a = pool.scratch(100);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
    void* b = pool.scratch(50);  // smaller: same buffer
    EXPECT_EQ(a, b);
    void* c = pool.scratch(1 << 20);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(c) % 64, 0u);
    static_cast<char*>(c)[(1 << 20) - 1] = 1;
    EXPECT_EQ(pool.scratch(1000), c);
}

TEST(ThreadPool, DestroysCleanlyWhileWorkersSpinOrSleep) {
    for (int i = 0; i < 20; ++i) {
        ThreadPool pool(3);
        pool.run([](int, int) {});
        if (i % 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    SUCCEED();
}

}  // namespace
}  // namespace ts::core
