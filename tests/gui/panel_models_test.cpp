// The Models panel (the quantisation lens) over a real engine: the default model against its Q8_0 copy (written here
// with requant_copy.hpp) draws non-blank with a small positive KL, refreshes when the session's tokens change, and
// closing the second model frees it; a file of another vocabulary is the error modal's message, not a crash; and
// `tokenscope shot --compare-model` renders the panel (and refuses another vocabulary with `error:`).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "app/ui/compare_models.hpp"
#include "tests/gui/exe_harness.hpp"
#include "tests/gui/panel_fixture.hpp"
#include "tests/gui/requant_copy.hpp"

namespace ts::app {
namespace {

const std::string kDefault = std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf";

class ModelsFrames : public test::PanelFrames {
protected:
    static void SetUpTestSuite() {
        q8_                   = new std::string(ts::test::unique_temp_path("ts_models_default_q8_0.gguf"));
        const core::Status st = ts::test::write_requantized_copy(kDefault, *q8_, core::DType::Q8_0);
        ASSERT_TRUE(st.ok()) << st.error().message;
        tiny_ = new std::string(ts::test::unique_temp_path("ts_models_tiny.gguf"));
        ASSERT_TRUE(ts::test::write_tiny_gguf(*tiny_).ok());
    }
    static void TearDownTestSuite() {
        std::remove(q8_->c_str());
        std::remove(tiny_->c_str());
        delete q8_;
        delete tiny_;
    }

    // The default model on screen with `prompt` evaluated and n tokens generated.
    void start_default(const char* prompt, int n) {
        std::snprintf(ui_.prompt.data(), ui_.prompt.size(), "%s", prompt);
        request_load(ui_, kDefault);
        auto done = ui_.loader.wait();
        ASSERT_TRUE(done && done->ok());
        accept_load(ui_, std::move(*done), kDefault);
        ASSERT_TRUE(ui_.bridge.attached());
        wait(ui_.bridge.push(core::cmd::Run{n}));
    }
    // Loads `path` as the second model the way File ▸ Compare does (the loader's thread, then once per frame).
    void open_second(const std::string& path) {
        request_compare_model(ui_, path);
        ASSERT_TRUE(ui_.compare_loader.busy());
        const auto t0 = std::chrono::steady_clock::now();
        while (ui_.compare_loader.busy() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20)) {
            poll_compare_model(ui_);
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
    }
    // Frames of the panel until the comparison is of the session's tokens.
    bool compared() {
        return frames_until(draw_models_panel, [&] {
            const auto& s = ui_.snap;
            if (!s || !s->model_compare || !s->model_compare->comparison) return false;
            return s->model_compare->comparison->tokens.size() == s->steps.size();
        });
    }

    static inline std::string* q8_   = nullptr;
    static inline std::string* tiny_ = nullptr;
};

TEST_F(ModelsFrames, DefaultAgainstItsQ8CopyDrawsRefreshesAndCloses) {
    start_default("And God said", 6);
    const int empty = frame(draw_models_panel);  // no second model: the explanation and its button
    EXPECT_GT(empty, 0);
    open_second(*q8_);
    ASSERT_NE(ui_.compare_model, nullptr);
    EXPECT_FALSE(ui_.error_requested) << ui_.error_message;
    EXPECT_EQ(ui_.tab_request, CenterTab::Models);
    ASSERT_TRUE(compared());
    auto st = ui_.snap->model_compare;
    ASSERT_EQ(st->model_b, ui_.compare_model);
    const core::ModelComparison& c = *st->comparison;
    EXPECT_GT(c.mean_kl, 0.0);  // the same values quantised: apart, but not far
    EXPECT_LT(c.mean_kl, 0.05);
    EXPECT_GE(c.agreement, 0.5);
    ASSERT_EQ(c.n_layer, 4);
    ASSERT_NE(st->tensors, nullptr);
    bool q8 = false;
    for (const core::TensorDiff& t : *st->tensors) q8 = q8 || (t.type_b == core::DType::Q8_0 && t.mean_abs_diff > 0);
    EXPECT_TRUE(q8);
    const int drawn = frame(draw_models_panel);  // the tables and the layer grid: many more vertices
    EXPECT_GT(drawn, 3 * empty);
    ui_.tab_request = CenterTab::Models;  // and in the shell, as its tab
    EXPECT_GT(shell_frame(), 0);
    shell_frame();
    EXPECT_EQ(ui_.tab_shown, CenterTab::Models);

    // New tokens: the worker compares them again, without being asked.
    const size_t before = c.tokens.size();
    st.reset();  // the test holds no snapshot state of its own from here
    ui_.bridge.push(core::cmd::Step{});
    wait(ui_.bridge.last_ticket());
    ASSERT_TRUE(compared());
    EXPECT_EQ(ui_.snap->model_compare->comparison->tokens.size(), before + 1);

    // Closing frees the second model once no snapshot holds it.
    std::weak_ptr<const core::Model> b = ui_.compare_model;
    close_compare_model(ui_);
    EXPECT_EQ(ui_.compare_model, nullptr);
    ASSERT_TRUE(frames_until(draw_models_panel, [&] { return ui_.snap->model_compare->model_b == nullptr; }));
    frame(draw_models_panel);
    EXPECT_TRUE(b.expired());
}

TEST_F(ModelsFrames, AnotherVocabularyIsAClearMessageNotACrash) {
    start_default("And God said", 2);
    open_second(*tiny_);
    EXPECT_EQ(ui_.compare_model, nullptr);
    ASSERT_TRUE(ui_.error_requested);
    EXPECT_NE(ui_.error_message.find("vocabularies differ"), std::string::npos) << ui_.error_message;
    EXPECT_GT(frame(draw_models_panel), 0);
    // A file that is not there: the loader's error, the same way.
    ui_.error_requested = false;
    open_second(ts::test::unique_temp_path("no_such_model.gguf"));
    EXPECT_TRUE(ui_.error_requested);
    EXPECT_EQ(ui_.compare_model, nullptr);
}

TEST_F(ModelsFrames, ShotRendersTheComparisonAndRefusesAnotherVocabulary) {
    using namespace ts::test::exe;  // NOLINT(google-build-using-namespace): run(), Png and the image checks
    const std::string png  = ::testing::TempDir() + "ts_models_shot.png";
    const std::string base = "shot -m '" + kDefault + "' -p 'And God said' -n 4 --panel models --size 900x640 ";
    const RunResult ok     = run(base + "--compare-model '" + *q8_ + "' -o '" + png + "'");
    ASSERT_EQ(ok.code, 0) << ok.output;
    expect_not_blank(load_png(png));
    const RunResult bad = run(base + "--compare-model '" + *tiny_ + "' -o '" + png + "'");
    EXPECT_NE(bad.code, 0);
    EXPECT_NE(bad.output.find("error: "), std::string::npos) << bad.output;
    EXPECT_NE(bad.output.find("vocabularies differ"), std::string::npos) << bad.output;
    std::remove(png.c_str());
}

}  // namespace
}  // namespace ts::app
