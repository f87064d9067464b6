// tokenscope: verb dispatch only. `tokenscope` alone opens the explorer on the default model.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "app/cli/args.hpp"
#include "app/cli/commands.hpp"
#include "app/cli/model_fault.hpp"

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

}  // namespace

int main(int argc, char** argv) {
    ts::app::register_builtin_model();
    ts::app::install_model_fault_handler();  // a model file truncated under its mapping: an error, not a crash
    if (argc < 2) return ts::app::cmd_gui(argc, argv);
    const std::string_view verb = argv[1];
    if (verb == "-h" || verb == "--help" || verb == "help") {
        print_usage(stdout);
        return 0;
    }
    if (verb == "--version") {
        std::printf("tokenscope 0.1.0\n");
        return 0;
    }
    for (const Verb& v : kVerbs)
        if (verb == v.name) return v.fn(argc - 1, argv + 1);
    if (!verb.empty() && verb[0] == '-') return ts::app::cmd_gui(argc, argv);  // `tokenscope -m FILE`
    std::fprintf(stderr, "error: unknown verb '%s'\n", argv[1]);
    print_usage(stderr);
    return 2;
}
