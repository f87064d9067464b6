// UiState: everything the explorer's UI remembers between frames (no panel keeps function-static state), and the
// functions through which panels act on the engine (step, rewind, branch, select a position, sampler settings).
// Owned by the explorer loop; panels get it by reference together with the snapshot they draw:
//     void draw_<name>_panel(UiState& ui, const core::Snapshot& snap);   (app/ui/panels.hpp)
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "app/ui/bridge.hpp"
#include "app/ui/hash_job.hpp"
#include "app/ui/model_loader.hpp"
#include "app/ui/model_summary.hpp"
#include "app/ui/prompt_wrap.hpp"
#include "core/sample/sampler.hpp"
#include "core/session/exploration.hpp"
#include "core/session/worker.hpp"
#include "core/trace/guess.hpp"

struct ImFont;

namespace ts::app {

namespace gl {
class HeatmapRenderer;
}
struct LessonPlayer;  // app/ui/lesson_player.hpp

// The tabs of the central area, in order (ARCHITECTURE §6). The token strip and the controls are outside the tabs.
enum class CenterTab {
    Model,
    Attention,
    QkScores,
    Softmax,
    Logits,
    KvCache,
    Journey,
    Geometry,
    Heads,
    Experts,
    Branches,
    Models,
    kCount
};

struct Fonts {
    ImFont* ui    = nullptr;                   // DejaVu Sans: labels, text
    ImFont* mono  = nullptr;                   // DejaVu Sans Mono: token text, numbers in tables
    ImFont* title = nullptr;                   // DejaVu Sans Bold, larger: panel headings
    std::vector<unsigned short> ranges;        // glyph ranges the atlas was built from (must outlive the build)
    std::vector<unsigned short> title_ranges;  // the heading font's (Latin and symbols only)
};

// What the panels look at. Every panel shows the same query position, layer and head.
struct Selection {
    int pos   = -1;  // query position; -1: follow the newest position as generation goes on
    int layer = 0;
    int head  = 0;
};

// The next-token distribution of the newest position re-sampled on the UI thread with the settings being edited
// (sample::run_chain on snapshot.logits, replaying the Rng the proposal started from): moving a slider redraws the
// Softmax panel in the same frame, no forward pass, no round trip to the worker. Rebuilt by sampler_preview() when
// the snapshot's state or the settings change.
struct SamplerPreview {
    bool valid     = false;
    uint64_t state = 0;   // Snapshot::state it was made from
    int pos        = -1;  // the position whose logits were sampled (the newest)
    core::sample::SamplerSettings settings;
    core::sample::SamplerView view;
    core::sample::SampleResult result;
    std::string error;     // why it is not valid (no logits yet, bad settings)
    bool complete = true;  // a what-if (below): its position's view listed every candidate
};

// Each panel's view-model: prepared when snapshot.version (or the selection) changes, drawn from every frame.
// Defined in the panel's own .cpp (incomplete here); the panel creates it with std::make_shared on first use.
struct TokensView;     // app/ui/panel_tokens.cpp
struct AttentionView;  // app/ui/panel_attention.cpp (heatmap textures)
struct QkView;         // app/ui/panel_qk.cpp
struct SoftmaxView;    // app/ui/panel_softmax.cpp
struct LogitsView;     // app/ui/panel_logits.cpp
struct KvView;         // app/ui/panel_kv.cpp
struct LayersView;     // app/ui/panel_layers.cpp
struct GeometryView;   // app/ui/panel_geometry.cpp
struct HeadsView;      // app/ui/panel_heads.cpp
struct ExpertsView;    // app/ui/panel_experts.cpp
struct BranchesView;   // app/ui/panel_branches.cpp
struct ModelsView;     // app/ui/panel_models.cpp
struct RecurrentView;  // app/ui/panel_recurrent.cpp (the Attention panel on a recurrent layer)

struct PanelViews {
    std::shared_ptr<TokensView> tokens;
    std::shared_ptr<AttentionView> attention;
    std::shared_ptr<QkView> qk;
    std::shared_ptr<SoftmaxView> softmax;
    std::shared_ptr<LogitsView> logits;
    std::shared_ptr<KvView> kv;
    std::shared_ptr<LayersView> layers;
    std::shared_ptr<GeometryView> geometry;
    std::shared_ptr<HeadsView> heads;
    std::shared_ptr<ExpertsView> experts;
    std::shared_ptr<BranchesView> branches;
    std::shared_ptr<ModelsView> models;
    std::shared_ptr<RecurrentView> recurrent;
};

// Options of the Attention panel (mode, log scale, colour map and hidden sinks are saved in imgui.ini; zoom and pan
// are not).
enum class AttentionMode { Head, AllHeads, HeadMean };
struct AttentionOptions {
    AttentionMode mode = AttentionMode::Head;
    bool log_scale     = false;        // colour by log10(weight) over [-4, 0] instead of the weight
    bool magma         = false;        // colour map: viridis (default) or magma
    float zoom         = 1.0f;         // 1: the whole matrix fits; larger: cells grow and the view pans
    float pan_x = 0.0f, pan_y = 0.0f;  // top-left visible cell (key, query) when zoomed
    bool hide_sinks = false;           // hide the sink columns (core/trace/sinks.hpp) and renormalise the rows (S)
};

// The Heads panel's requests to the engine worker's atlas job (core/session/atlas_job.hpp), sent in the Focus.
struct HeadsOptions {
    bool wanted      = false;  // the user asked for the atlas (the panel's button; a shot asks at once)
    int score        = 0;      // the score the grid is coloured by (an index into the panel's score list)
    int ablate_layer = -1;     // "confirm by ablation" of this head (-1: none asked)
    int ablate_head  = -1;
    std::string cache_dir;     // core::user_cache_dir() ("" : atlases are not cached)
    uint64_t drawn_frame = 0;  // UiState::frame when the panel was last drawn (0: never)
};

struct UiState {
    UiState();
    ~UiState();  // stops the engine worker before the rest goes
    UiState(const UiState&)            = delete;
    UiState& operator=(const UiState&) = delete;

