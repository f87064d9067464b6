// The explorer's two ways to run: an interactive window (`tokenscope gui`) and an offscreen capture to PNG
// (`tokenscope shot`). Both return the process exit code and print `error:` lines themselves.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/model/model.hpp"
#include "core/session/exploration.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::app {

struct ExplorerOptions {
    std::string model_path;  // "" = start with the empty state
    std::string prompt;
    int n_steps      = 16;
    bool run_on_load = false;  // gui -n N: generate n_steps tokens once the model is loaded (else -n sets Run's count)
    int n_ctx        = 0;      // -c: positions of the KV cache (0: the model's context, at most 4096)
    int n_threads    = core::default_thread_count();  // -t: engine threads
    core::LoadOptions load;                           // --no-mmap, --check-tensors
    // No -m given (`tokenscope`, `tokenscope gui`): the model and prompt of the last session are reopened when the
    // user keeps File ▸ "Reopen the last model at start" on (imgui.ini); model_path is then only the fallback.
    bool reopen_last  = false;
    bool prompt_given = false;  // -p: the last session's prompt is not restored
    // --open F.tscope: a saved exploration, read by the verb (app/ui/exploration_io.hpp); model_path then overrides
    // the model file it names when -m was given ("" : the one it names).
    std::shared_ptr<const core::Exploration> exploration;
    std::string exploration_file;
    // --compare-model B.gguf: a second model of the same vocabulary, compared on the tokens (the Models tab).
    std::string compare_model;
};

struct ShotOptions {
    ExplorerOptions explorer;
    std::string panel = "all";  // "all" or one of panel_names() (shell.hpp)
    int layer         = 0;      // the Attention / Q·K panels' layer and head
    int head          = 0;
    bool layer_given = false, head_given = false;  // --layer / --head were given (they win over --open's view)
    std::string attention_mode;  // comma-separated: head | heads (small multiples) | mean, and log, magma
    float ui_scale = 1.0f;       // --scale PCT / 100: the presentation scale
    std::string split;           // --split LEFT,RIGHT: two panels side by side ("" = the tabs)
    std::string lesson;          // --lesson FILE[:STEP]: the lesson player open at that step (1-based)
    int width          = 1280;
    int height         = 800;
    int frames         = 3;                  // frames drawn before the capture (ImGui settles its layout in 2)
    bool report_frames = false;              // print "frames: N p50_ms=... p95_ms=..."
    float hover_x = -1, hover_y = -1;        // --hover X,Y: the mouse rests there (tooltips show); < 0: no mouse
    std::vector<std::string> interventions;  // --intervene SPEC: applied before the prompt is evaluated
    // --branch POS:ID: after the generation, token ID forced at POS and as many tokens generated again (a second
    // branch in the tree; with one or more, the Branches panel compares the first branch with the last)
    std::vector<std::pair<int, int32_t>> branches;
    std::string out;
};

int run_explorer(const ExplorerOptions& opt);
int run_shot(const ShotOptions& opt);

}  // namespace ts::app
