// The head atlas as the engine worker's idle job: built in short units with progress, equal to the one-pass atlas;
// cancelled by clearing the focus; written to the cache folder and read back from it the second time; one head's
// probe heatmap and its ablation; and the worker doing all this between commands, with the Snapshot reporting it
// (derived_pending until done, so `tokenscope shot` can wait for it).
#include "core/session/atlas_job.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/session/worker.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::shared_ptr<const Model> default_model() {
    auto m = load_model(std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf");
    EXPECT_TRUE(m.ok()) << m.error().message;
    return m.ok() ? *m : nullptr;
}

// Runs the job until it owes nothing; returns the number of units.
int run_job(AtlasJob& job, const AtlasFocus& f, const Model& model, ThreadPool& pool,
            std::vector<int>* done = nullptr) {
    int units = 0;
    while (job.owed(f) && units < 10000) {
        job.work(f, model, pool);
        ++units;
        if (done && job.state()->total > 0) done->push_back(job.state()->done);
    }
    return units;
}

class AtlasJobTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("ts_atlas_job_" + std::to_string(getpid()));
        fs::remove_all(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    fs::path dir_;
};

TEST_F(AtlasJobTest, BuildsInUnitsWithProgressThenReadsTheCache) {
    auto model = default_model();
    ASSERT_TRUE(model);
    ThreadPool pool(2);
    AtlasFocus f;
    EXPECT_FALSE(AtlasJob().owed(f));         // nothing asked
    f.cache_dir = (dir_ / "cache").string();  // created when the atlas is written
    // Only looking: an empty cache is one unit and then nothing more (nothing is built).
    f.look = true;
    AtlasJob looker;
    EXPECT_EQ(run_job(looker, f, *model, pool), 1);
    EXPECT_FALSE(looker.state()->atlas);
    EXPECT_FALSE(fs::exists(f.cache_dir));
    f.atlas = true;
    AtlasJob job;
    std::vector<int> done;
    const int units = run_job(job, f, *model, pool, &done);
    EXPECT_GE(units, 3);  // start, at least one step, the last step
    ASSERT_FALSE(done.empty());
    EXPECT_TRUE(std::is_sorted(done.begin(), done.end()));
    const auto s = job.state();
    ASSERT_TRUE(s->atlas) << s->error;
    EXPECT_FALSE(s->from_cache);
    EXPECT_EQ(s->total, 0);
    EXPECT_TRUE(s->cache_note.empty()) << s->cache_note;
    ASSERT_FALSE(s->cache_file.empty());
    EXPECT_TRUE(fs::exists(s->cache_file)) << s->cache_file;

    auto whole = build_head_atlas(*model, pool);
    ASSERT_TRUE(whole.ok());
    ASSERT_EQ(s->atlas->heads.size(), whole->heads.size());
    for (size_t k = 0; k < whole->heads.size(); ++k) {
        EXPECT_EQ(s->atlas->heads[k].prev_token, whole->heads[k].prev_token) << k;
        EXPECT_EQ(s->atlas->heads[k].sink, whole->heads[k].sink) << k;
        EXPECT_EQ(s->atlas->heads[k].tag, whole->heads[k].tag) << k;
    }

    // The second time: one unit, from the cache, the same numbers.
    AtlasJob again;
    EXPECT_EQ(run_job(again, f, *model, pool), 1);
    const auto c = again.state();
    ASSERT_TRUE(c->atlas);
    EXPECT_TRUE(c->from_cache);
    EXPECT_EQ(c->cache_file, s->cache_file);
    for (size_t k = 0; k < whole->heads.size(); ++k) {
        EXPECT_EQ(c->atlas->heads[k].induction, s->atlas->heads[k].induction) << k;
        EXPECT_EQ(c->atlas->heads[k].entropy_bits, s->atlas->heads[k].entropy_bits) << k;
    }
    // Only looking finds it now: the panel shows a cached atlas without being asked.
    f.atlas = false;
    AtlasJob look_again;
    EXPECT_EQ(run_job(look_again, f, *model, pool), 1);
    ASSERT_TRUE(look_again.state()->atlas);
    EXPECT_TRUE(look_again.state()->from_cache);
}

