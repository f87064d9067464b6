// The Softmax & sampling and Logits panels: the cumulative top-p cut agrees with the sampler's own top-p stage,
// stage lookup and the Logits table rows, and headless frames of both panels; clicking a Logits row branches.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "app/ui/view_sampling.hpp"
#include "app/ui/widgets.hpp"
#include "core/sample/sampler.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

using core::sample::TokenProb;

TEST(CumulativeCut, KeepsTheSmallestPrefixReachingP) {
    const std::vector<TokenProb> ps = {{3, 0, 0.4f}, {1, 0, 0.3f}, {2, 0, 0.2f}, {0, 0, 0.1f}};
    const CumulativeCut c           = cumulative_cut(ps, 0.65f);
    ASSERT_EQ(c.cum.size(), 4u);
    EXPECT_NEAR(c.cum[1], 0.7f, 1e-6);
    EXPECT_NEAR(c.cum[3], 1.0f, 1e-6);
    EXPECT_EQ(c.n_kept, 2);
    EXPECT_TRUE(c.active && c.in_list);
    EXPECT_EQ(cumulative_cut(ps, 0.7f).n_kept, 2);   // reaching exactly p is enough
    EXPECT_EQ(cumulative_cut(ps, 0.01f).n_kept, 1);  // at least one
    const CumulativeCut off = cumulative_cut(ps, 1.0f);
    EXPECT_FALSE(off.active);
    EXPECT_EQ(off.n_kept, 4);
}

TEST(CumulativeCut, MatchesTheSamplersTopPStage) {
    std::vector<float> logits;
    for (int i = 0; i < 300; ++i) logits.push_back(float((i * 37) % 101) / 17.0f);
    core::sample::SamplerSettings s;
    s.temp  = 1.3f;
    s.top_k = 0;
    s.top_p = 0.6f;
    s.min_p = 0;
    core::sample::Rng rng(1);
    core::sample::SamplerView view;
    view.n_top = 300;
    ASSERT_TRUE(core::sample::run_chain(logits, s, {}, rng, &view).ok());
    const auto* in  = top_p_input(view);
    const auto* top = find_stage(view, core::sample::StageKind::TopP);
    ASSERT_NE(in, nullptr);
    ASSERT_NE(top, nullptr);
    EXPECT_EQ(cumulative_cut(in->top, s.top_p).n_kept, top->n_kept);
}

TEST(LogitRows, RankByRawLogitWithRunningSumAndSamplerShare) {
    std::vector<float> logits = {0.0f, 3.0f, 1.0f, 2.0f};
    core::sample::SamplerSettings s;
    s.top_k = 2;
    s.top_p = 1;
    s.min_p = 0;
    core::sample::Rng rng(7);
    core::sample::SamplerView view;
    view.n_top = 4;
    ASSERT_TRUE(core::sample::run_chain(logits, s, {}, rng, &view).ok());
    const auto rows = ranked_rows(view);
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[0].id, 1);
    EXPECT_EQ(rows[1].id, 3);
    EXPECT_EQ(rows[3].rank, 4);
    EXPECT_NEAR(rows[3].cum, 1.0f, 1e-5);
    EXPECT_GT(rows[1].p_final, 0.0f);
    EXPECT_EQ(rows[2].p_final, 0.0f);  // cut by top-k 2
    int chosen = 0;
    for (const auto& r : rows) chosen += r.chosen;
    EXPECT_EQ(chosen, 1);
    EXPECT_TRUE(sampler_settings_equal(s, s));
}

using SamplingFrames = test::PanelFrames;

TEST_F(SamplingFrames, SoftmaxPanelFollowsTheSlidersInTheSameFrame) {
    start();
    const int v0 = frame(draw_softmax_panel);
    EXPECT_GT(v0, 1500);
    ASSERT_TRUE(ui_.preview.valid);
    const float h0    = ui_.preview.view.stages.back().entropy;
    ui_.sampler.temp  = 3.0f;  // a slider moved: no command, no wait
    ui_.sampler.top_k = 0;
    ui_.sampler.top_p = 1.0f;
    ui_.sampler.min_p = 0.0f;
    frame(draw_softmax_panel);
    EXPECT_TRUE(ui_.preview.valid);
    EXPECT_GT(ui_.preview.view.stages.back().entropy, h0);
    ui_.views.softmax->stage = 0;  // the raw-logits stage in the large chart
    EXPECT_GT(frame(draw_softmax_panel), 1500);
}

TEST_F(SamplingFrames, ElidingKeepsTextWithinTheWidthAndEndsWithAnEllipsis) {
    ImGui::NewFrame();  // text is measured with the frame's font
    const float w = ImGui::CalcTextSize("␣Abr").x;
    EXPECT_EQ(elide_to_width("␣Abraham", 1000.0f), "␣Abraham");
    const std::string e = elide_to_width("␣Abraham", w);
    EXPECT_LE(ImGui::CalcTextSize(e.c_str()).x, w);
    ASSERT_GE(e.size(), 4u);
    EXPECT_EQ(e.substr(e.size() - 3), "…");
    EXPECT_EQ(e.rfind("␣", 0), 0u);  // cut at a character boundary, the multi-byte ␣ kept whole
    EXPECT_EQ(elide_to_width("␣Abraham", 1.0f), "");
    ImGui::EndFrame();
}

