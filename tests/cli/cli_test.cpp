// The `tokenscope` executable end to end on a tiny random model written by the test: run (greedy determinism, JSON
// lines, seeds, the context limit), info, bench, and bad input answered with exit code 1 or 2 and an `error:` line,
// never a signal.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tools/random_model.hpp"

namespace {

namespace fs = std::filesystem;

struct Outcome {
    int exit_code = -1;  // -1 when killed by a signal
    int signal    = 0;
    std::string out, err;
};

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Runs tokenscope with `args`, capturing stdout and stderr in files.
Outcome run_tokenscope(const std::vector<std::string>& args) {
    static int counter = 0;
    const std::string base =
        (fs::temp_directory_path() / ("ts_cli_" + std::to_string(getpid()) + "_" + std::to_string(counter++))).string();
    const std::string out_path = base + ".out", err_path = base + ".err";
    std::vector<std::string> full{TS_TOKENSCOPE_EXE};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        const int o = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], argv.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    Outcome r;
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    fs::remove(out_path);
    fs::remove(err_path);
    return r;
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> lines;
    std::stringstream ss(s);
    for (std::string line; std::getline(ss, line);)
        if (!line.empty()) lines.push_back(line);
    return lines;
}

// A minimal JSON reader for the tests: enough to check that a line parses and to read keys.
struct Json {
    enum class Type { Null, Bool, Number, String, Array, Object } type = Type::Null;
    double num                                                         = 0;
    std::string str;
    std::vector<Json> arr;
    std::map<std::string, Json> obj;
    bool has(const std::string& k) const { return obj.count(k) != 0; }
    const Json& at(const std::string& k) const { return obj.at(k); }
};

class JsonParser {
public:
    explicit JsonParser(const std::string& s) : s_(s) {}
    bool parse(Json& out) {
        if (!value(out)) return false;
        ws();
        return i_ == s_.size();
    }

private:
    void ws() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    bool lit(const char* w) {
        const std::string t(w);
        if (s_.compare(i_, t.size(), t) != 0) return false;
        i_ += t.size();
        return true;
    }
    bool string(std::string& out) {
        if (s_[i_] != '"') return false;
        for (++i_; i_ < s_.size(); ++i_) {
            const unsigned char c = static_cast<unsigned char>(s_[i_]);
            if (c == '"') {
                ++i_;
                return true;
            }
            if (c < 0x20) return false;  // raw control characters are invalid JSON
            if (c == '\\') {
                if (++i_ >= s_.size()) return false;
                const char e = s_[i_];
                if (e == 'u') {
                    if (i_ + 4 >= s_.size()) return false;
                    for (int k = 1; k <= 4; ++k)
                        if (!std::isxdigit(static_cast<unsigned char>(s_[i_ + size_t(k)]))) return false;
                    out += "?";
                    i_ += 4;
                } else if (std::string("\"\\/bfnrt").find(e) != std::string::npos) {
                    out += e;
                } else {
                    return false;
                }
            } else {
                out += char(c);
            }
        }
        return false;
    }
    bool value(Json& v) {
        ws();
        if (i_ >= s_.size()) return false;
        const char c = s_[i_];
        if (c == '{') {
            v.type = Json::Type::Object;
            ++i_;
            ws();
            if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
            while (true) {
                ws();
                std::string k;
                if (i_ >= s_.size() || !string(k)) return false;
                ws();
                if (i_ >= s_.size() || s_[i_++] != ':') return false;
                if (!value(v.obj[k])) return false;
                ws();
                if (i_ >= s_.size()) return false;
                if (s_[i_] == ',') {
                    ++i_;
                    continue;
                }
                return s_[i_++] == '}';
            }
        }
        if (c == '[') {
            v.type = Json::Type::Array;
            ++i_;
            ws();
            if (i_ < s_.size() && s_[i_] == ']') return ++i_, true;
            while (true) {
                v.arr.emplace_back();
                if (!value(v.arr.back())) return false;
                ws();
                if (i_ >= s_.size()) return false;
                if (s_[i_] == ',') {
                    ++i_;
                    continue;
                }
                return s_[i_++] == ']';
            }
        }
        if (c == '"') {
            v.type = Json::Type::String;
            return string(v.str);
        }
        if (lit("null")) return true;
        if (lit("true") || lit("false")) {
            v.type = Json::Type::Bool;
            return true;
        }
        size_t used = 0;
        try {
            v.num = std::stod(s_.substr(i_), &used);
        } catch (...) {
            return false;
        }
        v.type = Json::Type::Number;
        i_ += used;
        return used > 0;
    }
    const std::string& s_;
    size_t i_ = 0;
};

Json parse_json(const std::string& line) {
    Json j;
    EXPECT_TRUE(JsonParser(line).parse(j)) << "not JSON: " << line;
    return j;
}