    // The model on screen and its prepared summary (null: the empty state).
    std::shared_ptr<const core::Model> model;
    std::shared_ptr<const ModelSummary> summary;
    ModelLoader loader;
    core::LoadOptions load_options;  // --no-mmap, --check-tensors: every load uses them
    // The model file as it was loaded; when the file on disk no longer matches (rewritten, replaced, removed),
    // model_file_changed is set and the status bar offers to reload it (check_model_file).
    core::FileStamp model_stamp;
    bool model_file_changed = false;
    double next_file_check  = 0;  // steady_seconds() of the next check

    // The engine: the worker thread behind the bridge, and the snapshot this frame draws (loaded once at the start
    // of the frame by begin_ui_frame; null when no model is attached).
    Bridge bridge;
    std::shared_ptr<const core::Snapshot> snap;
    core::SessionOptions session_options;  // used for every model attached (n_ctx, threads, trace budget)

    // Selection shared by every panel.
    Selection sel;
    // Sampler settings being edited by the sliders; pushed live to the worker (cmd::SetSampler + resample).
    core::sample::SamplerSettings sampler;
    SamplerPreview preview;
    // The same at an older position, when the sliders differ from the settings it was sampled with: a what-if on the
    // logits its recorded view kept (sample::logits_from_view), never what was sampled there. Built by shown_sampler.
    SamplerPreview what_if;
    PanelViews views;
    AttentionOptions attention;
    HeadsOptions heads;
    bool qk_by_weight     = false;  // Q·K panel: keys ordered by weight instead of position
    bool prompt_surprisal = true;   // token strip: prompt chips coloured by surprisal (−log2 p of the token)

    // Interventions strip (app/ui/panel_interventions.cpp): the spec being typed, why the last one was refused, and
    // the list last sent with cmd::SetInterventions (the base of the next edit until the worker has handled it).
    std::array<char, 256> intervene_text{};
    std::string intervene_error;
    std::vector<core::Intervention> interventions_sent;
    uint64_t interventions_ticket = 0;

    // Prompt & controls.
    std::array<char, 4096> prompt{};
    int n_steps          = 16;     // tokens a Run generates
    float steps_per_s    = 0.0f;   // Run's pace, so a learner can watch each step; 0: as fast as the engine goes
    bool playing         = false;  // a paced Run in progress (the UI pushes one Step at a time)
    int play_left        = 0;      // steps the paced Run still has to go
    double play_next     = 0;      // steady_seconds() when the next paced Step is due
    uint64_t play_ticket = 0;      // the last paced Step's ticket (0: none yet)
    bool prompt_dirty    = true;   // the prompt box differs from what the worker prefilled
    std::string applied_prompt;    // the text last sent with cmd::SetPrompt
    // The prompt box follows the branch on screen (follow_prompt): the engine's prompt as set when last seen, and the
    // texts sent this session (newest last), so a branch made by editing the prompt gets its text back as typed.
    std::vector<int32_t> engine_prompt;
    std::vector<std::string> sent_prompts;
    // The prompt box edits a wrapped copy of `prompt` (app/ui/prompt_wrap.hpp): rebuilt from `prompt` while the box
    // is not being edited, its edits mapped back into `prompt` as they happen.
    struct PromptBox {
        WrappedText wrapped;
        std::vector<char> buf;  // the box's buffer: the wrapped text (room for the soft breaks)
        float width   = 0;      // the wrap width in pixels (the box's inside)
        float rect[4] = {};     // the box's screen rectangle as last drawn (tests)
    } prompt_box;

