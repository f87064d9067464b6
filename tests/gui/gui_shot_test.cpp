// `tokenscope shot` end to end under Xvfb: a tiny GGUF model, 16 generated steps, the whole window and every panel
// alone, each checked to be a PNG of the asked size that shows something (not blank) and that they differ; the
// attention heatmap follows --layer / --head; plus the verb's errors and exit codes.
#include <gtest/gtest.h>
#include <stb_image.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "app/ui/shell.hpp"
#include "tests/core/model/tiny_model.hpp"
#include "tests/gui/exe_harness.hpp"
#include "tests/gui/tiny_gguf.hpp"

namespace {

using namespace ts::test::exe;  // NOLINT(google-build-using-namespace): run(), Png and the image checks

class Shot : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        model_        = new std::string(ts::test::unique_temp_path("ts_gui_shot_tiny.gguf"));
        const auto st = ts::test::write_tiny_gguf(*model_);
        ASSERT_TRUE(st.ok()) << st.error().message;
    }
    static void TearDownTestSuite() {
        std::remove(model_->c_str());
        delete model_;
    }
    void SetUp() override {
        const char* display = std::getenv("DISPLAY");
        ASSERT_TRUE(display && *display) << "no DISPLAY: the screenshot tests need an X server; run them under "
                                            "`xvfb-run -a` (scripts/test.sh does)";
    }
    static std::string out(const std::string& name) { return ::testing::TempDir() + "ts_gui_shot_" + name; }
    static std::string* model_;
};
std::string* Shot::model_ = nullptr;

TEST_F(Shot, WholeWindowAndModelPanelAreNonBlankPngsOfTheAskedSizeThatDiffer) {
    const std::string all = out("all.png"), model = out("model.png");
    const RunResult a = run("shot -m '" + *model_ + "' --panel all --size 800x600 -o '" + all + "'");
    ASSERT_EQ(a.code, 0) << a.output;
    const RunResult m = run("shot -m '" + *model_ + "' --panel model --size 800x600 -o '" + model + "'");
    ASSERT_EQ(m.code, 0) << m.output;
    const Png pa = load_png(all), pm = load_png(model);
    ASSERT_FALSE(pa.rgba.empty()) << all << " is missing or not a PNG";
    ASSERT_FALSE(pm.rgba.empty()) << model << " is missing or not a PNG";
    EXPECT_EQ(pa.w, 800);
    EXPECT_EQ(pa.h, 600);
    EXPECT_EQ(pm.w, 800);
    EXPECT_EQ(pm.h, 600);
    expect_not_blank(pa);
    expect_not_blank(pm);
    EXPECT_GT(differing_share(pa, pm), 0.05) << "--panel all and --panel model rendered the same picture";
}

TEST_F(Shot, SameInputGivesTheSamePicture) {
    const std::string a = out("det_a.png"), b = out("det_b.png");
    ASSERT_EQ(run("shot -m '" + *model_ + "' --panel model --size 640x480 -o '" + a + "'").code, 0);
    ASSERT_EQ(run("shot -m '" + *model_ + "' --panel model --size 640x480 -o '" + b + "'").code, 0);
    EXPECT_EQ(differing_share(load_png(a), load_png(b)), 0.0);
}

TEST_F(Shot, WithoutAModelShowsTheEmptyState) {
    const std::string path = out("empty.png");
    const RunResult r      = run("shot -m '' --size 640x400 -o '" + path + "'");
    ASSERT_EQ(r.code, 0) << r.output;
    const Png img = load_png(path);
    EXPECT_EQ(img.w, 640);
    EXPECT_EQ(img.h, 400);
    expect_not_blank(img);
}

