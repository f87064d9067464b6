// The UI side of the engine thread: the Bridge (worker ownership, commands, snapshot, focus), the per-frame
// selection upkeep, the readers panels share, the command functions of ui_state.hpp and the sampler preview.
#include "app/ui/bridge.hpp"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <chrono>

#include "app/ui/ui_state.hpp"
#include "app/ui/view_geometry.hpp"
#include "app/ui/view_journey.hpp"
#include "app/ui/view_sampling.hpp"

namespace ts::app {

// ---- Bridge ---------------------------------------------------------------------------------------------------------

Bridge::~Bridge() {
    detach();
}

core::Status Bridge::attach(std::shared_ptr<const core::Model> model, const core::SessionOptions& opt) {
    detach();
    auto s = core::Session::create(std::move(model), opt);
    if (!s) return s.error();
    worker_      = std::make_unique<core::EngineWorker>(std::move(*s), wake_);
    focus_sent_  = false;
    last_ticket_ = 0;
    return {};
}

void Bridge::detach() {
    worker_.reset();
}

uint64_t Bridge::push(core::Command c) {
    if (!worker_) return 0;
    last_ticket_ = worker_->push(std::move(c));
    return last_ticket_;
}

std::shared_ptr<const core::Snapshot> Bridge::load() const {
    return worker_ ? worker_->snapshot() : nullptr;
}

void Bridge::sync_focus(const core::Focus& f) {
    const bool same = focus_sent_ && f == focus_;
    if (same || !worker_) return;
    focus_      = f;
    focus_sent_ = true;
    push(core::cmd::SetFocus{f});
}

bool Bridge::wait_for(uint64_t ticket, std::chrono::milliseconds timeout, bool derived) const {
    return worker_ ? worker_->wait_for(ticket, timeout, derived) : true;
}

namespace {

// A paced Run: one Step whenever the previous one is done and its time has come.
void pace_run(UiState& ui, const core::Snapshot& s) {
    if (!ui.playing) return;
    const bool failed = ui.play_ticket != 0 && s.commands_done >= ui.play_ticket && !s.error.empty();
    if (ui.play_left <= 0 || s.context_full || s.end_of_text || failed || ui.steps_per_s <= 0.0f) {
        ui.playing = false;
        return;
    }
    const double t = steady_seconds();
    if (engine_busy(s) || s.commands_done < ui.bridge.last_ticket() || t < ui.play_next) return;
    ui.play_ticket = ui.bridge.push(core::cmd::Step{});
    --ui.play_left;
    ui.play_next = t + 1.0 / double(ui.steps_per_s);
}

}  // namespace

double steady_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ---- per frame ------------------------------------------------------------------------------------------------------

void begin_ui_frame(UiState& ui) {
    ++ui.frame;
    ui.snap = ui.bridge.load();
    if (!ui.snap) return;
    const core::Snapshot& s = *ui.snap;
    if (s.model) {
        const auto& hp = s.model->hp;
        ui.sel.layer   = std::clamp(ui.sel.layer, 0, std::max(0, hp.n_layer - 1));
        ui.sel.head    = std::clamp(ui.sel.head, 0, std::max(0, hp.n_head - 1));
    }
    const int n = int(s.steps.size());
    if (ui.sel.pos >= n) ui.sel.pos = -1;  // the selected position was rewound away: follow the newest again

    core::Focus f;
    f.layer                = ui.sel.layer;
    f.head                 = ui.sel.head;
    f.query_pos            = ui.sel.pos;
    f.summary              = ui.attention.mode != AttentionMode::Head;
    f.max_matrix_positions = 2048;  // heatmaps up to 2048 positions (2 × 16 MiB per matrix)
    // Small multiples keep every head's T×T matrices (scores and weights): only while that stays below ~128 MiB.
    const double cells = double(n) * double(n) * double(s.model ? s.model->hp.n_head : 1);
    f.all_heads        = ui.attention.mode == AttentionMode::AllHeads && cells * 8.0 <= double(128 << 20);
    // The Journey's replay (one forward pass of one token) only while its panel is on screen.
    f.journey = ui.views.layers && ui.views.layers->drawn_frame + 2 >= ui.frame;
    // The Geometry panel's projections and neighbour search, likewise only while it is on screen.
    if (ui.views.geometry && ui.views.geometry->drawn_frame + 2 >= ui.frame && n > 0) {
        const int pos   = ui.sel.pos >= 0 ? ui.sel.pos : n - 1;
        f.geometry      = true;
        f.neighbours_of = ui.views.geometry->nn_token >= 0 ? ui.views.geometry->nn_token : s.steps[size_t(pos)]->token;
    }
    // The head atlas (the Heads panel): built when asked, looked up in the cache while the panel is on screen, and the
    // selected head's heatmap on the probe while it is.
    const bool heads_on_screen = ui.heads.drawn_frame > 0 && ui.heads.drawn_frame + 2 >= ui.frame;
    f.atlas.atlas              = ui.heads.wanted;
    f.atlas.look               = heads_on_screen;
    f.atlas.cache_dir          = ui.heads.cache_dir;
    // (Not on a linear-attention layer: it has no attention pattern to show.)
    if (heads_on_screen && !(s.model && s.model->hp.is_recurrent(ui.sel.layer))) {
        f.atlas.probe_layer = ui.sel.layer;
        f.atlas.probe_head  = ui.sel.head;
    }
    f.atlas.ablate_layer = ui.heads.ablate_layer;
    f.atlas.ablate_head  = ui.heads.ablate_head;
    ui.bridge.sync_focus(f);
    pace_run(ui, s);
    follow_prompt(ui, s);

    if (!s.error.empty() && s.error != ui.shown_engine_error) {
        ui.shown_engine_error = s.error;
        ui.status             = s.error;
        if (!ui.screenshot) show_error(ui, "The engine stopped", s.error);
    } else if (s.error.empty()) {
        ui.shown_engine_error.clear();
    }
}

int selected_pos(const UiState& ui, const core::Snapshot& snap) {
    const int n = int(snap.steps.size());
    if (n == 0) return -1;
    return ui.sel.pos < 0 ? n - 1 : std::min(ui.sel.pos, n - 1);
}

const core::StepTrace* selected_step(const UiState& ui, const core::Snapshot& snap) {
    const int p = selected_pos(ui, snap);
    return p < 0 ? nullptr : snap.steps[size_t(p)].get();
}

const core::Derived* current_derived(const UiState& ui, const core::Snapshot& snap) {
    const core::Derived* d = snap.derived.get();
    if (!d || d->focus.layer != ui.sel.layer || d->focus.head != ui.sel.head) return nullptr;
    return d;
}

bool generating(const UiState& ui) {
    return ui.playing || (ui.snap && engine_busy(*ui.snap));
}

bool engine_busy(const core::Snapshot& snap) {
    return snap.activity == core::Activity::Prefilling || snap.activity == core::Activity::Running;
}

const SamplerPreview& sampler_preview(UiState& ui, const core::Snapshot& snap) {
    SamplerPreview& pv = ui.preview;
    if (pv.state == snap.state && sampler_settings_equal(pv.settings, ui.sampler) && (pv.valid || !pv.error.empty()))
        return pv;
    pv          = SamplerPreview{};
    pv.state    = snap.state;
    pv.settings = ui.sampler;
    if (snap.steps.empty() || !snap.logits || snap.n_pending > 0) {
        pv.error = "no logits yet: evaluate a prompt first";
        return pv;
    }
    const core::StepTrace& last = *snap.steps.back();
    pv.pos                      = last.pos;
    std::vector<int32_t> history;
    history.reserve(snap.steps.size());
    for (const auto& st : snap.steps) history.push_back(st->token);
    // The session replays the Rng its proposal started from, unless the seed changed (then a fresh stream).
    core::sample::Rng rng =
        last.settings.seed == ui.sampler.seed ? last.rng_before : core::sample::Rng(ui.sampler.seed);
    pv.view.n_top = last.sampler.n_top > 0 ? last.sampler.n_top : 100;
    auto r        = core::sample::run_chain(*snap.logits, ui.sampler, history, rng, &pv.view);
    if (!r) {
        pv.error = r.error().message;
        return pv;
    }
    pv.result = *r;
    pv.valid  = true;
    return pv;
}

namespace {

// The older position `st` re-sampled with ui.sampler on the logits its view recorded (ui.what_if).
const SamplerPreview& what_if_preview(UiState& ui, const core::Snapshot& snap, const core::StepTrace& st) {
    SamplerPreview& wi = ui.what_if;
    if (wi.state == snap.state && wi.pos == st.pos && sampler_settings_equal(wi.settings, ui.sampler) &&
        (wi.valid || !wi.error.empty()))
        return wi;
    wi                              = SamplerPreview{};
    wi.state                        = snap.state;
    wi.pos                          = st.pos;
    wi.settings                     = ui.sampler;
    const std::vector<float> logits = core::sample::logits_from_view(st.sampler, snap.model->hp.n_vocab, &wi.complete);
    std::vector<int32_t> history;
    for (int p = 0; p <= st.pos; ++p) history.push_back(snap.steps[size_t(p)]->token);
    core::sample::Rng rng = st.settings.seed == ui.sampler.seed ? st.rng_before : core::sample::Rng(ui.sampler.seed);
    wi.view.n_top         = st.sampler.n_top > 0 ? st.sampler.n_top : 100;
    auto r                = core::sample::run_chain(logits, ui.sampler, history, rng, &wi.view);
    if (!r) {
        wi.error = r.error().message;
        return wi;
    }
    // The raw logits do not depend on the settings: keep the recorded stage (its p is over the whole vocabulary).
    for (const core::sample::StageView& rec : st.sampler.stages)
        if (rec.kind == core::sample::StageKind::Logits && !wi.view.stages.empty() &&
            wi.view.stages.front().kind == rec.kind)
            wi.view.stages.front() = rec;
    wi.result = *r;
    wi.valid  = true;
    return wi;
}

}  // namespace

ShownSampler shown_sampler(UiState& ui, const core::Snapshot& snap, const core::StepTrace& st) {
    ShownSampler s{&st.sampler, st.settings, false};
    if (st.pos == int(snap.steps.size()) - 1) {
        const SamplerPreview& pv = sampler_preview(ui, snap);
        if (pv.valid && pv.pos == st.pos) s = ShownSampler{&pv.view, pv.settings, true};
    } else if (snap.model && !st.sampler.stages.empty() && !sampler_settings_equal(st.settings, ui.sampler)) {
        const SamplerPreview& wi = what_if_preview(ui, snap, st);
        if (wi.valid) s = ShownSampler{&wi.view, wi.settings, false, true, wi.complete};
    }
    return s;
}

// ---- commands -------------------------------------------------------------------------------------------------------

void select_position(UiState& ui, int pos) {
    const int n = ui.snap ? int(ui.snap->steps.size()) : 0;
    ui.sel.pos  = pos < 0 || pos >= n - 1 ? -1 : pos;  // the newest position: follow it as generation goes on
}

void select_layer_head(UiState& ui, int layer, int head) {
    int n_layer = 1, n_head = 1;
    if (ui.model) {
        n_layer = std::max(1, ui.model->hp.n_layer);
        n_head  = std::max(1, ui.model->hp.n_head);
    }
    ui.sel.layer = std::clamp(layer, 0, n_layer - 1);
    ui.sel.head  = std::clamp(head, 0, n_head - 1);
}

core::Result<std::vector<int32_t>> parse_prompt_ids(const std::string& text, const core::Model& model) {
    const int n_vocab = model.hp.n_vocab;
    std::vector<int32_t> ids;
    size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == ' ' || c == ',' || c == '\t' || c == '\n' || c == '\r') {
            ++i;
            continue;
        }
        int64_t v      = 0;
        const size_t j = i;
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
            if (v <= n_vocab) v = v * 10 + (text[i] - '0');  // stops growing once out of range: no overflow
        if (i == j)
            return core::make_error(core::Code::kInvalidArgument,
                                    "this model has no tokenizer, so the prompt is token ids separated by spaces "
                                    "(e.g. 1 450 4799); '%c' is not a digit",
                                    c);
        if (v >= n_vocab)
            return core::make_error(core::Code::kInvalidArgument,
                                    "prompt token id %s is outside the vocabulary [0, %d)",
                                    text.substr(j, i - j).c_str(), n_vocab);
        ids.push_back(int32_t(v));
    }
    if (ids.empty()) {
        if (model.format == "llama2.c" && n_vocab > 1) return std::vector<int32_t>{1};  // llama2.c's BOS
        return core::make_error(core::Code::kInvalidArgument,
                                "this model has no tokenizer: type the prompt as token ids separated by spaces");
    }
    return ids;
}

