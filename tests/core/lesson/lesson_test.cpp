// Lessons (core/lesson/lesson.hpp): parsing errors name the file, the step and the key; the checker drives a
// session on the default model and reports each fact, a broken one with what was measured and what the lesson says.
#include "core/lesson/lesson.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "core/session/session.hpp"

namespace ts::core::lesson {
namespace {

namespace fs = std::filesystem;

const std::string kModel = std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf";

// A lesson of one step around `step_body` (the JSON inside the step object).
std::string one_step(const std::string& step_body) {
    return R"({"title": "t", "summary": "s", "steps": [{"text": "x", )" + step_body + "}]}";
}

std::string parse_error(const std::string& json) {
    auto r = parse_lesson(json, "l.json");
    return r.ok() ? std::string("(parsed)") : r.error().message;
}

TEST(LessonParse, ReadsEveryActionAndFact) {
    auto r = parse_lesson(one_step(R"(
        "actions": [{"prompt": "And God said"}, {"generate": 2}, {"rewind": 1}, {"force": {"token": " to", "pos": 4}},
                    {"sampler": {"temp": 0.5, "top_k": 10, "seed": 7}}, {"sampler": "defaults"}, {"tab": "logits"},
                    {"split": ["attention", "qk"]}, {"layer": 1}, {"head": 2}, {"query": -1},
                    {"highlight": {"from": 1, "to": 3, "note": "here"}}],
        "question": "q?", "answer": "a.",
        "facts": [{"fact": "top", "token": " unto", "above": 0.5}, {"fact": "candidate", "token": 11, "rank": 2},
                  {"fact": "kept", "stage": "top_k", "count": 40}, {"fact": "entropy", "stage": "final", "below": 3},
                  {"fact": "attention", "layer": 0, "head": 5, "strongest": 0},
                  {"fact": "lens", "token": ",", "first_layer": 1}, {"fact": "sequence", "ends_with": "said"},
                  {"fact": "kv", "bytes_per_position": 2048}, {"fact": "pieces", "text": " snow", "count": 2},
                  {"fact": "norm", "layer": -1, "above": 0}, {"fact": "atlas", "layer": 0, "head": 5, "tag": "first-token"},
                  {"fact": "model", "n_layer": 4, "tied": true},
                  {"fact": "sampled", "token": " unto", "at": 3}])"),
                          "l.json");
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Step& s = r->steps.at(0);
    ASSERT_EQ(s.actions.size(), 12u);
    EXPECT_EQ(s.actions[3].kind, ActionKind::Force);
    EXPECT_EQ(s.actions[3].token.text, " to");
    EXPECT_EQ(s.actions[3].pos, 4);
    EXPECT_EQ(*s.actions[4].sampler.temp, 0.5f);
    EXPECT_EQ(*s.actions[4].sampler.seed, 7u);
    EXPECT_TRUE(s.actions[5].sampler.defaults);
    EXPECT_EQ(s.actions[7].right, "qk");
    EXPECT_EQ(s.actions[11].note, "here");
    ASSERT_EQ(s.facts.size(), 13u);
    EXPECT_EQ(s.facts[11].kind, FactKind::Model);
    ASSERT_EQ(s.facts[11].shape.size(), 1u);
    EXPECT_EQ(s.facts[11].shape[0].second, 4);
    EXPECT_TRUE(*s.facts[11].tied);
    EXPECT_EQ(s.facts[1].token.id, 11);
    EXPECT_EQ(s.facts[10].kind, FactKind::Atlas);
    EXPECT_EQ(s.facts[10].text, "first-token");
    EXPECT_EQ(s.question, "q?");
}

// One set of panel names for lessons, `shot --panel` and saved views: the Journey tab is "layers"; "journey", what
// lessons wrote before, is still read, as "layers".
TEST(LessonParse, PanelNamesAreTheShotNamesAndTheOldJourneyNameIsRead) {
    EXPECT_EQ(panel_named("layers"), "layers");
    EXPECT_EQ(panel_named("journey"), "layers");
    EXPECT_EQ(panel_named("qk"), "qk");
    EXPECT_TRUE(panel_named("lessons").empty());
    EXPECT_EQ(std::count(std::begin(kPanelNames), std::end(kPanelNames), "journey"), 0);
    auto r = parse_lesson(one_step(R"("actions": [{"tab": "journey"}, {"split": ["layers", "journey"]}])"), "l.json");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->steps.at(0).actions[0].left, "layers");
    EXPECT_EQ(r->steps.at(0).actions[1].left, "layers");
    EXPECT_EQ(r->steps.at(0).actions[1].right, "layers");
}

TEST(LessonParse, ErrorsNameTheFileTheStepAndTheKey) {
    EXPECT_EQ(parse_error(one_step(R"("actions": [{"prompt": "x"}, {"jump": 3}])"))
                  .rfind("l.json: step 1: action 2: unknown action 'jump'", 0),
              0u);
    EXPECT_NE(parse_error(one_step(R"("facts": [{"fact": "vibes", "token": "x"}])"))
                  .find("step 1: fact 1: unknown fact 'vibes'"),
              std::string::npos);
    EXPECT_NE(
        parse_error(one_step(R"("facts": [{"fact": "top", "token": "x", "prob": 1}])")).find("unknown key 'prob'"),
        std::string::npos);
    EXPECT_NE(parse_error(one_step(R"("colour": "red")")).find("step 1: unknown key 'colour'"), std::string::npos);
    EXPECT_NE(parse_error(one_step(R"("question": "q?")")).find("needs its 'answer'"), std::string::npos);
    EXPECT_NE(parse_error(one_step(R"("actions": [{"tab": "lessons"}])")).find("'tab' must be one of"),
              std::string::npos);
    EXPECT_NE(parse_error(one_step(R"("actions": [{"predict": 1}])")).find("'predict' must be true or false"),
              std::string::npos);
    EXPECT_NE(parse_error(one_step(R"("actions": [{"generate": 0}])")).find("'generate' must be in [1,"),
              std::string::npos);
    EXPECT_NE(parse_error(one_step(R"("actions": [{"sampler": {"temperature": 1}}])"))
                  .find("unknown sampler setting 'temperature'"),
              std::string::npos);
    EXPECT_NE(parse_error(one_step(R"("facts": [{"fact": "candidate", "token": "x"}])")).find("states nothing"),
              std::string::npos);
    EXPECT_NE(parse_error(one_step(R"("facts": [{"fact": "top", "token": "x", "above": 0.5, "below": 0.2}])"))
                  .find("'above' must be less than 'below'"),
              std::string::npos);
    EXPECT_NE(parse_error(R"({"title": "t", "summary": "s", "steps": []})").find("non-empty"), std::string::npos);
    EXPECT_NE(parse_error("{not json").find("l.json: not valid JSON"), std::string::npos);
    EXPECT_NE(parse_error(R"({"title": "t", "summary": "s", "steps": [{"text": "a"}, {"txt": "b"}]})")
                  .find("l.json: step 2: "),
              std::string::npos);
    EXPECT_FALSE(load_lesson("/nonexistent/lesson.json").ok());
}

TEST(LessonParse, EveryShippedLessonParses) {
    int n = 0;
    for (const auto& e : fs::directory_iterator(fs::path(TS_SOURCE_DIR) / "assets" / "lessons")) {
        if (e.path().extension() != ".json") continue;
        auto l = load_lesson(e.path().string());
        ASSERT_TRUE(l.ok()) << l.error().message;
        EXPECT_FALSE(l->steps.empty());
        ++n;
    }
    EXPECT_GE(n, 6);
}

class LessonCheck : public ::testing::Test {
protected:
    void SetUp() override {
        if (!fs::exists(kModel)) GTEST_SKIP() << "no default model at " << kModel;
        auto s = Session::load(kModel);
        ASSERT_TRUE(s.ok()) << s.error().message;
        session_ = std::move(*s);
    }
    LessonReport check(const std::string& json) {
        auto l = parse_lesson(json, "l.json");
        EXPECT_TRUE(l.ok()) << l.error().message;
        return l.ok() ? check_lesson(*l, *session_) : LessonReport{};
    }
    std::unique_ptr<Session> session_;
};

TEST_F(LessonCheck, TrueFactsHoldAndABrokenOneSaysWhatWasMeasured) {
    const LessonReport r = check(R"({"title": "t", "summary": "s", "steps": [
        {"text": "a", "actions": [{"prompt": "And God said"}, {"sampler": {"temp": 0}}],
         "facts": [{"fact": "top", "token": " unto", "above": 0.7}, {"fact": "sequence", "count": 4},
                   {"fact": "kv", "bytes_per_position": 2048}]},
        {"text": "b", "actions": [{"generate": 1}],
         "facts": [{"fact": "top", "token": " to", "at": 3}, {"fact": "sequence", "ends_with": "said unto"}]},
        {"text": "c", "facts": [{"fact": "candidate", "token": " to", "at": 3, "rank": 1}]}]})");
    ASSERT_EQ(r.steps.size(), 3u);
    EXPECT_TRUE(r.steps[0].ok);
    EXPECT_EQ(r.steps[0].facts.size(), 3u);
    EXPECT_FALSE(r.steps[1].ok);
    EXPECT_FALSE(r.steps[1].facts[0].ok);
    EXPECT_EQ(r.steps[1].facts[0].message,
              "top candidate after position 3 is ' unto' (p 0.715), the lesson says ' to'");
    EXPECT_TRUE(r.steps[1].facts[1].ok) << r.steps[1].facts[1].message;
    EXPECT_NE(r.steps[2].facts[0].message.find("rank 2"), std::string::npos) << r.steps[2].facts[0].message;
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.n_failed(), 2);
    EXPECT_EQ(r.n_facts(), 6);
}