// Without -m, from a folder with no assets/ in it: the model built into the executable opens.
TEST_F(Shot, WithoutModelFlagTheBuiltInModelOpensFromAnyFolder) {
    const std::string dir = ts::test::unique_temp_path("ts_gui_shot_nowhere");
    ASSERT_EQ(std::system(("mkdir -p '" + dir + "'").c_str()), 0);
    const std::string path = out("builtin.png");
    const RunResult r =
        run("shot -p 'And God said' -n 4 --panel model --size 640x400 -o '" + path + "'", "cd '" + dir + "' &&");
    ASSERT_EQ(r.code, 0) << r.output;
    const Png img = load_png(path);
    EXPECT_EQ(img.w, 640);
    expect_not_blank(img);
    // The empty state (no model) looks different from the Model panel of the built-in model.
    const std::string empty = out("builtin_empty.png");
    ASSERT_EQ(run("shot -m '' --panel model --size 640x400 -o '" + empty + "'").code, 0);
    EXPECT_GT(differing_share(img, load_png(empty)), 0.05);
    ASSERT_EQ(std::system(("rm -rf '" + dir + "'").c_str()), 0);
}

// --lesson FILE[:STEP] on the built-in model: the player open at that step, its actions applied; the picture differs
// from step to step; a step the lesson lacks is an error.
TEST_F(Shot, LessonFlagOpensThePlayerAtAStep) {
    const std::string lesson = std::string(TS_SOURCE_DIR) + "/assets/lessons/03-qk-softmax.json";
    const std::string s1 = out("lesson_1.png"), s3 = out("lesson_3.png");
    const RunResult a = run("shot --lesson '" + lesson + "' --size 1200x800 -o '" + s1 + "'");
    ASSERT_EQ(a.code, 0) << a.output;
    const RunResult b = run("shot --lesson '" + lesson + ":3' --size 1200x800 -o '" + s3 + "'");
    ASSERT_EQ(b.code, 0) << b.output;
    const Png p1 = load_png(s1), p3 = load_png(s3);
    expect_not_blank(p1);
    EXPECT_GT(differing_share(p1, p3), 0.05) << "step 1 and step 3 look the same";
    const RunResult bad = run("shot --lesson '" + lesson + ":99' --size 640x400 -o '" + out("lesson_bad.png") + "'");
    EXPECT_EQ(bad.code, 1) << bad.output;
    EXPECT_NE(bad.output.find("has 5 steps, not 99"), std::string::npos) << bad.output;
}

TEST_F(Shot, FramesFlagReportsPercentiles) {
    const RunResult r = run("shot -m '" + *model_ + "' --size 320x240 --frames 4 -o '" + out("frames.png") + "'");
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(frames: 4 p50_ms=[0-9.]+ p95_ms=[0-9.]+ ui_p50_ms=[0-9.]+)")))
        << r.output;
}

// Every panel after 16 generated steps: a PNG of the asked size that shows something, and no two panels alike.
TEST_F(Shot, EveryPanelAfter16StepsIsANonBlankPngOfTheAskedSizeAndTheyDiffer) {
    std::vector<std::string> panels = ts::app::panel_names();  // the explorer's own list, so a new panel is covered too
    panels.insert(panels.begin(), "all");
    ASSERT_GE(panels.size(), 10u);
    std::vector<Png> shots;
    for (const std::string& panel : panels) {
        const std::string path = out(std::string("panel_") + panel + ".png");
        const RunResult r      = run("shot -m '" + *model_ + "' -p 'the model' -n 16 --panel " + panel +
                                     " --size 900x640 -o '" + path + "'");
        ASSERT_EQ(r.code, 0) << panel << "\n" << r.output;
        shots.push_back(load_png(path));
        const Png& img = shots.back();
        ASSERT_FALSE(img.rgba.empty()) << path << " is missing or not a PNG";
        EXPECT_EQ(img.w, 900) << panel;
        EXPECT_EQ(img.h, 640) << panel;
        SCOPED_TRACE(panel);
        expect_not_blank(img);
    }
    for (size_t i = 0; i < shots.size(); ++i)
        for (size_t j = i + 1; j < shots.size(); ++j)
            EXPECT_GT(differing_share(shots[i], shots[j]), 0.02)
                << "--panel " << panels[i] << " and --panel " << panels[j] << " look the same";
}

