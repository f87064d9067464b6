// tokenscope: verb dispatch only. `tokenscope` alone opens the explorer on the default model.
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>

#include "app/cli/args.hpp"
#include "app/cli/commands.hpp"
#include "app/cli/model_fault.hpp"
#include "app/cli/simd_choice.hpp"

namespace {

struct Verb {
    const char* name;
    int (*fn)(int, char**);
    const char* help;
};

constexpr Verb kVerbs[] = {
    {"gui", ts::app::cmd_gui, "open the explorer            tokenscope gui [-m FILE] [-p TEXT]"},
    {"run", ts::app::cmd_run, "generate text                tokenscope run -m FILE -p TEXT -n N [--json] ..."},
    {"tokenize", ts::app::cmd_tokenize, "show how text becomes tokens tokenscope tokenize -m FILE -p TEXT [--ids]"},
    {"info", ts::app::cmd_info, "describe a model file        tokenscope info -m FILE"},
    {"bench", ts::app::cmd_bench, "measure prefill and decode   tokenscope bench -m FILE [-p N] [-n N] [-t T]"},
    {"shot", ts::app::cmd_shot, "render the explorer to PNG   tokenscope shot [-m FILE] [--panel NAME] -o FILE.png"},
    {"train", ts::app::cmd_train, "train a small model          tokenscope train --corpus FILE -o FILE.gguf"},
    {"eval", ts::app::cmd_eval, "held-out loss and baselines  tokenscope eval -m FILE --corpus FILE [--json]"},
};

void print_usage(FILE* out) {
    std::fprintf(out, "usage: tokenscope [VERB] [FLAGS]   (no verb: the explorer on the default model)\n\nverbs:\n");
    for (const Verb& v : kVerbs) std::fprintf(out, "  %-9s %s\n", v.name, v.help);
    std::fprintf(out, "\n`tokenscope VERB --help` lists a verb's flags.\n");
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
    // The verbs that run a model measure the fastest SIMD level once per machine (cached); the others use the cache.
    const std::string_view first = argc > 1 ? argv[1] : "gui";
    const bool runs_model =
        first == "gui" || first == "run" || first == "bench" || first == "shot" || first == "eval" ||
        (!first.empty() && first[0] == '-' && first != "--help" && first != "-h" && first != "--version");
    if (const ts::core::Status st = ts::app::apply_simd_env(runs_model); !st.ok()) {
        std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
        return 2;
    }
    if (argc < 2) return run_verb(ts::app::cmd_gui, argc, argv);
    const std::string_view verb = argv[1];
    if (verb == "-h" || verb == "--help" || verb == "help") {
        print_usage(stdout);
        return ts::app::flush_stdout();
    }
    if (verb == "--version") {
        std::printf("tokenscope 0.1.0\n");
        return ts::app::flush_stdout();
    }
    for (const Verb& v : kVerbs)
        if (verb == v.name) return run_verb(v.fn, argc - 1, argv + 1);
    if (!verb.empty() && verb[0] == '-') return run_verb(ts::app::cmd_gui, argc, argv);  // `tokenscope -m FILE`
    std::fprintf(stderr, "error: unknown verb '%s'\n", argv[1]);
    print_usage(stderr);
    return 2;
}