class Cli : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir_ = fs::temp_directory_path() / ("ts_cli_models_" + std::to_string(getpid()));
        fs::create_directories(dir_);
        ts::tools::RandomModelSpec s;
        s.n_ctx = 64;
        s.seed  = 11;
        ASSERT_TRUE(ts::tools::write_random_model(s, model()).ok());
        // the same file cut in half
        const std::string bytes = slurp(model());
        std::ofstream(truncated(), std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() / 2));
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }

    static std::string model() { return (dir_ / "tiny.gguf").string(); }
    static std::string truncated() { return (dir_ / "truncated.gguf").string(); }

    // Runs and checks that no signal ended the process.
    static Outcome run(const std::vector<std::string>& args) {
        Outcome r = run_tokenscope(args);
        EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal << "\nstderr: " << r.err;
        return r;
    }
    static void expect_error(const Outcome& r, int code) {
        EXPECT_EQ(r.exit_code, code) << r.err;
        EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << "stderr: " << r.err;
    }
    static std::vector<int> ids_of(const Outcome& r) {
        std::vector<int> ids;
        for (const auto& line : lines_of(r.out)) {
            const Json j = parse_json(line);
            if (j.has("id")) ids.push_back(int(j.at("id").num));
        }
        return ids;
    }

    static inline fs::path dir_;
};

TEST_F(Cli, RunGreedyWithPromptIdsIsDeterministic) {
    const std::vector<std::string> args{"run", "-m",     model(), "--prompt-ids", "1,5,7", "-n",
                                        "8",   "--temp", "0",     "--json",       "-t",    "1"};
    const Outcome a = run(args), b = run(args);
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(ids_of(a).size(), 8u);
    EXPECT_EQ(ids_of(a), ids_of(b));
}

TEST_F(Cli, RunGreedyDoesNotDependOnThreads) {
    auto ids = [&](const char* t) {
        return ids_of(run({"run", "-m", model(), "--prompt-ids", "3,4", "-n", "6", "--temp", "0", "--json", "-t", t}));
    };
    EXPECT_EQ(ids("1"), ids("2"));
}

