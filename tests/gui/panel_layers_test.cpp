// The Journey panel: the stage list from the architecture's description, the replayed position delivered by the
// worker (equal to what the forward pass recorded), and headless frames of every stage.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "app/ui/model_summary.hpp"
#include "app/ui/view_journey.hpp"
#include "core/trace/derive.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

TEST(JourneyStages, ListTheArchitecturesOwnStages) {
    for (core::Arch a : {core::Arch::Llama, core::Arch::Qwen2, core::Arch::Qwen3, core::Arch::Gpt2, core::Arch::Phi3,
                         core::Arch::Gemma2, core::Arch::Gemma3, core::Arch::Qwen3Moe, core::Arch::Olmoe}) {
        const core::ArchDesc& arch = core::arch_desc(a);
        const auto s               = journey_stages(arch, 3);
        ASSERT_EQ(s.size(), 1u + arch.before.size() + 3u * arch.block.size() + arch.after.size() + 3u);
        EXPECT_EQ(s.front().kind, JourneyKind::Token);
        const JourneyStage& l1 = s[size_t(journey_layer_start(arch, 1))];
        EXPECT_EQ(l1.kind, JourneyKind::Model);
        EXPECT_EQ(l1.desc->id, core::Stage::AttnNorm);
        EXPECT_EQ(l1.layer, 1);
        EXPECT_EQ(s[size_t(journey_layer_start(arch, 3)) - 1].desc->id, core::Stage::ResidFfn);
        EXPECT_EQ(s.back().kind, JourneyKind::Appended);
        for (const auto& st : s) {
            EXPECT_NE(journey_title(st), "?");
            EXPECT_NE(journey_explain(st), "");
        }
    }
    core::Hparams hp;
    hp.n_head = 8, hp.head_dim = 64, hp.n_head_kv = 2, hp.n_embd = 512;
    const auto s = journey_stages(core::arch_desc(core::Arch::Llama), 4);
    auto at      = [&](core::Stage id, int layer) {
        for (const auto& st : s)
            if (st.desc && st.desc->id == id && st.layer == layer) return st;
        return JourneyStage{};
    };
    EXPECT_EQ(journey_shape(at(core::Stage::QProj, 3), hp, 5),
              "[8 heads × 64] = 512 floats · reads blk.3.attn_q.weight");
    EXPECT_EQ(journey_shape(at(core::Stage::AttnScores, 0), hp, 5), "[8 heads × 5 keys]");
}

// gpt2's itinerary names what it does differently: the added position row, LayerNorm, GELU; and it has no RoPE.
// qwen3's has the per-head norms between the projections and RoPE.
TEST(JourneyStages, Gpt2AndQwen3ShowTheirOwnStages) {
    auto titles = [](core::Arch a) {
        std::vector<std::string> t;
        for (const auto& st : journey_stages(core::arch_desc(a), 1)) t.emplace_back(journey_title(st));
        return t;
    };
    auto has = [](const std::vector<std::string>& t, const std::string& title) {
        return std::find(t.begin(), t.end(), title) != t.end();
    };
    const auto gpt2 = titles(core::Arch::Gpt2);
    EXPECT_TRUE(has(gpt2, "+ position embedding"));
    EXPECT_TRUE(has(gpt2, "LayerNorm (mean and variance over the features of one position)"));
    EXPECT_TRUE(has(gpt2, "GELU"));
    EXPECT_FALSE(has(gpt2, "RoPE on the queries"));
    EXPECT_FALSE(has(gpt2, "Gate projection"));
    const auto qwen3 = titles(core::Arch::Qwen3);
    EXPECT_TRUE(has(qwen3, "Query norm (per head)"));
    EXPECT_TRUE(has(qwen3, "Key norm (per head)"));
    EXPECT_TRUE(has(qwen3, "RoPE on the queries"));
    // olmoe norms the whole q and k vectors, and says that its chosen experts' weights are not renormalised.
    const auto olmoe = titles(core::Arch::Olmoe);
    for (const char* t : {"Query norm (whole vector)", "Key norm (whole vector)", "Router", "Chosen experts (top-k)",
                          "Weighted sum of experts"})
        EXPECT_TRUE(has(olmoe, t)) << t;
    EXPECT_FALSE(has(olmoe, "Query norm (per head)"));
    const core::StageDesc* route = core::find_stage(core::arch_desc(core::Arch::Olmoe), core::Stage::FfnRoute);
    ASSERT_NE(route, nullptr);
    EXPECT_NE(route->explain.find("does not renormalise"), std::string_view::npos);

    core::Hparams hp;
    hp.arch = core::Arch::Gpt2, hp.n_head = 12, hp.head_dim = 64, hp.n_head_kv = 12, hp.n_embd = 768;
    const auto s = journey_stages(core::arch_desc(core::Arch::Gpt2), 2);
    for (const auto& st : s)
        if (st.desc && st.desc->id == core::Stage::QProj && st.layer == 1) {
            EXPECT_EQ(journey_shape(st, hp, 5),
                      "[12 heads × 64] = 768 floats · reads blk.1.attn_qkv.weight, blk.1.attn_qkv.bias");
        }
}

