// matvec / matmul allocate nothing once warm (no allocation per token): this executable replaces the
// global operator new to count allocations made while the counter is armed.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "core/tensor/ops.hpp"
#include "tensor_test_util.hpp"

// ThreadSanitizer's runtime defines operator new itself, so under TSan nothing is replaced and the test skips.
#if defined(__SANITIZE_THREAD__)
#define TS_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TS_UNDER_TSAN 1
#endif
#endif

namespace {
std::atomic<bool> g_armed{false};
std::atomic<int> g_allocations{0};
}  // namespace

#ifndef TS_UNDER_TSAN
// These replacements are the allocation functions, so free() pairs with the malloc() of operator new; GCC's
// -Wmismatched-new-delete, after inlining at -O1, sees only "new" and "free".
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t size) {
    if (g_armed.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
#endif

namespace ts::core {
namespace {

TEST(SteadyState, MatvecAndMatmulAllocateNothingOnceWarm) {
#ifdef TS_UNDER_TSAN
    GTEST_SKIP() << "operator new cannot be replaced under ThreadSanitizer";
#endif
    for (DType type : {DType::Q8_0, DType::Q4_K, DType::F16}) {
        const int64_t n = 512, rows = 64, nt = 5;
        std::vector<uint8_t> bytes;
        for (int64_t r = 0; r < rows; ++r) {
            const auto row = testing::random_row(type, n, uint32_t(r));
            bytes.insert(bytes.end(), row.begin(), row.end());
        }
        Tensor w;
        w.type       = type;
        w.n_dims     = 2;
        w.ne         = {n, rows, 1, 1};
        w.data       = bytes.data();
        w.nbytes     = bytes.size();
        const auto x = testing::random_normal(size_t(n * nt), 1);
        std::vector<float> y(size_t(rows * nt));
        ThreadPool pool(2);
        matmul(w, x.data(), nt, y.data(), pool);  // warm: scratch grows to its size
        matvec(w, x.data(), y.data(), pool);
        g_allocations = 0;
        g_armed       = true;
        for (int i = 0; i < 10; ++i) {
            matvec(w, x.data(), y.data(), pool);
            matmul(w, x.data(), nt, y.data(), pool);
        }
        g_armed = false;
        EXPECT_EQ(g_allocations.load(), 0) << dtype_name(type);
    }
}

}  // namespace
}  // namespace ts::core