TEST_F(AtlasJobTest, ClearingTheFocusCancelsABuildInFlight) {
    auto model = default_model();
    ASSERT_TRUE(model);
    ThreadPool pool(2);
    AtlasFocus f;
    f.atlas = true;
    AtlasJob job;
    job.work(f, *model, pool);  // start
    job.work(f, *model, pool);  // a first unit
    ASSERT_FALSE(job.state()->atlas);
    EXPECT_GT(job.state()->total, 0);
    f.atlas = false;
    EXPECT_TRUE(job.owed(f));
    job.work(f, *model, pool);
    EXPECT_FALSE(job.owed(f));
    EXPECT_FALSE(job.state()->atlas);
    EXPECT_EQ(job.state()->total, 0);
    // Asked again, it starts over and finishes.
    f.atlas = true;
    run_job(job, f, *model, pool);
    EXPECT_TRUE(job.state()->atlas);
}

TEST_F(AtlasJobTest, ProbeHeatmapAndAblationOfOneHead) {
    auto model = default_model();
    ASSERT_TRUE(model);
    ThreadPool pool(2);
    AtlasFocus f;
    f.atlas       = true;
    f.probe_layer = 0;
    f.probe_head  = 5;
    AtlasJob job;
    run_job(job, f, *model, pool);
    auto s = job.state();
    ASSERT_TRUE(s->atlas);
    ASSERT_TRUE(s->probe);
    EXPECT_EQ(s->probe->layer, 0);
    EXPECT_EQ(s->probe->head, 5);
    EXPECT_EQ(s->probe->n, int(s->atlas->probe.size()));
    // The heatmap is the attention the atlas scored: its first-token score again.
    const HeadScores again = score_head({s->probe->probs.data(), s->probe->n}, s->atlas->first_copy, s->atlas->half);
    EXPECT_EQ(again.first_token, s->atlas->at(0, 5).first_token);

    f.ablate_layer = 0;
    f.ablate_head  = 5;
    EXPECT_TRUE(job.owed(f));
    run_job(job, f, *model, pool);
    s = job.state();
    ASSERT_TRUE(s->ablation) << s->head_error;
    EXPECT_EQ(s->ablation->layer, 0);
    EXPECT_EQ(s->ablation->head, 5);
    EXPECT_GT(s->ablation->loss, 0.0);
    EXPECT_NE(s->ablation->loss_zeroed, s->ablation->loss);
    auto direct = probe_loss(*model, s->atlas->probe, s->atlas->first_copy + s->atlas->half, pool);
    ASSERT_TRUE(direct.ok());
    EXPECT_EQ(s->ablation->loss, *direct);

    // A head the model does not have: an error, and not retried while it is asked again.
    f.ablate_layer = 9;
    EXPECT_TRUE(job.owed(f));
    job.work(f, *model, pool);
    EXPECT_FALSE(job.state()->head_error.empty());
    EXPECT_FALSE(job.owed(f));
}

TEST(AtlasInTheWorker, IsBuiltWhenIdleAndPublished) {
    EngineWorker w(tiny::make_session(tiny::load_tiny_with_vocab()));
    EXPECT_TRUE(w.snapshot()->atlas);
    EXPECT_FALSE(w.snapshot()->atlas->atlas);
    Focus f;
    f.atlas.atlas       = true;
    f.atlas.probe_layer = 0;
    f.atlas.probe_head  = 1;
    const uint64_t t    = w.push(cmd::SetFocus{f});
    ASSERT_TRUE(w.wait_for(t, 60s, true));
    const auto s = w.snapshot();
    EXPECT_FALSE(s->derived_pending);
    ASSERT_TRUE(s->atlas->atlas) << s->atlas->error;
    EXPECT_EQ(s->atlas->atlas->n_layer, s->model->hp.n_layer);
    EXPECT_EQ(int(s->atlas->atlas->heads.size()), s->model->hp.n_layer * s->model->hp.n_head);
    ASSERT_TRUE(s->atlas->probe);
    EXPECT_EQ(s->atlas->probe->head, 1);
    // Commands still work afterwards (the job owes nothing more).
    const uint64_t p = w.push(cmd::SetPrompt{"", {1, 5, 36}});
    ASSERT_TRUE(w.wait_for(p, 60s, true));
    EXPECT_EQ(w.snapshot()->steps.size(), 3u);
}

}  // namespace
}  // namespace ts::core