// gemma2's itinerary: the scaled embedding, both RoPE sets, the soft-caps, the post-norms, GeGLU; gemma3's the q/k
// norms and no soft-cap; phi3's projections name the fused matrices.
TEST(JourneyStages, PhiAndGemmaShowTheirOwnStages) {
    auto titles = [](core::Arch a) {
        std::vector<std::string> t;
        for (const auto& st : journey_stages(core::arch_desc(a), 1)) t.emplace_back(journey_title(st));
        return t;
    };
    auto has = [](const std::vector<std::string>& t, const std::string& title) {
        return std::find(t.begin(), t.end(), title) != t.end();
    };
    const auto g2 = titles(core::Arch::Gemma2);
    for (const char* s :
         {"× √n_embd", "Position (RoPE angles, sliding-window layers)", "Soft-cap of the scores", "Post-attention norm",
          "Post-MLP norm", "GELU-gated (GeGLU)", "Raw logits", "Logits (soft-capped)"})
        EXPECT_TRUE(has(g2, s)) << s;
    EXPECT_FALSE(has(g2, "Query norm (per head)"));
    // gemma4 with experts (arch_desc(hp)): the MLP as a shared expert, the experts beside it, the two branches added.
    core::Hparams g4;
    g4.arch = core::Arch::Gemma4, g4.n_expert = 8, g4.n_expert_used = 2, g4.n_ff = 128, g4.n_ff_exp = 64;
    g4.n_embd = 64, g4.n_head = 4, g4.n_head_kv = 1, g4.head_dim = 32;
    std::vector<std::string> g4t;
    const auto g4s = journey_stages(core::arch_desc(g4), 2, &g4);
    for (const auto& st : g4s) g4t.emplace_back(journey_title(st));
    for (const char* s : {"MLP post-norm (shared expert)", "Experts' norm", "Router", "Chosen experts (top-k)",
                          "Experts' gate projections", "Experts' GeGLU", "Weighted sum of experts",
                          "Experts' post-norm", "Shared expert + experts", "Post-MLP norm", "Gate projection"})
        EXPECT_TRUE(has(g4t, s)) << s;
    EXPECT_FALSE(has(titles(core::Arch::Gemma4), "Router"));  // the dense gemma4 file's list has no experts
    for (const auto& st : g4s) {
        if (!st.desc || st.layer != 1) continue;
        if (st.desc->id == core::Stage::FfnExpGate) {
            EXPECT_EQ(journey_shape(st, g4, 5), "[2 experts × 64] · reads blk.1.ffn_gate_up_exps.weight");
        } else if (st.desc->id == core::Stage::FfnGate) {
            EXPECT_EQ(journey_shape(st, g4, 5), "[128] · reads blk.1.ffn_gate.weight");
        }
    }
    const auto g3 = titles(core::Arch::Gemma3);
    for (const char* s : {"× √n_embd", "Query norm (per head)", "Key norm (per head)", "Post-MLP norm"})
        EXPECT_TRUE(has(g3, s)) << s;
    EXPECT_FALSE(has(g3, "Soft-cap of the scores"));
    EXPECT_EQ(core::arch_desc(core::Arch::Gemma2).layer_input, core::Stage::EmbedScaled);

    core::Hparams hp;
    hp.arch = core::Arch::Phi3, hp.n_head = 4, hp.head_dim = 16, hp.n_head_kv = 2, hp.n_embd = 64;
    for (const auto& st : journey_stages(core::arch_desc(core::Arch::Phi3), 1))
        if (st.desc && st.desc->id == core::Stage::KProj) {
            EXPECT_EQ(journey_shape(st, hp, 5), "[2 kv heads × 16] = 32 floats · reads blk.0.attn_qkv.weight");
        }
}

