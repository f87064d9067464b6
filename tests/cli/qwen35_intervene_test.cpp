// Interventions on qwen35 (gated DeltaNet layers beside attention layers) on the tiny random file
// (tools' tiny_qwen35_spec: DeltaNet, DeltaNet, DeltaNet, attention), kind by kind, against hand-made expectations:
// on a linear-attention layer zero-head / scale-head / mean-head edit a value head's row of lin_norm (zeroing it is
// removing the head's columns of ssm_out) and leave the state alone, skip-attn zeroes lin_out while the state still
// updates, no-scale / no-rope / no-mask are refused naming the layer's kind; on the attention layer zero-head acts on
// the gated row (attn_gate), the one wo mixes. Recompute: an intervened run rebuilt from a state checkpoint (a
// replay, a rewind, a list change from position P) equals a fresh intervened run bit for bit. The head atlas marks
// the linear-attention layers (no attention pattern) instead of scoring zeros.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <tuple>

#include "core/model/forward.hpp"
#include "core/model/intervention.hpp"
#include "core/model/model.hpp"
#include "core/session/session.hpp"
#include "core/trace/atlas_cache.hpp"
#include "core/trace/head_atlas.hpp"
#include "tests/cli/random_file.hpp"
#include "tests/core/model/stage_recorder.hpp"
#include "tools/random_model.hpp"

