// The recorder and the derived numbers against what the forward pass itself computed: an observer that sees the
// forward pass's own score and probability rows sits beside the recorder, and every derived row must equal them.
#include "core/trace/derive.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <tuple>

#include "core/model/forward.hpp"
#include "core/tensor/ops.hpp"
#include "core/trace/recorder.hpp"
#include "tests/core/model/tiny_model.hpp"

namespace ts::core {
namespace {

const std::vector<int32_t> kTokens = {1, 5, 36, 0, 17, 17, 2, 30, 11, 8, 17, 5};

// Passes every probe to the recorder and keeps copies of what the forward pass used for attention and logits.
class Tee final : public Observer {
public:
    explicit Tee(TraceRecorder& rec) : rec_(rec) {}
    StageMask wants(int layer) const override {
        StageMask m = rec_.wants(layer);
        if (layer < 0) m.set(Stage::Rope).set(Stage::RopeLocal);
        return m.set(Stage::AttnScores)
            .set(Stage::AttnSoftcap)
            .set(Stage::AttnProbs)
            .set(Stage::ResidFfn)
            .set(Stage::Q)
            .set(Stage::Logits);
    }
    void observe(Stage p, int layer, int pos, TensorView v) override {
        if (rec_.wants(layer).has(p)) rec_.observe(p, layer, pos, v);
        seen[{p, layer, pos}] = std::vector<float>(v.data, v.data + size_t(v.rows) * size_t(v.cols));
        cols[{p, layer, pos}] = v.cols;
    }
    std::map<std::tuple<Stage, int, int>, std::vector<float>> seen;
    std::map<std::tuple<Stage, int, int>, int> cols;

private:
    TraceRecorder& rec_;
};

struct Traced {
    std::shared_ptr<const Model> model;
    std::unique_ptr<KvCache> cache;
    std::vector<StepTracePtr> steps;
    std::unique_ptr<Tee> tee;
    std::unique_ptr<TraceRecorder> rec;
    std::vector<float> last_logits;
};

// Prefills the first n_prompt tokens in batches of 4, then decodes the rest one at a time, recording everything.
Traced run_traced(const tiny::TinySpec& spec, int n_prompt, RecordOptions ro = {}) {
    Traced t;
    const auto m           = tiny::make_tiny_model(spec);
    const std::string path = tiny::temp_path("model.gguf");
    EXPECT_TRUE(tiny::gguf_writer_for(m).write(path).ok());
    auto loaded = load_model(path);
    EXPECT_TRUE(loaded.ok());
    t.model = *loaded;
    ThreadPool pool(2);
    Forward fwd(*t.model, 32, 4);
    auto cache = fwd.make_cache();
    t.cache    = std::make_unique<KvCache>(std::move(*cache));
    t.rec      = std::make_unique<TraceRecorder>(t.model->hp, ro);
    t.tee      = std::make_unique<Tee>(*t.rec);
    t.last_logits.resize(size_t(t.model->hp.n_vocab));
    EXPECT_TRUE(
        fwd.eval(*t.cache, kTokens.data(), n_prompt, 0, t.last_logits.data(), LogitRows::Last, pool, t.tee.get()).ok());
    for (int p = n_prompt; p < int(kTokens.size()); ++p)
        EXPECT_TRUE(
            fwd.eval(*t.cache, &kTokens[size_t(p)], 1, p, t.last_logits.data(), LogitRows::Last, pool, t.tee.get())
                .ok());
    for (int p = 0; p < int(kTokens.size()); ++p) {
        auto st           = std::make_shared<StepTrace>();
        PositionCapture c = t.rec->take(p);
        st->pos           = p;
        st->token         = kTokens[size_t(p)];
        st->layers        = std::move(c.layers);
        st->record        = std::move(c.record);
        t.steps.push_back(std::move(st));
    }
    return t;
}

TEST(Derive, AttentionRowsEqualTheWeightsTheForwardPassUsed) {
    tiny::TinySpec spec;  // 4 query heads over 2 KV heads: grouped-query attention
    Traced t = run_traced(spec, 7);
    const derive::TraceView tv{*t.model, *t.cache, t.steps};
    for (int l = 0; l < spec.n_layer; ++l)
        for (int h = 0; h < spec.n_head; ++h)
            for (int p = 0; p < int(kTokens.size()); ++p) {
                auto row = derive::attention_row(tv, l, h, p);
                ASSERT_TRUE(row.ok()) << row.error().message;
                const auto& probs  = t.tee->seen.at({Stage::AttnProbs, l, p});
                const auto& scores = t.tee->seen.at({Stage::AttnScores, l, p});
                const int stride   = t.tee->cols.at({Stage::AttnProbs, l, p});
                ASSERT_EQ(stride, p + 1);
                for (int j = 0; j <= p; ++j) {
                    EXPECT_NEAR(row->probs[size_t(j)], probs[size_t(h * stride + j)], 1e-6f)
                        << l << " " << h << " " << p;
                    EXPECT_NEAR(row->scores[size_t(j)], scores[size_t(h * stride + j)], 1e-6f);
                }
            }
}

TEST(Derive, SoftCappedRowsKeepTheRawScoresBeside) {
    tiny::TinySpec spec;
    spec.arch       = "gemma2";  // attention soft-cap, as forward_stages_test writes it
    spec.key_length = 8;
    spec.n_swa      = 3;
    spec.tied       = true;
    Traced t        = run_traced(spec, 7);
    ASSERT_GT(t.model->hp.attn_softcap, 0.0f);
    const derive::TraceView tv{*t.model, *t.cache, t.steps};
    int n_changed = 0;
    for (int l = 0; l < spec.n_layer; ++l)
        for (int p = 0; p < int(kTokens.size()); ++p) {
            auto row = derive::attention_row(tv, l, 1, p);
            ASSERT_TRUE(row.ok()) << row.error().message;
            ASSERT_EQ(row->raw_scores.size(), row->scores.size());
            EXPECT_FLOAT_EQ(row->scale, 1.0f / std::sqrt(float(t.model->hp.head_dim)));  // no query_pre_attn_scalar
            const auto& raw    = t.tee->seen.at({Stage::AttnScores, l, p});
            const auto& capped = t.tee->seen.at({Stage::AttnSoftcap, l, p});
            const int stride   = t.tee->cols.at({Stage::AttnScores, l, p});
            for (int j = 0; j <= p; ++j) {
                if (std::isinf(raw[size_t(stride + j)])) continue;  // outside the window
                EXPECT_NEAR(row->raw_scores[size_t(j)], raw[size_t(stride + j)], 1e-5f) << l << " " << p << " " << j;
                EXPECT_NEAR(row->scores[size_t(j)], capped[size_t(stride + j)], 1e-5f);
                n_changed += row->raw_scores[size_t(j)] != row->scores[size_t(j)];
            }
        }
    EXPECT_GT(n_changed, 0);  // the cap changed scores
    // Without a cap the row has no raw copy: its scores are the raw ones.
    Traced plain = run_traced(tiny::TinySpec{}, 7);
    const derive::TraceView tv2{*plain.model, *plain.cache, plain.steps};
    auto row = derive::attention_row(tv2, 0, 0, 5);
    ASSERT_TRUE(row.ok());
    EXPECT_TRUE(row->raw_scores.empty());
}

TEST(Derive, RopeAnglesOfTheLocalLayersUseTheirOwnBase) {
    tiny::TinySpec spec;
    spec.arch         = "gemma3";  // 5 local layers : 1 global, the local ones with base 10000
    spec.n_layer      = 6;
    spec.key_length   = 8;
    spec.n_swa        = 3;
    spec.rope_base    = 1000000.0f;  // the global layers'
    Traced t          = run_traced(spec, 7);
    const Hparams& hp = t.model->hp;
    ASSERT_NE(hp.rope_freq_base, hp.rope_freq_base_swa);
    const int pos = 5;
    for (const bool local : {false, true}) {
        const std::vector<float> th = derive::rope_thetas_at(hp, pos, local);
        const auto& seen            = t.tee->seen.at({local ? Stage::RopeLocal : Stage::Rope, -1, pos});
        ASSERT_EQ(seen.size(), 2 * th.size());
        for (size_t i = 0; i < th.size(); ++i) EXPECT_NEAR(std::cos(th[i]), seen[i], 1e-6f) << local << " " << i;
    }
    EXPECT_NE(derive::rope_thetas_at(hp, pos, true).back(), derive::rope_thetas_at(hp, pos, false).back());
}

TEST(Derive, RowsSumToOneAndMaskedEntriesAreZero) {
    Traced t = run_traced(tiny::TinySpec{}, 5);
    const derive::TraceView tv{*t.model, *t.cache, t.steps};
    const int T = tv.n_pos();
    for (int p = 0; p < T; ++p) {
        auto row = derive::attention_row(tv, 1, 3, p);
        ASSERT_TRUE(row.ok());
        ASSERT_EQ(row->n, T);
        double sum = 0;
        for (int j = 0; j < T; ++j) {
            if (j <= p) {
                sum += row->probs[size_t(j)];
                EXPECT_TRUE(std::isfinite(row->scores[size_t(j)]));
            } else {
                EXPECT_EQ(row->probs[size_t(j)], 0.0f);
                EXPECT_TRUE(std::isinf(row->scores[size_t(j)]) && row->scores[size_t(j)] < 0);
            }
        }
        EXPECT_NEAR(sum, 1.0, 1e-6);
    }
}

TEST(Derive, MatrixRowsAreTheRows) {
    Traced t = run_traced(tiny::TinySpec{}, 6);
    const derive::TraceView tv{*t.model, *t.cache, t.steps};
    auto m = derive::attention_matrix(tv, 0, 2);
    ASSERT_TRUE(m.ok());
    const int T = m->n;
    for (int i = 0; i < T; ++i) {
        auto row = derive::attention_row(tv, 0, 2, i);
        ASSERT_TRUE(row.ok());
        for (int j = 0; j < T; ++j) EXPECT_EQ(m->probs[size_t(i * T + j)], row->probs[size_t(j)]);
    }
}

TEST(Derive, HeadSummaryIsTheMeanAndMaxOverHeads) {
    tiny::TinySpec spec;
    Traced t = run_traced(spec, 6);
    const derive::TraceView tv{*t.model, *t.cache, t.steps};
    auto s = derive::head_summary(tv, 1);
    ASSERT_TRUE(s.ok());
    const int T = s->n;
    std::vector<derive::AttnMatrix> heads;
    for (int h = 0; h < spec.n_head; ++h) heads.push_back(*derive::attention_matrix(tv, 1, h));
    for (int k = 0; k < T * T; ++k) {
        float mean = 0, max = 0;
        for (const auto& m : heads) {
            mean += m.probs[size_t(k)];
            max = std::max(max, m.probs[size_t(k)]);
        }
        EXPECT_NEAR(s->mean[size_t(k)], mean / float(spec.n_head), 1e-6f);
        EXPECT_EQ(s->max[size_t(k)], max);
    }
    for (float e : s->entropy) EXPECT_GE(e, 0.0f);
}

TEST(Derive, LogitLensOfTheLastLayerIsTheModelsOwnLogits) {
    Traced t = run_traced(tiny::TinySpec{}, 5);
    const derive::TraceView tv{*t.model, *t.cache, t.steps};
    ThreadPool pool(2);
    const int last = tv.n_pos() - 1;
    auto lens      = derive::logit_lens(tv, last, 10, pool);
    ASSERT_TRUE(lens.ok()) << lens.error().message;
    // The embedding (layer -1) first, then one row after each layer.
    ASSERT_EQ(int(lens->size()), t.model->hp.n_layer + 1);
    EXPECT_EQ(lens->front().layer, -1);
    for (int l = 0; l < t.model->hp.n_layer; ++l) EXPECT_EQ((*lens)[size_t(l) + 1].layer, l);
    const auto want = sample::top_candidates(t.last_logits, 10);
    const auto& got = lens->back().top;
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].id, want[i].id);
        EXPECT_EQ(got[i].logit, want[i].logit);  // same norm, same matvec: bit for bit
    }
}

