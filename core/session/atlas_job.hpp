// The head atlas as a job of the engine worker (worker.hpp, ARCHITECTURE §4): the explorer's Heads panel asks for it
// through the Focus (AtlasFocus), and the worker, when it has nothing else to do, calls work() for one short unit at
// a time — a cache lookup, a few probe tokens of the build (about 0.3 s, at least 8 tokens), the scoring, one head's
// heatmap on the probe, one ablation — and publishes state() in every Snapshot. Commands are handled between the units,
// so the UI never waits on the atlas and a run started meanwhile goes first; clearing AtlasFocus::atlas cancels a build
// in flight. The finished atlas is written to (and next time read from) the cache folder (atlas_cache.hpp).
//
// The job belongs to one worker, so to one model: a new model gets a new worker and a new job.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/model/model.hpp"
#include "core/tensor/thread_pool.hpp"
#include "core/trace/derive.hpp"
#include "core/trace/head_atlas.hpp"

namespace ts::core {

// What the UI asks of the job (a part of Focus).
struct AtlasFocus {
    bool atlas       = false;  // build (or read) the atlas; false cancels a build in flight
    bool look        = false;  // without `atlas`: take the atlas from the cache when it is there (builds nothing)
    int probe_layer  = -1;     // this head's attention on the probe (after the atlas; -1: none)
    int probe_head   = -1;
    int ablate_layer = -1;  // "confirm by ablation": the probe loss with this head zeroed (after the atlas; -1: none)
    int ablate_head  = -1;
    std::string cache_dir;  // where atlases are cached ("": nowhere)
    bool operator==(const AtlasFocus&) const = default;
};

// The loss on the probe's repeated half (head_atlas.hpp, probe_loss) with and without one head zeroed.
struct AtlasAblation {
    int layer = 0, head = 0;
    double loss        = 0;  // nats per token, the model as it is
    double loss_zeroed = 0;  // the same with the head's output zeroed (intervention.hpp, zero-head)
};

// What the job has, as published (immutable once published).
struct AtlasState {
    std::shared_ptr<const HeadAtlas> atlas;  // null until built or read
    bool from_cache = false;
    std::string cache_file;   // the file it was read from or written to ("" when none)
    std::string cache_note;   // why it could not be written (the atlas is fine without)
    double seconds = 0;       // the build's time, summed over its units (0 when read from the cache)
    int done = 0, total = 0;  // probe tokens evaluated of the build in flight (total 0: none in flight)
    std::string error;        // why the atlas could not be built
    std::shared_ptr<const derive::AttnMatrix> probe;  // the attention of (probe->layer, probe->head) on the probe
    std::shared_ptr<const AtlasAblation> ablation;
    std::string head_error;  // why a probe heatmap or an ablation failed
};

class AtlasJob {
public:
    AtlasJob();
    ~AtlasJob();
    AtlasJob(const AtlasJob&)            = delete;
    AtlasJob& operator=(const AtlasJob&) = delete;

    // Whether work() has something to do for `f`.
    bool owed(const AtlasFocus& f) const;
    // One unit of work for `f` on `model` (the session's), with the session's thread pool.
    void work(const AtlasFocus& f, const Model& model, ThreadPool& pool);
    std::shared_ptr<const AtlasState> state() const { return state_; }

    // Probe tokens per unit are adapted so that one unit takes about this long.
    static constexpr double kUnitSeconds = 0.3;
    static constexpr int kMinUnitTokens  = 8;

private:
    void set(AtlasState s) { state_ = std::make_shared<const AtlasState>(std::move(s)); }
    void start(const AtlasFocus& f, const Model& model);
    void step(const AtlasFocus& f, ThreadPool& pool);
    // The cached atlas of `model`, or null (a miss).
    std::shared_ptr<const HeadAtlas> from_cache(const AtlasFocus& f, const Model& model, std::string* file);

    std::shared_ptr<const AtlasState> state_;
    std::unique_ptr<AtlasBuild> build_;
    std::string cache_key_;
    std::string looked_in_;                // the cache folder `look` already tried
    int chunk_          = kMinUnitTokens;  // probe tokens per unit
    bool has_base_loss_ = false;
    double base_loss_   = 0;
    int failed_layer_   = -1;  // the head whose probe heatmap / ablation failed (not retried while asked again)
    int failed_head_    = -1;
};

}  // namespace ts::core
