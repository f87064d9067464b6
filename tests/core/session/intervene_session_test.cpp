// Interventions in a Session: with none the logits are bit-identical to a plain session; a list change
// re-evaluates the same tokens from the earliest position it affects and the result equals a fresh intervened
// forward pass; the clean comparison (Δ logit, Δp, KL) reads a shadow cache that equals the plain run; derived
// attention rows respect no-scale / no-rope; steering vectors are the difference of two mean residuals; the trace
// file records the list.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "core/model/forward.hpp"
#include "core/session/session.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

const std::vector<int32_t> kPrompt = {1, 5, 36, 9, 17, 17, 2};

Intervention iv_of(const Session& s, const char* text) {
    auto r = parse_intervention(text, s.model().hp);
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : Intervention{};
}

// A session with the prompt and n generated tokens.
std::unique_ptr<Session> generated(std::shared_ptr<const Model> model, int n) {
    auto s = tiny::make_session(std::move(model));
    EXPECT_TRUE(s->set_prompt_ids(kPrompt).ok());
    EXPECT_TRUE(s->prefill().ok());
    for (int i = 0; i < n; ++i) EXPECT_TRUE(s->step().ok());
    return s;
}

// The logits of the last of `tokens` from a fresh forward pass with `list` (no session).
std::vector<float> fresh_logits(const Model& model, const std::vector<int32_t>& tokens,
                                std::vector<Intervention> list) {
    ThreadPool pool(2);
    Forward fwd(model, 48);
    auto cache = fwd.make_cache();
    EXPECT_TRUE(cache.ok());
    std::vector<float> logits(size_t(model.hp.n_vocab));
    Intervener iv(model.hp, std::move(list));
    EXPECT_TRUE(fwd.eval(*cache, tokens.data(), int(tokens.size()), 0, logits.data(), LogitRows::Last, pool,
                         iv.active() ? &iv : nullptr)
                    .ok());
    return logits;
}

TEST(SessionIntervene, NoInterventionLeavesTheLogitsBitIdentical) {
    const auto model = tiny::load_tiny_with_vocab();
    auto plain       = generated(model, 5);
    auto s           = tiny::make_session(model);
    ASSERT_TRUE(s->set_interventions({}).ok());
    Intervention off = iv_of(*s, "skip-mlp:0");
    off.enabled      = false;
    ASSERT_TRUE(s->add_intervention(off).ok());
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    ASSERT_TRUE(s->prefill().ok());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->step().ok());
    EXPECT_EQ(s->tokens(), plain->tokens());
    EXPECT_EQ(*s->logits(), *plain->logits());
    EXPECT_FALSE(s->intervening());
    auto d = s->intervention_diff();
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->pos, -1);
    // on and off again: the same tokens re-evaluated twice, back to the plain logits bit for bit
    ASSERT_TRUE(s->enable_intervention(0, true).ok());
    EXPECT_NE(*s->logits(), *plain->logits());
    ASSERT_TRUE(s->enable_intervention(0, false).ok());
    EXPECT_EQ(*s->logits(), *plain->logits());
    for (int p = 0; p < s->n_pos(); ++p) EXPECT_EQ(s->steps()[size_t(p)]->token, plain->steps()[size_t(p)]->token);
}

TEST(SessionIntervene, ChangingTheListReevaluatesTheSameTokens) {
    const auto model                  = tiny::load_tiny_with_vocab();
    auto s                            = generated(model, 6);
    const std::vector<int32_t> before = s->tokens();
    std::vector<TokenSource> sources;
    for (const auto& st : s->steps()) sources.push_back(st->source);
    ASSERT_TRUE(s->add_intervention(iv_of(*s, "zero-head:1.2")).ok());
    EXPECT_TRUE(s->intervening());
    EXPECT_EQ(s->tokens(), before);
    EXPECT_EQ(s->n_prompt(), int(kPrompt.size()));
    for (int p = 0; p < s->n_pos(); ++p) EXPECT_EQ(s->steps()[size_t(p)]->source, sources[size_t(p)]);
    // the newest logits are those of a fresh forward pass with the intervention (batched and one-token paths agree)
    EXPECT_EQ(*s->logits(), fresh_logits(*model, before, s->interventions()));
    EXPECT_NE(*s->logits(), fresh_logits(*model, before, {}));
    // stepping on keeps intervening
    ASSERT_TRUE(s->step().ok());
    EXPECT_EQ(*s->logits(), fresh_logits(*model, s->tokens(), s->interventions()));
    // removing it: back to the plain run's logits
    ASSERT_TRUE(s->remove_intervention(0).ok());
    EXPECT_EQ(*s->logits(), fresh_logits(*model, s->tokens(), {}));
    EXPECT_FALSE(s->remove_intervention(0).ok());
}