TEST(Recorder, KeepsQueriesResidualAndNorms) {
    Traced t = run_traced(tiny::TinySpec{}, 4);
    for (int p = 0; p < int(kTokens.size()); ++p) {
        const StepTrace& st = *t.steps[size_t(p)];
        ASSERT_TRUE(st.record);
        for (int l = 0; l < t.model->hp.n_layer; ++l) {
            const auto& q = t.tee->seen.at({Stage::Q, l, p});
            for (size_t i = 0; i < q.size(); ++i) EXPECT_EQ(st.record->q_layer(l)[i], q[i]);
            const auto& x = t.tee->seen.at({Stage::ResidFfn, l, p});
            std::vector<float> got(x.size());
            st.record->load_resid(l, got.data());
            EXPECT_EQ(got, x);
            double ss = 0;
            for (float v : x) ss += double(v) * v;
            EXPECT_NEAR(st.layers[size_t(l)].resid_norm_ffn, std::sqrt(ss), 1e-4 * std::sqrt(ss));
            EXPECT_GT(st.layers[size_t(l)].resid_norm_attn, 0.0f);
        }
    }
}

TEST(Recorder, F16ResidualIsTheRoundedStream) {
    Traced t      = run_traced(tiny::TinySpec{}, 4, RecordOptions{true, DType::F16});
    const auto& x = t.tee->seen.at({Stage::ResidFfn, 1, 3});
    std::vector<float> got(x.size());
    t.steps[3]->record->load_resid(1, got.data());
    for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(got[i], x[i], 1e-3f * std::max(1.0f, std::fabs(x[i])));
    EXPECT_EQ(t.steps[3]->record->bytes(), record_bytes_per_position(t.model->hp, DType::F16));
}