// The Branches panel with a second branch (--branch POS:ID) and the comparison of the two: non-blank, and not the
// picture of the single branch; a bad --branch is a usage error, a position beyond the sequence an error.
TEST_F(Shot, BranchesPanelShowsTwoBranchesAndTheirComparison) {
    const std::string base = "shot -m '" + *model_ + "' -p 'the model' -n 8 --panel branches --size 900x640 ";
    const std::string one = out("branches_one.png"), two = out("branches_two.png");
    ASSERT_EQ(run(base + "-o '" + one + "'").code, 0);
    const RunResult r = run(base + "--branch 6:7 -o '" + two + "'");
    ASSERT_EQ(r.code, 0) << r.output;
    const Png a = load_png(one), b = load_png(two);
    expect_not_blank(b);
    EXPECT_GT(differing_share(a, b), 0.02) << "two branches and a comparison look like one branch";
    EXPECT_EQ(run(base + "--branch 6 -o '" + out("branches_bad.png") + "'").code, 2);
    const RunResult far = run(base + "--branch 999:7 -o '" + out("branches_far.png") + "'");
    EXPECT_EQ(far.code, 1);
    EXPECT_NE(far.output.find("error: --branch"), std::string::npos) << far.output;
}

// The Heads panel: the shot waits for the atlas (built on the engine thread), draws the grid for the selected head,
// and writes the atlas to the cache folder, from which the next shot reads it: the same picture.
TEST_F(Shot, HeadsPanelWaitsForTheAtlasAndCachesItPerModelFile) {
    const std::string xdg = out("xdg_" + std::to_string(getpid()));
    std::filesystem::remove_all(xdg);
    const std::string env  = "XDG_CACHE_HOME='" + xdg + "'";
    const std::string base = "shot -m '" + *model_ + "' -p 'the model' -n 4 --panel heads --size 900x640 ";
    ASSERT_EQ(run(base + "-o '" + out("heads_a.png") + "'", env).code, 0);
    std::vector<std::string> cached;
    for (const auto& e : std::filesystem::directory_iterator(xdg + "/tokenscope"))
        if (e.path().filename().string().rfind("atlas-", 0) == 0) cached.push_back(e.path().string());
    ASSERT_EQ(cached.size(), 1u) << "one cache file for the model file";
    std::ifstream in(cached[0]);
    std::string line;
    int heads = 0;
    while (std::getline(in, line)) heads += line.rfind("head ", 0) == 0;
    EXPECT_GT(heads, 0);
    const auto written = std::filesystem::last_write_time(cached[0]);

    ASSERT_EQ(run(base + "-o '" + out("heads_b.png") + "'", env).code, 0);
    EXPECT_EQ(std::filesystem::last_write_time(cached[0]), written) << "the second shot read the cache";
    const Png a = load_png(out("heads_a.png")), b = load_png(out("heads_b.png"));
    expect_not_blank(a);
    EXPECT_EQ(differing_share(a, b), 0.0) << "the cached atlas draws the same picture";
    // Another head selected: the grid's outline and the heatmaps move (the atlas, not the request, is on screen).
    ASSERT_EQ(run(base + "--layer 1 --head 1 -o '" + out("heads_c.png") + "'", env).code, 0);
    EXPECT_GT(differing_share(a, load_png(out("heads_c.png"))), 0.01);
    std::filesystem::remove_all(xdg);
}