TEST(SessionIntervene, ALaterStartKeepsTheEarlierPositions) {
    const auto model = tiny::load_tiny_with_vocab();
    auto s           = generated(model, 6);
    std::vector<StepTracePtr> old(s->steps().begin(), s->steps().end());
    ASSERT_TRUE(s->add_intervention(iv_of(*s, "skip-mlp:1@10")).ok());
    for (int p = 0; p < 9; ++p) EXPECT_EQ(s->steps()[size_t(p)].get(), old[size_t(p)].get()) << p;  // untouched
    EXPECT_NE(s->steps()[10].get(), old[10].get());
    EXPECT_EQ(*s->logits(), fresh_logits(*model, s->tokens(), s->interventions()));
}

TEST(SessionIntervene, TheDiffComparesWithTheCleanRun) {
    const auto model = tiny::load_tiny_with_vocab();
    auto plain       = generated(model, 4);
    auto s           = generated(model, 4);
    ASSERT_TRUE(s->add_intervention(iv_of(*s, "skip-attn:1")).ok());
    auto clean = s->clean_logits();
    ASSERT_TRUE(clean.ok());
    ASSERT_TRUE(*clean);
    EXPECT_EQ(**clean, *plain->logits());
    auto d = s->intervention_diff(5);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->pos, s->n_pos() - 1);
    EXPECT_GT(d->kl, 0.0);
    ASSERT_GE(d->top.size(), 5u);
    const sample::CandidateDelta& c = d->top[0];
    EXPECT_EQ(c.logit, (*s->logits())[size_t(c.id)]);
    EXPECT_EQ(c.clean_logit, (*plain->logits())[size_t(c.id)]);
    // KL by hand
    const auto& zi = *s->logits();
    const auto& zc = *plain->logits();
    auto lse       = [](const std::vector<float>& z) {
        double m = -1e300, e = 0;
        for (float x : z) m = std::max(m, double(x));
        for (float x : z) e += std::exp(double(x) - m);
        return m + std::log(e);
    };
    const double li = lse(zi), lc = lse(zc);
    double kl = 0;
    for (size_t i = 0; i < zi.size(); ++i) kl += std::exp(zi[i] - li) * ((zi[i] - li) - (zc[i] - lc));
    EXPECT_NEAR(d->kl, kl, 1e-9);
    EXPECT_NEAR(c.p, std::exp(zi[size_t(c.id)] - li), 1e-6);
    // steps, a rewind, a branch: the clean side follows (one extra pass per step)
    ASSERT_TRUE(s->step().ok());
    ASSERT_TRUE(plain->step().ok());
    ASSERT_TRUE(s->rewind(2).ok());
    ASSERT_TRUE(plain->rewind(2).ok());
    ASSERT_TRUE(s->branch(s->n_pos(), 7).ok());
    ASSERT_TRUE(plain->branch(plain->n_pos(), 7).ok());
    EXPECT_EQ(s->tokens(), plain->tokens());
    clean = s->clean_logits();
    ASSERT_TRUE(clean.ok() && *clean);
    EXPECT_EQ(**clean, *plain->logits());
}