using LayersFrames = test::PanelFrames;

TEST_F(LayersFrames, TheReplayedPositionEqualsTheRecordedForwardPass) {
    start("the model", 4);
    frame(draw_layers_panel);  // the panel on screen: the bridge asks for the replay
    for (int pos : {0, 2, int(ui_.snap->steps.size()) - 1}) {
        ui_.sel.pos = pos;
        ASSERT_TRUE(frames_until(draw_layers_panel,
                                 [&] {
                                     const core::Derived* d = ui_.snap->derived.get();
                                     return d && d->journey && d->journey->pos == pos;
                                 }))
            << "pos " << pos;
        const core::Journey& j  = *ui_.snap->derived->journey;
        const core::Hparams& hp = ui_.snap->model->hp;
        for (int layer = 0; layer < hp.n_layer; ++layer) {
            EXPECT_EQ(j.layers[size_t(layer)].q_max_diff, 0.0f) << "layer " << layer << " pos " << pos;
            EXPECT_EQ(j.layers[size_t(layer)].resid_max_diff, 0.0f) << "layer " << layer << " pos " << pos;
            EXPECT_NEAR(l2_norm(j.find(core::Stage::ResidFfn, layer)->all()),
                        ui_.snap->steps[size_t(pos)]->layers[size_t(layer)].resid_norm_ffn, 1e-3);
            double sum = 0;
            for (float p : j.find(core::Stage::AttnProbs, layer)->row(0)) sum += p;
            EXPECT_NEAR(sum, 1.0, 1e-5);
        }
    }
}

// The same with Llama 3's frequency factors: the replay's RoPE stage and the angles the Position stage names must
// divide by them exactly as the forward pass did.
TEST_F(LayersFrames, ReplayedPositionEqualsTheForwardPassWithLlama3RopeFactors) {
    ts::test::TinyGgufSpec spec;
    spec.rope_freqs = {1.0f, 1.0f, 1.5f, 2.0f, 4.0f, 8.0f, 16.0f, 32.0f};
    start("the model", 4, spec);
    ASSERT_EQ(ui_.snap->model->hp.rope_freq_factors, spec.rope_freqs);
    ui_.sel.pos = 3;
    ASSERT_TRUE(frames_until(draw_layers_panel, [&] {
        const core::Derived* d = ui_.snap->derived.get();
        return d && d->journey && d->journey->pos == 3;
    }));
    const core::Journey& j = *ui_.snap->derived->journey;
    for (const core::JourneyLayer& L : j.layers) EXPECT_EQ(L.q_max_diff, 0.0f);
    const double theta7 = 3.0 * std::pow(10000.0, -14.0 / 16.0) / 32.0;
    EXPECT_FLOAT_EQ(core::derive::rope_thetas_at(ui_.snap->model->hp, 3)[7], float(theta7));
    EXPECT_FLOAT_EQ(j.find(core::Stage::Rope, -1)->row(0)[7], float(std::cos(theta7)));
}

TEST_F(LayersFrames, EveryStageDrawsWithItsNumbers) {
    start("the model", 3);
    const core::ArchDesc& arch = core::arch_desc(ui_.snap->model->hp);
    const int n_stages         = int(journey_stages(arch, ui_.snap->model->hp.n_layer).size());
    for (int i = 0; i < n_stages; ++i) {
        ASSERT_TRUE(ui_.views.layers || i == 0);
        if (ui_.views.layers) ui_.views.layers->stage = i;
        // frames until the replayed position arrived
        const bool ok = frames_until(draw_layers_panel, [&] {
            const core::Derived* d = ui_.snap->derived.get();
            return d && d->journey && d->journey->pos == int(ui_.snap->steps.size()) - 1;
        });
        ASSERT_TRUE(ok) << "stage " << i;
        EXPECT_GT(frame(draw_layers_panel), 1000) << "stage " << i;
    }
}

