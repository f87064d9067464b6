// The mixtures of experts (qwen3moe, olmoe, gemma4 with experts beside its MLP) checked stage by stage on tiny random
// files (tools/random_model): the route is the top-k of the router's softmax with weights that sum to 1 (qwen3moe,
// gemma4) or are the probabilities as they are (olmoe), gemma4's router reads its own normed and scaled input and its
// two branches are normed and added, each chosen expert's gate / up / down rows are its own slice of the stacked
// tensors applied to that token's rows, the block's output is the weighted sum of the experts, the q/k norms span one
// head (qwen3moe) or the whole vector (olmoe), and a prompt evaluated in one batch (tokens grouped by expert) gives
// exactly the logits of one token at a time. The comparisons with llama.cpp are CliArch.Qwen3MoeAgreesWithLlamaCpp,
// CliArch.OlmoeAgreesWithLlamaCpp and CliArch.Gemma4MoeAgreesWithLlamaCpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <tuple>

#include "core/model/forward.hpp"
#include "core/model/intervention.hpp"
#include "core/model/layers.hpp"
#include "core/model/model.hpp"
#include "core/tensor/ops.hpp"
#include "tests/cli/random_file.hpp"
#include "tests/core/model/stage_recorder.hpp"
#include "tools/random_model.hpp"