TEST(SessionIntervene, DerivedRowsAreTheProbabilitiesTheForwardPassUsed) {
    struct Probs final : Observer {
        std::map<std::pair<int, int>, std::vector<float>> at;  // (layer, pos) → [n_head][pos + 1]
        StageMask wants(int l) const override { return l >= 0 ? StageMask{}.set(Stage::AttnProbs) : StageMask{}; }
        void observe(Stage, int layer, int pos, TensorView v) override {
            at[{layer, pos}].assign(v.data, v.data + size_t(v.rows) * size_t(v.cols));
        }
    };
    const auto model = tiny::load_tiny_with_vocab();
    for (const char* spec : {"no-scale:1", "no-rope:1", "no-scale:0@3", "no-mask:0", "no-mask:1@2"}) {
        auto s = generated(model, 3);
        ASSERT_TRUE(s->add_intervention(iv_of(*s, spec)).ok());
        const std::vector<int32_t> ids = s->tokens();
        ThreadPool pool(1);
        Forward fwd(*model, 48);
        auto cache = fwd.make_cache();
        ASSERT_TRUE(cache.ok());
        Probs probs;
        Intervener iv(model->hp, s->interventions(), &probs);
        iv.set_prompt_end(s->n_prompt());
        ASSERT_TRUE(fwd.eval(*cache, ids.data(), int(ids.size()), 0, nullptr, LogitRows::None, pool, &iv).ok());
        const int n_head = model->hp.n_head;
        for (int layer = 0; layer < model->hp.n_layer; ++layer)
            for (int h = 0; h < n_head; ++h)
                for (int p = 0; p < s->n_pos(); ++p) {
                    auto row = s->attention_row(layer, h, p);
                    ASSERT_TRUE(row.ok());
                    const auto& want = probs.at.at({layer, p});
                    const int keys   = int(want.size()) / n_head;  // p + 1, or the prompt's length (no-mask)
                    for (int j = 0; j < s->n_pos(); ++j)
                        ASSERT_NEAR(row->probs[size_t(j)], j < keys ? want[size_t(h * keys + j)] : 0.0f, 1e-6)
                            << spec << " layer " << layer << " head " << h << " pos " << p << " key " << j;
                }
        // and the plain derivation differs where the intervention acts
        auto plain = generated(model, 3);
        auto a     = s->attention_row(1, 0, s->n_pos() - 1);
        auto b     = plain->attention_row(1, 0, plain->n_pos() - 1);
        ASSERT_TRUE(a.ok() && b.ok());
        if (std::string(spec) == "no-scale:1" || std::string(spec) == "no-rope:1") {
            EXPECT_NE(a->probs, b->probs) << spec;
        }
        if (std::string(spec) == "no-mask:0") {  // a prompt row reads the later prompt keys
            auto m = s->attention_row(0, 0, 1);
            ASSERT_TRUE(m.ok());
            EXPECT_GT(m->probs[5], 0.0f);
            EXPECT_EQ(m->probs[size_t(s->n_prompt())], 0.0f);
        }
    }
}