// Every Journey stage of a gpt2, qwen3, phi3, gemma2, gemma3 and gemma4 file draws, and the replay equals the recorded
// forward pass (for gpt2 the recorded query is the projection itself: there is no RoPE stage).
TEST_F(LayersFrames, EachFamilysStagesDrawAndReplayExactly) {
    for (const char* arch : {"gpt2", "qwen3", "phi3", "gemma2", "gemma3", "gemma4", "gemma4moe", "qwen3moe", "olmoe"}) {
        SCOPED_TRACE(arch);
        ts::test::TinyGgufSpec spec;
        spec.arch = arch;
        start("the model", 3, spec);
        ASSERT_EQ(ui_.snap->model->hp.arch_name, std::string(arch) == "gemma4moe" ? "gemma4" : arch);
        const core::ArchDesc& arch_d = core::arch_desc(ui_.snap->model->hp);
        const int n_stages           = int(journey_stages(arch_d, ui_.snap->model->hp.n_layer).size());
        for (int i = 0; i < n_stages; ++i) {
            if (ui_.views.layers) ui_.views.layers->stage = i;
            ASSERT_TRUE(frames_until(draw_layers_panel,
                                     [&] {
                                         const core::Derived* d = ui_.snap->derived.get();
                                         return d && d->journey && d->journey->pos == int(ui_.snap->steps.size()) - 1;
                                     }))
                << "stage " << i;
            EXPECT_GT(frame(draw_layers_panel), 1000) << "stage " << i;
        }
        const core::Journey& j = *ui_.snap->derived->journey;
        for (const core::JourneyLayer& L : j.layers) {
            EXPECT_EQ(L.q_max_diff, 0.0f);
            EXPECT_EQ(L.resid_max_diff, 0.0f);
        }
        if (std::string(arch) == "gpt2") {  // LayerNorm centres: the mean it subtracted is shown
            EXPECT_NE(j.layers[0].mean_attn_in, 0.0f);
            EXPECT_NE(j.find(core::Stage::PosEmbed, -1), nullptr);
        }
        TearDown();
        SetUp();
    }
}

// A gemma2 file's sliding window (4 positions on layer 0, none on layer 1): the Q·K panel's row has -inf scores and
// weight 0 for the keys before the window, and only for them; the global layer sees every key. The heatmap draws
// those cells as masked (panel_attention's masked_key).
TEST_F(LayersFrames, SlidingWindowKeysAreMaskedOnLocalLayersOnly) {
    ts::test::TinyGgufSpec spec;
    spec.arch = "gemma2";
    start("the model", 6, spec);
    ASSERT_EQ(ui_.snap->model->hp.n_swa, 4);
    const int pos = int(ui_.snap->steps.size()) - 1;
    ASSERT_GE(pos, 6);
    for (int layer : {0, 1}) {
        ui_.sel.pos = pos;
        select_layer_head(ui_, layer, 1);
        ASSERT_TRUE(frames_until(draw_qk_panel, [&] {
            const core::Derived* d = current_derived(ui_, *ui_.snap);
            return d && d->has_row && d->row.pos == pos && d->row.layer == layer;
        }));
        const core::derive::AttnRow& row = ui_.snap->derived->row;
        double sum                       = 0;
        for (int j = 0; j <= pos; ++j) {
            const bool outside = layer == 0 && j <= pos - 4;
            EXPECT_EQ(std::isinf(row.scores[size_t(j)]), outside) << "layer " << layer << " key " << j;
            if (outside) {
                EXPECT_EQ(row.probs[size_t(j)], 0.0f);
            } else {  // gemma2 soft-caps the scores at 50
                EXPECT_LT(std::fabs(row.scores[size_t(j)]), 50.0f);
            }
            sum += row.probs[size_t(j)];
        }
        EXPECT_NEAR(sum, 1.0, 1e-5);
        EXPECT_GT(frame(draw_qk_panel), 1000);
        EXPECT_GT(frame(draw_attention_panel), 100);
    }
}

// Every panel draws for a gpt2 file (none assumes RoPE, a gate or RMSNorm), and for phi3, gemma2, gemma3, gemma4
// (per-layer head sizes, a KV-sharing layer, per-layer embeddings; with experts beside the MLP too), qwen3moe and
// olmoe files.
class EveryPanelDraws : public LayersFrames, public ::testing::WithParamInterface<const char*> {};
INSTANTIATE_TEST_SUITE_P(Archs, EveryPanelDraws,
                         ::testing::Values("gpt2", "phi3", "gemma2", "gemma3", "gemma4", "gemma4moe", "qwen3moe",
                                           "olmoe"));