TEST_F(Cli, RunJsonLinesHaveTheDocumentedKeys) {
    const Outcome r = run({"run", "-m", model(), "--prompt-ids", "1,2", "-n", "4", "--json", "--seed", "3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 5u);
    for (size_t i = 0; i < 4; ++i) {
        const Json j = parse_json(lines[i]);
        for (const char* k : {"pos", "id", "text", "p", "top"}) EXPECT_TRUE(j.has(k)) << k << " in " << lines[i];
        EXPECT_EQ(int(j.at("pos").num), int(2 + i));
        ASSERT_FALSE(j.at("top").arr.empty());
        for (const Json& t : j.at("top").arr)
            for (const char* k : {"id", "text", "logit", "p"}) EXPECT_TRUE(t.has(k)) << k;
    }
    const Json s = parse_json(lines.back());
    ASSERT_TRUE(s.has("summary"));
    for (const char* k : {"prompt_tokens", "generated", "prefill_tok_s", "decode_tok_s"})
        EXPECT_TRUE(s.at("summary").has(k)) << k;
    EXPECT_EQ(int(s.at("summary").at("prompt_tokens").num), 2);
    EXPECT_EQ(int(s.at("summary").at("generated").num), 4);
}

TEST_F(Cli, RunSeedsReproduce) {
    auto ids = [&](const char* seed) {
        return ids_of(run({"run", "-m", model(), "--prompt-ids", "9", "-n", "16", "--json", "--temp", "1.5", "--top-k",
                           "0", "--top-p", "1", "--min-p", "0", "--seed", seed}));
    };
    EXPECT_EQ(ids("5"), ids("5"));
    EXPECT_NE(ids("5"), ids("6"));
}

TEST_F(Cli, RunStopsWhenTheContextIsFull) {
    const Outcome r = run({"run", "-m", model(), "--prompt-ids", "1,2,3", "-n", "50", "-c", "8", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_LE(ids_of(r).size(), 6u);
    EXPECT_NE(r.err.find("full"), std::string::npos) << r.err;
}

TEST_F(Cli, RunFromBosAloneWithEmptyPrompt) {
    const Outcome r = run({"run", "-m", model(), "-p", "", "-n", "3", "--temp", "0", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(int(parse_json(lines.back()).at("summary").at("prompt_tokens").num), 1);
}

TEST_F(Cli, RunTextModePrintsSomething) {
    const Outcome r = run({"run", "-m", model(), "-p", "", "-n", "3", "--temp", "0"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(r.out.empty());
}

TEST_F(Cli, InfoShowsTheShape) {
    const Outcome r = run({"info", "-m", model()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* s : {"gguf v3", "llama", "n_layer          2", "n_embd           64", "n_head_kv        2",
                          "n_vocab          300", "q8_0", "f32", "parameters"})
        EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
}

TEST_F(Cli, BenchJsonHasTheDocumentedKeys) {
    const Outcome r = run({"bench", "-m", model(), "-p", "8", "-n", "4", "-t", "1", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_EQ(lines.size(), 1u);
    const Json j = parse_json(lines[0]);
    for (const char* k : {"model", "threads", "trace", "prompt_tokens", "prefill_tok_s", "generated", "decode_tok_s"})
        EXPECT_TRUE(j.has(k)) << k;
    EXPECT_EQ(j.at("trace").str, "off");
    EXPECT_EQ(int(j.at("prompt_tokens").num), 8);
    EXPECT_EQ(int(j.at("generated").num), 4);
}

TEST_F(Cli, BenchTableWithoutJson) {
    const Outcome r = run({"bench", "-m", model(), "-p", "4", "-n", "2", "-t", "1", "--trace", "on"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("prefill"), std::string::npos);
    EXPECT_NE(r.out.find("decode"), std::string::npos);
}

TEST_F(Cli, MissingFileIsAnError) {
    for (const char* verb : {"run", "info", "bench"}) {
        std::vector<std::string> args{verb, "-m", (dir_ / "missing.gguf").string()};
        if (std::string(verb) == "run") args.insert(args.end(), {"--prompt-ids", "1"});
        const Outcome r = run(args);
        expect_error(r, 1);
        EXPECT_NE(r.err.find("missing.gguf"), std::string::npos) << r.err;
    }
}

TEST_F(Cli, TruncatedFileIsAnError) {
    expect_error(run({"info", "-m", truncated()}), 1);
    expect_error(run({"run", "-m", truncated(), "--prompt-ids", "1"}), 1);
    expect_error(run({"bench", "-m", truncated()}), 1);
}

TEST_F(Cli, AbsurdValuesAreUsageErrors) {
    const std::vector<std::vector<std::string>> cases{{"-n", "-1"},
                                                      {"--top-p", "3"},
                                                      {"-t", "0"},
                                                      {"-t", "10000"},
                                                      {"--temp", "abc"},
                                                      {"-n", "12x"},
                                                      {"--min-p", "-1"},
                                                      {"--top-k", "-5"},
                                                      {"-c", "100000"},
                                                      {"-c", "0"},
                                                      {"--temp", "nan"},
                                                      {"--repeat-penalty", "0"},
                                                      {"--prompt-ids", "1,x"},
                                                      {"--prompt-ids", "100000"},
                                                      {"-n"}};
    for (const auto& c : cases) {
        std::vector<std::string> args{"run", "-m", model()};
        if (c[0] != "--prompt-ids") args.insert(args.end(), {"--prompt-ids", "1"});
        args.insert(args.end(), c.begin(), c.end());
        const Outcome r = run(args);
        expect_error(r, 2);
        EXPECT_NE(r.err.find("usage:"), std::string::npos) << c[0];
    }
}

TEST_F(Cli, UnknownFlagIsAUsageError) {
    for (const char* verb : {"run", "info", "bench"}) {
        const Outcome r = run({verb, "-m", model(), "--bogus"});
        expect_error(r, 2);
        EXPECT_NE(r.err.find("--bogus"), std::string::npos);
        EXPECT_NE(r.err.find("usage: tokenscope"), std::string::npos);
    }
}

TEST_F(Cli, PromptLongerThanTheContextIsAnError) {
    expect_error(run({"run", "-m", model(), "--prompt-ids", "1,2,3,4,5", "-c", "4"}), 1);
}

TEST_F(Cli, RunNeedsExactlyOnePrompt) {
    expect_error(run({"run", "-m", model()}), 2);
    expect_error(run({"run", "-m", model(), "-p", "a", "--prompt-ids", "1"}), 2);
}

TEST_F(Cli, TraceFileIsNotSupportedYet) {
    expect_error(run({"run", "-m", model(), "--prompt-ids", "1", "--trace", (dir_ / "t.bin").string()}), 1);
}

TEST_F(Cli, HelpListsTheFlags) {
    for (const char* verb : {"run", "info", "bench"}) {
        const Outcome r = run({verb, "--help"});
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_NE(r.out.find("-m, --model"), std::string::npos) << verb;
    }
    const Outcome r = run({"run", "--help"});
    for (const char* f : {"--temp", "--top-k", "--top-p", "--min-p", "--repeat-penalty", "--seed", "--json", "--trace",
                          "--prompt-ids", "-c, --ctx-size", "-t, --threads"})
        EXPECT_NE(r.out.find(f), std::string::npos) << f;
}

}  // namespace
