// CommandQueue: the UI → engine direction of ARCHITECTURE §4. A deque of small value types guarded by a mutex that is
// held only to push or pop, and a condition variable the engine sleeps on when it has nothing to do.
// Every push gets a ticket (1, 2, 3 ... in queue order), so a caller can tell when its command was handled.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace ts::core {

template <typename T>
class CommandQueue {
public:
    // Appends a command; returns its ticket.
    uint64_t push(T c) {
        uint64_t ticket = 0;
        {
            std::lock_guard<std::mutex> lock(mu_);
            q_.push_back(std::move(c));
            ticket = ++pushed_;
        }
        cv_.notify_one();
        return ticket;
    }
    // The oldest command, or nothing when the queue is empty (never waits).
    std::optional<T> try_pop() {
        std::lock_guard<std::mutex> lock(mu_);
        if (q_.empty()) return std::nullopt;
        T c = std::move(q_.front());
        q_.pop_front();
        return c;
    }
    // The oldest command, waiting for one at most `timeout`.
    std::optional<T> pop_wait(std::chrono::milliseconds timeout) {
        std::unique_lock<std::mutex> lock(mu_);
        if (!cv_.wait_for(lock, timeout, [this] { return !q_.empty(); })) return std::nullopt;
        T c = std::move(q_.front());
        q_.pop_front();
        return c;
    }
    bool empty() const {
        std::lock_guard<std::mutex> lock(mu_);
        return q_.empty();
    }

private:
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<T> q_;
    uint64_t pushed_ = 0;
};

}  // namespace ts::core
