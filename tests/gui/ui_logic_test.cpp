// The explorer's panel-independent logic, no display needed: how a token is written (display form, elision), the
// heatmap's pixel → (query, key) lookup with zoom and pan, and the sampler sliders' mapping to SamplerSettings.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "app/ui/heatmap_view.hpp"
#include "app/ui/plot_frame.hpp"
#include "app/ui/sampler_sliders.hpp"
#include "app/ui/token_text.hpp"
#include "app/ui/ui_state.hpp"
#include "app/ui/widgets.hpp"
#include "core/model/model.hpp"
#include "tests/gui/tiny_gguf.hpp"

namespace ts::app {
namespace {

// ---- token display form ----------------------------------------------------------------------------------------

class TokenText : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string path = ts::test::unique_temp_path("ts_ui_logic_tiny.gguf");
        ASSERT_TRUE(test::write_tiny_gguf(path).ok());
        auto m = core::load_model(path);
        ASSERT_TRUE(m.ok()) << m.error().message;
        model_ = *m;
    }
    // The tiny vocabulary: <unk> <s> </s>, 256 byte tokens <0x00>.., then "▁the" "▁a" ...
    static constexpr int32_t kByte0 = 3, kThe = 3 + 256;
    std::shared_ptr<const core::Model> model_;
};

TEST_F(TokenText, SpacesNewlinesAndBytesAreVisible) {
    EXPECT_EQ(token_display(model_.get(), kThe), "␣the");
    EXPECT_EQ(token_display(model_.get(), kByte0 + '\n'), "<0x0A>");  // byte tokens stay visible as bytes
    EXPECT_EQ(token_display(model_.get(), kByte0 + 0xE2), "<0xE2>");
    EXPECT_EQ(token_display(model_.get(), 1), "<s>");  // control tokens show their text
}

TEST_F(TokenText, IdsOutsideTheVocabularyOrWithoutATokenizerShowTheNumber) {
    ASSERT_EQ(model_->hp.n_vocab, 271);
    EXPECT_EQ(token_display(model_.get(), 271), "#271?");
    EXPECT_EQ(token_display(model_.get(), -1), "#-1?");
    EXPECT_EQ(token_display(nullptr, 42), "#42");
}

TEST(Elide, KeepsWholeCharactersAndMarksTheCut) {
    EXPECT_EQ(elide_utf8("short", 8), "short");
    EXPECT_EQ(elide_utf8("exactly8", 8), "exactly8");
    EXPECT_EQ(elide_utf8("too long a token", 8), "too lon…");
    EXPECT_EQ(elide_utf8("␣日本語テキスト", 4), "␣日本…");  // counts code points, never splits one
    EXPECT_EQ(elide_utf8("abc", 1), "…");
    EXPECT_EQ(elide_utf8("abc", 0), "");
}

// ---- heatmap hover lookup --------------------------------------------------------------------------------------

// The Q·K panel says which query heads share a key/value head under grouped-query attention, and nothing otherwise.
TEST(KvSharing, NamesTheSharedKvHeadAndItsGroup) {
    ts::core::Hparams hp;
    hp.n_head    = 32;
    hp.n_head_kv = 4;
    EXPECT_EQ(kv_sharing_note(hp, 0), "head 0 reads K/V head 0, shared with heads 0–7");
    EXPECT_EQ(kv_sharing_note(hp, 13), "head 13 reads K/V head 1, shared with heads 8–15");
    EXPECT_EQ(kv_sharing_note(hp, 31), "head 31 reads K/V head 3, shared with heads 24–31");
    hp.n_head_kv = 32;
    EXPECT_EQ(kv_sharing_note(hp, 5), "");
    // gemma4: kv heads per layer, and a KV-sharing layer reads another layer's cache.
    hp.n_layer         = 3;
    hp.n_head_kv       = 4;
    hp.layer_n_head_kv = {2, 4, 2};
    hp.n_layer_kv      = 2;
    hp.n_swa           = 4;
    hp.swa_layers      = {1, 0, 1};
    EXPECT_EQ(kv_sharing_note(hp, 13, 0), "head 13 reads K/V head 0, shared with heads 0–15");
    EXPECT_EQ(kv_sharing_note(hp, 13, 1), "head 13 reads K/V head 1, shared with heads 8–15");
    EXPECT_EQ(kv_sharing_note(hp, 31, 2), "head 31 reads K/V head 1 (in layer 0's cache), shared with heads 16–31");
}