TEST(Recorder, NormsOnlyWhenRecordsAreOff) {
    Traced t = run_traced(tiny::TinySpec{}, 4, RecordOptions{false, DType::F32});
    EXPECT_FALSE(t.steps[2]->record);
    EXPECT_GT(t.steps[2]->layers[0].resid_norm_ffn, 0.0f);
    const derive::TraceView tv{*t.model, *t.cache, t.steps};
    auto row = derive::attention_row(tv, 0, 0, 2);
    ASSERT_FALSE(row.ok());
    EXPECT_NE(row.error().message.find("position 2 has no recorded queries"), std::string::npos);
}

TEST(Derive, RejectsLayersHeadsAndPositionsOutOfRange) {
    Traced t = run_traced(tiny::TinySpec{}, 4);
    const derive::TraceView tv{*t.model, *t.cache, t.steps};
    EXPECT_NE(derive::attention_row(tv, 2, 0, 0).error().message.find("layer 2 is outside [0, 2)"), std::string::npos);
    EXPECT_NE(derive::attention_row(tv, 0, 4, 0).error().message.find("head 4"), std::string::npos);
    EXPECT_NE(derive::attention_row(tv, 0, 0, 12).error().message.find("position 12 is outside [0, 12)"),
              std::string::npos);
}

TEST(Recorder, BytesPerPositionOfRealShapes) {
    Hparams tl;  // TinyLlama-1.1B: 22 layers, 2048 wide, 32 heads of 64
    tl.n_layer  = 22;
    tl.n_embd   = 2048;
    tl.n_head   = 32;
    tl.head_dim = 64;
    EXPECT_EQ(record_bytes_per_position(tl), 22u * (2048 * 4 + 2048 * 4));  // 360448 B = 352 KiB
    EXPECT_EQ(record_bytes_per_position(tl, DType::F16), 22u * (2048 * 4 + 2048 * 2));
}

}  // namespace
}  // namespace ts::core
