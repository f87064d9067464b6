// A guided lesson (assets/lessons/*.json, format in assets/lessons/README.md, ARCHITECTURE §8): a title, a summary
// and steps. Each step has text, actions that set the state (prompt, generate, force a token, sampler settings, and
// what the explorer shows: tab or split pair, layer, head, query position, a highlight), an optional question whose
// answer the next step reveals, and facts: statements about the model's numbers at that state that check_lesson()
// verifies headless on a core::Session, so a retrained model cannot silently break a lesson.
//
//   auto lesson = load_lesson("assets/lessons/01-first-contact.json").value();
//   auto session = Session::create(model).value();
//   LessonReport r = check_lesson(lesson, *session);   // per step: the actions' error or each fact's verdict
//
// Parsing knows nothing of a model: a token is kept as written and resolved when the lesson runs. Every key is
// checked: an unknown key, action or fact is an error naming the file and the step ("l.json: step 3: unknown action
// 'jump'").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.hpp"
#include "core/sample/sampler.hpp"

namespace ts::core {

class Session;
struct Model;

namespace lesson {

// The explorer's central panels by name — as a lesson names them ("tab": "logits"; "split": ["attention", "qk"]), as
// `tokenscope shot --panel` / `--split` and a saved exploration's view take them — in the order of the explorer's
// tabs (app/ui's CenterTab, whose tab table reads its names from here; a static_assert checks the count).
inline constexpr std::string_view kPanelNames[] = {"model",  "attention", "qk",    "softmax", "logits",   "kv",
                                                   "layers", "geometry",  "heads", "experts", "branches", "models"};

// The panel a name stands for, as its kPanelNames entry ("" : none). Older names stay accepted: "journey" (what
// lessons called the Journey tab before the names were one set) is "layers".
constexpr std::string_view panel_named(std::string_view name) {
    if (name == "journey") return "layers";
    for (std::string_view n : kPanelNames)
        if (n == name) return n;
    return {};
}

// A token as the lesson writes it: text that must be exactly one token of the model (" unto", "\n"), or an id.
struct TokenRef {
    std::string text;
    int32_t id = -1;  // >= 0: given as a number
};

// Sampler fields a step sets; the others keep their values.
struct SamplerPatch {
    std::optional<float> temp, top_p, min_p, repeat_penalty;
    std::optional<int32_t> top_k, repeat_last_n;
    std::optional<uint64_t> seed;
    bool defaults = false;  // "sampler": "defaults": back to SamplerSettings{} first
};

enum class ActionKind : uint8_t {
    Prompt,
    Generate,
    Rewind,
    Force,
    Sampler,
    Tab,
    Split,
    Layer,
    Head,
    Query,
    Highlight,
    Predict  // the explorer's predict mode on (n = 1) or off (n = 0): the distribution hidden until a guess
};

// One action; which fields matter depends on kind. Applied in the order written.
struct Action {
    ActionKind kind = ActionKind::Prompt;
    std::string text;          // Prompt
    int32_t n   = 0;           // Generate, Rewind: count; Layer, Head, Query: the value (Query -1: newest); Predict
    int32_t pos = -1;          // Force: the position (-1: append after the newest)
    TokenRef token;            // Force
    SamplerPatch sampler;      // Sampler
    std::string left, right;   // Tab (left only), Split
    int32_t from = 0, to = 0;  // Highlight: positions from..to (inclusive) in the token strip
    std::string note;          // Highlight: a caption, may be ""
};

// A statement checked against the model after the step's actions. Unset optionals are not checked.
enum class FactKind : uint8_t {
    Top,
    Candidate,
    Sampled,
    Kept,
    Entropy,
    Attention,
    Lens,
    Sequence,
    Kv,
    Pieces,
    Norm,
    Atlas,
    Model
};
inline constexpr std::string_view kFactNames[] = {"top",       "candidate", "sampled",  "kept", "entropy",
                                                  "attention", "lens",      "sequence", "kv",   "pieces",
                                                  "norm",      "atlas",     "model"};

struct Fact {
    FactKind kind = FactKind::Top;
    int32_t at    = -1;  // the position whose next-token distribution is meant; -1: the newest
    std::string stage;   // "model" (softmax at T = 1), "temperature", "top_k", "top_p", "min_p", "final"
    TokenRef token;      // Top, Candidate, Sampled, Lens
    std::optional<int32_t> rank, rank_at_most;  // Candidate
    std::optional<double> above, below;         // the measured number (p, bits, weight, count, norm...) lies between
                                                // (Lens: the p of `token` at `layer`)
    std::optional<int32_t> count;               // Kept: candidates left; Pieces: tokens of `text`; Sequence: n_pos
    int32_t layer = -1, head = -1, query = -1;  // Attention (query -1: newest), Atlas; Lens; Norm (-1: embedding)
    std::optional<int32_t> strongest;           // Attention: the key position with the largest weight
    std::optional<int32_t> key;                 // Attention: the key whose weight above/below bound
    bool score = false;                         // Attention: above/below bound the scaled score q·k/√d, not weight
    std::optional<int32_t> first_layer;         // Lens: the first layer whose top-1 is `token`
    bool embedding = false;                     // Lens: "layer": -1, the lens's embedding row (before block 0)
    std::string text;                           // Pieces: the text tokenized; Sequence: what the text ends with;
                                                // Atlas: the head atlas's tag of head layer.head ("first-token")
    std::optional<int64_t> bytes_per_position;  // Kv
    // Model: hyper-parameters by name (n_vocab, n_ctx, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff) and whether
    // the output matrix is the embedding (tied)
    std::vector<std::pair<std::string, int64_t>> shape;
    std::optional<bool> tied;
};

struct Step {
    std::string title;  // optional heading
    std::string text;   // Markdown-light: paragraphs, **bold**, `code`, "- " bullets
    std::vector<Action> actions;
    std::string question, answer;  // the answer is shown on the next step
    std::vector<Fact> facts;
};

struct Lesson {
    std::string file;  // where it was read from (for messages)
    std::string title, summary;
    std::vector<Step> steps;
};

// Reads and validates a lesson; errors name the file and the step.
[[nodiscard]] Result<Lesson> load_lesson(const std::string& path);
[[nodiscard]] Result<Lesson> parse_lesson(std::string_view json_text, const std::string& file_name);

// ---- checking (lesson_check.cpp) ----
struct FactResult {
    bool ok = false;
    std::string message;  // what was measured, and on failure what the lesson says
};
struct StepResult {
    int step = 0;  // 1-based
    bool ok  = false;
    std::string error;  // an action that failed ("force: ' snow' is 2 tokens"); then no facts were checked
    std::vector<FactResult> facts;
};
struct LessonReport {
    std::vector<StepResult> steps;
    bool ok() const;
    int n_facts() const;
    int n_failed() const;  // facts that failed, plus steps whose actions failed
};

// Runs the lesson from a fresh state of `session` (its prompt is replaced, sampler settings reset to the
// defaults): each step's actions on top of the previous step's state, then its facts.
LessonReport check_lesson(const Lesson& lesson, Session& session);

// Applies one step's actions that change the session (prompt, generate, rewind, force, sampler); the view actions
// (tab, split, layer, head, query, highlight) are checked against the model and otherwise left to the explorer.
[[nodiscard]] Status apply_actions(const Step& step, Session& session);
// One fact against the session's current state.
FactResult check_fact(const Fact& fact, Session& session);

// The id a TokenRef names in `model`: an id in the vocabulary, or text that is exactly one token.
[[nodiscard]] Result<int32_t> token_id(const Model& model, const TokenRef& t);
// `current` with the patch's fields set (SamplerSettings{} first when it says "defaults").
sample::SamplerSettings patched(const SamplerPatch& p, const sample::SamplerSettings& current);

// A token's bytes in single quotes with control characters escaped: ' unto', '\n'.
std::string quote_token(std::string_view bytes);

}  // namespace lesson
}  // namespace ts::core