core::Result<std::vector<int32_t>> prompt_ids_of(const std::string& text, const core::Model& model) {
    if (!model.tokenizer) return parse_prompt_ids(text, model);
    return model.tokenizer->encode(text, /*add_special=*/true, /*parse_special=*/true);
}

void follow_prompt(UiState& ui, const core::Snapshot& snap) {
    if (snap.prompt == ui.engine_prompt) return;
    ui.engine_prompt = snap.prompt;
    if (snap.prompt.empty() || !ui.model || snap.model.get() != ui.model.get()) return;
    auto is_it = [&](const std::string& text) {
        auto ids = prompt_ids_of(text, *ui.model);
        return ids && *ids == snap.prompt;
    };
    if (is_it(ui.applied_prompt)) return;  // the prompt the box sent (SetPrompt done)
    std::string text;
    auto sent = std::find_if(ui.sent_prompts.rbegin(), ui.sent_prompts.rend(), is_it);
    if (sent != ui.sent_prompts.rend()) {
        text = *sent;
    } else if (ui.model->tokenizer) {
        // The BOS that encoding adds again left out, other special tokens written as text (SetPrompt parses them).
        std::vector<int32_t> ids = snap.prompt;
        const core::Vocab& v     = ui.model->tokenizer->vocab();
        if (v.add_bos && v.bos >= 0 && ids.front() == v.bos) ids.erase(ids.begin());
        text = ui.model->tokenizer->decode(ids, /*render_special=*/true);
    } else {
        for (int32_t id : snap.prompt) {
            if (!text.empty()) text += ' ';
            text += std::to_string(id);
        }
    }
    std::snprintf(ui.prompt.data(), ui.prompt.size(), "%s", text.c_str());
    ui.applied_prompt = text;
    ui.prompt_dirty   = false;
    ui.prompt_error.clear();
}

