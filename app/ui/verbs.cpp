// `tokenscope gui` and `tokenscope shot`: flag parsing, then the explorer (app/ui/explorer.cpp). Compiled into the
// tokenscope executable itself (app/CMakeLists.txt) in builds with the GUI; without it, app/cli/pending.cpp stands in.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "app/cli/args.hpp"
#include "app/cli/commands.hpp"
#include "app/ui/explorer.hpp"
#include "app/ui/shell.hpp"
#include "core/base/mmap.hpp"
#include "core/session/exploration.hpp"

namespace ts::app {
namespace {

// The default model when -m is not given: the CLI's lookup (built in, working directory, beside the executable), then
// the source tree this binary was built from. "" when there is none yet: the explorer opens with its empty state.
constexpr const char* kDefaultPrompt = "And God said";

std::string default_gui_model() {
    std::error_code ec;
    const std::string p = default_model_path();
    if (core::is_builtin_file(p) || std::filesystem::exists(p, ec)) return p;
#ifdef TS_SOURCE_DIR
    const std::filesystem::path src = std::filesystem::path(TS_SOURCE_DIR) / "assets" / "models" / "default.gguf";
    if (std::filesystem::exists(src, ec)) return src.string();
#endif
    return {};
}

// "head", "heads,log", "mean,magma,log" ...
bool valid_attention_options(const std::string& list) {
    size_t start = 0;
    while (start <= list.size() && !list.empty()) {
        const size_t comma     = list.find(',', start);
        const std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (item != "head" && item != "heads" && item != "mean" && item != "log" && item != "magma" &&
            item != "nosinks")
            return false;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return true;
}

bool parse_size(const std::string& s, int& w, int& h) {
    int n = 0;
    if (std::sscanf(s.c_str(), "%dx%d%n", &w, &h, &n) != 2 || size_t(n) != s.size()) return false;
    return w >= 16 && h >= 16 && w <= 8192 && h <= 8192;
}

// --open FILE: the exploration read, and the model it names (or -m's) checked; false after printing `error:`.
// With -m the user picked the file: a different SHA-256 is a warning, not an error.
bool read_open_flag(ExplorerOptions& opt, const std::string& file, bool model_given) {
    auto e = core::read_exploration(file);
    if (!e) {
        std::fprintf(stderr, "error: %s\n", e.error().message.c_str());
        return false;
    }
    if (!model_given) opt.model_path = e->model_path;
    if (auto st = core::check_exploration_model(*e, opt.model_path); !st) {
        const bool unreadable = st.error().code == core::Code::kIo;
        if (!model_given || unreadable) {
            std::fprintf(stderr, "error: %s: %s%s\n", file.c_str(), st.error().message.c_str(),
                         unreadable ? " (give the model file with -m)" : " (-m FILE uses another file anyway)");
            return false;
        }
        std::fprintf(stderr, "warning: %s\n", st.error().message.c_str());
    }
    opt.exploration      = std::make_shared<const core::Exploration>(std::move(*e));
    opt.exploration_file = file;
    return true;
}

}  // namespace

int cmd_gui(int argc, char** argv) {
    ExplorerOptions opt;
    std::string open;
    ArgParser ap("gui", "[-m FILE] [-p TEXT] [--open F.tscope]",
                 "open the explorer; without -m it reopens the last session's model and prompt (File > Reopen the last "
                 "model at start), else the default model (assets/models/default.gguf)");
    ap.add_string("-m", "--model", "FILE", &opt.model_path, "model file to open (GGUF)");
    ap.add_string("", "--open", "F.tscope", &open,
                  "open a saved exploration (File > Save exploration): its model, prompt, tokens, settings, "
                  "interventions and view; with -m, on that model file instead");
    ap.add_string("-p", "--prompt", "TEXT", &opt.prompt, "prompt to start with");
    ap.add_string("", "--compare-model", "B.gguf", &opt.compare_model,
                  "a second model of the same vocabulary (e.g. another quantisation), compared with the first on the "
                  "tokens on screen in the Models tab (File > Compare with another model)");
    ap.add_int("-n", "--n-predict", "N", &opt.n_steps, 1, 1 << 20,
               "tokens to generate once the model is loaded (and Run's count)");
    ap.add_int("-c", "--ctx-size", "N", &opt.n_ctx, 1, 1 << 20, "context size (default: the model's, at most 4096)");
    ap.add_int("-t", "--threads", "N", &opt.n_threads, 1, kMaxThreads, "engine threads");
    add_load_flags(ap, &opt.load);
    // `tokenscope` alone and `tokenscope -m FILE` arrive here with argv[0] = "tokenscope", which is not a flag.
    if (auto code = ap.parse(argc, argv)) return *code;
    opt.run_on_load  = ap.was_set("-n");
    opt.reopen_last  = !ap.was_set("-m");
    opt.prompt_given = ap.was_set("-p");
    if (!open.empty()) {
        if (ap.was_set("-p") || ap.was_set("-n")) return ap.usage_error("--open restores its own prompt and tokens");
        opt.reopen_last = false;
        return read_open_flag(opt, open, ap.was_set("-m")) ? run_explorer(opt) : 1;
    }
    if (!ap.was_set("-m")) {
        opt.model_path = default_gui_model();
        // The default model is the KJV one: open on a prompt that shows something at once.
        if (!ap.was_set("-p") && !opt.model_path.empty()) opt.prompt = kDefaultPrompt;
    }
    return run_explorer(opt);
}

int cmd_shot(int argc, char** argv) {
    ShotOptions opt;
    std::string size = "1280x800";
    std::string hover;
    ArgParser ap("shot",
                 "[-m FILE] [-p TEXT] [-n STEPS] [--panel NAME|all] [--layer L --head H] [--size WxH] [--frames N] "
                 "[--hover X,Y] [--intervene SPEC]... [--open F.tscope] [--branch POS:ID]... [--compare-model B.gguf] "
                 "-o FILE.png",
                 "generate STEPS tokens (or restore a saved exploration), then render the explorer offscreen and "
                 "write a PNG");
    ap.add_string("-m", "--model", "FILE", &opt.explorer.model_path, "model file (GGUF)");
    ap.add_string("-p", "--prompt", "TEXT", &opt.explorer.prompt, "prompt to evaluate (\"\": BOS alone)");
    ap.add_int("-n", "--n-predict", "STEPS", &opt.explorer.n_steps, 0, 1 << 20, "tokens to generate before the shot");
    ap.add_int("-c", "--ctx-size", "N", &opt.explorer.n_ctx, 1, 1 << 20,
               "context size (default: the model's, at most 4096)");
    ap.add_int("-t", "--threads", "N", &opt.explorer.n_threads, 1, kMaxThreads, "engine threads");
    add_load_flags(ap, &opt.explorer.load);
    ap.add_string("", "--panel", "NAME", &opt.panel, "all, or one panel: " + known_panels());
    ap.add_int("", "--layer", "L", &opt.layer, 0, 1 << 16, "layer shown by the attention and Q·K panels");
    ap.add_int("", "--head", "H", &opt.head, 0, 1 << 16, "head shown by the attention and Q·K panels");
    ap.add_string("", "--attention", "LIST", &opt.attention_mode,
                  "attention view: head, heads (all) or mean; add log (log scale), magma, or nosinks (the sink "
                  "columns hidden, rows renormalised), e.g. heads,log");
    ap.add_string("", "--split", "LEFT,RIGHT", &opt.split,
                  "two panels side by side (with --panel all), e.g. attention,qk or softmax,logits");
    int scale_pct = 100;
    ap.add_string("", "--lesson", "FILE[:STEP]", &opt.lesson,
                  "open a guided lesson in the lesson player at step STEP (default 1), its actions applied");
    ap.add_int("", "--scale", "PCT", &scale_pct, 100, 250, "UI scale in percent, as Ctrl+= sets it (100..250)");
    ap.add_string("", "--size", "WxH", &size, "image size in pixels");
    ap.add_int("", "--frames", "N", &opt.frames, 1, 100000, "frames to draw; prints their p50/p95 CPU time");
    ap.add_string("", "--hover", "X,Y", &hover, "rest the mouse at pixel X,Y (shows that spot's tooltip)");
    ap.add_string_list("", "--intervene", "SPEC", &opt.interventions,
                       "run with an intervention (as `run --intervene`, e.g. zero-head:2.4); the Logits panel then "
                       "shows Δ logit / Δp against the un-intervened run");
    std::string open;
    ap.add_string("", "--open", "F.tscope", &open,
                  "restore a saved exploration (its prompt, tokens, settings, interventions and view: tab, layer, "
                  "head, query) instead of -p/-n/--intervene; --panel, --split, --layer and --head still apply");
    std::vector<std::string> branches;
    ap.add_string_list("", "--branch", "POS:ID", &branches,
                       "after generating, force token ID at position POS and generate as many tokens again: a second "
                       "branch, compared with the first in the Branches panel (--panel branches)");
    ap.add_string("", "--compare-model", "B.gguf", &opt.explorer.compare_model,
                  "compare the model with a second one of the same vocabulary on the shot's tokens (--panel models, "
                  "or the Models tab of --panel all)");
    ap.add_string("-o", "--output", "FILE.png", &opt.out, "PNG file to write");
    if (auto code = ap.parse(argc, argv)) return *code;
    opt.layer_given = ap.was_set("--layer");
    opt.head_given  = ap.was_set("--head");
    if (opt.out.empty()) return ap.usage_error("-o FILE.png is required");
    for (const std::string& b : branches) {
        int pos = 0, id = 0, used = 0;
        if (std::sscanf(b.c_str(), "%d:%d%n", &pos, &id, &used) != 2 || size_t(used) != b.size() || pos < 1 || id < 0)
            return ap.usage_error("--branch wants POS:ID (a position >= 1, a token id), got '" + b + "'");
        opt.branches.emplace_back(pos, int32_t(id));
    }
    if (!parse_size(size, opt.width, opt.height))
        return ap.usage_error("--size wants WxH with each side in 16..8192, got '" + size + "'");
    if (!is_known_panel(opt.panel))
        return ap.usage_error("unknown panel '" + opt.panel + "'; panels: all " + known_panels());
    if (!opt.split.empty()) {
        const size_t comma = opt.split.find(',');
        if (comma == std::string::npos || center_tab_named(opt.split.substr(0, comma)) == CenterTab::kCount ||
            center_tab_named(opt.split.substr(comma + 1)) == CenterTab::kCount)
            return ap.usage_error(
                "--split wants two panels LEFT,RIGHT of: model attention qk softmax logits kv "
                "layers geometry heads experts branches models; got '" +
                opt.split + "'");
    }
    if (!valid_attention_options(opt.attention_mode))
        return ap.usage_error(
            "--attention wants a comma-separated list of head|heads|mean, log, magma, nosinks; got '" +
            opt.attention_mode + "'");
    if (!hover.empty()) {
        int x = 0, y = 0, used = 0;
        if (std::sscanf(hover.c_str(), "%d,%d%n", &x, &y, &used) != 2 || size_t(used) != hover.size() || x < 0 ||
            y < 0 || x >= opt.width || y >= opt.height)
            return ap.usage_error("--hover wants X,Y inside the image (" + size + "), got '" + hover + "'");
        opt.hover_x = float(x);
        opt.hover_y = float(y);
    }
    opt.report_frames = ap.was_set("--frames");
    opt.ui_scale      = float(scale_pct) / 100.0f;
    if (!open.empty()) {
        if (ap.was_set("-p") || ap.was_set("-n") || !opt.interventions.empty() || !opt.lesson.empty())
            return ap.usage_error(
                "--open restores its own prompt, tokens and interventions (no -p, -n, --intervene, "
                "--lesson)");
        return read_open_flag(opt.explorer, open, ap.was_set("-m")) ? run_shot(opt) : 1;
    }
    if (!ap.was_set("-m")) opt.explorer.model_path = default_gui_model();
    return run_shot(opt);
}

}  // namespace ts::app