TEST_P(EveryPanelDraws, ForAFileOfThisArchitecture) {
    ts::test::TinyGgufSpec spec;
    spec.arch = GetParam();
    start("the model", 4, spec);
    const ModelSummary summary                  = summarize_model(*ui_.snap->model);
    const std::pair<const char*, Draw> panels[] = {
        {"model", [&](UiState& ui, const core::Snapshot&) { draw_model_panel(ui, summary); }},
        {"controls", [](UiState& ui, const core::Snapshot& s) { draw_controls_panel(ui, &s); }},
        {"tokens", draw_tokens_panel},
        {"attention", draw_attention_panel},
        {"qk", draw_qk_panel},
        {"softmax", draw_softmax_panel},
        {"logits", draw_logits_panel},
        {"kv", draw_kv_panel},
        {"layers", draw_layers_panel},
        {"geometry", draw_geometry_panel},
        {"experts", draw_experts_panel},
    };
    for (const auto& [name, draw] : panels) {
        // Panels whose numbers the worker derives (Journey, Geometry) draw them a few frames later.
        int vertices = 0;
        frames_until(
            draw, [&] { return (vertices = frame(draw)) > 100; }, 10000);
        EXPECT_GT(vertices, 100) << name;
    }
}

// qwen3moe, olmoe, gemma4 with experts: the Journey lists the router, the chosen experts and their weighted sum in
// every layer, and the
// Experts panel draws a layers × positions grid with a recorded route in every cell, each stripe coloured by its
// expert.
class ExpertsFrames : public LayersFrames, public ::testing::WithParamInterface<const char*> {};
INSTANTIATE_TEST_SUITE_P(Archs, ExpertsFrames, ::testing::Values("qwen3moe", "olmoe", "gemma4moe"));
TEST_P(ExpertsFrames, ExpertsPanelShowsTheRoutePerTokenAndLayer) {
    ts::test::TinyGgufSpec spec;
    spec.arch = GetParam();
    start("the model", 4, spec);
    const core::Hparams& hp = ui_.snap->model->hp;
    ASSERT_TRUE(hp.is_moe());
    const auto stages = journey_stages(core::arch_desc(hp), hp.n_layer);
    int moe_stages    = 0;
    for (const JourneyStage& s : stages)
        if (s.desc && (s.desc->id == core::Stage::FfnRouter || s.desc->id == core::Stage::FfnRoute ||
                       s.desc->id == core::Stage::FfnExpertOut))
            ++moe_stages;
    EXPECT_EQ(moe_stages, 3 * hp.n_layer);
    bool has_mix = false;
    for (const JourneyStage& s : stages)
        has_mix = has_mix || (s.desc && std::string(journey_title(s)) == "Weighted sum of experts");
    EXPECT_TRUE(has_mix);

    const int T = int(ui_.snap->steps.size());
    EXPECT_GT(frame(draw_experts_panel), 200 + 4 * T * hp.n_layer);  // a filled rectangle per cell at least
    float rect[4];
    int cells = 0;
    ASSERT_TRUE(experts_grid_rect(ui_, rect, &cells));
    EXPECT_GT(rect[2] - rect[0], 10.0f);
    EXPECT_GT(rect[3] - rect[1], 10.0f);
    EXPECT_EQ(cells, T * hp.n_layer);
    // Every recorded route: 2 distinct experts of 4 whose weights add to 1 (qwen3moe) or are their router
    // probabilities (olmoe), and the router's distribution.
    for (const auto& st : ui_.snap->steps) {
        ASSERT_TRUE(st->record);
        const core::PositionRecord& r = *st->record;
        ASSERT_EQ(r.n_expert, 4);
        for (int l = 0; l < hp.n_layer; ++l) {
            const int a = r.experts[size_t(l * 2)], b = r.experts[size_t(l * 2 + 1)];
            EXPECT_NE(a, b);
            EXPECT_TRUE(a >= 0 && a < 4 && b >= 0 && b < 4);
            if (hp.expert_weights_norm) {
                EXPECT_NEAR(r.expert_w[size_t(l * 2)] + r.expert_w[size_t(l * 2 + 1)], 1.0f, 1e-5f);
            } else {
                EXPECT_EQ(r.expert_w[size_t(l * 2)], r.router[size_t(l * 4 + a)]);
                EXPECT_EQ(r.expert_w[size_t(l * 2 + 1)], r.router[size_t(l * 4 + b)]);
            }
            EXPECT_GE(r.router[size_t(l * 4 + a)], r.router[size_t(l * 4 + b)]);
        }
    }
    // The whole shell draws the Experts tab.
    ui_.tab_request = CenterTab::Experts;
    shell_frame();
    EXPECT_GT(shell_frame(), 1500);
    EXPECT_EQ(ui_.tab_shown, CenterTab::Experts);
}

}  // namespace
}  // namespace ts::app
