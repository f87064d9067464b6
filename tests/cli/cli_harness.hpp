// Test harness of the CLI tests: runs the built `tokenscope` in a child process (exit code, signal, stdout, stderr),
// a minimal JSON reader for its --json lines and trace files, and the fixture that writes a tiny random model.
#pragma once

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

namespace ts::cli_test {

namespace fs = std::filesystem;

struct Outcome {
    int exit_code = -1;  // -1 when killed by a signal
    int signal    = 0;
    std::string out, err;
};

inline std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// Runs tokenscope with `args` (in folder `cwd` when given), capturing stdout and stderr in files. `stdout_to` sends
// stdout to that path instead (/dev/full: a write error); a `timeout_s` > 0 ends a process that hangs with SIGALRM
// (seen as Outcome::signal), so a test of something that once blocked fails instead of hanging.
inline Outcome run_tokenscope(const std::vector<std::string>& args, const std::string& cwd = "",
                              const std::string& stdout_to = "", unsigned timeout_s = 0) {
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
        const int o = stdout_to.empty() ? open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600)
                                        : open(stdout_to.c_str(), O_WRONLY);
        const int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(o, 1);
        dup2(e, 2);
        if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
        if (timeout_s > 0) alarm(timeout_s);  // survives execv
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

inline std::vector<std::string> lines_of(const std::string& s) {
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
    bool b                                                             = false;
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
            v.b    = s_[i_ - 1] == 'e' && s_[i_ - 4] == 't';  // the literal just read
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

inline Json parse_json(const std::string& line) {
    Json j;
    EXPECT_TRUE(JsonParser(line).parse(j)) << "not JSON: " << line;
    return j;
}

// Writes a tiny random model (tools/random_model) once per test suite; `run` checks that no signal ended the process.
class CliModelTest : public ::testing::Test {
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

}  // namespace ts::cli_test
