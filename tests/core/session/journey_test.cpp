// The Journey of a position, replayed by the forward pass against the real KV cache, equals what the forward pass
// computed when the position was first evaluated: every stage, bit for bit (max |Δ| = 0), at every SIMD level,
// for prompt positions (evaluated in batches) and generated ones (one at a time), with an f32 and an f16 cache.
#include "core/trace/journey.hpp"

#include <gtest/gtest.h>

#include <map>
#include <tuple>

#include "core/session/session.hpp"
#include "tests/core/at_every_level.hpp"
#include "tests/core/model/stage_recorder.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

class JourneyReplay : public testing::AtEveryLevel {};
TS_AT_EVERY_LEVEL(JourneyReplay);

using KeepAll = testing::StageRecorder;

TEST_P(JourneyReplay, EveryStageEqualsTheFirstEvaluationBitForBit) {
    const auto model                  = tiny::load_tiny_with_vocab();
    const std::vector<int32_t> tokens = {1, 5, 36, 0, 17, 17, 2, 30, 11, 8};
    for (DType kv : {DType::F32, DType::F16}) {
        SCOPED_TRACE(dtype_name(kv));
        ThreadPool pool(2);
        Forward fwd(*model, 16, 4);
        auto cache = fwd.make_cache(kv);
        ASSERT_TRUE(cache.ok());
        KeepAll first;
        std::vector<float> logits(size_t(model->hp.n_vocab));
        ASSERT_TRUE(fwd.eval(*cache, tokens.data(), 7, 0, logits.data(), LogitRows::Last, pool, &first).ok());
        for (int p = 7; p < 10; ++p)
            ASSERT_TRUE(fwd.eval(*cache, &tokens[size_t(p)], 1, p, logits.data(), LogitRows::Last, pool, &first).ok());

        for (int pos = 0; pos < 10; ++pos) {
            auto j = replay_journey(fwd, *cache, tokens[size_t(pos)], pos, pool, nullptr);
            ASSERT_TRUE(j.ok()) << j.error().message;
            EXPECT_EQ(j->n_keys, pos + 1);
            EXPECT_EQ(int(j->layers.size()), model->hp.n_layer);
            int compared = 0;
            for (const StageTensor& t : j->tensors) {
                auto it = first.seen.find({t.stage, t.layer, pos});
                if (it == first.seen.end()) continue;  // final norm / logits of a prompt position: not computed
                ASSERT_EQ(t.data, it->second) << stage_key(t.stage) << " layer " << t.layer << " pos " << pos;
                ++compared;
            }
            EXPECT_GE(compared, 2 + 17 * model->hp.n_layer);
            EXPECT_NE(j->find(Stage::Logits, -1), nullptr);
        }
        EXPECT_EQ(cache->n_pos(), 10);  // the replay wrote nothing
    }
}

TEST_P(JourneyReplay, SessionJourneyMatchesItsRecordsExactly) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab());
    ASSERT_TRUE(s->set_prompt_ids({1, 5, 36, 0, 17, 17, 2}).ok());
    ASSERT_TRUE(s->prefill().ok());
    ASSERT_TRUE(s->run(3).ok());
    for (int pos = 0; pos < s->n_pos(); ++pos) {
        auto j = s->journey(pos);
        ASSERT_TRUE(j.ok()) << j.error().message;
        EXPECT_EQ(j->token, s->steps()[size_t(pos)]->token);
        for (const JourneyLayer& L : j->layers) {
            EXPECT_EQ(L.q_max_diff, 0.0f) << "pos " << pos;
            EXPECT_EQ(L.resid_max_diff, 0.0f) << "pos " << pos;
            EXPECT_GT(L.rms_attn_in, 0.0f);
            EXPECT_GT(L.rms_ffn_in, 0.0f);
        }
    }
    // The last position's replayed logits are the session's own.
    auto j = s->journey(s->n_pos() - 1);
    ASSERT_TRUE(j.ok());
    EXPECT_EQ(j->find(Stage::Logits, -1)->data, *s->logits());
}

TEST(Journey, RefusesPositionsOutsideTheSequence) {
    auto s = tiny::make_session(tiny::load_tiny_with_vocab());
    ASSERT_TRUE(s->set_prompt_ids({1, 5, 36}).ok());
    ASSERT_TRUE(s->prefill().ok());
    EXPECT_FALSE(s->journey(3).ok());
    EXPECT_FALSE(s->journey(-1).ok());
    ThreadPool pool(1);
    Forward fwd(s->model(), 8);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    auto j = replay_journey(fwd, *cache, 1, 0, pool, nullptr);
    ASSERT_FALSE(j.ok());
    EXPECT_NE(j.error().message.find("not in the KV cache"), std::string::npos);
}

}  // namespace
}  // namespace ts::core
