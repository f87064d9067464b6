// The verbs' shared pieces in isolation: ArgParser (forms, ranges, usage errors, help) and byte sizes (the JSON
// output helpers are tested with core/base/json.hpp in tests/core/base/utf8_json_test.cpp).
#include "app/cli/args.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace ts::app {
namespace {

// argv from strings; argv[0] is the verb, as the verbs receive it.
struct Argv {
    std::vector<std::string> s;
    std::vector<char*> p;
    explicit Argv(std::vector<std::string> a) : s(std::move(a)) {
        for (auto& x : s) p.push_back(x.data());
    }
    int argc() { return int(p.size()); }
    char** argv() { return p.data(); }
};

struct Flags {
    std::string model = "default.gguf";
    int32_t n         = 32;
    float temp        = 0.8f;
    uint64_t seed     = 42;
    bool json         = false;
    std::string trace = "off";
    std::vector<int32_t> ids;
};

std::optional<int> parse(Flags& f, std::vector<std::string> args, ArgParser** out_ap = nullptr) {
    static std::unique_ptr<ArgParser> keep;  // outlives the call so tests can inspect was_set() afterwards
    keep = std::make_unique<ArgParser>("run", "-m FILE", "test verb");
    keep->add_string("-m", "--model", "FILE", &f.model, "model");
    keep->add_int("-n", "--n-predict", "N", &f.n, 0, 100, "tokens");
    keep->add_float("", "--temp", "T", &f.temp, 0.0f, 10.0f, "temperature");
    keep->add_u64("", "--seed", "S", &f.seed, "seed");
    keep->add_flag("", "--json", &f.json, "json");
    keep->add_choice("", "--trace", {"on", "off"}, &f.trace, "trace");
    keep->add_int_list("", "--prompt-ids", "IDS", &f.ids, 0, 1000, "ids");
    if (out_ap) *out_ap = keep.get();
    args.insert(args.begin(), "run");
    Argv a(args);
    testing::internal::CaptureStderr();
    testing::internal::CaptureStdout();
    auto r = keep->parse(a.argc(), a.argv());
    (void)testing::internal::GetCapturedStdout();
    (void)testing::internal::GetCapturedStderr();
    return r;
}

TEST(ArgParser, ParsesEveryFormAndKind) {
    Flags f;
    EXPECT_FALSE(parse(f, {"-m", "x.gguf", "--n-predict=7", "--temp", "0", "--seed", "18446744073709551615", "--json",
                           "--trace", "on", "--prompt-ids", "1,2,3"}));
    EXPECT_EQ(f.model, "x.gguf");
    EXPECT_EQ(f.n, 7);
    EXPECT_EQ(f.temp, 0.0f);
    EXPECT_EQ(f.seed, UINT64_MAX);
    EXPECT_TRUE(f.json);
    EXPECT_EQ(f.trace, "on");
    EXPECT_EQ(f.ids, (std::vector<int32_t>{1, 2, 3}));
}

TEST(ArgParser, DefaultsStayWhenFlagsAreAbsent) {
    Flags f;
    ArgParser* ap = nullptr;
    EXPECT_FALSE(parse(f, {}, &ap));
    EXPECT_EQ(f.n, 32);
    EXPECT_EQ(f.model, "default.gguf");
    EXPECT_FALSE(ap->was_set("-n"));
    EXPECT_FALSE(parse(f, {"--n-predict", "3"}, &ap));
    EXPECT_TRUE(ap->was_set("-n"));
}

TEST(ArgParser, BadValuesAreUsageErrors) {
    const std::vector<std::vector<std::string>> bad{{"-n", "-1"},
                                                    {"-n", "101"},
                                                    {"-n", "abc"},
                                                    {"-n", "1.5"},
                                                    {"-n", ""},
                                                    {"-n"},
                                                    {"--temp", "nan"},
                                                    {"--temp", "inf"},
                                                    {"--temp", "11"},
                                                    {"--temp", "1e99"},
                                                    {"--seed", "-3"},
                                                    {"--trace", "yes"},
                                                    {"--prompt-ids", ""},
                                                    {"--prompt-ids", "1,,2"},
                                                    {"--prompt-ids", "5000"},
                                                    {"--json=1"},
                                                    {"--bogus"},
                                                    {"stray"},
                                                    {"-n", "99999999999999999999"}};
    for (const auto& b : bad) {
        Flags f;
        EXPECT_EQ(parse(f, b), 2) << b[0];
    }
}

TEST(ArgParser, AStringListCollectsEveryRepetition) {
    std::vector<std::string> specs;
    ArgParser ap("run", "", "test verb");
    ap.add_string_list("", "--intervene", "SPEC", &specs, "an intervention");
    Argv a({"run", "--intervene", "zero-head:1.2", "--intervene=skip-mlp:0", "--intervene", "steer:1:2:a|b"});
    EXPECT_FALSE(ap.parse(a.argc(), a.argv()).has_value());
    EXPECT_EQ(specs, (std::vector<std::string>{"zero-head:1.2", "skip-mlp:0", "steer:1:2:a|b"}));
    EXPECT_TRUE(ap.was_set("--intervene"));
}

TEST(ArgParser, HelpReturnsZero) {
    Flags f;
    EXPECT_EQ(parse(f, {"--help"}), 0);
    EXPECT_EQ(parse(f, {"-h"}), 0);
}

TEST(ArgParser, HelpListsFlagsWithDefaults) {
    Flags f;
    ArgParser* ap = nullptr;
    (void)parse(f, {}, &ap);
    testing::internal::CaptureStdout();
    ap->print_help(stdout);
    const std::string help = testing::internal::GetCapturedStdout();
    EXPECT_NE(help.find("usage: tokenscope run -m FILE"), std::string::npos);
    EXPECT_NE(help.find("-n, --n-predict N"), std::string::npos);
    EXPECT_NE(help.find("(default: 32)"), std::string::npos);
    EXPECT_NE(help.find("--trace on|off"), std::string::npos);
}

TEST(ArgParser, HelpThatStatesItsDefaultInWordsShowsNoSecondDefault) {
    int32_t n_ctx = 0;  // 0: the model's own context
    ArgParser ap("run", "-m FILE", "x");
    ap.add_int("-c", "--ctx-size", "N", &n_ctx, 1, 1 << 20, "context size (default: the model's)");
    testing::internal::CaptureStdout();
    ap.print_help(stdout);
    const std::string help = testing::internal::GetCapturedStdout();
    EXPECT_NE(help.find("context size (default: the model's)\n"), std::string::npos) << help;
    EXPECT_EQ(help.find("(default: 0)"), std::string::npos) << help;
}

TEST(ArgParser, ErrorMessageNamesFlagAndValue) {
    Flags f;
    ArgParser ap("run", "-m FILE", "x");
    ap.add_float("", "--top-p", "P", &f.temp, 0.0f, 1.0f, "top-p");
    Argv a({"run", "--top-p", "3"});
    testing::internal::CaptureStderr();
    EXPECT_EQ(ap.parse(a.argc(), a.argv()), 2);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(err.rfind("error: --top-p must be in [0, 1], got 3\n", 0), 0u) << err;
    EXPECT_NE(err.find("usage: tokenscope run"), std::string::npos);
}

TEST(ByteSize, ReadsBinarySuffixes) {
    EXPECT_EQ(parse_byte_size("0"), 0u);
    EXPECT_EQ(parse_byte_size("1048576"), 1048576u);
    EXPECT_EQ(parse_byte_size("64K"), 64u << 10);
    EXPECT_EQ(parse_byte_size("512M"), 512u << 20);
    EXPECT_EQ(parse_byte_size("2G"), uint64_t(2) << 30);
    EXPECT_EQ(parse_byte_size("3t"), uint64_t(3) << 40);
    EXPECT_EQ(parse_byte_size("8MiB"), 8u << 20);
    EXPECT_EQ(parse_byte_size("1gb"), uint64_t(1) << 30);
    EXPECT_EQ(parse_byte_size("100B"), 100u);
}

TEST(ByteSize, RejectsWhatIsNotAByteCount) {
    for (const char* s : {"", "G", "-5", "+5", " 5", "5 ", "1.5G", "5X", "5KX", "5iB", "5KiBB", "0x10",
                          "18446744073709551616", "17179869184G"})
        EXPECT_FALSE(parse_byte_size(s).has_value()) << s;
    EXPECT_EQ(parse_byte_size("16777215T"), uint64_t(16777215) << 40);  // the largest T that fits 64 bits
}

}  // namespace
}  // namespace ts::app