namespace ts::core {
namespace {

using Keep = testing::StageRecorder;

std::shared_ptr<const Model> tiny() {
    static const std::shared_ptr<const Model> m =
        testing::load_random_model(ts::tools::tiny_qwen35_spec(DType::F32), "q35iv");
    return m;
}

std::vector<int32_t> tokens(int n) {
    return testing::cycling_prompt(n);
}

Intervention spec(const char* text) {
    auto r = parse_intervention(text, tiny()->hp);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : Intervention{};
}

struct Run {
    std::vector<float> logits;  // [n][n_vocab]
    Keep keep;
};

// 12 tokens in one batch through `list`, every stage kept.
std::unique_ptr<Run> run(std::vector<Intervention> list, int n = 12) {
    const Model& m = *tiny();
    auto r         = std::make_unique<Run>();
    ThreadPool pool(2);
    Forward fwd(m, 256);
    auto cache = fwd.make_cache();
    EXPECT_TRUE(cache.ok());
    r->logits.assign(size_t(n) * size_t(m.hp.n_vocab), 0.0f);
    Intervener iv(m.hp, std::move(list), &r->keep);
    const auto ids = tokens(n);
    EXPECT_TRUE(fwd.eval(*cache, ids.data(), n, 0, r->logits.data(), LogitRows::All, pool, &iv).ok());
    return r;
}

// W · x restricted to the columns [c0, c1) of an F32 matrix of `rows` rows of `cols`.
std::vector<float> columns_times(const Tensor& w, int rows, int cols, int c0, int c1, const std::vector<float>& x) {
    const float* W = w.f32();
    std::vector<float> y(size_t(rows), 0.0f);
    for (int i = 0; i < rows; ++i)
        for (int j = c0; j < c1; ++j) y[size_t(i)] += W[size_t(i) * size_t(cols) + size_t(j)] * x[size_t(j)];
    return y;
}

TEST(Qwen35Intervene, KindsThatHaveNoMeaningOnARecurrentLayerAreRefusedNamingIt) {
    const Hparams& hp = tiny()->hp;
    ASSERT_TRUE(hp.is_recurrent(0) && !hp.is_recurrent(3));
    for (const char* text : {"no-scale:0", "no-rope:1", "no-mask:2"}) {
        auto r = parse_intervention(text, hp);
        ASSERT_FALSE(r.ok()) << text;
        EXPECT_NE(r.error().message.find("linear attention"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("the attention layers are 3"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().message;
    }
    for (const char* text : {"no-scale:3", "no-rope:3", "no-mask:3", "zero-head:0.3", "zero-head:3.3", "skip-attn:0",
                             "skip-mlp:1", "mean-head:2.0", "scale-head:1.2:0.5"})
        EXPECT_TRUE(parse_intervention(text, hp).ok()) << text;
    // The recurrent layers' heads are the value heads (ssm_dt_rank = 4 here).
    auto bad = parse_intervention("zero-head:0.4", hp);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("value heads 0 .. 3"), std::string::npos) << bad.error().message;
    EXPECT_EQ(intervention_refusal(InterventionKind::NoRope, hp, 3), "");
    EXPECT_NE(intervention_refusal(InterventionKind::NoMask, hp, 0), "");
    EXPECT_EQ(intervention_stage(InterventionKind::ZeroHead, hp, 0), Stage::LinNorm);
    EXPECT_EQ(intervention_stage(InterventionKind::ZeroHead, hp, 3), Stage::AttnGate);
    EXPECT_EQ(intervention_stage(InterventionKind::SkipAttn, hp, 0), Stage::LinOut);
    EXPECT_EQ(intervention_stage(InterventionKind::SkipAttn, hp, 3), Stage::AttnProj);
}

// zero-head on a DeltaNet layer: the value head's row of lin_norm is zero, the other rows and the state are as in
// the clean run, and lin_out lost exactly ssm_out's columns of that head times the clean row.
TEST(Qwen35Intervene, ZeroHeadOnARecurrentLayerRemovesItsColumnsOfSsmOut) {
    const Model& m    = *tiny();
    const Hparams& hp = m.hp;
    const int D = hp.ssm_head_v(), E = hp.n_embd, DI = hp.ssm_d_inner, h = 1, L = 1;
    const auto clean = run({});
    const auto cut   = run({spec("zero-head:1.1")});
    for (int p = 0; p < 12; ++p) {
        SCOPED_TRACE(p);
        const auto& row_c = clean->keep.at(Stage::LinNorm, L, p);
        const auto& row_z = cut->keep.at(Stage::LinNorm, L, p);
        for (int j = 0; j < DI; ++j)
            if (j / D == h)
                ASSERT_EQ(row_z[size_t(j)], 0.0f);
            else
                ASSERT_EQ(row_z[size_t(j)], row_c[size_t(j)]);
        EXPECT_EQ(cut->keep.at(Stage::LinStateNorm, L, p), clean->keep.at(Stage::LinStateNorm, L, p));
        const auto lost = columns_times(m.w.layers[size_t(L)].ssm_out, E, DI, h * D, (h + 1) * D, row_c);
        const auto& o_c = clean->keep.at(Stage::LinOut, L, p);
        const auto& o_z = cut->keep.at(Stage::LinOut, L, p);
        for (int i = 0; i < E; ++i) ASSERT_NEAR(o_c[size_t(i)] - o_z[size_t(i)], lost[size_t(i)], 1e-4f) << i;
    }
    EXPECT_NE(clean->logits, cut->logits);
}

// zero-head on the attention layer: the gated row (attn_gate, q's gate applied) of the head is zero and wo lost its
// columns of that head times the clean gated row; attn_out (before the gate) is the clean one.
TEST(Qwen35Intervene, ZeroHeadOnTheGatedAttentionLayerActsOnTheRowWoMixes) {
    const Model& m    = *tiny();
    const Hparams& hp = m.hp;
    const int hd = hp.head_dim, E = hp.n_embd, Q = hp.q_dim(), h = 2, L = 3;
    const auto clean = run({});
    const auto cut   = run({spec("zero-head:3.2")});
    for (int p = 0; p < 12; ++p) {
        SCOPED_TRACE(p);
        EXPECT_EQ(cut->keep.at(Stage::AttnOut, L, p), clean->keep.at(Stage::AttnOut, L, p));
        const auto& g_c = clean->keep.at(Stage::AttnGate, L, p);
        const auto& g_z = cut->keep.at(Stage::AttnGate, L, p);
        for (int j = 0; j < Q; ++j) ASSERT_EQ(g_z[size_t(j)], j / hd == h ? 0.0f : g_c[size_t(j)]);
        const auto lost = columns_times(m.w.layers[size_t(L)].wo, E, Q, h * hd, (h + 1) * hd, g_c);
        const auto& o_c = clean->keep.at(Stage::AttnProj, L, p);
        const auto& o_z = cut->keep.at(Stage::AttnProj, L, p);
        for (int i = 0; i < E; ++i) ASSERT_NEAR(o_c[size_t(i)] - o_z[size_t(i)], lost[size_t(i)], 1e-4f) << i;
    }
}

// scale-head multiplies the row; mean-head replaces it by the mean of the rows the head computed so far (the layer's
// own rows are those of the clean run: its edit reaches only later layers).
TEST(Qwen35Intervene, ScaleAndMeanHeadOnARecurrentLayer) {
    const int D = tiny()->hp.ssm_head_v(), h = 3, L = 2;
    const auto clean  = run({});
    const auto scaled = run({spec("scale-head:2.3:0.25")});
    const auto mean   = run({spec("mean-head:2.3@4")});
    for (int p = 0; p < 12; ++p) {
        SCOPED_TRACE(p);
        const auto& c = clean->keep.at(Stage::LinNorm, L, p);
        const auto& s = scaled->keep.at(Stage::LinNorm, L, p);
        const auto& a = mean->keep.at(Stage::LinNorm, L, p);
        for (int i = 0; i < D; ++i) {
            const size_t j = size_t(h * D + i);
            ASSERT_EQ(s[j], c[j] * 0.25f);
            double sum = 0;
            for (int q = 0; q <= p; ++q) sum += double(clean->keep.at(Stage::LinNorm, L, q)[j]);
            ASSERT_NEAR(a[j], p < 4 ? c[j] : float(sum / double(p + 1)), 1e-6f);
        }
    }
}

// skip-attn on a DeltaNet layer: lin_out is zero, the residual passes through, the state still updates.
TEST(Qwen35Intervene, SkipAttnOnARecurrentLayerAddsNothingAndTheStateStillUpdates) {
    const auto clean = run({});
    const auto skip  = run({spec("skip-attn:2")});
    for (int p = 0; p < 12; ++p) {
        SCOPED_TRACE(p);
        for (float x : skip->keep.at(Stage::LinOut, 2, p)) ASSERT_EQ(x, 0.0f);
        EXPECT_EQ(skip->keep.at(Stage::ResidAttn, 2, p), skip->keep.at(Stage::ResidFfn, 1, p));
        EXPECT_EQ(skip->keep.at(Stage::LinStateNorm, 2, p), clean->keep.at(Stage::LinStateNorm, 2, p));
        for (float x : skip->keep.at(Stage::FfnOut, 2, p)) (void)x;
    }
    const auto mlp = run({spec("skip-mlp:0")});
    for (float x : mlp->keep.at(Stage::FfnOut, 0, 5)) ASSERT_EQ(x, 0.0f);
    // no-rope on the attention layer: the queries stay as normed (q = q_norm).
    const auto nr = run({spec("no-rope:3")});
    EXPECT_EQ(nr->keep.at(Stage::Q, 3, 7), nr->keep.at(Stage::QNorm, 3, 7));
    EXPECT_NE(nr->logits, clean->logits);
}

// A replay rebuilds the state from the checkpoint at 64 through the interventions: the logits of position 80 equal
// the intervened run's, bit for bit.
TEST(Qwen35Intervene, AReplayRecomputesTheStateThroughTheInterventions) {
    const Model& m = *tiny();
    const int n = 100, V = m.hp.n_vocab;
    const auto ids = tokens(n);
    ThreadPool pool(2);
    Forward fwd(m, 256);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    Intervener iv(m.hp, {spec("skip-mlp:1"), spec("zero-head:0.2")});
    std::vector<float> all(size_t(n) * size_t(V)), one(static_cast<size_t>(V));
    ASSERT_TRUE(fwd.eval(*cache, ids.data(), n, 0, all.data(), LogitRows::All, pool, &iv).ok());
    for (int pos : {80, 70, 99}) {
        ASSERT_TRUE(fwd.replay(*cache, ids[size_t(pos)], pos, one.data(), pool, &iv).ok());
        for (int i = 0; i < V; ++i) ASSERT_EQ(one[size_t(i)], all[size_t(pos) * size_t(V) + size_t(i)]) << pos;
    }
}

SessionOptions session_options() {
    SessionOptions o;
    o.n_ctx = 256;
    return o;
}

// A session of an 80-token prompt (the state checkpoint at 64 inside it) and 20 generated tokens, with `list` set
// first; or, with `tokens_from`, the same tokens appended as recorded.
std::unique_ptr<Session> session(std::vector<Intervention> list, const Session* tokens_from = nullptr) {
    auto s = Session::create(tiny(), session_options());
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE((*s)->set_interventions(std::move(list)).ok());
    EXPECT_TRUE((*s)->set_prompt_ids(tokens(80)).ok());
    EXPECT_TRUE((*s)->prefill().ok());
    if (tokens_from) {
        const auto all = tokens_from->tokens();
        for (size_t p = 80; p < all.size(); ++p) EXPECT_TRUE((*s)->append_recorded(all[p], TokenSource::Sampled).ok());
    } else {
        for (int i = 0; i < 20; ++i) EXPECT_TRUE((*s)->step().ok());
    }
    return std::move(*s);
}

// set_interventions from position P re-evaluates from P: the state is restored from the checkpoint at 64 and the
// positions 64 .. P - 1 recomputed through the interventions that held there; the logits then equal a fresh
// session's with the new list from the start, bit for bit. The same for a rewind.
TEST(Qwen35Intervene, AListChangeFromPEqualsAFreshRunWithTheListBitForBit) {
    const std::vector<Intervention> before = {spec("skip-mlp:1")};
    const std::vector<Intervention> after = {spec("skip-mlp:1"), spec("zero-head:0.1@70"), spec("scale-head:3.1:3@90")};
    auto a                                = session(before);
    const auto toks                       = a->tokens();
    ASSERT_EQ(toks.size(), size_t(100));
    ASSERT_TRUE(a->set_interventions(after).ok());
    EXPECT_EQ(a->tokens(), toks);
    auto b = session(after, a.get());
    ASSERT_EQ(b->tokens(), toks);
    ASSERT_TRUE(a->logits() && b->logits());
    EXPECT_EQ(*a->logits(), *b->logits());

    // Rewind to 75 (the checkpoint at 64 restored, 64 .. 74 recomputed) and append the same tokens again.
    const auto last = *b->logits();
    ASSERT_TRUE(b->rewind(25).ok());
    for (size_t p = 75; p < toks.size(); ++p) ASSERT_TRUE(b->append_recorded(toks[p], TokenSource::Sampled).ok());
    EXPECT_EQ(*b->logits(), last);

    // And the clean run the diff compares with is the run without interventions.
    auto clean = session({}, a.get());
    auto cl    = a->clean_logits();
    ASSERT_TRUE(cl.ok() && *cl);
    EXPECT_EQ(**cl, *clean->logits());
}

// A batch of 128 still ends at the state checkpoint at 64: a prompt of 80 is not one batch.
TEST(Qwen35Intervene, NoMaskOnTheAttentionLayerNeedsThePromptBeforeTheFirstCheckpoint) {
    SessionOptions o = session_options();
    o.n_batch        = 128;
    auto s           = Session::create(tiny(), o);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->set_prompt_ids(tokens(80)).ok());
    auto st = (*s)->set_interventions({spec("no-mask:3")});
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("one forward batch"), std::string::npos) << st.error().message;
    ASSERT_TRUE((*s)->set_prompt_ids(tokens(20)).ok());
    ASSERT_TRUE((*s)->set_interventions({spec("no-mask:3")}).ok());
    ASSERT_TRUE((*s)->prefill().ok());
    EXPECT_TRUE((*s)->logits() != nullptr);
}

// The head atlas: the DeltaNet layers are marked linear (tag "linear attention", zero scores), the attention layer
// is scored from its real attention rows; the cache keeps the marks; a linear layer's probe heatmap is refused.
TEST(Qwen35Intervene, TheHeadAtlasMarksTheLinearAttentionLayers) {
    const Model& m = *tiny();
    ThreadPool pool(2);
    AtlasOptions opt;
    opt.half = 12;
    auto a   = build_head_atlas(m, pool, opt);
    ASSERT_TRUE(a.ok()) << a.error().message;
    for (int l = 0; l < 4; ++l) {
        SCOPED_TRACE(l);
        EXPECT_EQ(a->is_linear(l), m.hp.is_recurrent(l));
        for (int h = 0; h < a->n_head; ++h) {
            const HeadScores& s = a->at(l, h);
            EXPECT_EQ(s.layer, l);
            EXPECT_EQ(s.head, h);
            if (a->is_linear(l)) {
                EXPECT_EQ(s.tag, kLinearAttentionTag);
                EXPECT_EQ(s.entropy_bits, 0.0f);
                EXPECT_EQ(s.window, 0.0f);
            } else {
                EXPECT_NE(s.tag, kLinearAttentionTag);
                EXPECT_GT(s.entropy_bits, 0.0f);  // attention rows that sum to 1 over several keys
            }
        }
    }
    auto refused = probe_attention(m, a->probe, 0, 0, pool);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("linear attention"), std::string::npos) << refused.error().message;
    EXPECT_TRUE(probe_attention(m, a->probe, 3, 1, pool).ok());

    const std::string dir =
        (std::filesystem::temp_directory_path() / ("ts_q35atlas" + std::to_string(getpid()))).string();
    std::filesystem::create_directories(dir);
    const std::string key  = atlas_cache_key(m, opt);
    const std::string file = atlas_cache_path(dir, key);
    ASSERT_TRUE(save_atlas(file, key, *a).ok());
    auto back = load_atlas(file, key, m.hp);
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->linear, a->linear);
    EXPECT_EQ(back->at(1, 2).tag, kLinearAttentionTag);
    EXPECT_EQ(back->at(3, 2).tag, a->at(3, 2).tag);
}

}  // namespace
}  // namespace ts::core