TEST(SessionIntervene, MeanHeadAndSteeringFromTexts) {
    const auto model = tiny::load_tiny_with_vocab();
    auto s           = generated(model, 3);
    ASSERT_TRUE(s->add_intervention(iv_of(*s, "mean-head:0.1@5")).ok());
    EXPECT_EQ(*s->logits(), fresh_logits(*model, s->tokens(), s->interventions()));

    // steer:L:ALPHA:A|B: the vector is mean(resid_ffn of L over A's tokens) − mean(over B's)
    ThreadPool pool(1);
    auto v = steering_vector(*model, 1, "the", "an", pool);
    ASSERT_TRUE(v.ok()) << v.error().message;
    struct Resid final : Observer {
        std::vector<std::vector<float>> rows;
        StageMask wants(int l) const override { return l == 1 ? StageMask{}.set(Stage::ResidFfn) : StageMask{}; }
        void observe(Stage, int, int, TensorView t) override { rows.emplace_back(t.data, t.data + t.cols); }
    };
    auto mean_of = [&](const char* text) {
        auto ids = model->tokenizer->encode(text, false, false);
        EXPECT_TRUE(ids.ok());
        Forward fwd(*model, 16);
        auto cache = fwd.make_cache();
        Resid r;
        EXPECT_TRUE(fwd.eval(*cache, ids->data(), int(ids->size()), 0, nullptr, LogitRows::None, pool, &r).ok());
        std::vector<double> m(size_t(model->hp.n_embd), 0.0);
        for (const auto& row : r.rows)
            for (size_t i = 0; i < m.size(); ++i) m[i] += row[i] / double(r.rows.size());
        return m;
    };
    const auto a = mean_of("the"), b = mean_of("an");
    for (size_t i = 0; i < v->size(); ++i) EXPECT_NEAR((*v)[i], a[i] - b[i], 1e-5) << i;

    ASSERT_TRUE(s->add_intervention(iv_of(*s, "steer:1:3:the|an")).ok());
    const Intervention& st = s->interventions().back();
    ASSERT_EQ(st.steer.size(), v->size());
    for (size_t i = 0; i < v->size(); ++i) EXPECT_EQ(st.steer[i], (*v)[i]);
    EXPECT_EQ(*s->logits(), fresh_logits(*model, s->tokens(), s->interventions()));
    // a steer with neither texts nor vector, one whose text has no tokens, a vector of the wrong size: errors that
    // change nothing
    const auto n = s->interventions().size();
    EXPECT_FALSE(s->add_intervention(iv_of(*s, "steer:1:3")).ok());
    Intervention empty_text = iv_of(*s, "steer:1:3:a|b");
    empty_text.steer_b      = "";
    EXPECT_FALSE(s->add_intervention(empty_text).ok());
    Intervention wrong = iv_of(*s, "steer:1:3");
    wrong.steer.assign(3, 1.0f);
    EXPECT_FALSE(s->add_intervention(wrong).ok());
    EXPECT_EQ(s->interventions().size(), n);
}

TEST(SessionIntervene, NoMaskNeedsThePromptInOneBatch) {
    SessionOptions opt;
    opt.n_batch = 4;
    auto s      = tiny::make_session(tiny::load_tiny_with_vocab(), opt);
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());  // 7 tokens
    ASSERT_TRUE(s->prefill().ok());
    const auto st = s->add_intervention(iv_of(*s, "no-mask:0"));
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("one forward batch"), std::string::npos) << st.error().message;
    EXPECT_TRUE(s->interventions().empty());
    ASSERT_TRUE(s->set_prompt_ids({1, 5, 36}).ok());
    ASSERT_TRUE(s->add_intervention(iv_of(*s, "no-mask:0")).ok());
    ASSERT_TRUE(s->prefill().ok());
    ASSERT_TRUE(s->set_prompt_ids(kPrompt).ok());
    EXPECT_FALSE(s->prefill().ok());
}

TEST(SessionIntervene, TheTraceFileRecordsTheList) {
    const auto model = tiny::load_tiny_with_vocab();
    auto s           = generated(model, 2);
    ASSERT_TRUE(s->add_intervention(iv_of(*s, "zero-head:0.1")).ok());
    Intervention off = iv_of(*s, "skip-mlp:1@4");
    off.enabled      = false;
    ASSERT_TRUE(s->add_intervention(off).ok());
    const std::string path = tiny::temp_path("iv_trace.json");
    ASSERT_TRUE(s->write_trace(path, TraceWriteOptions{false, true, 512}).ok());
    std::ifstream in(path);
    const auto j = nlohmann::json::parse(in);
    ASSERT_EQ(j["interventions"].size(), 2u);
    EXPECT_EQ(j["interventions"][0]["spec"], "zero-head:0.1");
    EXPECT_EQ(j["interventions"][0]["enabled"], true);
    EXPECT_EQ(j["interventions"][1]["spec"], "skip-mlp:1@4");
    EXPECT_EQ(j["interventions"][1]["enabled"], false);
    EXPECT_EQ(j["interventions"][1]["from_pos"], 4);
}

}  // namespace
}  // namespace ts::core