// Every bar of the large chart has its token under it, within the room it has: longer tokens (Abraham, Pharaoh)
// are elided, never dropped.
TEST_F(SamplingFrames, EveryBarOfTheChartHasALabelThatFits) {
    start();
    ImGui::GetIO().DisplaySize = ImVec2(900.0f, 700.0f);  // narrow bars: labels must stagger or elide
    ui_.views.softmax          = std::make_shared<SoftmaxView>();
    ui_.views.softmax->n_bars  = 24;
    ui_.sampler.top_k          = 0;  // a long list, so all 24 bars are drawn
    ui_.sampler.top_p          = 1.0f;
    ui_.sampler.min_p          = 0.0f;
    frame([&](UiState& ui, const core::Snapshot& snap) {
        draw_softmax_panel(ui, snap);
        const SoftmaxView& sv = *ui.views.softmax;
        ASSERT_EQ(sv.bar_labels.size(), 24u);
        ImGui::PushFont(ui.fonts.mono);
        for (const std::string& l : sv.bar_labels) {
            EXPECT_FALSE(l.empty());
            EXPECT_LE(ImGui::CalcTextSize(l.c_str()).x, sv.label_room) << l;
        }
        ImGui::PopFont();
    });
}

// On the final stage's chart, u is drawn on the cumulative curve and falls in the sampled token's bar.
TEST_F(SamplingFrames, UFallsInTheSampledTokensBarOnTheFinalChart) {
    start();
    ui_.sampler.top_k = 20;  // the tiny model is nearly flat: keep few enough that every kept candidate is listed
    ui_.sampler.top_p = 1.0f;
    ui_.sampler.min_p = 0.0f;
    frame(draw_softmax_panel);
    ASSERT_TRUE(ui_.preview.valid);
    const auto& v             = ui_.preview.view;
    ui_.views.softmax->stage  = int(v.stages.size()) - 1;  // the final card
    ui_.views.softmax->n_bars = 100;
    frame(draw_softmax_panel);
    ASSERT_LE(v.stages.back().n_kept, int(v.stages.back().top.size()));
    const int ub = ui_.views.softmax->drawn_u_bar;
    ASSERT_GE(ub, 0);
    EXPECT_EQ(v.stages.back().top[size_t(ub)].id, v.chosen);
    EXPECT_EQ(u_bar(v.stages.back().top, v.draw_u), ub);
}

// The min-p card's input chart draws the threshold min_p × p_max, and every kept token of min-p is at or above it.
TEST_F(SamplingFrames, TheMinPThresholdLineSeparatesKeptFromDropped) {
    start();
    ui_.sampler.top_k = 0;
    ui_.sampler.top_p = 1.0f;
    ui_.sampler.min_p = 0.5f;
    frame(draw_softmax_panel);
    ASSERT_TRUE(ui_.preview.valid);
    const auto& v     = ui_.preview.view;
    const auto* input = min_p_input(v);
    ASSERT_NE(input, nullptr);
    ui_.views.softmax->stage = int(input - v.stages.data());
    frame(draw_softmax_panel);
    const float thr = ui_.views.softmax->min_p_line;
    EXPECT_FLOAT_EQ(thr, 0.5f * input->top.front().p);
    const auto* minp = find_stage(v, core::sample::StageKind::MinP);
    ASSERT_NE(minp, nullptr);
    for (const auto& t : input->top) EXPECT_EQ(stage_p(*minp, t.id) > 0, t.p >= thr) << t.id;
    core::sample::SamplerSettings s;
    s.min_p = 0.05f;
    EXPECT_EQ(stage_formula(core::sample::StageKind::MinP, s, 0.5f),
              "keep p_i ≥ min_p · p_max = 0.05 × 0.5000 = 0.0250, renormalise");
    s.temp = 0.7f;
    EXPECT_NE(stage_formula(core::sample::StageKind::Temperature, s, 0).find("T = 0.70"), std::string::npos);
}

TEST_F(SamplingFrames, PromptPositionsExplainWhyThereIsNoDistribution) {
    start("the model", 2);
    ui_.sel.pos = 0;
    EXPECT_GT(frame(draw_softmax_panel), 50);
    EXPECT_GT(frame(draw_logits_panel), 50);
}

TEST_F(SamplingFrames, ClickingALogitsRowBranches) {
    start("the model", 4);
    const int pos = ui_.snap->n_prompt - 1;  // the last prompt position, followed by 4 generated tokens
    ui_.sel.pos   = pos;
    frame(draw_logits_panel);
    ASSERT_TRUE(ui_.views.logits);
    const auto& lv = *ui_.views.logits;
    ASSERT_GE(lv.row0_y, 0.0f);
    ASSERT_GE(lv.rows.size(), 2u);
    const int32_t second  = lv.rows[1].id;
    const size_t n_before = ui_.snap->steps.size();
    ImGuiIO& io           = ImGui::GetIO();
    const float row_h     = ImGui::GetTextLineHeight() + 2.0f * ImGui::GetStyle().CellPadding.y;
    io.MousePos           = ImVec2(lv.row0_x + 40.0f, lv.row0_y + row_h * 1.5f);
    frame(draw_logits_panel);  // hover row 1
    io.MouseDown[0] = true;
    frame(draw_logits_panel);
    io.MouseDown[0] = false;
    frame(draw_logits_panel);  // released: the click
    // The branch replaced position 3 with the second candidate and forgot what followed.
    for (int i = 0; i < 200; ++i) {
        frame(draw_logits_panel);
        if (ui_.snap->steps.size() == size_t(pos) + 2 && ui_.snap->steps.back()->token == second) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(ui_.snap->steps.size(), size_t(pos) + 2);
    EXPECT_LT(ui_.snap->steps.size(), n_before);
    EXPECT_EQ(ui_.snap->steps.back()->token, second);
    EXPECT_EQ(ui_.snap->steps.back()->source, core::TokenSource::Forced);
}

}  // namespace
}  // namespace ts::app