TEST(HeatmapView, PixelMapsToQueryRowAndKeyColumn) {
    const CellWindow w = visible_cells(10, 10, 1.0f, 0.0f, 0.0f);
    const ScreenRect r{100.0f, 50.0f, 200.0f, 200.0f};  // 20 px per cell
    auto hit = cell_at(w, r, 100.0f + 45.0f, 50.0f + 139.0f);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->col, 2);  // x 45 px → key 2
    EXPECT_EQ(hit->row, 6);  // y 139 px → query 6
    hit = cell_at(w, r, 100.0f, 50.0f);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->row, 0);
    EXPECT_EQ(hit->col, 0);
    hit = cell_at(w, r, 299.9f, 249.9f);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->row, 9);
    EXPECT_EQ(hit->col, 9);
}

TEST(HeatmapView, OutsideTheRectangleIsNoCell) {
    const CellWindow w = visible_cells(4, 4, 1.0f, 0.0f, 0.0f);
    const ScreenRect r{0.0f, 0.0f, 40.0f, 40.0f};
    EXPECT_FALSE(cell_at(w, r, -0.5f, 10.0f));
    EXPECT_FALSE(cell_at(w, r, 10.0f, 40.0f));
    EXPECT_FALSE(cell_at(visible_cells(0, 0, 1.0f, 0.0f, 0.0f), r, 10.0f, 10.0f));
}

TEST(HeatmapView, NonSquareGridAndOneCell) {
    const ScreenRect r{0.0f, 0.0f, 300.0f, 100.0f};
    auto hit = cell_at(visible_cells(2, 3, 1.0f, 0.0f, 0.0f), r, 250.0f, 60.0f);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->row, 1);
    EXPECT_EQ(hit->col, 2);
    hit = cell_at(visible_cells(1, 1, 1.0f, 0.0f, 0.0f), r, 299.0f, 99.0f);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->row, 0);
    EXPECT_EQ(hit->col, 0);
}

TEST(HeatmapView, ZoomedAndPannedLookupAndTextureWindowAgree) {
    // 100 positions at zoom 4: 25 cells visible, panned to start at key 50, query 10.
    const CellWindow w = visible_cells(100, 100, 4.0f, 50.0f, 10.0f);
    EXPECT_FLOAT_EQ(w.ncols, 25.0f);
    const ScreenRect r{0.0f, 0.0f, 250.0f, 250.0f};  // 10 px per cell
    auto hit = cell_at(w, r, 5.0f, 5.0f);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->col, 50);
    EXPECT_EQ(hit->row, 10);
    float uv[4];
    window_uv(w, uv);
    EXPECT_FLOAT_EQ(uv[0], 0.50f);
    EXPECT_FLOAT_EQ(uv[1], 0.10f);
    EXPECT_FLOAT_EQ(uv[2], 0.75f);
    EXPECT_FLOAT_EQ(uv[3], 0.35f);
    float x = 0, y = 0;
    cell_center(w, r, 12, 53, &x, &y);
    EXPECT_FLOAT_EQ(x, 35.0f);
    EXPECT_FLOAT_EQ(y, 25.0f);
}

TEST(HeatmapView, PanStaysInsideTheGrid) {
    const CellWindow w = visible_cells(100, 100, 2.0f, 90.0f, -5.0f);
    EXPECT_FLOAT_EQ(w.col0, 50.0f);  // 50 cells visible: the pan stops at the last 50
    EXPECT_FLOAT_EQ(w.row0, 0.0f);
    const CellWindow fit = visible_cells(100, 100, 0.5f, 30.0f, 30.0f);  // zoom below 1 means the whole grid
    EXPECT_FLOAT_EQ(fit.ncols, 100.0f);
    EXPECT_FLOAT_EQ(fit.col0, 0.0f);
}