// Hiding the sink columns renormalises the rows: on the built-in model, layer 0 head 5 has a sink, so the picture
// changes; the option is checked by the verb.
TEST_F(Shot, AttentionWithoutSinksDrawsAnotherPicture) {
    const std::string base =
        "shot -p 'In the beginning God created the heaven and the earth' -n 8 --panel attention --layer 0 --head 5 "
        "--size 900x640 ";
    ASSERT_EQ(run(base + "-o '" + out("sinks_shown.png") + "'").code, 0);
    ASSERT_EQ(run(base + "--attention head,nosinks -o '" + out("sinks_hidden.png") + "'").code, 0);
    EXPECT_GT(differing_share(load_png(out("sinks_shown.png")), load_png(out("sinks_hidden.png"))), 0.01);
    EXPECT_EQ(run(base + "--attention sinks -o '" + out("sinks_bad.png") + "'").code, 2);
}

TEST_F(Shot, AttentionHeatmapChangesWithLayerAndHead) {
    auto shot = [&](int layer, int head) {
        const std::string path = out("attn_" + std::to_string(layer) + "_" + std::to_string(head) + ".png");
        const RunResult r =
            run("shot -m '" + *model_ + "' -p 'the model' -n 16 --panel attention --layer " + std::to_string(layer) +
                " --head " + std::to_string(head) + " --size 700x560 -o '" + path + "'");
        EXPECT_EQ(r.code, 0) << r.output;
        return load_png(path);
    };
    const Png l0h0 = shot(0, 0), l0h1 = shot(0, 1), l1h0 = shot(1, 0), again = shot(0, 0);
    ASSERT_FALSE(l0h0.rgba.empty());
    EXPECT_GT(differing_share(l0h0, l0h1), 0.01) << "another head drew the same heatmap";
    EXPECT_GT(differing_share(l0h0, l1h0), 0.01) << "another layer drew the same heatmap";
    EXPECT_EQ(differing_share(l0h0, again), 0.0) << "the same flags must give the same pixels";
}

TEST_F(Shot, SmallMultiplesAndHeadMeanDrawTheirOwnPictures) {
    const std::string heads = out("attn_heads.png"), mean = out("attn_mean.png"), one = out("attn_one.png");
    const std::string base = "shot -m '" + *model_ + "' -p 'the model' -n 16 --panel attention --size 700x560 ";
    ASSERT_EQ(run(base + "--attention heads -o '" + heads + "'").code, 0);
    ASSERT_EQ(run(base + "--attention mean,log,magma -o '" + mean + "'").code, 0);
    ASSERT_EQ(run(base + "-o '" + one + "'").code, 0);
    const Png ph = load_png(heads), pm = load_png(mean), po = load_png(one);
    expect_not_blank(ph);
    expect_not_blank(pm);
    EXPECT_GT(differing_share(ph, po), 0.02);
    EXPECT_GT(differing_share(pm, po), 0.01);
}

// karpathy/llama2.c checkpoints open in the explorer too: with a tokenizer.bin beside them (the prompt is text) and
// without one (the prompt is BOS alone; tokens show as ids).
TEST_F(Shot, Llama2cCheckpointsOpenWithAndWithoutATokenizer) {
    namespace tiny         = ts::core::tiny;
    const std::string dir  = ts::test::unique_temp_path("ts_gui_shot_l2c");
    const std::string bare = ts::test::unique_temp_path("ts_gui_shot_l2c_bare");
    ASSERT_EQ(std::system(("mkdir -p '" + dir + "' '" + bare + "'").c_str()), 0);
    const auto bytes = tiny::llama2c_bytes(tiny::make_tiny_model(tiny::TinySpec{}));
    ASSERT_TRUE(tiny::write_bytes(dir + "/model.bin", bytes));
    ASSERT_TRUE(tiny::write_bytes(bare + "/model.bin", bytes));
    std::vector<std::string> pieces = {"<unk>", "<s>", "</s>"};  // then letters: 37 tokens, the model's vocabulary
    for (int i = 3; i < 37; ++i) pieces.emplace_back(1, char('a' + (i - 3) % 26));
    ASSERT_TRUE(tiny::write_bytes(dir + "/tokenizer.bin", tiny::tokenizer_bin_bytes(pieces)));

    for (const std::string& args : {"-m '" + dir + "/model.bin' -p 'abc'", "-m '" + bare + "/model.bin' -p ''"}) {
        for (const char* panel : {"all", "model", "layers"}) {
            const std::string png = out(std::string("l2c_") + panel + ".png");
            const RunResult r = run("shot " + args + " -n 16 --panel " + panel + " --size 640x400 -o '" + png + "'");
            ASSERT_EQ(r.code, 0) << args << " --panel " << panel << ": " << r.output;
            const Png img = load_png(png);
            EXPECT_EQ(img.w, 640);
            EXPECT_EQ(img.h, 400);
            expect_not_blank(img);
        }
    }
    ASSERT_EQ(std::system(("rm -rf '" + dir + "' '" + bare + "'").c_str()), 0);
}

