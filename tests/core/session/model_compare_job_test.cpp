// The quantisation lens in the engine worker (model_compare_job.hpp): a second model given with cmd::CompareWith is
// compared on the session's tokens when the worker is idle and again whenever they change; another vocabulary is an
// error that keeps what was there; closing it drops the model; compare_models stops with kCancelled when asked.
#include "core/session/model_compare_job.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "core/session/worker.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

using namespace std::chrono_literals;

const std::vector<int32_t> kPrompt = {1, 4, 11, 8, 19};

std::shared_ptr<const Snapshot> settled(EngineWorker& w, uint64_t ticket) {
    EXPECT_TRUE(w.wait_for(ticket, 20s, /*derived=*/true));  // derived_pending includes an owed comparison
    return w.snapshot();
}

TEST(ModelCompareWorker, ComparesTheSessionsTokensWhenIdleAndFollowsThem) {
    auto a = tiny::load_tiny_with_vocab();
    auto b = tiny::load_tiny_with_vocab();  // the same file: another Model of the same weights
    ASSERT_TRUE(a && b);
    EngineWorker w(tiny::make_session(a));
    auto snap = settled(w, w.push(cmd::SetPrompt{"", kPrompt}));
    ASSERT_NE(snap->model_compare, nullptr);  // never null
    EXPECT_EQ(snap->model_compare->model_b, nullptr);
    EXPECT_EQ(snap->model_compare->comparison, nullptr);

    snap = settled(w, w.push(cmd::CompareWith{b}));
    ASSERT_EQ(snap->model_compare->model_b, b);
    ASSERT_NE(snap->model_compare->comparison, nullptr);
    const ModelComparison& c = *snap->model_compare->comparison;
    EXPECT_EQ(c.tokens, kPrompt);
    EXPECT_EQ(c.mean_kl, 0.0);  // the same weights: identical, bit for bit
    EXPECT_EQ(c.agreement, 1.0);
    EXPECT_EQ(c.first_part_layer, -1);
    EXPECT_TRUE(c.tensors.empty());  // the table is published once, beside it
    ASSERT_NE(snap->model_compare->tensors, nullptr);
    EXPECT_FALSE(snap->model_compare->tensors->empty());
    const auto tensors = snap->model_compare->tensors;

    // A step: the worker compares the new tokens without being asked; the tensor table is not measured again.
    snap = settled(w, w.push(cmd::Step{}));
    ASSERT_NE(snap->model_compare->comparison, nullptr);
    EXPECT_EQ(snap->model_compare->comparison->tokens.size(), kPrompt.size() + 1);
    EXPECT_EQ(snap->model_compare->tensors, tensors);

    // Another vocabulary: an error, and the second model stays the one that was there.
    auto other = load_model(std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf");
    ASSERT_TRUE(other.ok());
    snap = settled(w, w.push(cmd::CompareWith{*other}));
    EXPECT_NE(snap->error.find("vocabularies differ"), std::string::npos) << snap->error;
    EXPECT_EQ(snap->model_compare->model_b, b);

    // Closing: the worker drops the model; once no snapshot holds it, it is freed.
    std::weak_ptr<const Model> weak = b;
    b.reset();
    snap = settled(w, w.push(cmd::CompareWith{nullptr}));
    EXPECT_EQ(snap->model_compare->model_b, nullptr);
    EXPECT_EQ(snap->model_compare->comparison, nullptr);
    EXPECT_TRUE(weak.expired());
}

TEST(ModelCompareJob, OwesNothingWithoutASecondModelOrTokens) {
    auto a = tiny::load_tiny_with_vocab();
    ModelCompareJob job;
    EXPECT_FALSE(job.owed(kPrompt));
    ASSERT_TRUE(job.set_model(tiny::load_tiny_with_vocab(), *a).ok());
    EXPECT_FALSE(job.owed({}));
    EXPECT_TRUE(job.owed(kPrompt));
    ThreadPool pool(2);
    job.work(*a, kPrompt, pool, [] { return true; });  // interrupted at once: still owed, nothing published
    EXPECT_TRUE(job.owed(kPrompt));
    EXPECT_EQ(job.state()->comparison, nullptr);
    job.work(*a, kPrompt, pool, {});
    EXPECT_FALSE(job.owed(kPrompt));
    ASSERT_NE(job.state()->comparison, nullptr);
}

TEST(ModelCompareJob, CompareModelsStopsWhenCancelled) {
    auto a = tiny::load_tiny_with_vocab();
    ThreadPool pool(2);
    int asked = 0;
    auto r    = compare_models(*a, *a, kPrompt, pool, {}, [&] { return ++asked > 2; });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Code::kCancelled);
    EXPECT_EQ(asked, 3);
}

}  // namespace
}  // namespace ts::core
