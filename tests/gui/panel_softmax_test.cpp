// The Softmax & sampling and Logits panels: the cumulative top-p cut agrees with the sampler's own top-p stage,
// stage lookup and the Logits table rows, and headless frames of both panels; clicking a Logits row branches.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "app/ui/predict_mode.hpp"
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

// Issue 16: at a past position the sliders preview a what-if on that position's recorded logits, marked as such,
// instead of being ignored; with the settings it was sampled with, the panel shows the recorded view.
TEST_F(SamplingFrames, SlidersPreviewAWhatIfAtAPastPosition) {
    start("the model", 4);
    const auto snap           = ui_.snap;
    const int pos             = int(snap->steps.size()) - 2;  // a generated position, not the newest
    const core::StepTrace& st = *snap->steps[size_t(pos)];
    ui_.sel.pos               = pos;
    ui_.sampler               = st.settings;
    frame(draw_softmax_panel);
    EXPECT_FALSE(shown_sampler(ui_, *snap, st).what_if) << "the recorded settings: the recorded view";
    EXPECT_EQ(shown_sampler(ui_, *snap, st).view, &st.sampler);

    ui_.sampler.temp = 0.0f;  // greedy: the what-if picks the best raw logit
    frame(draw_softmax_panel);
    frame(draw_logits_panel);
    const ShownSampler shown = shown_sampler(ui_, *snap, st);
    ASSERT_TRUE(shown.what_if);
    EXPECT_FALSE(shown.live);
    const auto& raw = st.sampler.stages.front();
    EXPECT_EQ(shown.complete, size_t(raw.n_kept) <= raw.top.size());  // every candidate listed, or only the best
    ASSERT_TRUE(ui_.what_if.valid);
    EXPECT_EQ(ui_.what_if.pos, pos);
    EXPECT_EQ(shown.view->chosen, st.sampler.stages.front().top.front().id);
    EXPECT_TRUE(shown.view->greedy);
    // The recorded trace is untouched: the what-if is a preview, not a resample.
    EXPECT_EQ(ui_.snap->steps[size_t(pos)]->next_token, st.next_token);
    EXPECT_FALSE(st.sampler.greedy);
}

// Issue 16: predict mode hides the distribution until a guess is committed, then rates it; a new position hides it
// again.
TEST_F(SamplingFrames, PredictModeHidesTheDistributionUntilAGuess) {
    start("the model", 3);
    const auto snap           = ui_.snap;
    const core::StepTrace& st = *snap->steps.back();
    const int shown           = frame(draw_softmax_panel);
    toggle_predict_mode(ui_);
    const int hidden = frame(draw_softmax_panel);
    EXPECT_LT(hidden, shown / 2) << "the charts are not drawn";
    EXPECT_LT(frame(draw_logits_panel), shown / 2);
    EXPECT_FALSE(ui_.predict.committed);
    ASSERT_GE(ui_.predict.choices.size(), 3u);
    // The short list holds the model's favourite (shuffled among others).
    const int32_t best = st.sampler.stages.front().top.front().id;
    EXPECT_NE(std::find(ui_.predict.choices.begin(), ui_.predict.choices.end(), best), ui_.predict.choices.end());

    // A typed guess: the text of the best candidate that is a word of its own, rated with its rank and the model's
    // p (full logits: the newest position).
    const auto& cands = st.sampler.stages.front().top;
    size_t rank0      = 0;
    std::string text;
    for (; rank0 < cands.size(); ++rank0) {
        text = snap->model->tokenizer->token_bytes(cands[rank0].id);
        if (text.empty()) continue;
        auto g = core::rate_guess_text(*snap->model->tokenizer, text, *snap->logits, st.sampler.stages.front());
        if (g.ok() && g->id == cands[rank0].id) break;
    }
    ASSERT_LT(rank0, cands.size()) << "no candidate is a word of its own";
    ASSERT_TRUE(commit_guess_text(ui_, *snap, st, text)) << ui_.predict.error;
    EXPECT_TRUE(ui_.predict.committed);
    EXPECT_EQ(ui_.predict.rating.id, cands[rank0].id);
    EXPECT_EQ(ui_.predict.rating.rank, int(rank0) + 1);
    EXPECT_NEAR(ui_.predict.rating.p, cands[rank0].p, 1e-6);
    EXPECT_GT(frame(draw_softmax_panel), shown / 2) << "committed: the distribution is shown";

    // Another position hides it again; a picked token is rated too.
    select_position(ui_, int(snap->steps.size()) - 2);
    frame(draw_softmax_panel);
    EXPECT_FALSE(ui_.predict.committed);
    const core::StepTrace& older = *snap->steps[snap->steps.size() - 2];
    const auto& top              = older.sampler.stages.front().top;
    ASSERT_GE(top.size(), 2u);
    commit_guess_token(ui_, *snap, older, top[1].id);
    EXPECT_EQ(ui_.predict.rating.rank, 2);  // from the recorded list (an older position has no full logits)
    EXPECT_FLOAT_EQ(ui_.predict.rating.p, top[1].p);
    EXPECT_GT(frame(draw_softmax_panel), shown / 2);
    toggle_predict_mode(ui_);
    EXPECT_FALSE(ui_.predict.on);
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
