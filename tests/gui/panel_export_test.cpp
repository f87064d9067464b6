// File ▸ Export numbers: each panel with a table of numbers exports it as CSV over a real engine (tiny model), with
// the header its format promises and the numbers the panel draws; panels without one say why; the file is written
// under a new dated name.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "app/ui/export_csv.hpp"
#include "app/ui/shell.hpp"
#include "app/ui/view_sampling.hpp"
#include "tests/gui/panel_fixture.hpp"

namespace ts::app {
namespace {

class PanelExport : public test::PanelFrames {};

std::string first_line(const std::string& s) {
    return s.substr(0, s.find("\r\n"));
}

TEST_F(PanelExport, EveryPanelWithNumbersExportsThemAsCsv) {
    start("the model", 5);
    struct Case {
        CenterTab tab;
        std::function<void(UiState&, const core::Snapshot&)> draw;
        const char* header_start;
        const char* name_start;
    };
    const Case cases[] = {
        {CenterTab::Attention, draw_attention_panel, "query_pos,query_token,0:", "attention-L0H0"},
        {CenterTab::QkScores, draw_qk_panel, "key_pos,key_token,score,weight", "qk-L0H0-pos"},
        {CenterTab::Softmax, draw_softmax_panel, "stage,enabled,entropy_bits,n_kept", "sampler-pos"},
        {CenterTab::Logits, draw_logits_panel, "rank,id,token,logit,p_model,cumulative,p_sampler,chosen", "logits-pos"},
        {CenterTab::Journey, draw_layers_panel, "layer,rank,id,token,p", "lens-pos"},
    };
    for (const Case& c : cases) {
        std::optional<PanelCsv> csv;
        ASSERT_TRUE(frames_until(c.draw, [&] { return (csv = panel_csv(ui_, c.tab)).has_value(); }))
            << center_tab_title(c.tab);
        EXPECT_EQ(first_line(csv->text).rfind(c.header_start, 0), 0u) << first_line(csv->text);
        EXPECT_EQ(csv->name.rfind(c.name_start, 0), 0u) << csv->name;
        EXPECT_GT(std::count(csv->text.begin(), csv->text.end(), '\n'), 2) << csv->text;
    }

    // The Logits export lists the rows the panel draws, in its order, with the same numbers.
    frame(draw_logits_panel);
    const auto csv = panel_csv(ui_, CenterTab::Logits);
    ASSERT_TRUE(csv && ui_.views.logits);
    const auto& rows = ui_.views.logits->rows;
    ASSERT_FALSE(rows.empty());
    size_t line_start = csv->text.find("\r\n") + 2;
    for (size_t i = 0; i < std::min<size_t>(rows.size(), 5); ++i) {
        const std::string line = csv->text.substr(line_start, csv->text.find("\r\n", line_start) - line_start);
        int rank = 0, id = -1;
        ASSERT_EQ(std::sscanf(line.c_str(), "%d,%d,", &rank, &id), 2) << line;
        EXPECT_EQ(rank, rows[i].rank);
        EXPECT_EQ(id, rows[i].id);
        line_start = csv->text.find("\r\n", line_start) + 2;
    }

    std::string why;
    EXPECT_FALSE(panel_csv(ui_, CenterTab::Model, &why));
    EXPECT_NE(why.find("no table"), std::string::npos) << why;
    const auto ctx = context_csv(ui_);
    ASSERT_TRUE(ctx);
    EXPECT_EQ(first_line(ctx->text), "pos,id,token,source,p_token,resid_norm_out");
    EXPECT_EQ(size_t(std::count(ctx->text.begin(), ctx->text.end(), '\n')), ui_.snap->steps.size() + 1);
}

TEST_F(PanelExport, TheFileGetsANewDatedNameAndTheStatusSaysWhere) {
    namespace fs          = std::filesystem;
    const std::string dir = ts::test::unique_temp_path("ts_export_dir");
    fs::remove_all(dir);
    fs::create_directories(dir);
    const PanelCsv csv{"logits-pos3", "rank,id\r\n1,7\r\n"};
    const std::string a = write_csv(ui_, csv, dir);
    const std::string b = write_csv(ui_, csv, dir);
    ASSERT_FALSE(a.empty());
    EXPECT_NE(a, b);
    EXPECT_NE(a.find("/tokenscope-logits-pos3-"), std::string::npos) << a;
    EXPECT_NE(ui_.status.find(b), std::string::npos) << ui_.status;
    std::FILE* f = std::fopen(a.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    char buf[64]   = {};
    const size_t n = std::fread(buf, 1, sizeof buf, f);
    std::fclose(f);
    EXPECT_EQ(std::string(buf, n), csv.text);
    EXPECT_TRUE(write_csv(ui_, csv, dir + "/missing/folder").empty());
    EXPECT_TRUE(ui_.error_requested);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace ts::app
