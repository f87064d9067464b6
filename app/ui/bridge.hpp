// Bridge: the UI side of the engine thread (ARCHITECTURE §4). It owns the EngineWorker of the model on screen, pushes
// the UI's commands into its queue, loads the worker's Snapshot once per frame (one atomic load, never a lock while
// drawing) and keeps the worker's Focus (layer, head, query position) in step with what the panels look at.
// Panels never see the worker: they call the command functions of ui_state.hpp, which come here.
// Loading a model is not the worker's job: ModelLoader (model_loader.hpp) reads it on its own thread while the UI
// draws, and accept_load (ui_state.hpp) hands it to attach(), which starts a new worker on a new session.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/base/result.hpp"
#include "core/model/model.hpp"
#include "core/session/worker.hpp"

namespace ts::app {

class Bridge {
public:
    Bridge() = default;
    ~Bridge();  // stops the worker (cancelling a run in flight) and joins it
    Bridge(const Bridge&)            = delete;
    Bridge& operator=(const Bridge&) = delete;

    // Starts a worker on a new session over `model` (replacing the worker of a previous model). Errors: the
    // session could not be made (e.g. no room for the KV cache).
    [[nodiscard]] core::Status attach(std::shared_ptr<const core::Model> model, const core::SessionOptions& opt);
    bool attached() const { return worker_ != nullptr; }
    // Drops the worker (and the session with it).
    void detach();
    // Called on the engine thread whenever it publishes a snapshot (the explorer wakes its event loop), for the
    // workers attached from now on.
    void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }

    // Queues a command (ignored when nothing is attached); returns its ticket (0 when ignored).
    uint64_t push(core::Command c);
    // The newest snapshot (null when nothing is attached). Call once at the start of a frame.
    std::shared_ptr<const core::Snapshot> load() const;
    // Pushes cmd::SetFocus when `f` differs from what was last sent.
    void sync_focus(const core::Focus& f);
    const core::Focus& focus() const { return focus_; }
    // Ticket of the last command pushed (focus included); 0 when none.
    uint64_t last_ticket() const { return last_ticket_; }

    // Blocks until the command with `ticket` (and, with derived, the derived numbers) is done, or the timeout.
    // For `tokenscope shot` and tests only; the interactive UI never waits.
    bool wait_for(uint64_t ticket, std::chrono::milliseconds timeout, bool derived = false) const;
    // Progress of a prefill / run in flight: tokens done of total.
    int progress_done() const { return worker_ ? worker_->progress_done() : 0; }
    int progress_total() const { return worker_ ? worker_->progress_total() : 0; }

private:
    std::unique_ptr<core::EngineWorker> worker_;
    std::function<void()> wake_;
    core::Focus focus_;
    bool focus_sent_      = false;
    uint64_t last_ticket_ = 0;
};

}  // namespace ts::app
