// ThreadPool: persistent workers woken by an atomic generation counter. A dispatch publishes the job, bumps the
// generation and, only if some worker has gone to sleep, notifies the condition variable; workers spin on the
// counter for a short while (30 us pure spin, then yielding until 200 us) before sleeping, so back-to-back matvecs of
// one token never pay a wake-up. The caller runs share 0 itself, then waits for the pending count to reach zero (spin,
// then condition variable).
//
// Lost wake-ups are impossible because both hand-shakes are "announce, then check" on seq_cst atomics:
// a worker increments sleepers_ before re-checking the generation under the mutex; the dispatcher bumps the
// generation before reading sleepers_ (and takes the mutex before notifying). The same pattern guards the caller's
// sleep on pending_ with caller_waiting_.
#include "core/tensor/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/base/check.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define TS_CPU_RELAX() _mm_pause()
#else
#define TS_CPU_RELAX() std::this_thread::yield()
#endif

namespace ts::core {

int default_thread_count() {
    return std::clamp(int(std::thread::hardware_concurrency()), 1, 8);
}
namespace {

constexpr auto kPureSpinTime = std::chrono::microseconds(30);
constexpr auto kSpinTime     = std::chrono::microseconds(200);

// Spins until pred() holds or kSpinTime passes; returns pred()'s last value. For the first kPureSpinTime it only
// pauses (the next matvec of a token comes within microseconds); after that it yields between checks, so on an
// oversubscribed machine the thread we wait for gets the core instead of us.
template <typename Pred>
bool spin_until(Pred pred) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 1;; ++i) {
        if (pred()) return true;
        TS_CPU_RELAX();
        if ((i & 63) == 0 && std::chrono::steady_clock::now() - start > kPureSpinTime) break;
    }
    for (int i = 1;; ++i) {
        if (pred()) return true;
        std::this_thread::yield();
        if ((i & 15) == 0 && std::chrono::steady_clock::now() - start > kSpinTime) return pred();
    }
}

}  // namespace

struct ThreadPool::Impl {
    int n_threads = 1;
    std::vector<std::thread> workers;

    const std::function<void(int, int)>* job = nullptr;  // published by the release of generation
    std::atomic<uint64_t> generation{0};
    std::atomic<int> pending{0};  // workers still running the current job
    std::atomic<int> sleepers{0};
    std::atomic<bool> caller_waiting{false};
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::condition_variable cv_work, cv_done;

    std::vector<std::byte> scratch;

    void worker_loop(int ith) {
        uint64_t seen = 0;
        for (;;) {
            auto changed = [&] { return generation.load(std::memory_order_acquire) != seen || stop.load(); };
            if (!spin_until(changed)) {
                sleepers.fetch_add(1);
                {
                    std::unique_lock<std::mutex> lk(mu);
                    cv_work.wait(lk, [&] { return generation.load() != seen || stop.load(); });
                }
                sleepers.fetch_sub(1);
            }
            if (stop.load()) return;
            seen = generation.load(std::memory_order_acquire);
            (*job)(ith, n_threads);
            if (pending.fetch_sub(1) == 1 && caller_waiting.load()) {
                { std::lock_guard<std::mutex> lk(mu); }
                cv_done.notify_one();
            }
        }
    }
};

ThreadPool::ThreadPool(int n_threads) : impl_(std::make_unique<Impl>()) {
    TS_CHECK(n_threads >= 1, "ThreadPool needs at least one thread");
    impl_->n_threads = n_threads;
    impl_->workers.reserve(size_t(n_threads - 1));
    for (int i = 1; i < n_threads; ++i) impl_->workers.emplace_back([this, i] { impl_->worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lk(impl_->mu);
        impl_->stop.store(true);
    }
    impl_->cv_work.notify_all();
    for (auto& t : impl_->workers) t.join();
}

int ThreadPool::n_threads() const {
    return impl_->n_threads;
}

void ThreadPool::run(const std::function<void(int, int)>& fn) {
    Impl& p = *impl_;
    if (p.n_threads == 1) {
        fn(0, 1);
        return;
    }
    p.job = &fn;
    p.pending.store(p.n_threads - 1, std::memory_order_relaxed);
    p.generation.fetch_add(1);  // seq_cst: publishes job and pending, ordered before the sleepers check
    if (p.sleepers.load() > 0) {
        { std::lock_guard<std::mutex> lk(p.mu); }
        p.cv_work.notify_all();
    }
    fn(0, p.n_threads);
    if (!spin_until([&] { return p.pending.load(std::memory_order_acquire) == 0; })) {
        p.caller_waiting.store(true);
        {
            std::unique_lock<std::mutex> lk(p.mu);
            p.cv_done.wait(lk, [&] { return p.pending.load() == 0; });
        }
        p.caller_waiting.store(false);
    }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
    const auto job = [&](int ith, int nth) {
        const int64_t begin = n * ith / nth, end = n * (ith + 1) / nth;
        if (begin < end) fn(begin, end);
    };
    run(std::cref(job));
}

void* ThreadPool::scratch(size_t bytes) {
    constexpr size_t kAlign = 64;
    if (impl_->scratch.size() < bytes + kAlign) impl_->scratch.resize(bytes + kAlign);
    auto addr = reinterpret_cast<uintptr_t>(impl_->scratch.data());
    return impl_->scratch.data() + ((kAlign - addr % kAlign) % kAlign);
}

}  // namespace ts::core