TEST(HeatmapView, ZoomKeepsTheCellUnderTheCursor) {
    const ScreenRect r{0.0f, 0.0f, 200.0f, 200.0f};
    float zoom = 1.0f, pc = 0.0f, pr = 0.0f;
    const float px = 150.0f, py = 40.0f;
    const auto before = cell_at(visible_cells(64, 64, zoom, pc, pr), r, px, py);
    zoom_about(64, 64, r, px, py, 2.0f, &zoom, &pc, &pr);
    EXPECT_FLOAT_EQ(zoom, 2.0f);
    const auto after = cell_at(visible_cells(64, 64, zoom, pc, pr), r, px, py);
    ASSERT_TRUE(before && after);
    EXPECT_EQ(before->row, after->row);
    EXPECT_EQ(before->col, after->col);
    zoom_about(64, 64, r, px, py, 0.01f, &zoom, &pc, &pr);  // never below the whole grid
    EXPECT_FLOAT_EQ(zoom, 1.0f);
    EXPECT_FLOAT_EQ(pc, 0.0f);
}

// ---- sampler sliders -------------------------------------------------------------------------------------------

TEST(PromptIds, AModelWithoutATokenizerTakesIdsAndLlama2cStartsFromBos) {
    core::Model m;
    m.hp.n_vocab = 37;
    m.format     = "llama2.c";
    auto ids     = parse_prompt_ids(" 1, 5 36\n0", m);
    ASSERT_TRUE(ids.ok()) << ids.error().message;
    EXPECT_EQ(*ids, (std::vector<int32_t>{1, 5, 36, 0}));
    EXPECT_EQ(parse_prompt_ids("", m).value(), (std::vector<int32_t>{1}));  // BOS alone
    auto too_big = parse_prompt_ids("3 37", m);
    ASSERT_FALSE(too_big.ok());
    EXPECT_NE(too_big.error().message.find("37 is outside the vocabulary [0, 37)"), std::string::npos);
    auto huge = parse_prompt_ids("99999999999999999999", m);  // no overflow, and the whole number is named
    ASSERT_FALSE(huge.ok());
    EXPECT_NE(huge.error().message.find("99999999999999999999 is outside"), std::string::npos) << huge.error().message;
    auto text = parse_prompt_ids("hello", m);
    ASSERT_FALSE(text.ok());
    EXPECT_NE(text.error().message.find("token ids"), std::string::npos) << text.error().message;
    EXPECT_FALSE(parse_prompt_ids("-3", m).ok());
    m.format = "gguf v3";  // a GGUF without tokenizer metadata: no known BOS, so an empty prompt is an error
    EXPECT_FALSE(parse_prompt_ids(" ", m).ok());
}

TEST(ContextFlag, MoreThanTheTrainedContextIsRefusedWithTheNumbers) {
    core::Model m;
    m.hp.n_ctx_train = 256;
    EXPECT_EQ(context_problem(m, 0), "");  // the model's own
    EXPECT_EQ(context_problem(m, 256), "");
    EXPECT_EQ(context_problem(m, 257), "-c 257 is larger than the model's context of 256 tokens");
    m.hp.n_ctx_train = 0;  // unknown: anything goes
    EXPECT_EQ(context_problem(m, 100000), "");
}

TEST(PlotTicks, RoundStepsInsideTheRange) {
    EXPECT_EQ(nice_ticks(0, 19, 6, true), (std::vector<double>{0, 5, 10, 15}));
    EXPECT_EQ(nice_ticks(0, 20, 8, true), (std::vector<double>{0, 5, 10, 15, 20}));
    EXPECT_EQ(nice_ticks(0, 4, 4, true), (std::vector<double>{0, 1, 2, 3, 4}));
    EXPECT_EQ(nice_ticks(0, 3, 8, true), (std::vector<double>{0, 1, 2, 3}));  // never a step below 1
    EXPECT_EQ(nice_ticks(-0.92, 0.92, 4, false), (std::vector<double>{-0.5, 0, 0.5}));
    const auto mid = nice_ticks(-0.75, 0.75, 6, false);
    ASSERT_EQ(mid.size(), 3u);
    EXPECT_EQ(mid[1], 0.0);
    EXPECT_FALSE(std::signbit(mid[1]));  // reads "0", not "-0"
    const auto fifths = nice_ticks(0, 1.0, 5, false);
    ASSERT_EQ(fifths.size(), 6u);
    EXPECT_DOUBLE_EQ(fifths[1], 0.2);
    EXPECT_DOUBLE_EQ(fifths[5], 1.0);
    EXPECT_EQ(nice_ticks(-1e6, 1e6, 4, false).size(), 5u);
    EXPECT_EQ(nice_ticks(2, 2, 4, false), (std::vector<double>{2}));  // an empty range: one tick
}

