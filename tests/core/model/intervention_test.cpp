// Interventions at the forward pass's stages against hand-made expectations on the tiny model: zeroing a head is
// removing its columns of wo, skipping a block leaves the residual as it was, no-scale is softmax(q·k), no-rope keeps
// the projections unrotated (in the cache too), steering adds α·v after the layer, positions before from_pos are
// untouched; with no intervention the logits are bit-identical to a run without the Intervener. Specs parse, and bad
// ones are errors naming the spec.
#include "core/model/intervention.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <tuple>

#include "core/model/forward.hpp"
#include "tests/core/model/stage_recorder.hpp"
#include "tests/core/model/tiny_model.hpp"

namespace ts::core {
namespace {

using tiny::TinySpec;

const std::vector<int32_t> kTokens = {1, 5, 36, 0, 17, 17, 2, 30, 11};

using Keep = testing::StageRecorder;

struct Run {
    std::vector<float> logits;  // [n][n_vocab]
    Keep keep;
};

std::shared_ptr<const Model> load(const tiny::TinyModel& m, const char* name) {
    const std::string path = tiny::temp_path(name);
    EXPECT_TRUE(tiny::gguf_writer_for(m).write(path).ok());
    auto r = load_model(path);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : nullptr;
}

// Prefill 5 tokens in one batch, then the rest one at a time, through `iv` (or no observer).
std::unique_ptr<Run> run(const Model& model, std::vector<Intervention> list, bool with_intervener = true) {
    auto r = std::make_unique<Run>();
    ThreadPool pool(2);
    Forward fwd(model, 16, 8);
    auto cache = fwd.make_cache();
    EXPECT_TRUE(cache.ok());
    const int n = int(kTokens.size()), V = model.hp.n_vocab;
    r->logits.assign(size_t(n) * size_t(V), 0.0f);
    Intervener iv(model.hp, std::move(list), &r->keep);
    Observer* obs = with_intervener ? static_cast<Observer*>(&iv) : nullptr;
    EXPECT_TRUE(fwd.eval(*cache, kTokens.data(), 5, 0, r->logits.data(), LogitRows::All, pool, obs).ok());
    for (int p = 5; p < n; ++p)
        EXPECT_TRUE(fwd.eval(*cache, &kTokens[size_t(p)], 1, p, r->logits.data() + size_t(p) * size_t(V),
                             LogitRows::Last, pool, obs)
                        .ok());
    return r;
}

Intervention spec(const Model& m, const char* text) {
    auto r = parse_intervention(text, m.hp);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : Intervention{};
}

TEST(Intervention, NoneLeavesTheLogitsBitIdentical) {
    const auto model = load(tiny::make_tiny_model(TinySpec{}), "iv_none.gguf");
    const auto plain = run(*model, {}, false);
    const auto empty = run(*model, {});
    EXPECT_EQ(plain->logits, empty->logits);
    Intervention off = spec(*model, "skip-mlp:0");
    off.enabled      = false;
    EXPECT_EQ(plain->logits, run(*model, {off})->logits);
}

TEST(Intervention, ZeroingAHeadIsRemovingItsColumnsOfWo) {
    TinySpec s;
    const auto m     = tiny::make_tiny_model(s);
    const auto model = load(m, "iv_head.gguf");
    auto cut         = m;
    const int L = 1, H = 2, hd = s.head_dim();
    tiny::TinyTensor& wo = cut.tensors.at("blk." + std::to_string(L) + ".attn_output.weight");
    ASSERT_EQ(wo.type, DType::F32);
    for (int64_t r = 0; r < wo.ne[1]; ++r)
        for (int i = H * hd; i < (H + 1) * hd; ++i) {
            const size_t at = size_t(r) * size_t(wo.ne[0]) + size_t(i);
            wo.ref[at]      = 0.0f;
            std::memset(wo.bytes.data() + at * 4, 0, 4);
        }
    const auto model_cut = load(cut, "iv_head_cut.gguf");
    const auto zeroed    = run(*model, {spec(*model, "zero-head:1.2")});
    const auto removed   = run(*model_cut, {}, false);
    ASSERT_EQ(zeroed->logits.size(), removed->logits.size());
    for (size_t i = 0; i < zeroed->logits.size(); ++i) ASSERT_NEAR(zeroed->logits[i], removed->logits[i], 1e-6f) << i;
    // and it changed something
    EXPECT_NE(zeroed->logits, run(*model, {}, false)->logits);
    // scale-head by 0 is the same as zero-head
    EXPECT_EQ(run(*model, {spec(*model, "scale-head:1.2:0")})->logits, zeroed->logits);
}

TEST(Intervention, SkippingABlockLeavesTheResidualAsItWas) {
    const auto model = load(tiny::make_tiny_model(TinySpec{}), "iv_skip.gguf");
    const auto a     = run(*model, {spec(*model, "skip-attn:1"), spec(*model, "skip-mlp:0")});
    for (int p = 0; p < int(kTokens.size()); ++p) {
        EXPECT_EQ(a->keep.at(Stage::ResidFfn, 0, p), a->keep.at(Stage::ResidAttn, 0, p)) << p;
        EXPECT_EQ(a->keep.at(Stage::ResidAttn, 1, p), a->keep.at(Stage::ResidFfn, 0, p)) << p;
    }
}

TEST(Intervention, NoScaleIsTheSoftmaxOfTheRawDotProducts) {
    TinySpec s;
    const auto model = load(tiny::make_tiny_model(s), "iv_scale.gguf");
    const auto a     = run(*model, {spec(*model, "no-scale:0")});
    const int hd = s.head_dim(), group = s.n_head / s.n_head_kv, p = 6;
    const auto& q     = a->keep.at(Stage::Q, 0, p);
    const auto& probs = a->keep.at(Stage::AttnProbs, 0, p);
    for (int h = 0; h < s.n_head; ++h) {
        std::vector<double> e(size_t(p + 1));
        double mx = -1e300, sum = 0;
        for (int j = 0; j <= p; ++j) {
            const auto& k = a->keep.at(Stage::K, 0, j);
            double d      = 0;
            for (int i = 0; i < hd; ++i) d += double(q[size_t(h * hd + i)]) * k[size_t(h / group * hd + i)];
            e[size_t(j)] = d;
            mx           = std::max(mx, d);
        }
        for (double& x : e) sum += (x = std::exp(x - mx));
        for (int j = 0; j <= p; ++j)
            EXPECT_NEAR(probs[size_t(h * (p + 1) + j)], e[size_t(j)] / sum, 1e-5) << "head " << h << " key " << j;
    }
}

TEST(Intervention, NoRopeKeepsTheProjectionsUnrotated) {
    const auto model = load(tiny::make_tiny_model(TinySpec{}), "iv_rope.gguf");
    const auto a     = run(*model, {spec(*model, "no-rope:1")});
    for (int p = 0; p < int(kTokens.size()); ++p) {
        EXPECT_EQ(a->keep.at(Stage::Q, 1, p), a->keep.at(Stage::QProj, 1, p));
        EXPECT_EQ(a->keep.at(Stage::K, 1, p), a->keep.at(Stage::KProj, 1, p));
        if (p > 0) {
            EXPECT_NE(a->keep.at(Stage::Q, 0, p), a->keep.at(Stage::QProj, 0, p));  // layer 0 still rotates
        }
    }
}

TEST(Intervention, SteeringAddsAlphaTimesTheVectorAfterTheLayerFromItsPosition) {
    TinySpec s;
    const auto model = load(tiny::make_tiny_model(s), "iv_steer.gguf");
    const auto base  = run(*model, {});
    Intervention st  = spec(*model, "steer:0:2.5@4");
    EXPECT_EQ(st.from_pos, 4);
    st.steer.assign(size_t(s.n_embd), 0.0f);
    for (int i = 0; i < s.n_embd; ++i) st.steer[size_t(i)] = float(i % 3) - 1.0f;
    const auto a = run(*model, {st});
    for (int p = 0; p < int(kTokens.size()); ++p) {
        const auto& before = base->keep.at(Stage::ResidFfn, 0, p);
        const auto& after  = a->keep.at(Stage::ResidFfn, 0, p);
        for (int i = 0; i < s.n_embd; ++i)
            EXPECT_EQ(after[size_t(i)], p < 4 ? before[size_t(i)] : before[size_t(i)] + 2.5f * st.steer[size_t(i)])
                << "pos " << p << " [" << i << "]";
    }
    // positions before from_pos: their logits as without the intervention
    const size_t V = size_t(s.n_vocab);
    for (size_t i = 0; i < 4 * V; ++i) ASSERT_EQ(a->logits[i], base->logits[i]);
}

TEST(Intervention, MeanHeadIsTheMeanOfTheHeadsOutputsSoFar) {
    TinySpec s;
    const auto model = load(tiny::make_tiny_model(s), "iv_mean.gguf");
    const auto base  = run(*model, {});
    const int L = 1, H = 3, hd = s.head_dim(), from = 3;
    const auto a = run(*model, {spec(*model, "mean-head:1.3@3")});
    // The edit is at layer 1's attn_out, after everything the head reads (layer 1's queries, keys and values come
    // from layer 0, untouched), so the head's raw outputs are the plain run's at every position.
    for (int p = 0; p < int(kTokens.size()); ++p) {
        const auto& got = a->keep.at(Stage::AttnOut, L, p);
        for (int i = 0; i < hd; ++i) {
            double want = 0;
            for (int j = 0; j <= p; ++j) want += base->keep.at(Stage::AttnOut, L, j)[size_t(H * hd + i)];
            want /= double(p + 1);
            const float raw = base->keep.at(Stage::AttnOut, L, p)[size_t(H * hd + i)];
            if (p < from) {
                EXPECT_EQ(got[size_t(H * hd + i)], raw) << p;
            } else {
                EXPECT_NEAR(got[size_t(H * hd + i)], want, 1e-6) << "pos " << p << " [" << i << "]";
            }
        }
        for (int h = 0; h < s.n_head; ++h) {  // the other heads are untouched
            if (h == H) continue;
            for (int i = 0; i < hd; ++i) {
                EXPECT_EQ(got[size_t(h * hd + i)], base->keep.at(Stage::AttnOut, L, p)[size_t(h * hd + i)]);
            }
        }
    }
}

TEST(Intervention, NoRopeOnQwen3KeepsTheNormedHeadsAndGpt2RefusesIt) {
    TinySpec s;
    s.arch           = "qwen3";
    const auto model = load(tiny::make_tiny_model(s), "iv_rope_qwen3.gguf");
    const auto a     = run(*model, {spec(*model, "no-rope:0")});
    for (int p = 0; p < int(kTokens.size()); ++p) {
        EXPECT_EQ(a->keep.at(Stage::Q, 0, p), a->keep.at(Stage::QNorm, 0, p)) << p;
        EXPECT_EQ(a->keep.at(Stage::K, 0, p), a->keep.at(Stage::KNorm, 0, p)) << p;
    }
    TinySpec g;
    g.arch         = "gpt2";
    g.n_head_kv    = g.n_head;
    const auto m2  = load(tiny::make_tiny_model(g), "iv_rope_gpt2.gguf");
    const auto bad = parse_intervention("no-rope:0", m2->hp);
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("no RoPE"), std::string::npos) << bad.error().message;
    EXPECT_TRUE(parse_intervention("no-scale:0", m2->hp).ok());
}

TEST(Intervention, NoMaskLetsPromptPositionsSeeTheWholePrompt) {
    TinySpec s;
    const auto model = load(tiny::make_tiny_model(s), "iv_mask.gguf");
    const auto base  = run(*model, {});
    // run() prefills 5 tokens in one batch: the prompt
    auto r = std::make_unique<ts::core::Run>();
    {
        ThreadPool pool(2);
        Forward fwd(*model, 16, 8);
        auto cache = fwd.make_cache();
        ASSERT_TRUE(cache.ok());
        const int n = int(kTokens.size()), V = model->hp.n_vocab;
        r->logits.assign(size_t(n) * size_t(V), 0.0f);
        Intervener iv(model->hp, {spec(*model, "no-mask:0")}, &r->keep);
        iv.set_prompt_end(5);
        ASSERT_TRUE(fwd.eval(*cache, kTokens.data(), 5, 0, r->logits.data(), LogitRows::All, pool, &iv).ok());
        for (int p = 5; p < n; ++p)
            ASSERT_TRUE(fwd.eval(*cache, &kTokens[size_t(p)], 1, p, r->logits.data() + size_t(p) * size_t(V),
                                 LogitRows::Last, pool, &iv)
                            .ok());
    }
    const int hd = s.head_dim(), group = s.n_head / s.n_head_kv;
    for (int p = 0; p < int(kTokens.size()); ++p) {
        const auto& probs = r->keep.at(Stage::AttnProbs, 0, p);
        const int keys    = p < 5 ? 5 : p + 1;  // the prompt sees the whole prompt; generated tokens stay causal
        ASSERT_EQ(int(probs.size()), s.n_head * keys) << p;
        EXPECT_EQ(int(r->keep.at(Stage::AttnProbs, 1, p).size()), s.n_head * (p + 1)) << p;  // layer 1: causal
        // softmax(q·k/√d) over those keys, by hand
        const auto& q = r->keep.at(Stage::Q, 0, p);
        for (int h = 0; h < s.n_head; ++h) {
            std::vector<double> e(static_cast<size_t>(keys));
            double mx = -1e300, sum = 0;
            for (int j = 0; j < keys; ++j) {
                const auto& k = r->keep.at(Stage::K, 0, j);
                double d      = 0;
                for (int i = 0; i < hd; ++i) d += double(q[size_t(h * hd + i)]) * k[size_t(h / group * hd + i)];
                e[size_t(j)] = d / std::sqrt(double(hd));
                mx           = std::max(mx, e[size_t(j)]);
            }
            for (double& x : e) sum += (x = std::exp(x - mx));
            for (int j = 0; j < keys; ++j)
                EXPECT_NEAR(probs[size_t(h * keys + j)], e[size_t(j)] / sum, 1e-5) << "pos " << p << " key " << j;
        }
    }
    // the last prompt position saw everything anyway: its layer-0 attention is the plain run's
    EXPECT_EQ(r->keep.at(Stage::AttnProbs, 0, 4), base->keep.at(Stage::AttnProbs, 0, 4));
    // the earlier ones did not, so what follows changes
    EXPECT_NE(r->keep.at(Stage::AttnProbs, 0, 2), base->keep.at(Stage::AttnProbs, 0, 2));
    EXPECT_NE(r->logits, base->logits);
}

TEST(Intervention, ScoreEditsAreAppliedOncePerMatchingNoScale) {
    Hparams hp;
    hp.head_dim = 16;
    std::vector<Intervention> list(1);
    list[0].kind           = InterventionKind::NoScale;
    list[0].layer          = 1;
    list[0].from_pos       = 2;
    std::vector<float> row = {1.0f, -2.0f};
    edit_scores(list, hp, 0, 5, row.data(), 2);  // another layer
    edit_scores(list, hp, 1, 1, row.data(), 2);  // before from_pos
    EXPECT_EQ(row, (std::vector<float>{1.0f, -2.0f}));
    edit_scores(list, hp, 1, 2, row.data(), 2);
    EXPECT_EQ(row, (std::vector<float>{4.0f, -8.0f}));
}

TEST(Intervention, SpecsParseAndBadOnesNameTheProblem) {
    Hparams hp;
    hp.n_layer = 4, hp.n_head = 8;
    auto ok = [&](const char* t) {
        auto r = parse_intervention(t, hp);
        EXPECT_TRUE(r.ok()) << t << ": " << (r.ok() ? "" : r.error().message);
        EXPECT_EQ(r.ok() ? intervention_spec(*r) : "", t);
        return r;
    };
    EXPECT_EQ(ok("zero-head:3.7")->head, 7);
    EXPECT_EQ(ok("scale-head:0.1:0.5")->factor, 0.5f);
    EXPECT_EQ(ok("skip-mlp:2@10")->from_pos, 10);
    EXPECT_EQ(ok("skip-attn:0")->kind, InterventionKind::SkipAttn);
    EXPECT_EQ(ok("no-scale:1")->kind, InterventionKind::NoScale);
    EXPECT_EQ(ok("no-rope:3")->layer, 3);
    EXPECT_EQ(ok("steer:1:-4")->factor, -4.0f);
    EXPECT_EQ(ok("mean-head:2.5")->kind, InterventionKind::MeanHead);
    EXPECT_EQ(ok("no-mask:1")->kind, InterventionKind::NoMask);
    const auto texts = ok("steer:2:1.5: love| hate: x");
    EXPECT_EQ(texts->steer_a, " love");
    EXPECT_EQ(texts->steer_b, " hate: x");
    EXPECT_EQ(texts->factor, 1.5f);
    EXPECT_FALSE(describe_intervention(*ok("zero-head:3.7")).empty());
    auto bad = [&](const char* t, const char* want) {
        auto r = parse_intervention(t, hp);
        ASSERT_FALSE(r.ok()) << t;
        EXPECT_NE(r.error().message.find(want), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(t), std::string::npos) << r.error().message;
    };
    bad("zero-head:4.0", "layers 0 .. 3");
    bad("zero-head:1.8", "heads 0 .. 7");
    bad("zero-head:1", "LAYER.HEAD");
    bad("melt:1", "unknown kind");
    bad("skip-mlp", "KIND:LAYER");
    bad("skip-mlp:x", "whole number");
    bad("skip-mlp:1:2", "unexpected");
    bad("steer:1:nan", "finite");
    bad("skip-mlp:1@-2", "after '@'");
    bad("mean-head:1.9", "heads 0 .. 7");
    bad("steer:1:2:love", "TEXT_A|TEXT_B");
    bad("steer:1:2:|hate", "TEXT_A|TEXT_B");
}

}  // namespace
}  // namespace ts::core
