// `tokenscope run --trace` and `bench --trace` end to end on a tiny random model: the trace JSON parses and holds the
// documented keys and one step per position, the .npy headers have the documented shapes, the budget limits the
// recorded positions, tracing does not change what is generated, bad paths and budgets are errors, and the Python
// example of core/trace/README.md reads a real trace (when /usr/bin/python3 has NumPy).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/cli/cli_harness.hpp"

namespace ts::cli_test {
namespace {

// The header of a .npy file (format 1.0): the dictionary text and the shape it declares. ok is false when the magic,
// the header length or the payload size (float32 values of the shape) do not fit.
struct NpyHeader {
    bool ok = false;
    std::string dict;
    std::vector<int64_t> shape;
};

NpyHeader read_npy_header(const std::string& path) {
    const std::string b = slurp(path);
    NpyHeader h;
    if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0 || b[6] != 1) return h;
    const size_t hlen = uint8_t(b[8]) | (size_t(uint8_t(b[9])) << 8);
    if (10 + hlen > b.size() || (10 + hlen) % 64 != 0) return h;
    h.dict           = b.substr(10, hlen);
    const size_t at  = h.dict.find("'shape': (");
    const size_t end = h.dict.find(')', at);
    if (at == std::string::npos || end == std::string::npos) return h;
    std::stringstream tuple(h.dict.substr(at + 10, end - at - 10));
    for (std::string item; std::getline(tuple, item, ',');)
        if (item.find_first_not_of(' ') != std::string::npos) h.shape.push_back(std::stoll(item));
    int64_t values = 1;
    for (int64_t d : h.shape) values *= d;
    h.ok = h.dict.find("'descr': '<f4'") != std::string::npos &&
           h.dict.find("'fortran_order': False") != std::string::npos && b.size() == 10 + hlen + size_t(values) * 4;
    return h;
}

class CliTrace : public CliModelTest {
protected:
    static std::string path(const std::string& name) { return (dir_ / name).string(); }
    // Token lines of a --json run (the summary line, whose timings differ between runs, left out).
    static std::vector<std::string> token_lines(const Outcome& r) {
        std::vector<std::string> out;
        for (const auto& line : lines_of(r.out))
            if (line.rfind("{\"summary\"", 0) != 0) out.push_back(line);
        return out;
    }
    static Json read_trace(const std::string& file) {
        Json j;
        EXPECT_TRUE(JsonParser(slurp(file)).parse(j)) << file << ": not JSON: " << slurp(file).substr(0, 300);
        return j;
    }
    static std::vector<int64_t> ints(const Json& arr) {
        std::vector<int64_t> v;
        for (const Json& x : arr.arr) v.push_back(int64_t(x.num));
        return v;
    }
};

TEST_F(CliTrace, RunTraceWritesTheDocumentedJsonAndArrays) {
    const std::string file = path("t.json");
    const Outcome r =
        run({"run", "-m", model(), "--prompt-ids", "1,2,3", "-n", "5", "--temp", "0", "--json", "--trace", file});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::vector<int> gen = ids_of(r);
    ASSERT_EQ(gen.size(), 5u);

    const Json t = read_trace(file);
    for (const char* k :
         {"format", "version", "model", "n_ctx", "n_prompt", "n_pos", "sampler", "steps", "vocab", "arrays"})
        EXPECT_TRUE(t.has(k)) << k;
    EXPECT_EQ(t.at("format").str, "tokenscope.trace");
    EXPECT_EQ(int(t.at("version").num), 1);
    const Json& m     = t.at("model");
    const int n_layer = int(m.at("n_layer").num), n_head = int(m.at("n_head").num);
    const int head_dim = int(m.at("head_dim").num), n_embd = int(m.at("n_embd").num);
    EXPECT_EQ(n_layer, 2);
    EXPECT_EQ(n_embd, 64);
    EXPECT_EQ(int(m.at("n_vocab").num), 300);

    // Every evaluated position: the prompt and the generated tokens but the last, which is the last step's "next".
    std::vector<int> want{1, 2, 3};
    want.insert(want.end(), gen.begin(), gen.end() - 1);
    EXPECT_EQ(int(t.at("n_prompt").num), 3);
    ASSERT_EQ(int(t.at("n_pos").num), int(want.size()));
    const auto& steps = t.at("steps").arr;
    ASSERT_EQ(steps.size(), want.size());
    for (size_t p = 0; p < steps.size(); ++p) {
        const Json& s = steps[p];
        EXPECT_EQ(int(s.at("pos").num), int(p));
        EXPECT_EQ(int(s.at("token").num), want[p]) << p;
        EXPECT_EQ(s.at("source").str, p < 3 ? "prompt" : "sampled");
        EXPECT_EQ(s.at("resid_norm_attn").arr.size(), size_t(n_layer));
        EXPECT_EQ(s.at("resid_norm_ffn").arr.size(), size_t(n_layer));
        EXPECT_EQ(s.at("recorded").type, Json::Type::Bool);
        // the KV cache after the forward call that evaluated the position (the prompt is one batch here)
        EXPECT_EQ(int(s.at("kv").at("n_pos").num), p < 3 ? 3 : int(p) + 1);
        if (p < 2) {
            EXPECT_EQ(s.at("next").type, Json::Type::Null) << p;
            continue;
        }
        // from the last prompt position on, each position proposed the token that follows it
        ASSERT_EQ(s.at("next").type, Json::Type::Object) << p;
        const int next = int(s.at("next").at("token").num);
        EXPECT_EQ(next, p + 1 < want.size() ? want[p + 1] : gen.back()) << p;
        EXPECT_TRUE(t.at("vocab").has(std::to_string(next)));
        ASSERT_FALSE(s.at("next").at("stages").arr.empty());
        EXPECT_EQ(s.at("next").at("stages").arr[0].at("kind").str, "logits");
    }

    // The arrays: every position recorded (the default budget holds them all).
    const Json& a = t.at("arrays");
    const auto R  = int64_t(want.size());
    EXPECT_EQ(ints(a.at("q").at("shape")), (std::vector<int64_t>{R, n_layer, n_head, head_dim}));
    EXPECT_EQ(ints(a.at("q").at("positions")).size(), size_t(R));
    const NpyHeader q = read_npy_header(path("t.q.npy"));
    EXPECT_TRUE(q.ok) << q.dict;
    EXPECT_EQ(q.shape, (std::vector<int64_t>{R, n_layer, n_head, head_dim}));
    const NpyHeader resid = read_npy_header(path("t.resid.npy"));
    EXPECT_TRUE(resid.ok) << resid.dict;
    EXPECT_EQ(resid.shape, (std::vector<int64_t>{R, n_layer, n_embd}));
    const NpyHeader logits = read_npy_header(path("t.logits.npy"));
    EXPECT_TRUE(logits.ok) << logits.dict;
    EXPECT_EQ(logits.shape, (std::vector<int64_t>{300}));
    EXPECT_EQ(a.at("q").at("file").str, "t.q.npy");
    EXPECT_NE(r.err.find("trace: "), std::string::npos) << r.err;
}

TEST_F(CliTrace, TracingDoesNotChangeWhatIsGenerated) {
    const std::vector<std::string> args{"run", "-m",      model(), "--prompt-ids", "4,9", "-n",    "12", "--temp",
                                        "1.2", "--top-k", "0",     "--seed",       "7",   "--json"};
    const Outcome plain                  = run(args);
    std::vector<std::string> traced_args = args;
    traced_args.insert(traced_args.end(), {"--trace", path("same.json")});
    const Outcome traced = run(traced_args);
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    ASSERT_EQ(traced.exit_code, 0) << traced.err;
    EXPECT_EQ(token_lines(plain), token_lines(traced));
}

TEST_F(CliTrace, BudgetKeepsTheNewestPositionsRecords) {
    // Bytes of one position's record: n_layer * (n_head * head_dim + n_embd) * 4 = 2 * (64 + 64) * 4.
    const std::string file = path("b.json");
    const Outcome r = run({"run", "-m", model(), "--prompt-ids", "1,2,3,4", "-n", "6", "--temp", "0", "--trace", file,
                           "--trace-budget", std::to_string(3 * 1024)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Json t = read_trace(file);
    EXPECT_EQ(ints(t.at("arrays").at("q").at("positions")), (std::vector<int64_t>{6, 7, 8}));
    EXPECT_EQ(read_npy_header(path("b.resid.npy")).shape, (std::vector<int64_t>{3, 2, 64}));
    const auto& steps = t.at("steps").arr;
    ASSERT_EQ(steps.size(), 9u);
    for (size_t p = 0; p < steps.size(); ++p) EXPECT_EQ(steps[p].at("recorded").b, p >= 6) << p;

    const Outcome none =
        run({"run", "-m", model(), "--prompt-ids", "1,2", "-n", "3", "--trace", path("z.json"), "--trace-budget", "0"});
    ASSERT_EQ(none.exit_code, 0) << none.err;
    EXPECT_EQ(int(read_trace(path("z.json")).at("n_pos").num), 4);
    EXPECT_EQ(read_npy_header(path("z.q.npy")).shape, (std::vector<int64_t>{0, 2, 4, 16}));
}

TEST_F(CliTrace, BudgetAcceptsSuffixes) {
    for (const char* b : {"64K", "512M", "2G", "1T", "1048576", "8MiB", "1gb"}) {
        const Outcome r =
            run({"run", "-m", model(), "--prompt-ids", "1", "-n", "2", "--trace", path("s.json"), "--trace-budget", b});
        EXPECT_EQ(r.exit_code, 0) << b << ": " << r.err;
    }
}

TEST_F(CliTrace, AbsurdBudgetsAreUsageErrors) {
    for (const char* b : {"", "abc", "-5", "1.5G", "5X", "2P", "2T", "99999999999999999999999", "12 M"}) {
        const Outcome r =
            run({"run", "-m", model(), "--prompt-ids", "1", "-n", "2", "--trace", path("u.json"), "--trace-budget", b});
        expect_error(r, 2);
        EXPECT_NE(r.err.find("--trace-budget"), std::string::npos) << b << ": " << r.err;
    }
    // a budget without a trace to spend it on
    expect_error(run({"run", "-m", model(), "--prompt-ids", "1", "--trace-budget", "1G"}), 2);
    expect_error(run({"run", "-m", model(), "--prompt-ids", "1", "--trace", ""}), 2);
}

TEST_F(CliTrace, BadTracePathsAreErrorsBeforeGenerating) {
    for (const std::string& bad :
         {dir_.string(), std::string("/nonexistent-dir/trace.json"), (dir_ / "no-such-folder" / "t.json").string()}) {
        const Outcome r = run({"run", "-m", model(), "--prompt-ids", "1", "-n", "3", "--trace", bad});
        expect_error(r, 1);
        EXPECT_NE(r.err.find(bad), std::string::npos) << r.err;
        EXPECT_TRUE(r.out.empty()) << "generated before checking the path: " << r.out;
    }
    EXPECT_FALSE(fs::exists(dir_ / "no-such-folder"));
}

TEST_F(CliTrace, BenchJsonSaysWhetherTheTraceWasOn) {
    for (const char* mode : {"on", "off"}) {
        const Outcome r =
            run({"bench", "-m", model(), "-p", "8", "-n", "4", "-t", "1", "--trace", mode, "--json", "--membw", "0"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto lines = lines_of(r.out);
        ASSERT_EQ(lines.size(), 1u) << r.out;
        const Json j = parse_json(lines[0]);
        EXPECT_EQ(j.at("trace").str, mode);
        EXPECT_EQ(int(j.at("prompt_tokens").num), 8);
        EXPECT_EQ(int(j.at("generated").num), 4);
        EXPECT_GT(j.at("decode_tok_s").num, 0);
        EXPECT_GT(j.at("prefill_tok_s").num, 0);
    }
    expect_error(run({"bench", "-m", model(), "--trace", "maybe"}), 2);
}

// Runs the ```python block of core/trace/README.md in the folder of a trace written by `run --trace`.
TEST_F(CliTrace, ReadmePythonExampleReadsARealTrace) {
    if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "/usr/bin/python3 with numpy is not available";
    const std::string readme = slurp(std::string(TS_SOURCE_DIR) + "/core/trace/README.md");
    const size_t begin       = readme.find("```python\n");
    ASSERT_NE(begin, std::string::npos) << "core/trace/README.md has no ```python block";
    const size_t end = readme.find("```", begin + 10);
    ASSERT_NE(end, std::string::npos);
    const fs::path work = dir_ / "notebook";
    fs::create_directories(work);
    std::ofstream(work / "example.py") << readme.substr(begin + 10, end - begin - 10);

    const Outcome r = run({"run", "-m", model(), "-p", "", "-n", "6", "--temp", "0.8", "--seed", "3", "--trace",
                           (work / "trace.json").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string out = (work / "python.out").string();
    const std::string cmd = "cd '" + work.string() + "' && /usr/bin/python3 example.py > '" + out + "' 2>&1";
    const int rc          = std::system(cmd.c_str());
    EXPECT_EQ(rc, 0) << slurp(out);
    // model name, positions, the residual array's shape and the norms' shape, as the example prints them
    EXPECT_NE(slurp(out).find("6 positions (6, 2, 64) (6, 2)"), std::string::npos) << slurp(out);
}

}  // namespace
}  // namespace ts::cli_test