bool submit_prompt(UiState& ui) {
    if (!ui.bridge.attached()) return false;
    ui.applied_prompt = std::string(ui.prompt.data());
    ui.prompt_dirty   = false;
    ui.sel.pos        = -1;
    core::cmd::SetPrompt cmd{ui.applied_prompt, {}};
    if (ui.model && !ui.model->tokenizer) {
        auto ids = parse_prompt_ids(ui.applied_prompt, *ui.model);
        if (!ids) {
            ui.status = ids.error().message;
            if (!ui.screenshot) show_error(ui, "The prompt cannot be evaluated", ids.error().message);
            ui.prompt_error = ids.error().message;
            return false;
        }
        cmd.ids = std::move(*ids);
    }
    ui.prompt_error.clear();
    std::erase(ui.sent_prompts, ui.applied_prompt);
    ui.sent_prompts.push_back(ui.applied_prompt);
    if (ui.sent_prompts.size() > 64) ui.sent_prompts.erase(ui.sent_prompts.begin());
    ui.last_prompt = ui.applied_prompt;  // what `tokenscope` reopens next time (imgui.ini [Session])
    if (ImGui::GetCurrentContext()) ImGui::MarkIniSettingsDirty();
    ui.bridge.push(core::cmd::SetSampler{ui.sampler, false});
    ui.bridge.push(std::move(cmd));
    return true;
}