    // Layout, remembered in imgui.ini ([TokenScope][Layout]).
    static constexpr float kDefaultBottomHeight = 110.0f;
    float left_width    = 0.0f;  // 0: automatic (a quarter of the window) until the user drags the splitter
    float bottom_height = kDefaultBottomHeight;
    // Two panels side by side instead of the tabs (app/ui/split_view.hpp).
    struct SplitLayout {
        bool on        = false;
        CenterTab left = CenterTab::Attention, right = CenterTab::QkScores;
        float fraction = 0.5f;  // the left side's share of the central area's width
    } split;
    CenterTab tab_request = CenterTab::kCount;  // kCount: leave the tab bar alone this frame
    CenterTab tab_shown   = CenterTab::Model;   // the tab drawn last frame
    uint64_t frame        = 0;                  // counts begin_ui_frame() calls
    std::vector<std::string> recent;            // most recent first, at most kMaxRecent
    // [TokenScope][Session] in imgui.ini: what `tokenscope` alone reopens (ExplorerOptions::reopen_last).
    bool reopen_last   = true;   // File ▸ Reopen the last model at start; off: the default model every time
    bool high_contrast = false;  // View ▸ High contrast (theme.hpp), saved in imgui.ini
    std::string last_model;      // the model loaded last ("builtin:default.gguf" for the embedded one)
    std::string last_prompt;     // the prompt last evaluated on it
    static constexpr size_t kMaxRecent = 8;

    // Dialogs.
    bool open_dialog_requested = false;
    std::array<char, 1024> open_path{};
    std::string error_title;
    std::string error_message;
    bool error_requested      = false;
    bool show_about           = false;
    bool show_shortcuts       = false;
    bool quit_requested       = false;
    bool screenshot_requested = false;  // File ▸ Save screenshot (F12): the loop saves the next frame as PNG
    std::string shown_engine_error;     // the worker's last error already shown (so it opens the modal once)
    std::string prompt_error;           // why the prompt box's text was not sent ("" when it was)

    // Predict mode (P; app/ui/predict_mode.hpp): the Softmax and Logits panels hide the distribution until a guess
    // for the selected position's next token is committed, then show its rank and probability.
    struct PredictMode {
        bool on      = false;
        int64_t step = -1;  // StepTrace::step the guess is for (another one hides the answer again)
        std::array<char, 64> guess{};
        std::vector<int32_t> choices;  // the shuffled short list to pick from
        bool committed = false;
        core::GuessRating rating;  // id -1: skipped
        size_t listed = 0;         // candidates the position recorded (the rank's range without full logits)
        std::string error;
    } predict;

    // Tokens panel ▸ Replay (app/ui/token_replay.hpp): the tokenizer replayed on the selected position's word.
    struct TokenReplayUi {
        bool open = false;
        int pos   = -2;                // the position whose word was put in `text` (-2: none yet)
        std::array<char, 256> text{};  // the text replayed (editable)
        std::string replayed;          // the text `replay` was made from
        std::shared_ptr<const core::TokenizerReplay> replay;
        std::string error;
    } token_replay;
    // Saved explorations (app/ui/exploration_io.hpp): File ▸ Save exploration's path box, and the exploration being
    // opened — waiting for its model to load, then for the engine to restore it, then its view is applied.
    bool save_dialog_requested = false;
    std::array<char, 1024> save_path{};
    std::shared_ptr<const core::Exploration> opening;
    std::string opening_file;              // the .tscope file it came from
    std::string opening_model;             // the model file loaded for it ("" : the one on screen)
    uint64_t opening_ticket      = 0;      // the engine's cmd::Restore (0: not sent yet)
    bool model_problem_requested = false;  // the "model file missing / changed" modal, with its message
    std::string model_problem;
    std::string model_sha256;  // of the model on screen, computed at the first save (cached per model_stamp)
    core::FileStamp model_sha256_stamp;
    // The SHA-256 is computed off the UI thread (hash_job.hpp); what waits for it: a save (the exploration as it was
    // when asked, and its file) or an opening's model check (the model file it hashes; "" : none).
    HashJob hash_job;
    std::shared_ptr<core::Exploration> pending_save;
    std::string pending_save_path;
    std::string opening_hash;

