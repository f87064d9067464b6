// A saved exploration and a Session: capturing one from the session's state, checking the model file, and bringing
// a session back to it (exploration.hpp).
#include <algorithm>

#include "core/base/sha256.hpp"
#include "core/sample/settings_json.hpp"
#include "core/session/exploration.hpp"

namespace ts::core {

TokenPath path_of(const std::vector<StepTracePtr>& steps) {
    TokenPath path;
    path.reserve(steps.size());
    const sample::SamplerSettings* last = nullptr;
    for (const StepTracePtr& st : steps) {
        SavedToken t{st->token, st->source, {}, {}};
        if (st->has_next && (!last || !sample::same_settings(*last, st->settings))) {
            t.sampler = st->settings;
            last      = &st->settings;
        }
        if (st->has_next) t.rng = st->rng_before;
        path.push_back(std::move(t));
    }
    return path;
}

Exploration make_exploration(const std::string& model_path, const std::vector<StepTracePtr>& steps,
                             std::vector<int32_t> prompt_ids, std::string prompt_text,
                             const sample::SamplerSettings& sampler, const std::vector<Intervention>& interventions,
                             Json view) {
    Exploration e;
    e.model_path  = model_path;
    e.prompt_text = std::move(prompt_text);
    e.prompt_ids  = std::move(prompt_ids);
    e.paths.push_back(path_of(steps));
    e.sampler = sampler;
    for (const Intervention& iv : interventions) {
        SavedIntervention s{intervention_spec(iv), iv.enabled, {}};
        if (iv.kind == InterventionKind::Steer && iv.steer_a.empty()) s.steer = iv.steer;
        e.interventions.push_back(std::move(s));
    }
    e.view = view.is_object() ? std::move(view) : Json::object();
    return e;
}

Exploration capture_exploration(const Session& s, std::string prompt_text, Json view) {
    return make_exploration(s.model().path, s.steps(), s.prompt(), std::move(prompt_text), s.sampler().settings(),
                            s.interventions(), std::move(view));
}

Status check_exploration_model(const Exploration& e, const std::string& path) {
    return check_exploration_sha(e, path, sha256_file(path));
}

Status check_exploration_sha(const Exploration& e, const std::string& path, const Result<std::string>& sha) {
    if (!sha)
        return make_error(Code::kIo, "the model %s cannot be read (%s)", path.c_str(), sha.error().message.c_str());
    if (!e.model_sha256.empty() && *sha != e.model_sha256)
        return make_error(Code::kFormat,
                          "%s is not the model file the exploration was saved with (SHA-256 %.12s…, saved %.12s…)",
                          path.c_str(), sha->c_str(), e.model_sha256.c_str());
    return {};
}

namespace {

// The proposal of the newest position drawn with `want` (no forward pass) — from `rng` when the path recorded
// the state it was drawn from — and `want` in force for what follows.
Status propose_with(Session& s, const sample::SamplerSettings& want, const std::optional<sample::Rng>& rng) {
    if (!sample::same_settings(s.sampler().settings(), want)) TS_TRY(s.set_sampler(want));
    if (s.steps().empty() || !s.pending().empty() || !s.steps().back()->has_next) return {};
    const StepTrace& last = *s.steps().back();
    if (rng) {
        if (!(last.rng_before == *rng) || !sample::same_settings(last.settings, want)) TS_TRY(s.resample_from(*rng));
    } else if (!sample::same_settings(last.settings, want)) {
        TS_TRY(s.resample());
    }
    return {};
}

}  // namespace

Status restore_exploration(Session& s, const Exploration& e, RestoreReport* report, int path_index, const LongOp& op) {
    RestoreReport local;
    RestoreReport& rep = report ? *report : local;
    rep                = RestoreReport{};
    if (path_index < 0) path_index = e.current_path;
    if (path_index < 0 || path_index >= int(e.paths.size()))
        return make_error(Code::kInvalidArgument, "exploration: path %d of %zu", path_index, e.paths.size());
    const TokenPath& path = e.paths[size_t(path_index)];
    const Hparams& hp     = s.model().hp;
    if (int64_t(path.size()) > s.n_ctx())
        return make_error(Code::kInvalidArgument, "exploration: the path has %zu tokens, the context %d", path.size(),
                          s.n_ctx());
    for (size_t p = 0; p < path.size(); ++p)
        if (path[p].id >= hp.n_vocab)
            return make_error(Code::kInvalidArgument,
                              "exploration: token %zu of the path is id %d, outside this model's vocabulary [0, %d)", p,
                              path[p].id, hp.n_vocab);
    std::vector<Intervention> list;
    for (const SavedIntervention& saved : e.interventions) {
        auto iv = parse_intervention(saved.spec, hp);
        if (!iv) return make_error(iv.error().code, "exploration: %s", iv.error().message.c_str());
        if (!saved.steer.empty()) iv->steer = saved.steer;
        iv->enabled = saved.enabled;
        list.push_back(std::move(*iv));
    }

    // The settings of the prompt's proposal: the first recorded on the path.
    sample::SamplerSettings want = e.sampler;
    for (const SavedToken& t : path)
        if (t.sampler) {
            want = *t.sampler;
            break;
        }
    TS_TRY(s.set_sampler(want));
    TS_TRY(s.set_prompt_ids(e.prompt_ids));
    TS_TRY(s.set_interventions(std::move(list), op));
    TS_TRY(s.prefill(op));

    // The positions the prompt already holds as the path has them; a path that leaves the prompt earlier (rewound
    // into it, then generated) is rewound there.
    size_t k = 0;
    for (; k < path.size() && k < size_t(s.n_pos()); ++k) {
        const SavedToken& t = path[k];
        if (s.steps()[k]->token != t.id || s.steps()[k]->source != t.source) break;
        if (t.sampler) want = *t.sampler;
    }
    if (k < path.size() && path[k].source == TokenSource::Prompt)
        return make_error(Code::kInvalidArgument,
                          "exploration: token %zu of the path is a prompt token that the prompt does not have", k);
    if (k < path.size()) {
        if (int(k) < s.n_pos()) TS_TRY(s.rewind(s.n_pos() - int(k)));
        // The proposal before the first generated token, then the rest in batches, each position's proposal drawn
        // with the settings in force there and from the Rng state the path recorded.
        TS_TRY(propose_with(s, want, k > 0 ? path[k - 1].rng : std::nullopt));
        std::vector<Session::RecordedToken> tail;
        tail.reserve(path.size() - k);
        for (size_t i = k; i < path.size(); ++i) {
            if (path[i].sampler) want = *path[i].sampler;
            tail.push_back(Session::RecordedToken{path[i].id, path[i].source, want, path[i].rng});
        }
        std::vector<bool> drawn;
        TS_TRY(s.append_recorded(tail, &drawn, op));
        for (size_t i = 0; i < tail.size(); ++i) {
            if (tail[i].source != TokenSource::Sampled) continue;
            ++rep.sampled;
            if (!drawn[i]) {
                ++rep.not_reproduced;
                if (rep.first_not_reproduced < 0) rep.first_not_reproduced = int(k + i);
            }
        }
    }
    if (s.n_pos() > int(path.size())) TS_TRY(s.rewind(s.n_pos() - int(path.size())));
    if (!path.empty()) TS_TRY(propose_with(s, want, path.back().rng));  // the leaf's proposal
    if (!sample::same_settings(s.sampler().settings(), e.sampler)) TS_TRY(s.set_sampler(e.sampler));
    return {};
}

}  // namespace ts::core