namespace {

// False when the prompt box changed and cannot be evaluated (the error is shown).
bool submit_if_changed(UiState& ui) {
    if (ui.prompt_dirty || ui.applied_prompt != ui.prompt.data()) return submit_prompt(ui);
    return true;
}

}  // namespace

void step_token(UiState& ui) {
    if (!ui.bridge.attached()) return;
    if (ui.prompt_dirty || ui.applied_prompt != ui.prompt.data()) {
        submit_prompt(ui);  // evaluating a new prompt is the first step
        return;
    }
    ui.bridge.push(core::cmd::Step{});
}

void toggle_run(UiState& ui) {
    if (!ui.bridge.attached()) return;
    if (ui.playing) {
        ui.playing = false;
        return;
    }
    if (ui.snap && engine_busy(*ui.snap)) {
        ui.bridge.push(core::cmd::Pause{});
        return;
    }
    if (!submit_if_changed(ui)) return;
    if (ui.steps_per_s > 0.0f) {
        ui.playing     = true;  // begin_ui_frame pushes the steps
        ui.play_left   = std::max(1, ui.n_steps);
        ui.play_next   = 0;
        ui.play_ticket = 0;
        return;
    }
    ui.bridge.push(core::cmd::Run{std::max(1, ui.n_steps)});
}

void rewind_token(UiState& ui, int k) {
    if (!ui.bridge.attached() || !ui.snap) return;
    const int n = int(ui.snap->steps.size());
    k           = std::min(k, n - 1);  // keep at least one position: something to step from
    if (k < 1) return;
    ui.bridge.push(core::cmd::Rewind{k});
}

void reset_generation(UiState& ui) {
    if (!ui.bridge.attached()) return;
    ui.sel.pos = -1;
    ui.bridge.push(core::cmd::Reset{});
}

void branch_token(UiState& ui, int pos, int32_t token) {
    if (!ui.bridge.attached()) return;
    ui.sel.pos = -1;
    ui.bridge.push(core::cmd::Branch{pos, token});
}

void push_sampler_settings(UiState& ui) {
    if (!ui.bridge.attached()) return;
    if (!core::sample::validate_settings(ui.sampler).ok()) return;
    ui.bridge.push(core::cmd::SetSampler{ui.sampler, true});
}

void apply_sampler_from(UiState& ui, int pos) {
    if (!ui.bridge.attached() || !ui.snap || ui.snap->steps.empty()) return;
    const int n = int(ui.snap->steps.size());
    pos         = std::clamp(pos, 0, n - 1);
    const int k = n - 1 - pos;
    if (k > 0) ui.bridge.push(core::cmd::Rewind{k});
    ui.bridge.push(core::cmd::SetSampler{ui.sampler, true});
    ui.bridge.push(core::cmd::Run{std::max(1, k)});
    ui.sel.pos = -1;
}

}  // namespace ts::app
