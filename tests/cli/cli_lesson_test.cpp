// `tokenscope lesson` through the real binary: the shipped lessons all hold on the default model; a lesson file with
// an unknown action or a broken fact is a clear error naming the step; --list; bad usage.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/cli/cli_harness.hpp"

namespace ts::cli_test {
namespace {

std::string write_lesson(const std::string& name, const std::string& json) {
    const std::string path = (fs::temp_directory_path() / (std::to_string(getpid()) + "_" + name)).string();
    std::ofstream(path) << json;
    return path;
}

TEST(CliLesson, EveryShippedLessonHolds) {
    const Outcome r = run_tokenscope({"lesson", "--check"}, TS_SOURCE_DIR);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("facts: all hold"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

TEST(CliLesson, ListNamesEveryShippedLesson) {
    const Outcome r = run_tokenscope({"lesson", "--list"}, TS_SOURCE_DIR);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_GE(lines_of(r.out).size(), 6u) << r.out;
    EXPECT_NE(r.out.find("01-first-contact.json"), std::string::npos) << r.out;
}

TEST(CliLesson, AnUnknownActionIsAnErrorNamingTheStep) {
    const std::string f = write_lesson("unknown_action.json", R"({"title": "t", "summary": "s", "steps": [
        {"text": "a", "actions": [{"prompt": "And God said"}]},
        {"text": "b", "actions": [{"generate": 1}, {"teleport": 3}]}]})");
    const Outcome r     = run_tokenscope({"lesson", "--check", f});
    fs::remove(f);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("error: " + f + ": step 2: action 2: unknown action 'teleport'"), std::string::npos) << r.err;
}

TEST(CliLesson, ABrokenFactFailsWithTheStepAndWhatWasMeasured) {
    const std::string f = write_lesson("broken_fact.json", R"({"title": "t", "summary": "s", "steps": [
        {"text": "a", "actions": [{"prompt": "And God said"}], "facts": [{"fact": "top", "token": " unto"}]},
        {"text": "b", "facts": [{"fact": "top", "token": " the"}]}]})");
    const Outcome r     = run_tokenscope({"lesson", "--check", f});
    fs::remove(f);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("step 1  ok"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("step 2: top candidate after position 3 is ' unto' (p 0.715), the lesson says ' the'"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("1 failed in 1 lesson"), std::string::npos) << r.out;
}

TEST(CliLesson, BadUsage) {
    EXPECT_EQ(run_tokenscope({"lesson"}).exit_code, 2);
    EXPECT_EQ(run_tokenscope({"lesson", "--check", "--list"}).exit_code, 2);
    const Outcome r = run_tokenscope({"lesson", "--check", "/nonexistent/lesson.json"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("error: /nonexistent/lesson.json: cannot open", 0), 0u) << r.err;
    const Outcome m = run_tokenscope({"lesson", "--check", "-m", "/nonexistent.gguf"}, TS_SOURCE_DIR);
    EXPECT_EQ(m.exit_code, 1);
    EXPECT_EQ(m.err.rfind("error:", 0), 0u) << m.err;
}

}  // namespace
}  // namespace ts::cli_test