// --intervene: the Logits panel shows the Δ columns and the picture differs from the plain run's; a bad spec is an
// error line.
TEST_F(Shot, InterveneShowsTheDeltaView) {
    const std::string plain = out("iv_plain.png"), cut = out("iv_cut.png");
    const std::string base = "shot -m '" + *model_ + "' -p 'the model' -n 4 --panel logits --size 900x500 ";
    const RunResult a      = run(base + "-o '" + plain + "'");
    ASSERT_EQ(a.code, 0) << a.output;
    const RunResult b = run(base + "--intervene zero-head:0.1 --intervene skip-mlp:1 -o '" + cut + "'");
    ASSERT_EQ(b.code, 0) << b.output;
    const Png pa = load_png(plain), pb = load_png(cut);
    ASSERT_FALSE(pb.rgba.empty());
    expect_not_blank(pb);
    EXPECT_GT(differing_share(pa, pb), 0.02) << "the intervened Logits panel looks like the plain one";
    const RunResult bad = run(base + "--intervene zero-head:0.99 -o '" + out("iv_bad.png") + "'");
    EXPECT_EQ(bad.code, 1) << bad.output;
    EXPECT_NE(bad.output.find("error: intervention 'zero-head:0.99'"), std::string::npos) << bad.output;
}

TEST_F(Shot, LayerOrHeadOutsideTheModelIsAnError) {
    const RunResult r = run("shot -m '" + *model_ + "' -n 2 --panel attention --layer 7 -o '" + out("bad.png") + "'");
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find("error:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("layers"), std::string::npos) << r.output;
}

// --hover rests the mouse on a heatmap cell: its tooltip ("query → key: weight") is in the picture.
TEST_F(Shot, HoverShowsTheTooltipOfTheCellUnderTheMouse) {
    const std::string plain = out("hover_none.png"), hovered = out("hover_cell.png");
    const std::string args = "shot -m '" + *model_ + "' -n 16 --panel attention --size 800x600 -o '";
    ASSERT_EQ(run(args + plain + "'").code, 0);
    const RunResult r = run(args + hovered + "' --hover 300,300");
    ASSERT_EQ(r.code, 0) << r.output;
    const double diff = differing_share(load_png(plain), load_png(hovered));
    EXPECT_GT(diff, 0.005) << "no tooltip appeared";
    EXPECT_LT(diff, 0.3) << "more changed than a tooltip";
}

// -c sets the context: a run longer than it stops when the cache is full; more than the model's context is an error.
TEST_F(Shot, ContextFlagBoundsTheCacheAndIsChecked) {
    const RunResult ok =
        run("shot -m '" + *model_ + "' -c 12 -n 40 --panel kv --size 640x400 -o '" + out("c12.png") + "'");
    ASSERT_EQ(ok.code, 0) << ok.output;
    expect_not_blank(load_png(out("c12.png")));
    const RunResult big = run("shot -m '" + *model_ + "' -c 100000 -o '" + out("cbig.png") + "'");
    EXPECT_EQ(big.code, 2) << big.output;
    EXPECT_NE(big.output.find("error: -c 100000 is larger than the model's context of"), std::string::npos)
        << big.output;
}

TEST_F(Shot, BadUsageExitsWithTwo) {
    for (const char* args : {"shot --bogus -o x.png", "shot --size 12 -o x.png", "shot --panel nope -o x.png",
                             "shot --size 800x600", "shot --attention sideways -o x.png", "shot --hover 10 -o x.png",
                             "shot --size 100x100 --hover 100,5 -o x.png", "shot --hover -1,5 -o x.png"}) {
        const RunResult r = run(args);
        EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
        EXPECT_EQ(r.output.rfind("error:", 0), 0u) << args << "\n" << r.output;
    }
}

TEST_F(Shot, MissingModelFileIsAnErrorNotACrash) {
    const RunResult r = run("shot -m /nonexistent/model.gguf -o '" + out("missing.png") + "'");
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find("error:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("/nonexistent/model.gguf"), std::string::npos) << r.output;
}

TEST(ShotWithoutDisplay, SaysSoAndExitsWithOne) {
    const RunResult r =
        run("shot -m '' -o '" + ::testing::TempDir() + "ts_gui_nodisplay.png'", "env -u DISPLAY -u WAYLAND_DISPLAY");
    EXPECT_EQ(r.code, 1) << r.output;  // not a crash (128 + signal)
    EXPECT_EQ(r.output.rfind("error:", 0), 0u) << r.output;
    EXPECT_NE(r.output.find("DISPLAY"), std::string::npos) << r.output;
}

// --open F.tscope: a saved exploration (written here by hand: prompt, a forced and two sampled tokens, the view on
// the Attention tab at layer 1, head 2) restored and drawn; the same file gives the same picture, --layer / --head
// win over its view, and the view decides what is drawn (layer 1 head 2 differs from layer 0 head 0).
TEST_F(Shot, OpenFlagRestoresASavedExploration) {
    const std::string file = out("saved.tscope");
    std::ofstream(file) << R"({"format": "tokenscope-exploration", "version": 1,
        "model": {"path": ")"
                        << *model_ << R"(", "sha256": ""},
        "prompt": {"text": "saved", "ids": [1, 100, 101, 102]},
        "paths": [[{"id": 1, "source": "prompt"}, {"id": 100, "source": "prompt"}, {"id": 101, "source": "prompt"},
                   {"id": 102, "source": "prompt"}, {"id": 60, "source": "forced"}, {"id": 103, "source": "sampled"},
                   {"id": 104, "source": "sampled"}]],
        "current": {"path": 0, "pos": 5},
        "sampler": {"temp": 0.8, "top_k": 40, "top_p": 0.95, "min_p": 0.05, "repeat_penalty": 1.0,
                    "repeat_last_n": 64, "seed": 42},
        "view": {"tab": "attention", "layer": 1, "head": 2}})";
    const std::string a = out("open_a.png"), b = out("open_b.png"), c = out("open_c.png");
    const RunResult ra = run("shot --open '" + file + "' --size 800x500 -o '" + a + "'");
    ASSERT_EQ(ra.code, 0) << ra.output;
    const RunResult rb = run("shot --open '" + file + "' --size 800x500 -o '" + b + "'");
    ASSERT_EQ(rb.code, 0) << rb.output;
    const RunResult rc = run("shot --open '" + file + "' --layer 0 --head 0 --size 800x500 -o '" + c + "'");
    ASSERT_EQ(rc.code, 0) << rc.output;
    const Png pa = load_png(a), pb = load_png(b), pc = load_png(c);
    expect_not_blank(pa);
    EXPECT_EQ(differing_share(pa, pb), 0.0) << "the same exploration drew two pictures";
    EXPECT_GT(differing_share(pa, pc), 0.005) << "--layer 0 --head 0 drew what the saved view (1, 2) drew";
}

}  // namespace
