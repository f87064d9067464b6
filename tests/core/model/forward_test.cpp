// The forward pass against a reference written in the test (tiny_model.hpp): every architecture, RoPE style, output
// tying and weight type; decode vs batched prefill vs recomputation; rewinding; argument errors; the observer.
#include "core/model/forward.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/model/model.hpp"
#include "tests/core/at_every_level.hpp"
#include "tests/core/model/tiny_model.hpp"

namespace ts::core {
namespace {

// Every test of these suites runs at every SIMD level the CPU has (tests/core/at_every_level.hpp).
class ForwardPass : public testing::AtEveryLevel {};
TS_AT_EVERY_LEVEL(ForwardPass);
class ForwardObserver : public testing::AtEveryLevel {};
TS_AT_EVERY_LEVEL(ForwardObserver);

using tiny::TinySpec;

const std::vector<int32_t> kTokens = {1, 5, 36, 0, 17, 17, 2, 30, 11, 8, 17, 5};

std::shared_ptr<const Model> load_tiny(const tiny::TinyModel& m, const std::string& name = "model.gguf") {
    const std::string path = tiny::temp_path(name);
    const Status written   = tiny::gguf_writer_for(m).write(path);
    EXPECT_TRUE(written.ok()) << written.error().message;
    auto r = load_model(path);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : nullptr;
}

// Logits of every position from one eval call (batched prefill).
std::vector<float> prefill_all(const Model& model, const std::vector<int32_t>& tokens, int n_threads = 1,
                               int n_batch = Forward::kDefaultBatch, DType kv = DType::F32) {
    ThreadPool pool(n_threads);
    Forward fwd(model, int(tokens.size()) + 4, n_batch);
    auto cache = fwd.make_cache(kv);
    EXPECT_TRUE(cache.ok());
    std::vector<float> logits(tokens.size() * size_t(model.hp.n_vocab));
    const Status st = fwd.eval(*cache, tokens.data(), int(tokens.size()), 0, logits.data(), LogitRows::All, pool);
    EXPECT_TRUE(st.ok()) << st.error().message;
    EXPECT_EQ(cache->n_pos(), int(tokens.size()));
    return logits;
}

// |got - want| <= tol (relative: tol · max(1, max |want|)).
void expect_close(const std::vector<float>& got, const std::vector<float>& want, float tol, bool relative = false) {
    ASSERT_EQ(got.size(), want.size());
    float scale = 1.0f;
    if (relative)
        for (float w : want) scale = std::max(scale, std::fabs(w));
    int bad = 0;
    for (size_t i = 0; i < got.size() && bad < 5; ++i)
        if (!(std::fabs(got[i] - want[i]) <= tol * scale)) {
            ADD_FAILURE() << "index " << i << ": got " << got[i] << ", want " << want[i] << " (tol " << tol * scale
                          << ")";
            ++bad;
        }
}

void expect_matches_reference(const TinySpec& spec, float tol, bool relative) {
    const auto m     = tiny::make_tiny_model(spec);
    const auto model = load_tiny(m);
    ASSERT_TRUE(model);
    expect_close(prefill_all(*model, kTokens), tiny::reference_logits(m, kTokens), tol, relative);
}

TEST_P(ForwardPass, LlamaF32MatchesReference) {
    expect_matches_reference(TinySpec{}, 1e-4f, false);
}

TEST_P(ForwardPass, Qwen2NeoxRopeWithBiasesMatchesReference) {
    TinySpec s;
    s.arch = "qwen2";
    s.seed = 2;
    expect_matches_reference(s, 1e-4f, false);
}

TEST_P(ForwardPass, TiedOutputMatchesReference) {
    TinySpec s;
    s.tied = true;
    s.seed = 3;
    expect_matches_reference(s, 1e-4f, false);
    s.arch = "qwen2";
    expect_matches_reference(s, 1e-4f, false);
}

TEST_P(ForwardPass, PartialRotaryAndLinearScalingMatchReference) {
    for (const char* arch : {"llama", "qwen2"}) {
        SCOPED_TRACE(arch);
        TinySpec s;
        s.arch        = arch;
        s.n_embd      = 32;  // head_dim 8, rotate 4
        s.n_rot       = 4;
        s.rope_factor = 4.0f;
        s.rope_base   = 500.0f;
        expect_matches_reference(s, 1e-4f, false);
    }
}

TEST_P(ForwardPass, MultiQueryAttentionMatchesReference) {
    TinySpec s;
    s.n_head_kv = 1;
    expect_matches_reference(s, 1e-4f, false);
    s.n_head_kv = 4;
    expect_matches_reference(s, 1e-4f, false);
}

TEST_P(ForwardPass, F16WeightsMatchReference) {
    TinySpec s;
    s.matrix_type = DType::F16;
    expect_matches_reference(s, 1e-4f, true);
}

TEST_P(ForwardPass, Q8_0WeightsMatchReference) {
    for (const char* arch : {"llama", "qwen2"}) {
        SCOPED_TRACE(arch);
        TinySpec s;
        s.arch        = arch;
        s.n_embd      = 32;  // rows must be whole 32-element blocks
        s.n_ff        = 64;
        s.matrix_type = DType::Q8_0;
        expect_matches_reference(s, 1e-4f, true);
    }
}

TEST_P(ForwardPass, Q4_0WeightsMatchReference) {
    TinySpec s;
    s.n_embd      = 32;
    s.n_ff        = 64;
    s.matrix_type = DType::Q4_0;
    expect_matches_reference(s, 1e-4f, true);
}

// With 256-wide rows, one activation rounding flip (Q8_K) between engine and reference moves logits by up to ~2%:
// end to end only closeness is checked here; forward_stages_test.cpp checks every stage of K-quant models to 1e-4.
TEST_P(ForwardPass, Q4_KWeightsStayCloseToReference) {
    TinySpec s;
    s.n_embd      = 256;  // 256-element super-blocks
    s.n_ff        = 256;
    s.n_layer     = 1;
    s.matrix_type = DType::Q4_K;
    expect_matches_reference(s, 5e-2f, true);
}

TEST_P(ForwardPass, DecodeEqualsBatchedPrefillAndRecompute) {
    for (const char* arch : {"llama", "qwen2"}) {
        SCOPED_TRACE(arch);
        TinySpec s;
        s.arch           = arch;
        const auto m     = tiny::make_tiny_model(s);
        const auto model = load_tiny(m);
        ASSERT_TRUE(model);
        const int V = model->hp.n_vocab;

        ThreadPool pool(1);
        Forward fwd(*model, 32);
        auto cache = fwd.make_cache();
        ASSERT_TRUE(cache.ok());
        std::vector<float> decoded, logits(static_cast<size_t>(V));
        for (size_t t = 0; t < kTokens.size(); ++t) {
            ASSERT_TRUE(fwd.eval(*cache, &kTokens[t], 1, int(t), logits.data(), LogitRows::Last, pool).ok());
            decoded.insert(decoded.end(), logits.begin(), logits.end());
        }
        expect_close(decoded, prefill_all(*model, kTokens), 1e-4f);
        expect_close(decoded, prefill_all(*model, kTokens, 1, 5), 1e-4f);  // prompt split into batches of 5
        expect_close(decoded, tiny::reference_logits(m, kTokens), 1e-4f);
    }
}

TEST_P(ForwardPass, LastTokenLogitsEqualLastRowOfAllLogits) {
    const auto model = load_tiny(tiny::make_tiny_model(TinySpec{}));
    ASSERT_TRUE(model);
    const int V    = model->hp.n_vocab;
    const auto all = prefill_all(*model, kTokens, 1, 4);
    ThreadPool pool(1);
    Forward fwd(*model, 32, 4);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    std::vector<float> last(static_cast<size_t>(V));
    ASSERT_TRUE(fwd.eval(*cache, kTokens.data(), int(kTokens.size()), 0, last.data(), LogitRows::Last, pool).ok());
    expect_close(last, std::vector<float>(all.end() - V, all.end()), 0.0f);
}

TEST_P(ForwardPass, RewindThenDecodeIsBitIdentical) {
    const auto model = load_tiny(tiny::make_tiny_model(TinySpec{}));
    ASSERT_TRUE(model);
    const int V = model->hp.n_vocab;
    for (DType kv : {DType::F32, DType::F16}) {
        ThreadPool pool(1);
        Forward fwd(*model, 32);
        auto cache = fwd.make_cache(kv);
        ASSERT_TRUE(cache.ok());
        std::vector<float> first(static_cast<size_t>(V)), again(static_cast<size_t>(V)), other(static_cast<size_t>(V));
        ASSERT_TRUE(fwd.eval(*cache, kTokens.data(), 6, 0, nullptr, LogitRows::None, pool).ok());
        ASSERT_TRUE(fwd.eval(*cache, &kTokens[6], 1, 6, first.data(), LogitRows::Last, pool).ok());
        ASSERT_TRUE(fwd.eval(*cache, &kTokens[7], 3, 7, nullptr, LogitRows::None, pool).ok());
        EXPECT_EQ(cache->n_pos(), 10);

        cache->truncate(6);  // rewind to before token 6, take another branch, then rewind and replay
        const int32_t branch = 3;
        ASSERT_TRUE(fwd.eval(*cache, &branch, 1, 6, other.data(), LogitRows::Last, pool).ok());
        cache->truncate(6);
        ASSERT_TRUE(fwd.eval(*cache, &kTokens[6], 1, 6, again.data(), LogitRows::Last, pool).ok());
        EXPECT_EQ(first, again);
        EXPECT_NE(first, other);
    }
}

TEST_P(ForwardPass, EvalAtAnEarlierPositionRewindsTheCache) {
    const auto model = load_tiny(tiny::make_tiny_model(TinySpec{}));
    ASSERT_TRUE(model);
    ThreadPool pool(1);
    Forward fwd(*model, 32);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    std::vector<float> a(static_cast<size_t>(model->hp.n_vocab)), b(a.size());
    ASSERT_TRUE(fwd.eval(*cache, kTokens.data(), 5, 0, a.data(), LogitRows::Last, pool).ok());
    ASSERT_TRUE(fwd.eval(*cache, kTokens.data() + 5, 4, 5, nullptr, LogitRows::None, pool).ok());
    ASSERT_TRUE(fwd.eval(*cache, kTokens.data() + 4, 1, 4, b.data(), LogitRows::Last, pool).ok());
    EXPECT_EQ(cache->n_pos(), 5);
    EXPECT_EQ(a, b);
}

TEST_P(ForwardPass, F16CacheStaysCloseToF32) {
    const auto model = load_tiny(tiny::make_tiny_model(TinySpec{}));
    ASSERT_TRUE(model);
    expect_close(prefill_all(*model, kTokens, 1, 32, DType::F16), prefill_all(*model, kTokens), 1e-2f, true);
}

TEST_P(ForwardPass, ThreadsGiveSameLogitsAtLongContext) {
    // Long enough (n_pos · n_embd >= 2^15) that attention is spread over the threads by head.
    TinySpec s;
    s.n_embd         = 32;
    s.n_ctx          = 1100;
    const auto model = load_tiny(tiny::make_tiny_model(s));
    ASSERT_TRUE(model);
    std::vector<int32_t> tokens(1090);
    for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = int32_t((i * 7 + 3) % 37);
    const auto one = prefill_all(*model, tokens, 1, 64);
    const auto two = prefill_all(*model, tokens, 2, 64);
    expect_close(std::vector<float>(two.end() - 37 * 8, two.end()), std::vector<float>(one.end() - 37 * 8, one.end()),
                 1e-5f);
}

// ---- errors ------------------------------------------------------------------------------------------------------

class ForwardErrors : public ::testing::Test {
protected:
    void SetUp() override {
        model_ = load_tiny(tiny::make_tiny_model(TinySpec{}));
        ASSERT_TRUE(model_);
        fwd_   = std::make_unique<Forward>(*model_, 8);
        auto c = fwd_->make_cache();
        ASSERT_TRUE(c.ok());
        cache_ = std::move(*c);
        logits_.resize(size_t(model_->hp.n_vocab) * 16);
    }
    Status eval(const std::vector<int32_t>& tokens, int pos0) {
        return fwd_->eval(cache_, tokens.data(), int(tokens.size()), pos0, logits_.data(), LogitRows::Last, pool_);
    }
    std::shared_ptr<const Model> model_;
    std::unique_ptr<Forward> fwd_;
    KvCache cache_;
    ThreadPool pool_{1};
    std::vector<float> logits_;
};

TEST_F(ForwardErrors, ContextOverflowIsAnErrorAndWritesNothing) {
    ASSERT_TRUE(eval({1, 2, 3, 4, 5, 6}, 0).ok());
    const Status st = eval({1, 2, 3}, 6);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Code::kInvalidArgument);
    EXPECT_NE(st.error().message.find("context overflow"), std::string::npos) << st.error().message;
    EXPECT_EQ(cache_.n_pos(), 6);
    EXPECT_TRUE(eval({1, 2}, 6).ok());  // exactly filling the context is fine
    EXPECT_FALSE(eval({1}, 8).ok());
}

TEST_F(ForwardErrors, TokenOutOfRangeIsAnError) {
    for (int32_t bad : {37, -1, 1 << 30}) {
        const Status st = eval({1, bad}, 0);
        ASSERT_FALSE(st.ok());
        EXPECT_NE(st.error().message.find(std::to_string(bad)), std::string::npos) << st.error().message;
    }
    EXPECT_EQ(cache_.n_pos(), 0);
}

TEST_F(ForwardErrors, GapAfterTheCacheIsAnError) {
    ASSERT_TRUE(eval({1, 2}, 0).ok());
    EXPECT_FALSE(eval({3}, 3).ok());
    EXPECT_FALSE(eval({3}, -1).ok());
    EXPECT_FALSE(eval({}, 2).ok());
}

TEST_F(ForwardErrors, CacheOfAnotherShapeIsAnError) {
    auto other = KvCache::create(model_->hp.n_layer, 8, model_->hp.kv_dim() + 1, DType::F32);
    ASSERT_TRUE(other.ok());
    const int32_t tok = 1;
    EXPECT_FALSE(fwd_->eval(*other, &tok, 1, 0, logits_.data(), LogitRows::Last, pool_).ok());
}

// ---- the observer --------------------------------------------------------------------------------------------------

// Records every observed tensor: (probe, layer, pos) -> a copy of the view.
struct Recorder : Observer {
    StageMask mask = StageMask::all();
    mutable std::map<int, int> asked;  // layer -> times wants() was called
    std::map<std::tuple<Stage, int, int>, std::vector<float>> seen;
    std::map<std::tuple<Stage, int, int>, std::pair<int, int>> shape;
    StageMask wants(int layer) const override {
        ++asked[layer];
        return mask;
    }
    void observe(Stage p, int layer, int pos, TensorView v) override {
        seen[{p, layer, pos}].assign(v.data, v.data + size_t(v.rows) * size_t(v.cols));
        shape[{p, layer, pos}] = {v.rows, v.cols};
    }
};

TEST_P(ForwardObserver, ProbsSumToOneAndScoresAreScaledDotsOfObservedQK) {
    const auto model = load_tiny(tiny::make_tiny_model(TinySpec{}));
    ASSERT_TRUE(model);
    const Hparams& hp = model->hp;
    ThreadPool pool(1);
    Forward fwd(*model, 32, 4);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    Recorder rec;
    std::vector<float> logits(kTokens.size() * size_t(hp.n_vocab));
    ASSERT_TRUE(fwd.eval(*cache, kTokens.data(), 7, 0, logits.data(), LogitRows::All, pool, &rec).ok());
    ASSERT_TRUE(fwd.eval(*cache, &kTokens[7], 1, 7, logits.data(), LogitRows::Last, pool, &rec).ok());

    const int hd = hp.head_dim, group = hp.n_head / hp.n_head_kv;
    for (int il = 0; il < hp.n_layer; ++il)
        for (int pos = 0; pos < 8; ++pos) {
            const auto& probs  = rec.seen.at({Stage::AttnProbs, il, pos});
            const auto& scores = rec.seen.at({Stage::AttnScores, il, pos});
            const auto& q      = rec.seen.at({Stage::Q, il, pos});
            EXPECT_EQ(rec.shape.at({Stage::AttnProbs, il, pos}), std::make_pair(hp.n_head, pos + 1));
            ASSERT_EQ(probs.size(), size_t(hp.n_head * (pos + 1)));
            for (int h = 0; h < hp.n_head; ++h) {
                double sum = 0;
                for (int j = 0; j <= pos; ++j) {
                    sum += probs[size_t(h * (pos + 1) + j)];
                    const auto& k = rec.seen.at({Stage::K, il, j});
                    double dot    = 0;
                    for (int i = 0; i < hd; ++i) dot += double(q[size_t(h * hd + i)]) * k[size_t((h / group) * hd + i)];
                    EXPECT_NEAR(scores[size_t(h * (pos + 1) + j)], dot / std::sqrt(double(hd)), 1e-5);
                }
                EXPECT_NEAR(sum, 1.0, 1e-5);
            }
        }
    // Every probe point of every layer was seen for every token, logits only for the tokens that produced them.
    for (int pos = 0; pos < 8; ++pos) {
        EXPECT_TRUE(rec.seen.count({Stage::Embed, -1, pos}));
        EXPECT_TRUE(rec.seen.count({Stage::FfnOut, 1, pos}));
        EXPECT_TRUE(rec.seen.count({Stage::Logits, -1, pos}));
    }
    // The observed logits are the returned ones.
    EXPECT_EQ(rec.seen.at({Stage::Logits, -1, 7}), std::vector<float>(logits.begin(), logits.begin() + hp.n_vocab));
    // wants() is asked once per layer per call.
    for (int il = -1; il < hp.n_layer; ++il) EXPECT_EQ(rec.asked[il], 2) << il;
}

TEST_P(ForwardObserver, NothingIsObservedUnlessAsked) {
    const auto model = load_tiny(tiny::make_tiny_model(TinySpec{}));
    ASSERT_TRUE(model);
    ThreadPool pool(1);
    Forward fwd(*model, 32);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    Recorder rec;
    rec.mask = StageMask{};
    std::vector<float> logits(static_cast<size_t>(model->hp.n_vocab));
    ASSERT_TRUE(fwd.eval(*cache, kTokens.data(), 5, 0, logits.data(), LogitRows::Last, pool, &rec).ok());
    EXPECT_TRUE(rec.seen.empty());
    rec.mask = StageMask{}.set(Stage::AttnProbs);
    ASSERT_TRUE(fwd.eval(*cache, &kTokens[5], 1, 5, logits.data(), LogitRows::Last, pool, &rec).ok());
    EXPECT_EQ(rec.seen.size(), size_t(model->hp.n_layer));
}

// An observer may edit what it sees (later: interventions). Zeroing every value row makes attention output zero.
TEST_P(ForwardObserver, EditsInPlaceReachTheComputation) {
    struct ZeroV : Observer {
        StageMask wants(int) const override { return StageMask{}.set(Stage::V).set(Stage::AttnOut); }
        void observe(Stage p, int, int, TensorView v) override {
            if (p == Stage::V) std::fill(v.data, v.data + v.rows * v.cols, 0.0f);
            if (p == Stage::AttnOut)
                for (int i = 0; i < v.cols; ++i) max_abs = std::max(max_abs, std::fabs(v.data[i]));
        }
        float max_abs = 0;
    } zero;
    const auto model = load_tiny(tiny::make_tiny_model(TinySpec{}));
    ASSERT_TRUE(model);
    ThreadPool pool(1);
    Forward fwd(*model, 32);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    ASSERT_TRUE(fwd.eval(*cache, kTokens.data(), 4, 0, nullptr, LogitRows::None, pool, &zero).ok());
    EXPECT_EQ(zero.max_abs, 0.0f);
}

}  // namespace
}  // namespace ts::core