    // The second model of the quantisation lens (app/ui/compare_models.hpp): loaded on its own thread, then handed
    // to the engine worker (cmd::CompareWith), which compares it with the model on screen; null when none is open.
    ModelLoader compare_loader;
    std::shared_ptr<const core::Model> compare_model;
    std::shared_ptr<const ModelSummary> compare_summary;
    bool compare_dialog_requested = false;
    std::array<char, 1024> compare_path{};

    // Help ▸ Lessons: the lesson player (app/ui/lesson_player.hpp); null until first used.
    std::shared_ptr<LessonPlayer> lesson;

    // Fonts: rebuilt between frames when a model brings new characters or the UI scale changes.
    Fonts fonts;
    bool fonts_dirty = true;
    // Presentation scale on top of the monitor's (View ▸ UI scale, Ctrl+= / Ctrl+−): fonts are re-rasterised at
    // the new size and the style's sizes scaled, so a projector gets sharp, large text. Saved in [Layout].
    static constexpr float kMinUiScale = 1.0f, kMaxUiScale = 2.5f, kUiScaleStep = 0.25f;
    float ui_scale = 1.0f;

    // GL: the heatmap colouring (owned by the explorer loop; null in headless frame tests, where panels draw
    // without textures).
    gl::HeatmapRenderer* heatmap = nullptr;

