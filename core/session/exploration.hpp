// A saved exploration (.tscope): what a learner or teacher had on screen — model file, prompt, the token path with
// where each token came from and the sampler settings in force, interventions, and the app's selection — as JSON,
// versioned (docs/EXPLORATION.md lists every field). Opening one recomputes everything from the tokens: nothing of
// the trace is stored.
//
//   Exploration e = capture_exploration(session, prompt_text, view);     // or make_exploration from a Snapshot
//   e.model_sha256 = sha256_file(e.model_path).value();
//   save_exploration(e, "lesson.tscope");
//   auto back = read_exploration("lesson.tscope");                        // errors: newer version, bad JSON, types
//   check_exploration_model(*back, path);                                 // the SHA-256 still matches
//   restore_exploration(*session, *back, &report);                        // prompt, path, settings, interventions
//
// "paths" is a list of root-to-leaf token paths (a branch tree serialises as its leaves); a session has one path,
// written as paths[0]. "current" names the path on screen and the selected query position.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/json.hpp"
#include "core/base/result.hpp"
#include "core/model/intervention.hpp"
#include "core/sample/sampler.hpp"
#include "core/session/branch_tree.hpp"
#include "core/session/session.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::core {

inline constexpr const char* kExplorationFormat = "tokenscope-exploration";
inline constexpr int kExplorationVersion        = 1;  // the newest version this build reads and the one it writes

struct SavedToken {
    int32_t id         = 0;
    TokenSource source = TokenSource::Prompt;
    // The settings this position drew its next token with (its proposal), when they differ from those of the
    // position before; always set on the last prompt position. Empty: as before.
    std::optional<sample::SamplerSettings> sampler;
    // The sampler's Rng state this position's proposal was drawn from (StepTrace::rng_before), for positions that
    // propose: restoring draws the proposal again from it, so fresh draws and re-evaluations come back exactly.
    std::optional<sample::Rng> rng;
};
using TokenPath = std::vector<SavedToken>;

struct SavedIntervention {
    std::string spec;  // intervention_spec() (intervention.hpp)
    bool enabled = true;
    std::vector<float> steer;  // a steer made by the caller (no texts in its spec): its vector, [n_embd]
};

struct Exploration {
    int version = kExplorationVersion;
    std::string model_path;           // as the app opened it ("builtin:default.gguf" for the embedded model)
    std::string model_sha256;         // of the file's bytes, lower-case hex ("" : not known)
    std::string prompt_text;          // the prompt box's text
    std::vector<int32_t> prompt_ids;  // the prompt as set (what Reset returns to)
    std::vector<TokenPath> paths;     // at least one
    int current_path = 0;
    int current_pos  = -1;            // selected query position; -1: follow the newest
    sample::SamplerSettings sampler;  // the settings being used now (the sliders)
    std::vector<SavedIntervention> interventions;
    // The app's selection and view toggles: an object of strings, numbers and booleans that core does not read
    // ("tab": "attention", "layer": 3, ...).
    Json view = Json::object();
};

// The path of evaluated positions `steps` (their tokens, sources, and the settings each proposal was made with).
TokenPath path_of(const std::vector<StepTracePtr>& steps);
// An exploration of what a session shows: its prompt ids, its steps as paths[0], settings and interventions.
// The SHA-256 is left empty (hashing a large file takes seconds: the caller decides when, see sha256_file).
Exploration make_exploration(const std::string& model_path, const std::vector<StepTracePtr>& steps,
                             std::vector<int32_t> prompt_ids, std::string prompt_text,
                             const sample::SamplerSettings& sampler, const std::vector<Intervention>& interventions,
                             Json view);

// The branch tree in an exploration (branch_tree.hpp). paths[0] stays the session's own path, with the settings and
// Rng states restore_exploration replays, and current_path stays 0; the tree's other root-to-leaf paths follow it
// (tokens and sources only: switching to one evaluates it). A tree of one path adds nothing.
void add_tree_paths(Exploration& e, const TreePaths& tree);
// The tree an exploration holds, for BranchTree::from_paths: every path's tokens and sources, the current node at
// the end of paths[current_path] (the session restore_exploration brings back).
TreePaths tree_paths_of(const Exploration& e);

// The file's JSON text (pretty-printed, two-space indent) and its reading. Errors of parse_exploration name
// `where` (the file) and the field: not JSON, a wrong type, a missing field, another format, a version newer than
// kExplorationVersion (naming both), an unknown token source, settings out of range, an empty path list, a
// "current" outside the paths. Token ids and intervention specs are checked against the model by the restore.
std::string exploration_json(const Exploration& e);
[[nodiscard]] Result<Exploration> parse_exploration(std::string_view text, const std::string& where);
[[nodiscard]] Status save_exploration(const Exploration& e, const std::string& path);  // atomic (replace_file)
[[nodiscard]] Result<Exploration> read_exploration(const std::string& path);

// The session's state as an exploration (make_exploration with its prompt as set, steps, settings, interventions).
Exploration capture_exploration(const Session& s, std::string prompt_text, Json view);

// Whether the file at `path` is the model the exploration was saved with: an error naming the file when it is
// missing or its SHA-256 differs (an exploration without a SHA-256 accepts any file that opens).
[[nodiscard]] Status check_exploration_model(const Exploration& e, const std::string& path);
// The same from a SHA-256 computed elsewhere (`sha`: sha256_file's result for `path`, e.g. on a background thread).
[[nodiscard]] Status check_exploration_sha(const Exploration& e, const std::string& path,
                                           const Result<std::string>& sha);

struct RestoreReport {
    int sampled              = 0;   // sampled tokens on the path
    int not_reproduced       = 0;   // of those, how many the recorded draw did not give again (evaluated as recorded)
    int first_not_reproduced = -1;  // the position of the first one
};
// Brings `s` (on the exploration's model) to paths[path] (-1: current_path): interventions, the prompt as set
// (prefilled), then each later token as recorded: the proposal before it is drawn with the settings and from the Rng
// state the path recorded (so fresh draws and re-seeds come back exactly), then a sampled token is stepped to (or,
// when that draw is not the token — it was drawn before an intervention changed the logits — evaluated as sampled
// anyway, and counted in the report) and a forced one placed by branch(). A path that ends inside the prompt is
// rewound to its length. Last the leaf's proposal and the current settings. Every position's tensors and logits are
// then those of the saved session, bit for bit. Errors: a token id outside the vocabulary, an intervention the model
// does not take, a path longer than the context; the session is then left where the error stopped it.
[[nodiscard]] Status restore_exploration(Session& s, const Exploration& e, RestoreReport* report = nullptr,
                                         int path = -1, const LongOp& op = {});

}  // namespace ts::core
