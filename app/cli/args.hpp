// ArgParser: the small flag parser every verb uses (run, info, bench, tokenize, shot, gui, train).
//
// A verb declares its flags, each bound to a variable that already holds the default, then parses:
//
//   std::string model = default_model_path();
//   int n_predict = 32;
//   float temp = 0.8f;
//   ArgParser ap("run", "-m FILE -p TEXT -n N [flags]", "generate text from a prompt");
//   ap.add_string("-m", "--model", "FILE", &model, "model file (GGUF or llama2.c .bin)");
//   ap.add_int("-n", "--n-predict", "N", &n_predict, 0, 1 << 20, "tokens to generate");
//   ap.add_float("", "--temp", "T", &temp, 0.0f, 100.0f, "temperature, 0 = greedy");
//   if (auto code = ap.parse(argc, argv)) return *code;   // --help printed (0) or a usage error (2)
//
// Accepted forms: `-n 5`, `--n-predict 5`, `--n-predict=5`. A value is always the next argument, so `-n -1` reads
// -1 and is then rejected by the range. Errors print one `error: ...` line and the usage line on stderr, and parse
// returns 2 (ARCHITECTURE §5: 2 = bad usage); `--help` / `-h` prints the verb's flags with their defaults on stdout and
// returns 0. Nothing here exits the process or throws.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model.hpp"

namespace ts::app {

class ArgParser {
public:
    // verb: "run"; usage: the synopsis after `tokenscope run`; summary: one line saying what the verb does.
    ArgParser(std::string verb, std::string usage, std::string summary);
    // The program name shown in usage lines ("tokenscope" unless a tool such as ts_mkmodel says otherwise).
    void set_program(std::string program) { program_ = std::move(program); }
    // "tokenscope run", or the program alone for a tool without verbs (an empty verb).
    std::string command() const { return verb_.empty() ? program_ : program_ + " " + verb_; }

    // Each add_* binds a flag to `out` (whose current value is shown as the default in --help). short_name is
    // like "-m" and long_name like "--model"; either may be "" (not both). metavar names the value in --help.
    void add_string(std::string_view short_name, std::string_view long_name, std::string_view metavar, std::string* out,
                    std::string_view help);
    // Integers and floats are range-checked (inclusive); floats must be finite.
    void add_int(std::string_view short_name, std::string_view long_name, std::string_view metavar, int32_t* out,
                 int64_t min, int64_t max, std::string_view help);
    void add_u64(std::string_view short_name, std::string_view long_name, std::string_view metavar, uint64_t* out,
                 std::string_view help);
    void add_float(std::string_view short_name, std::string_view long_name, std::string_view metavar, float* out,
                   float min, float max, std::string_view help);
    // A switch without a value: sets *out = true.
    void add_flag(std::string_view short_name, std::string_view long_name, bool* out, std::string_view help);
    // A value from a fixed list (e.g. on|off).
    void add_choice(std::string_view short_name, std::string_view long_name, std::vector<std::string> choices,
                    std::string* out, std::string_view help);
    // A comma-separated list of integers in [min, max], e.g. `--prompt-ids 1,2,3`.
    void add_int_list(std::string_view short_name, std::string_view long_name, std::string_view metavar,
                      std::vector<int32_t>* out, int64_t min, int64_t max, std::string_view help);
    // A flag that may be repeated: each value is appended to *out (e.g. `--intervene A --intervene B`).
    void add_string_list(std::string_view short_name, std::string_view long_name, std::string_view metavar,
                         std::vector<std::string>* out, std::string_view help);

    // Parses argv[1 .. argc) (argv[0] is the verb). nullopt: go on; otherwise the exit code to return (0 after
    // --help, 2 after a usage error, which has been printed).
    [[nodiscard]] std::optional<int> parse(int argc, char** argv);

    // Whether a flag (by either of its names) appeared on the command line.
    bool was_set(std::string_view name) const;

    void print_help(FILE* out) const;
    void print_usage(FILE* out) const;  // the one-line synopsis and a pointer to --help
    // Prints `error: <message>` and the usage line on stderr and returns 2, for checks a verb makes after parse
    // (mutually exclusive flags, a context larger than the model's).
    int usage_error(const std::string& message) const;

private:
    enum class Kind { String, Int, U64, Float, Flag, Choice, IntList, StringList };
    struct Spec {
        Kind kind = Kind::String;
        std::string short_name, long_name, metavar, help, default_text;
        void* out    = nullptr;
        int64_t imin = 0, imax = 0;
        float fmin = 0, fmax = 0;
        std::vector<std::string> choices;
        bool seen = false;
    };
    static Spec make_spec(Kind kind, std::string short_name, std::string long_name, std::string metavar,
                          std::string help, std::string default_text, void* out);
    void add(Spec s);
    Spec* find(std::string_view name);
    // Converts and stores one value; on failure returns the error message.
    std::optional<std::string> store(Spec& s, std::string_view name, std::string_view value);

    std::string program_ = "tokenscope";
    std::string verb_, usage_, summary_;
    std::vector<Spec> specs_;
};

// --no-mmap and --check-tensors (llama.cpp's names), for every verb that loads a model (run gui info bench shot).
void add_load_flags(ArgParser& ap, core::LoadOptions* out);

// The most threads -t accepts (every verb).
inline constexpr int kMaxThreads = 256;

// The name under which the executable's built-in copy of assets/models/default.gguf opens (app/builtin_model.cpp).
inline constexpr const char* kBuiltinModelName = "builtin:default.gguf";
// Registers that copy (main() calls it first; a no-op in builds without it).
void register_builtin_model();

// The model `-m` defaults to: the built-in copy when the executable has one; else assets/models/default.gguf,
// looked up in the working directory, then <exe>/../share/tokenscope/models/default.gguf (the installed layout,
// packaging/CMakeLists.txt), beside the executable, then two folders up from it (build/<preset>/tokenscope in the
// source tree). When none exists, the working-directory path is returned so the
// error names the usual place.
std::string default_model_path();
// The same search for any file or folder under assets/ (rel: "lessons", "models/default.gguf"): the working
// directory's assets/, <exe>/../share/tokenscope/, <exe>/assets/, two folders up from the executable; "" when absent.
std::string find_asset(const std::string& rel);

// A byte count such as `1048576`, `64K`, `512M`, `2G` or `1T` (binary units: K = 1024; an optional trailing `B` or
// `iB`, any case: `512MiB`, `2gb`). nullopt for anything else: empty, a sign, a fraction, an unknown suffix, overflow.
std::optional<uint64_t> parse_byte_size(std::string_view text);

// "error: <message>" on stderr; returns 1 (ARCHITECTURE §5: 1 = an error that is not bad usage).
int print_error(const std::string& message);

// Flushes stdout and checks that everything written to it arrived: 0 when it did, else (a full disk, /dev/full, a
// closed descriptor) prints `error: writing output: <reason>` and returns 1. main() calls it after every verb, so
// no verb exits 0 with its output lost; verbs that print while they work (run) call it to stop early.
int flush_stdout();

}  // namespace ts::app