TEST_F(LessonCheck, AFailedActionStopsTheLessonThere) {
    const LessonReport r = check(R"({"title": "t", "summary": "s", "steps": [
        {"text": "a", "actions": [{"prompt": "And God said"}, {"force": {"token": " snow"}}],
         "facts": [{"fact": "sequence", "count": 4}]},
        {"text": "b", "facts": [{"fact": "sequence", "count": 4}]}]})");
    ASSERT_EQ(r.steps.size(), 2u);
    EXPECT_EQ(r.steps[0].error, "force: ' snow' is 2 tokens (' s' + 'now'), not one");
    EXPECT_TRUE(r.steps[0].facts.empty());
    EXPECT_EQ(r.steps[1].error, "an earlier step's actions failed");
    EXPECT_EQ(r.n_failed(), 2);
}

TEST_F(LessonCheck, ViewActionsAreCheckedAgainstTheModel) {
    const LessonReport r = check(R"({"title": "t", "summary": "s", "steps": [
        {"text": "a", "actions": [{"prompt": "And God said"}, {"layer": 3}, {"head": 7}, {"query": 3}]},
        {"text": "b", "actions": [{"layer": 4}]}]})");
    EXPECT_TRUE(r.steps.at(0).ok) << r.steps[0].error;
    EXPECT_EQ(r.steps.at(1).error, "layer: 4, but the model has 4 layers");
}