TEST(SamplerSliders, ValuesLandInTheirFieldsClampedAndRounded) {
    core::sample::SamplerSettings s;
    EXPECT_TRUE(set_slider_value(s, SamplerField::Temp, 1.3f));
    EXPECT_FLOAT_EQ(s.temp, 1.3f);
    EXPECT_TRUE(set_slider_value(s, SamplerField::TopK, 12.6f));
    EXPECT_EQ(s.top_k, 13);
    EXPECT_TRUE(set_slider_value(s, SamplerField::TopP, 0.5f));
    EXPECT_FLOAT_EQ(s.top_p, 0.5f);
    EXPECT_TRUE(set_slider_value(s, SamplerField::MinP, 0.1f));
    EXPECT_FLOAT_EQ(s.min_p, 0.1f);
    EXPECT_TRUE(set_slider_value(s, SamplerField::RepeatPenalty, 1.2f));
    EXPECT_FLOAT_EQ(s.repeat_penalty, 1.2f);
    EXPECT_TRUE(set_slider_value(s, SamplerField::Seed, 7.0f));
    EXPECT_EQ(s.seed, 7u);
    set_slider_value(s, SamplerField::Temp, 9.0f);
    EXPECT_FLOAT_EQ(s.temp, slider_spec(SamplerField::Temp).max);
    set_slider_value(s, SamplerField::TopP, -1.0f);
    EXPECT_FLOAT_EQ(s.top_p, 0.0f);
    EXPECT_FALSE(set_slider_value(s, SamplerField::TopK, 13.2f));  // rounds to what it already is
    EXPECT_FALSE(set_slider_value(s, SamplerField::Temp, std::nanf("")));
    EXPECT_TRUE(core::sample::validate_settings(s).ok());  // whatever a slider does stays valid
}

TEST(SamplerSliders, EndsOfTheRangesTurnStagesOff) {
    core::sample::SamplerSettings s;
    EXPECT_FALSE(slider_is_off(s, SamplerField::TopK));
    set_slider_value(s, SamplerField::TopK, 0.0f);
    set_slider_value(s, SamplerField::TopP, 1.0f);
    set_slider_value(s, SamplerField::MinP, 0.0f);
    set_slider_value(s, SamplerField::RepeatPenalty, 1.0f);
    set_slider_value(s, SamplerField::Temp, 0.0f);
    EXPECT_TRUE(slider_is_off(s, SamplerField::TopK));
    EXPECT_TRUE(slider_is_off(s, SamplerField::TopP));
    EXPECT_TRUE(slider_is_off(s, SamplerField::MinP));
    EXPECT_TRUE(slider_is_off(s, SamplerField::RepeatPenalty));
    EXPECT_TRUE(slider_is_off(s, SamplerField::Temp));  // greedy
    EXPECT_EQ(s.top_k, 0);
    EXPECT_FLOAT_EQ(s.top_p, 1.0f);
}

TEST(SamplerSliders, EverySliderHasARangeAndATooltip) {
    for (int i = 0; i < int(SamplerField::kCount); ++i) {
        const SliderSpec& spec = slider_spec(SamplerField(i));
        EXPECT_LT(spec.min, spec.max) << spec.label;
        EXPECT_GT(std::string(spec.help).size(), 30u) << spec.label;
        core::sample::SamplerSettings s;
        const float v = slider_value(s, SamplerField(i));
        EXPECT_GE(v, spec.min) << spec.label << ": the default must be on the slider";
        EXPECT_LE(v, spec.max) << spec.label;
    }
}

}  // namespace
}  // namespace ts::app