    bool screenshot = false;    // `tokenscope shot`: no timings or other varying numbers, no modal for engine errors
    std::string status;         // last status-bar message ("Loaded model.gguf in 0.12 s")
    std::string renderer_info;  // GL renderer, for About
    std::string ini_path;       // ~/.config/tokenscope/imgui.ini ("" in screenshots: nothing read or written)
};

// Sets ui.ui_scale (clamped to [kMinUiScale, kMaxUiScale]) and asks for new fonts when it changed.
void set_ui_scale(UiState& ui, float scale);

// ---- dialogs and loading (app/ui/ui_state.cpp) ----
// Shows `message` in the error modal next frame.
void show_error(UiState& ui, std::string title, std::string message);
// Starts loading `path` in the background (refused with a status message while another load runs).
void request_load(UiState& ui, const std::string& path);
// Files dropped onto the window (GlWindow::take_dropped_paths): loads the first (one model at a time).
void open_dropped(UiState& ui, const std::vector<std::string>& paths);
// Why `n_ctx` (-c) cannot be the context for `model` (larger than the context it was trained for), or "".
[[nodiscard]] std::string context_problem(const core::Model& model, int n_ctx);
// Whether the loaded model's file changed on disk since it was loaded (size, mtime, inode); sets
// ui.model_file_changed. Cheap (one stat); the explorer loop calls it about once a second.
void check_model_file(UiState& ui);
// Loads the model's file again (the status bar's Reload button), with the same options.
void reload_model(UiState& ui);
// Takes a finished load: swaps the model in, starts its engine worker (and prefills the prompt box's text), asks
// for new fonts; or opens the error modal.
void accept_load(UiState& ui, core::Result<LoadedModel> result, const std::string& path);

// ---- once per frame (app/ui/bridge.cpp) ----
// Loads the snapshot, follows the newest position when sel.pos == -1, clamps the selection to the model and the
// sequence, sends the focus (layer, head, query position) to the worker, shows a new engine error.
void begin_ui_frame(UiState& ui);

// ---- reading the snapshot (app/ui/bridge.cpp) ----
// The query position the panels show: sel.pos, or the newest position; -1 when nothing is evaluated yet.
int selected_pos(const UiState& ui, const core::Snapshot& snap);
// Its StepTrace (null when there is none).
const core::StepTrace* selected_step(const UiState& ui, const core::Snapshot& snap);
// The derived numbers (Snapshot::derived) when they match the current selection; null while the worker owes them.
const core::Derived* current_derived(const UiState& ui, const core::Snapshot& snap);
// The newest position re-sampled with ui.sampler (see SamplerPreview).
const SamplerPreview& sampler_preview(UiState& ui, const core::Snapshot& snap);
// What the Softmax and Logits panels show for the position of `st`: the live preview (the sliders' settings) for the
// newest position; at an older one the recorded view, or a what-if (ui.what_if) when the sliders differ from the
// settings it was sampled with.
struct ShownSampler {
    const core::sample::SamplerView* view = nullptr;
    core::sample::SamplerSettings settings;
    bool live     = false;
    bool what_if  = false;  // an older position re-sampled with the sliders: not what was sampled there
    bool complete = true;   // (what-if) from every candidate, not only the listed best
};
ShownSampler shown_sampler(UiState& ui, const core::Snapshot& snap, const core::StepTrace& st);
// Seconds on the steady clock: the clock of UiState::play_next.
double steady_seconds();
// True while the worker prefills or runs.
bool engine_busy(const core::Snapshot& snap);
// True while tokens are being generated: the worker is busy, or a paced Run is playing.
bool generating(const UiState& ui);

// ---- commands (app/ui/bridge.cpp): what panels call; all return at once, the worker does the work ----
void select_position(UiState& ui, int pos);  // -1: follow the newest
void select_layer_head(UiState& ui, int layer, int head);
// cmd::SetPrompt with the prompt box's text (forgets the generation); false (and the error shown, and kept in
// ui.prompt_error) when the text cannot be a prompt for this model.
bool submit_prompt(UiState& ui);
// A model without a tokenizer (a llama2.c checkpoint with no tokenizer.bin beside it) takes its prompt as token ids:
// numbers separated by spaces or commas, each in [0, n_vocab). An empty box is BOS alone for llama2.c (id 1, its
// convention). The error says what to type.
[[nodiscard]] core::Result<std::vector<int32_t>> parse_prompt_ids(const std::string& text, const core::Model& model);
// The tokens the engine makes of a prompt box text: the tokenizer's (BOS and specials as SetPrompt has them), or
// parse_prompt_ids for a model without one.
[[nodiscard]] core::Result<std::vector<int32_t>> prompt_ids_of(const std::string& text, const core::Model& model);
// The prompt box shows the prompt of the branch on screen (issue 15): when the engine's prompt as set changes to
// one that is not the box's (a switch, undo or redo onto a branch made by editing the prompt), the box takes that
// prompt's text — as it was typed when sent in this session, else its tokens decoded. A rewind into the prompt
// keeps the prompt as set, so the box keeps it too (Reset returns to it). Called by begin_ui_frame.
void follow_prompt(UiState& ui, const core::Snapshot& snap);
void step_token(UiState& ui);  // one token (submits a changed prompt first)
void toggle_run(UiState& ui);  // Run ui.n_steps tokens (paced by ui.steps_per_s), or Pause when running
void rewind_token(UiState& ui, int k = 1);
void reset_generation(UiState& ui);  // back to the prompt as applied (also after a rewind into it)
// "What if this token instead?": `token` is placed at `pos` (forgetting positions >= pos) and generation goes on
// from it. From the Logits panel: pos = the selected position + 1, token = the clicked candidate.
void branch_token(UiState& ui, int pos, int32_t token);
// Pushes ui.sampler to the worker (live) and re-samples the newest position's proposal with it.
void push_sampler_settings(UiState& ui);
// Interventions (app/ui/intervene_commands.cpp): each sends the whole new list (cmd::SetInterventions), built on the
// list the engine has (or the one last sent, while the worker has not handled it yet). add_intervention parses
// `spec` for the model on screen; false (and ui.intervene_error says why) when it is not one.
bool add_intervention(UiState& ui, const std::string& spec);
void remove_intervention(UiState& ui, int index);
void toggle_intervention(UiState& ui, int index);
void set_intervention_factor(UiState& ui, int index, float factor);  // scale-head's S, steer's α
// The interventions the UI shows: the list last sent while the worker has not handled it, else the snapshot's.
const std::vector<core::Intervention>& current_interventions(const UiState& ui);
// "Apply from here": forgets the positions after `pos`, re-samples pos's next token with ui.sampler and generates
// as many tokens as were forgotten (at least one).
void apply_sampler_from(UiState& ui, int pos);
// The branch tree (app/ui/branch_commands.cpp, core/session/branch_tree.hpp). Every command above that changes the
// sequence adds to the tree; these move around it. switch_branch also makes the node's position the selection.
void switch_branch(UiState& ui, int node);
void delete_branch(UiState& ui, int node);
void undo_tree(UiState& ui);  // Ctrl+Z
void redo_tree(UiState& ui);  // Ctrl+Shift+Z
// Compares the paths of two nodes (core/trace/branch_compare.hpp) at position pos (-1: the last both have).
void compare_branches(UiState& ui, int node_a, int node_b, int pos = -1);

}  // namespace ts::app