namespace ts::core {
namespace {

using Recorder = testing::StageRecorder;

// "gemma4": 6 layers (the last global), local heads of 16, per-layer embeddings, experts of 64 beside MLPs of 128,
// gate and up fused ("gemma4split": apart).
std::shared_ptr<const Model> tiny_moe(core::DType type, const std::string& tag, const std::string& arch) {
    const bool olmoe = arch == "olmoe";  // one kv head per head, heads filling n_embd
    ts::tools::RandomModelSpec s;
    s.arch          = arch == "gemma4split" ? "gemma4" : arch;
    s.n_layer       = 2;
    s.n_embd        = 64;
    s.n_head        = 4;
    s.n_head_kv     = olmoe ? 4 : 2;
    s.head_dim      = olmoe ? 0 : 32;
    s.n_ff          = 64;
    s.n_expert      = 8;
    s.n_expert_used = 3;
    s.n_vocab       = 300;
    s.n_ctx         = 64;
    s.type          = type;
    if (s.arch == "gemma4") {
        s.n_layer          = 6;
        s.n_head_kv        = 1;
        s.head_dim_swa     = 16;
        s.n_embd_per_layer = 32;
        s.n_ff             = 128;
        s.n_ff_exp         = 64;
        s.split_gate_up    = arch == "gemma4split";
        s.seed             = 11;
    }
    return testing::load_random_model(s, "moe_" + arch + tag);
}

// W · x for one 2-D weight (expert_matrix's view), row by row with the kernels' own dot.
std::vector<float> apply(const Tensor& w, const float* x) {
    std::vector<float> y(size_t(w.ne[1]));
    for (int64_t r = 0; r < w.ne[1]; ++r) y[size_t(r)] = dot_row(w.type, w.row(r), x, w.ne[0]);
    return y;
}

void expect_near(const std::vector<float>& got, const std::vector<float>& want, const char* what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    float scale = 1.0f;
    for (float w : want) scale = std::max(scale, std::fabs(w));
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4f * scale) << what << " [" << i << "]";
}

class MoeForward : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(Archs, MoeForward, ::testing::Values("qwen3moe", "olmoe", "gemma4", "gemma4split"));

// RMSNorm of x (double sums), times w when there is one.
std::vector<float> rms(const std::vector<float>& x, const float* w, float eps) {
    double ss = 0;
    for (float v : x) ss += double(v) * double(v);
    const float inv = float(1.0 / std::sqrt(ss / double(x.size()) + double(eps)));
    std::vector<float> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * (w ? w[i] : 1.0f);
    return y;
}

TEST_P(MoeForward, EveryExpertStageIsWhatItSays) {
    const bool renormalised = std::string(GetParam()) != "olmoe";  // olmoe: the probabilities as they are
    for (core::DType type : {core::DType::F32, core::DType::Q8_0}) {
        SCOPED_TRACE(std::string(dtype_name(type)));
        auto m = tiny_moe(type, "stages", GetParam());
        ASSERT_TRUE(m);
        const Hparams& hp = m->hp;
        ASSERT_TRUE(hp.is_moe());
        ASSERT_EQ(hp.expert_weights_norm, renormalised);
        ASSERT_EQ(hp.n_expert, 8);
        ASSERT_EQ(hp.n_expert_used, 3);
        Forward fwd(*m, 64);
        auto cache = fwd.make_cache();
        ASSERT_TRUE(cache.ok());
        ThreadPool pool(2);
        const std::vector<int32_t> ids = {5, 77, 200, 31, 9, 140};
        std::vector<float> logits(size_t(hp.n_vocab));
        Recorder rec;
        ASSERT_TRUE(fwd.eval(*cache, ids.data(), int(ids.size()), 0, logits.data(), LogitRows::Last, pool, &rec).ok());
        const int K = hp.n_expert_used, E = hp.n_expert, D = hp.n_embd, F = hp.expert_ff();
        // gemma4's experts run beside its MLP, in stages of their own; its router reads the residual stream
        // RMS-normed, / √n_embd, × ffn_gate_inp.scale.
        const bool beside = hp.experts_beside_mlp();
        ASSERT_EQ(beside, std::string(GetParam()).rfind("gemma4", 0) == 0);
        std::map<int, int> used;  // expert -> tokens that chose it, over every layer and position
        for (int il = 0; il < hp.n_layer; ++il) {
            const LayerWeights& L = m->w.layers[size_t(il)];
            const bool fused      = L.ffn_gate_up_exps.data != nullptr;
            ASSERT_EQ(fused, beside && std::string(GetParam()) == "gemma4");
            for (int pos = 0; pos < int(ids.size()); ++pos) {
                const auto& x     = rec.at(beside ? Stage::FfnNorm2 : Stage::FfnNorm, il, pos);
                const auto& lg    = rec.at(Stage::FfnRouter, il, pos);
                const auto& probs = rec.at(Stage::FfnRouterProbs, il, pos);
                const auto& route = rec.at(Stage::FfnRoute, il, pos);
                const auto& gate  = rec.at(beside ? Stage::FfnExpGate : Stage::FfnGate, il, pos);
                const auto& up    = rec.at(beside ? Stage::FfnExpUp : Stage::FfnUp, il, pos);
                const auto& act   = rec.at(beside ? Stage::FfnExpAct : Stage::FfnAct, il, pos);
                const auto& eo    = rec.at(Stage::FfnExpertOut, il, pos);
                const auto& mix   = rec.at(beside ? Stage::FfnMoeOut : Stage::FfnOut, il, pos);
                if (beside) {
                    const auto& resid = rec.at(Stage::ResidAttn, il, pos);
                    expect_near(x, rms(resid, L.ffn_pre_norm_2.f32(), hp.norm_eps), "the experts' input");
                    std::vector<float> in = rms(resid, nullptr, hp.norm_eps);
                    for (int i = 0; i < D; ++i)
                        in[size_t(i)] = in[size_t(i)] / std::sqrt(float(D)) * L.ffn_gate_inp_s.f32()[i];
                    expect_near(lg, apply(L.ffn_gate_inp, in.data()), "router logits");
                    std::vector<float> gelu_up = gate;  // GELU(gate) ⊙ up with the engine's GELU (ggml's table)
                    geglu(gelu_up.data(), up.data(), int64_t(up.size()));
                    EXPECT_EQ(act, gelu_up) << "experts' GeGLU";
                } else {
                    expect_near(lg, apply(L.ffn_gate_inp, x.data()), "router logits");
                }
                ASSERT_EQ(probs.size(), size_t(E));
                ASSERT_EQ(route.size(), size_t(2 * K));
                ASSERT_EQ(gate.size(), size_t(K * F));
                ASSERT_EQ(eo.size(), size_t(K * D));
                // The route: the K most probable experts, best first, weights = p / Σ p over the chosen (olmoe: p).
                std::vector<int> order(static_cast<size_t>(E));
                for (int e = 0; e < E; ++e) order[size_t(e)] = e;
                std::stable_sort(order.begin(), order.end(),
                                 [&](int a, int b) { return probs[size_t(a)] > probs[size_t(b)]; });
                float sum = 0, wsum = 0;
                for (int k = 0; k < K; ++k) sum += probs[size_t(order[size_t(k)])];
                for (int k = 0; k < K; ++k) {
                    const int e = int(route[size_t(k)]);
                    EXPECT_EQ(e, order[size_t(k)]) << "layer " << il << " pos " << pos << " slot " << k;
                    EXPECT_NEAR(route[size_t(K + k)], probs[size_t(e)] / (renormalised ? sum : 1.0f), 1e-6f);
                    wsum += route[size_t(K + k)];
                    ++used[e];
                    // Expert e's own slices of the stacked tensors (fused: its gate rows, then its up rows),
                    // applied to this token's rows; its output × its scale (gemma4).
                    const auto g =
                        apply(fused ? expert_matrix(L.ffn_gate_up_exps, e, 0, F) : expert_matrix(L.ffn_gate_exps, e),
                              x.data());
                    const auto u = apply(
                        fused ? expert_matrix(L.ffn_gate_up_exps, e, F, F) : expert_matrix(L.ffn_up_exps, e), x.data());
                    expect_near({gate.begin() + k * F, gate.begin() + (k + 1) * F}, g, "expert gate");
                    expect_near({up.begin() + k * F, up.begin() + (k + 1) * F}, u, "expert up");
                    auto d = apply(expert_matrix(L.ffn_down_exps, e), act.data() + size_t(k) * size_t(F));
                    if (beside) {
                        ASSERT_NE(L.ffn_down_exps_s.data, nullptr);
                        for (float& v : d) v *= L.ffn_down_exps_s.f32()[e];
                    }
                    expect_near({eo.begin() + k * D, eo.begin() + (k + 1) * D}, d, "expert down");
                }
                EXPECT_NEAR(wsum, renormalised ? 1.0f : sum, 1e-5f);
                if (!renormalised) {
                    EXPECT_LT(wsum, 0.999f);  // 3 of 8 experts rarely hold all the probability
                }
                std::vector<float> want(size_t(D), 0.0f);
                for (int k = 0; k < K; ++k)
                    for (int i = 0; i < D; ++i) want[size_t(i)] += route[size_t(K + k)] * eo[size_t(k * D + i)];
                expect_near(mix, want, "weighted sum of experts");
                if (beside) {  // each branch normed, the two added, the sum normed again
                    const auto& mlp = rec.at(Stage::FfnPostNorm1, il, pos);
                    const auto& moe = rec.at(Stage::FfnPostNorm2, il, pos);
                    expect_near(mlp, rms(rec.at(Stage::FfnOut, il, pos), L.ffn_post_norm_1.f32(), hp.norm_eps),
                                "MLP norm");
                    expect_near(moe, rms(mix, L.ffn_post_norm_2.f32(), hp.norm_eps), "experts' norm");
                    std::vector<float> both(static_cast<size_t>(D));
                    for (int i = 0; i < D; ++i) both[size_t(i)] = mlp[size_t(i)] + moe[size_t(i)];
                    EXPECT_EQ(rec.at(Stage::FfnMoeSum, il, pos), both);
                    expect_near(rec.at(Stage::FfnPostNorm, il, pos), rms(both, L.ffn_post_norm.f32(), hp.norm_eps),
                                "sum's norm");
                    ASSERT_EQ(rec.at(Stage::FfnGate, il, pos).size(), size_t(hp.n_ff_of(il)));  // the MLP's own
                }
            }
        }
        EXPECT_GT(used.size(), 2u) << "the router should spread the tokens over several experts";
    }
}

// q_norm / k_norm: RMSNorm over spans of the weight's length, one head (qwen3moe) or the token's whole q / k
// (olmoe), scaled by that weight; the RoPE stages read the normed vectors.
TEST_P(MoeForward, QAndKNormsSpanOneHeadOrTheWholeVector) {
    const bool whole = std::string(GetParam()) == "olmoe";
    auto m           = tiny_moe(core::DType::F32, "qknorm", GetParam());
    ASSERT_TRUE(m);
    const Hparams& hp = m->hp;
    Forward fwd(*m, 64);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    ThreadPool pool(2);
    const std::vector<int32_t> ids = {5, 77, 200, 31};
    Recorder rec;
    ASSERT_TRUE(fwd.eval(*cache, ids.data(), int(ids.size()), 0, nullptr, LogitRows::None, pool, &rec).ok());
    for (int il = 0; il < hp.n_layer; ++il) {
        const LayerWeights& L = m->w.layers[size_t(il)];
        for (auto [proj, norm, w] :
             {std::tuple{Stage::QProj, Stage::QNorm, &L.q_norm}, std::tuple{Stage::KProj, Stage::KNorm, &L.k_norm}}) {
            const int span = whole ? int(rec.at(proj, il, 0).size()) : hp.head_dim_of(il);
            ASSERT_EQ(w->ne[0], span);
            for (int pos = 0; pos < int(ids.size()); ++pos) {
                const auto& x = rec.at(proj, il, pos);
                std::vector<float> want(x.size());
                for (size_t i0 = 0; i0 < x.size(); i0 += size_t(span)) {
                    double ss = 0;
                    for (int i = 0; i < span; ++i) ss += double(x[i0 + size_t(i)]) * double(x[i0 + size_t(i)]);
                    const double inv = 1.0 / std::sqrt(ss / span + double(hp.norm_eps));
                    for (int i = 0; i < span; ++i)
                        want[i0 + size_t(i)] = float(double(x[i0 + size_t(i)]) * inv) * w->f32()[i];
                }
                expect_near(rec.at(norm, il, pos), want, whole ? "whole-vector norm" : "per-head norm");
            }
        }
    }
}

// skip-mlp on gemma4 with experts silences the whole feed-forward part, the MLP and the experts beside it: the
// residual stream leaves the block as it entered (qwen3moe, olmoe: the experts are the MLP, ffn_out zeroed).
TEST_P(MoeForward, SkipMlpSilencesTheExpertsToo) {
    auto m = tiny_moe(core::DType::Q8_0, "skip", GetParam());
    ASSERT_TRUE(m);
    const Hparams& hp = m->hp;
    auto iv           = parse_intervention("skip-mlp:1", hp);
    ASSERT_TRUE(iv.ok()) << iv.error().message;
    Recorder rec;
    Intervener edit(hp, {*iv}, &rec);
    Forward fwd(*m, 64);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    ThreadPool pool(2);
    const std::vector<int32_t> ids = {5, 77, 200, 31};
    ASSERT_TRUE(fwd.eval(*cache, ids.data(), int(ids.size()), 0, nullptr, LogitRows::None, pool, &edit).ok());
    const Stage after = hp.experts_beside_mlp() ? Stage::ResidMlp : Stage::ResidFfn;
    for (int pos = 0; pos < int(ids.size()); ++pos) {
        EXPECT_EQ(rec.at(after, 1, pos), rec.at(Stage::ResidAttn, 1, pos)) << pos;
        EXPECT_NE(rec.at(after, 0, pos), rec.at(Stage::ResidAttn, 0, pos)) << pos;  // layer 0 unedited
        if (hp.experts_beside_mlp()) {  // the experts ran, and their mix was silenced with the MLP's
            const auto& mix = rec.at(Stage::FfnMoeOut, 1, pos);
            EXPECT_GT(*std::max_element(mix.begin(), mix.end()), 0.0f);
        }
    }
}

// One batch (each expert's tokens gathered into one matmul) against one token at a time: bit for bit.
TEST_P(MoeForward, ABatchEqualsOneTokenAtATime) {
    auto m = tiny_moe(core::DType::Q8_0, "batch", GetParam());
    ASSERT_TRUE(m);
    const std::vector<int32_t> ids = {5, 77, 200, 31, 9, 140, 33, 250, 12};
    const int n = int(ids.size()), V = m->hp.n_vocab;
    ThreadPool pool(2);
    Forward batched(*m, 64), single(*m, 64);
    auto c1 = batched.make_cache(), c2 = single.make_cache();
    std::vector<float> all(static_cast<size_t>(n) * static_cast<size_t>(V)), one(static_cast<size_t>(V));
    ASSERT_TRUE(batched.eval(*c1, ids.data(), n, 0, all.data(), LogitRows::All, pool).ok());
    for (int t = 0; t < n; ++t) {
        ASSERT_TRUE(single.eval(*c2, &ids[size_t(t)], 1, t, one.data(), LogitRows::Last, pool).ok());
        for (int i = 0; i < V; ++i) ASSERT_EQ(all[size_t(t) * size_t(V) + size_t(i)], one[size_t(i)]) << t << " " << i;
    }
}

}  // namespace
}  // namespace ts::core
