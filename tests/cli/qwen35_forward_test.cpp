// qwen35 (gated DeltaNet beside attention) on tiny random files (tools/random_model): the layer kinds are read as
// llama.cpp reads them, a prompt in one batch gives bit for bit the logits of one token at a time (the DeltaNet's
// recurrence runs token by token either way), a rewind past a state checkpoint and the same tokens again reproduce
// the logits bit for bit (the state is restored from the checkpoint and recomputed), a replay of any position sees
// exactly what the first evaluation saw, and each DeltaNet stage is what it says. The comparison with llama.cpp is
// CliArch.Qwen35AgreesWithLlamaCpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <tuple>

#include "core/model/forward.hpp"
#include "core/model/model.hpp"
#include "tests/cli/random_file.hpp"
#include "tests/core/model/stage_recorder.hpp"
#include "tools/random_model.hpp"

namespace ts::core {
namespace {

using Recorder = testing::StageRecorder;

ts::tools::RandomModelSpec tiny_spec(DType type) {
    return ts::tools::tiny_qwen35_spec(type);  // DeltaNet, DeltaNet, DeltaNet, attention
}

std::shared_ptr<const Model> load_tiny(const ts::tools::RandomModelSpec& s, const std::string& tag) {
    return testing::load_random_model(s, "q35_" + tag);
}

std::vector<int32_t> prompt(int n) {
    return testing::cycling_prompt(n);
}

TEST(Qwen35Forward, ReadsTheLayerKindsAndSizes) {
    auto m = load_tiny(tiny_spec(DType::F32), "kinds");
    ASSERT_TRUE(m);
    const Hparams& hp = m->hp;
    EXPECT_EQ(hp.arch, Arch::Qwen35);
    EXPECT_EQ(hp.n_recurrent(), 3);
    EXPECT_TRUE(hp.is_recurrent(0) && hp.is_recurrent(1) && hp.is_recurrent(2) && !hp.is_recurrent(3));
    EXPECT_EQ(hp.ssm_conv_dim(), 64 + 2 * 2 * 16);
    EXPECT_EQ(hp.n_rot, 8);  // head_dim / 4
    EXPECT_EQ(hp.ssm_state_floats(), size_t(4 * 16 * 16));
    EXPECT_TRUE(layer_has_stage(hp, 0, Stage::LinRead));
    EXPECT_FALSE(layer_has_stage(hp, 0, Stage::AttnScores));
    EXPECT_TRUE(layer_has_stage(hp, 3, Stage::AttnScores));
    EXPECT_FALSE(layer_has_stage(hp, 3, Stage::LinConv));
}

// Prefill in batches (16, crossing nothing) vs one token at a time: the same logits bit for bit, F32 and Q8_0.
TEST(Qwen35Forward, BatchEqualsOneTokenAtATime) {
    for (DType type : {DType::F32, DType::Q8_0}) {
        SCOPED_TRACE(std::string(dtype_name(type)));
        auto m = load_tiny(tiny_spec(type), "batch");
        ASSERT_TRUE(m);
        const int n  = 20;
        const auto p = prompt(n);
        ThreadPool pool(2);
        Forward a(*m, 256, 16), b(*m, 256, 16);
        auto ca = a.make_cache(), cb = b.make_cache();
        ASSERT_TRUE(ca.ok() && cb.ok());
        std::vector<float> all(size_t(n) * size_t(m->hp.n_vocab)), one(size_t(m->hp.n_vocab));
        ASSERT_TRUE(a.eval(*ca, p.data(), n, 0, all.data(), LogitRows::All, pool).ok());
        for (int t = 0; t < n; ++t) {
            ASSERT_TRUE(b.eval(*cb, &p[size_t(t)], 1, t, one.data(), LogitRows::Last, pool).ok());
            for (int i = 0; i < m->hp.n_vocab; ++i)
                ASSERT_EQ(one[size_t(i)], all[size_t(t) * size_t(m->hp.n_vocab) + size_t(i)]) << "pos " << t;
        }
    }
}

// 150 tokens (state checkpoints at 64 and 128), rewind to 100 and to 10, evaluate the same tokens again: the logits
// at every later position are bit for bit the first run's.
TEST(Qwen35Forward, RewindAndStepReproduceTheLogits) {
    auto m = load_tiny(tiny_spec(DType::Q8_0), "rewind");
    ASSERT_TRUE(m);
    const int n = 150, V = m->hp.n_vocab;
    const auto p = prompt(n);
    ThreadPool pool(2);
    Forward fwd(*m, 256);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    std::vector<float> first(size_t(n) * size_t(V)), again(static_cast<size_t>(V));
    ASSERT_TRUE(fwd.eval(*cache, p.data(), n, 0, first.data(), LogitRows::All, pool).ok());
    EXPECT_EQ(cache->recurrent().n_pos(), n);
    EXPECT_EQ(cache->recurrent().bytes_checkpoints(), 2 * cache->recurrent().bytes_current());
    for (int back : {100, 10, 128}) {
        SCOPED_TRACE(back);
        cache->truncate(back);
        EXPECT_EQ(cache->recurrent().n_pos(), -1);  // stale: it had absorbed more
        for (int t = back; t < n; ++t) {
            ASSERT_TRUE(fwd.eval(*cache, &p[size_t(t)], 1, t, again.data(), LogitRows::Last, pool).ok());
            for (int i = 0; i < V; ++i)
                ASSERT_EQ(again[size_t(i)], first[size_t(t) * size_t(V) + size_t(i)]) << "pos " << t;
        }
    }
    // A different continuation after a rewind is a different state: the logits differ from the first run's.
    cache->truncate(70);
    const int32_t other = 201;
    ASSERT_TRUE(fwd.eval(*cache, &other, 1, 70, again.data(), LogitRows::Last, pool).ok());
    EXPECT_NE(again[0], first[size_t(70) * size_t(V)]);
}

// A replay of a position (the Journey's way of showing one) sees every stage as the first evaluation did, and
// leaves the cache's own state alone.
TEST(Qwen35Forward, ReplaySeesWhatTheFirstEvaluationSaw) {
    auto m = load_tiny(tiny_spec(DType::F32), "replay");
    ASSERT_TRUE(m);
    const int n  = 80;
    const auto p = prompt(n);
    ThreadPool pool(2);
    Forward fwd(*m, 256);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    Recorder first;
    std::vector<float> logits(size_t(m->hp.n_vocab));
    ASSERT_TRUE(fwd.eval(*cache, p.data(), n, 0, logits.data(), LogitRows::Last, pool, &first).ok());
    const std::vector<float> state(
        cache->recurrent().data(),
        cache->recurrent().data() + cache->recurrent().n_layers() * cache->recurrent().floats_per_layer());
    for (int pos : {0, 5, 63, 64, 70}) {
        SCOPED_TRACE(pos);
        Recorder again;
        ASSERT_TRUE(fwd.replay(*cache, p[size_t(pos)], pos, nullptr, pool, &again).ok());
        for (const auto& [key, values] : again.seen) {
            if (std::get<1>(key) < 0) continue;
            ASSERT_TRUE(first.seen.count(key)) << stage_key(std::get<0>(key));
            EXPECT_EQ(values, first.seen.at(key)) << stage_key(std::get<0>(key)) << " layer " << std::get<1>(key);
        }
        EXPECT_TRUE(again.has(Stage::LinRead, 0, pos));
        EXPECT_FALSE(again.has(Stage::AttnScores, 0, pos));
        EXPECT_TRUE(again.has(Stage::AttnProbs, 3, pos));
    }
    EXPECT_EQ(cache->recurrent().n_pos(), n);
    EXPECT_TRUE(std::equal(state.begin(), state.end(), cache->recurrent().data()));
}

// The gates and the update as the stage texts say: β in (0, 1), decay g <= 0, q and k of unit length, the state
// norm grows from zero, the read-out is what the next stage norms.
TEST(Qwen35Forward, DeltaNetStagesAreWhatTheySay) {
    auto m = load_tiny(tiny_spec(DType::F32), "stages");
    ASSERT_TRUE(m);
    const Hparams& hp = m->hp;
    ThreadPool pool(1);
    Forward fwd(*m, 64);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    Recorder r;
    const auto p = prompt(4);
    ASSERT_TRUE(fwd.eval(*cache, p.data(), 4, 0, nullptr, LogitRows::None, pool, &r).ok());
    for (int pos = 0; pos < 4; ++pos) {
        for (float b : r.at(Stage::LinBeta, 1, pos)) EXPECT_TRUE(b > 0.0f && b < 1.0f);
        for (float g : r.at(Stage::LinDecay, 1, pos)) EXPECT_LE(g, 0.0f);
        const auto& q = r.at(Stage::LinQ, 1, pos);
        ASSERT_EQ(q.size(), size_t(hp.ssm_n_group * hp.ssm_d_state));
        for (int g = 0; g < hp.ssm_n_group; ++g) {
            double n2 = 0;
            for (int i = 0; i < hp.ssm_d_state; ++i)
                n2 += double(q[size_t(g * hp.ssm_d_state + i)]) * q[size_t(g * hp.ssm_d_state + i)];
            EXPECT_NEAR(n2, 1.0, 1e-4);
        }
        for (float s : r.at(Stage::LinStateNorm, 1, pos)) EXPECT_GT(s, 0.0f);
    }
    EXPECT_FALSE(r.has(Stage::K, 1, 0));
    EXPECT_TRUE(r.has(Stage::AttnGate, 3, 0));
}

TEST(Qwen35Forward, RefusesWhatIsNotImplemented) {
    ts::tools::RandomModelSpec s = tiny_spec(DType::F32);
    s.extra_keys                 = {{"qwen35.nextn_predict_layers", core::gguf::Value::make_u32(1)}};
    const std::string path =
        (std::filesystem::temp_directory_path() / ("ts_q35_mtp" + std::to_string(getpid()) + ".gguf")).string();
    ASSERT_TRUE(ts::tools::write_random_model(s, path).ok());
    auto m = load_model(path);
    std::filesystem::remove(path);
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.error().message.find("nextn_predict_layers"), std::string::npos) << m.error().message;
}

}  // namespace
}  // namespace ts::core
