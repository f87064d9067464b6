// tokenscope: verb dispatch only. `tokenscope` alone opens the explorer on the default model.
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "app/cli/args.hpp"
#include "app/cli/commands.hpp"
#include "app/cli/model_fault.hpp"
#include "app/cli/simd_choice.hpp"

namespace {

struct Verb {
    const char* name;
    int (*fn)(int, char**);
    bool runs_model;  // runs a forward pass: measures the fastest SIMD level once per machine (simd_choice.hpp)
    const char* help;
};

constexpr Verb kVerbs[] = {
    {"gui", ts::app::cmd_gui, true, "open the explorer            tokenscope gui [-m FILE] [-p TEXT]"},
    {"run", ts::app::cmd_run, true, "generate text                tokenscope run -m FILE -p TEXT -n N [--json] ..."},
    {"tokenize", ts::app::cmd_tokenize, false,
     "show how text becomes tokens tokenscope tokenize -m FILE -p TEXT [--ids]"},
    {"info", ts::app::cmd_info, false, "describe a model file        tokenscope info -m FILE"},
    {"bench", ts::app::cmd_bench, true, "measure prefill and decode   tokenscope bench -m FILE [-p N] [-n N] [-t T]"},
    {"shot", ts::app::cmd_shot, true,
     "render the explorer to PNG   tokenscope shot [-m FILE] [--panel NAME] -o FILE.png"},
    {"train", ts::app::cmd_train, false, "train a small model          tokenscope train --corpus FILE -o FILE.gguf"},
    {"eval", ts::app::cmd_eval, true, "held-out loss and baselines  tokenscope eval -m FILE --corpus FILE [--json]"},
    {"heads", ts::app::cmd_heads, true, "what each attention head does tokenscope heads -m FILE [--json] [--ablate]"},
    {"compare", ts::app::cmd_compare, true,
     "two models on the same tokens tokenscope compare -m A.gguf -m2 B.gguf -p TEXT [-n N] [--json]"},
    {"lesson", ts::app::cmd_lesson, true, "check or list guided lessons tokenscope lesson --check|--list [FILE...]"},
    {"version", ts::app::cmd_version, false, "version, commit, compiler    tokenscope version (or --version)"},
};

// The verb argv asks for: a name from kVerbs, or the explorer for no verb or a flag first (`tokenscope -m FILE`);
// null for --help, --version and unknown names.
const Verb* find_verb(int argc, char** argv) {
    if (argc < 2) return &kVerbs[0];
    const std::string_view verb = argv[1];
    for (const Verb& v : kVerbs)
        if (verb == v.name) return &v;
    if (!verb.empty() && verb[0] == '-' && verb != "-h" && verb != "--help" && verb != "--version") return &kVerbs[0];
    return nullptr;
}

void print_usage(FILE* out) {
    std::fprintf(out, "usage: tokenscope [VERB] [FLAGS]   (no verb: the explorer on the default model)\n\nverbs:\n");
    for (const Verb& v : kVerbs) std::fprintf(out, "  %-9s %s\n", v.name, v.help);
    std::fprintf(out, "\n`tokenscope VERB --help` lists a verb's flags.\n");
}

// `tokenscope FILE.gguf` (what a file manager's "Open with TokenScope" runs: the .desktop entry's `Exec=tokenscope
// %f`): a first argument that is no verb and no flag but names a file, or ends in .gguf or .bin, opens it in the
// explorer, as `tokenscope gui -m FILE` would. A missing .gguf is then the loader's error, which names the file.
bool names_model_file(std::string_view arg) {
    if (arg.empty() || arg[0] == '-') return false;
    std::error_code ec;
    const std::filesystem::path p(arg);
    return p.extension() == ".gguf" || p.extension() == ".bin" || std::filesystem::is_regular_file(p, ec);
}

// The verb boundary: an allocation that fails (a model larger than memory) or any other exception becomes one
// `error:` line and exit 1, not an abort; and output that did not reach stdout (a full disk) is an error too.
int run_verb(int (*fn)(int, char**), int argc, char** argv) {
    int rc = 0;
    try {
        rc = fn(argc, argv);
    } catch (const std::bad_alloc&) {
        rc = ts::app::print_error("out of memory");
    } catch (const std::exception& e) {
        rc = ts::app::print_error(std::string("internal error: ") + e.what());
    }
    return rc != 0 ? rc : ts::app::flush_stdout();  // a verb that failed has said why already: one error line
}

}  // namespace

int main(int argc, char** argv) {
    ts::app::register_builtin_model();
    ts::app::install_model_fault_handler();  // a model file truncated under its mapping: an error, not a crash
    const Verb* verb     = find_verb(argc, argv);
    const bool open_file = !verb && names_model_file(argv[1]);  // `tokenscope FILE.gguf`: the explorer on it
    if (const ts::core::Status st = ts::app::apply_simd_env((verb && verb->runs_model) || open_file); !st.ok()) {
        std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
        return 2;
    }
    if (verb) {
        const bool named = argc >= 2 && std::string_view(argv[1]) == verb->name;  // else `tokenscope [-m FILE ...]`
        return named ? run_verb(verb->fn, argc - 1, argv + 1) : run_verb(verb->fn, argc, argv);
    }
    const std::string_view arg = argv[1];
    if (arg == "-h" || arg == "--help" || arg == "help") {
        print_usage(stdout);
        return ts::app::flush_stdout();
    }
    if (arg == "--version") return run_verb(ts::app::cmd_version, 1, argv);  // argv[0]: no flags to parse
    if (open_file) {
        static char gui[] = "gui", model_flag[] = "-m";
        std::vector<char*> gui_argv{gui, model_flag};
        gui_argv.insert(gui_argv.end(), argv + 1, argv + argc);
        gui_argv.push_back(nullptr);
        return run_verb(ts::app::cmd_gui, int(gui_argv.size()) - 1, gui_argv.data());
    }
    std::fprintf(stderr, "error: unknown verb '%s'\n", argv[1]);
    print_usage(stderr);
    return 2;
}