TEST_F(LessonCheck, AttentionLensEntropyAndSamplerFacts) {
    const LessonReport r = check(R"({"title": "t", "summary": "s", "steps": [
        {"text": "a", "actions": [{"prompt": "And God said unto Moses, I AM THAT I AM"}, {"sampler": {"temp": 2}}],
         "facts": [{"fact": "attention", "layer": 0, "head": 5, "query": 5, "strongest": 0, "key": 0, "above": 0.7},
                   {"fact": "attention", "layer": 0, "head": 5, "query": 5, "key": 6, "below": 0.5},
                   {"fact": "entropy", "stage": "temperature", "above": 1},
                   {"fact": "kept", "stage": "top_k", "count": 40},
                   {"fact": "norm", "at": 0, "layer": 3, "above": 50},
                   {"fact": "atlas", "layer": 0, "head": 5, "tag": "first-token"},
                   {"fact": "model", "n_layer": 4, "n_head_kv": 2, "tied": true},
                   {"fact": "model", "n_layer": 5}]}]})");
    ASSERT_EQ(r.steps.size(), 1u);
    const auto& f = r.steps[0].facts;
    ASSERT_EQ(f.size(), 8u);
    EXPECT_TRUE(f[0].ok) << f[0].message;
    EXPECT_FALSE(f[1].ok);  // key 6 is after the query
    EXPECT_NE(f[1].message.find("after the query"), std::string::npos) << f[1].message;
    for (size_t i = 2; i < 7; ++i) EXPECT_TRUE(f[i].ok) << f[i].message;
    EXPECT_EQ(f[7].message, "the model has n_layer 4, the lesson says n_layer 5");
}

// Issue 16: a lens fact can name the lens's embedding row ("layer": -1, before block 0).
TEST_F(LessonCheck, LensFactsCanNameTheEmbeddingRow) {
    const LessonReport r = check(R"({"title": "t", "summary": "s", "steps": [
        {"text": "a", "actions": [{"prompt": "And God said"}],
         "facts": [{"fact": "lens", "token": " the", "at": 2, "layer": -1}]}]})");
    ASSERT_EQ(r.steps.size(), 1u);
    ASSERT_EQ(r.steps[0].facts.size(), 1u);
    const auto& f = r.steps[0].facts[0];
    EXPECT_NE(f.message.find("the logit lens at the embedding after position 2 ranks"), std::string::npos) << f.message;
}

}  // namespace
}  // namespace ts::core::lesson
