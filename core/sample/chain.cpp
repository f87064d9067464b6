// The sampler chain: settings validation, run_chain() calling the stages of stages.cpp in order and recording a
// view of each when asked, top_candidates() for the CLI, and the stateful Sampler wrapper.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/sample/sampler.hpp"
#include "core/sample/stages.hpp"

namespace ts::core::sample {
namespace {

constexpr double kNoMass = std::numeric_limits<double>::quiet_NaN();  // the stage changes logits: mass_kept = 1

// Records stage views as the chain goes; does nothing when no view was asked for.
struct Recorder {
    SamplerView* view;
    double log_z = kNoMass;

    void add(StageKind kind, const Candidates& c, bool removes_items) {
        if (!view) return;
        double z = 0;
        view->stages.push_back(view_stage(kind, c, view->n_top, removes_items ? log_z : kNoMass, z));
        log_z = z;
    }
    // A stage that is off: same distribution as the previous stage, marked disabled.
    void skip(StageKind kind) {
        if (!view) return;
        StageView v = view->stages.back();
        v.kind      = kind;
        v.enabled   = false;
        v.mass_kept = 1;
        view->stages.push_back(std::move(v));
    }
};

}  // namespace

Status validate_settings(const SamplerSettings& s) {
    if (!std::isfinite(s.temp)) return make_error(Code::kInvalidArgument, "temperature must be a finite number");
    if (s.top_k < 0) return make_error(Code::kInvalidArgument, "top_k must be >= 0 (0: off), got %d", int(s.top_k));
    if (!(s.top_p >= 0.0f && s.top_p <= 1.0f))
        return make_error(Code::kInvalidArgument, "top_p must be in [0, 1], got %g", double(s.top_p));
    if (!(s.min_p >= 0.0f && s.min_p <= 1.0f))
        return make_error(Code::kInvalidArgument, "min_p must be in [0, 1], got %g", double(s.min_p));
    if (!(s.repeat_penalty > 0.0f) || !std::isfinite(s.repeat_penalty))
        return make_error(Code::kInvalidArgument, "repeat_penalty must be a finite number > 0, got %g",
                          double(s.repeat_penalty));
    if (s.repeat_last_n < -1)
        return make_error(Code::kInvalidArgument, "repeat_last_n must be >= -1 (-1: whole history), got %d",
                          int(s.repeat_last_n));
    return {};
}

Result<SampleResult> run_chain(std::span<const float> logits, const SamplerSettings& s,
                               std::span<const int32_t> history, Rng& rng, SamplerView* view) {
    if (logits.empty()) return make_error(Code::kInvalidArgument, "sampler: no logits (empty vocabulary)");
    TS_TRY(validate_settings(s));
    // A token drawn from NaN or +Inf logits would carry a made-up probability: refuse. -Inf is a masked token; at
    // least one logit must be finite.
    bool any_finite = false;
    for (size_t i = 0; i < logits.size(); ++i) {
        const float x = logits[i];
        if (std::isnan(x) || x == std::numeric_limits<float>::infinity())
            return make_error(Code::kInvalidArgument, "sampler: logit %zu is %s; no token can be sampled", i,
                              std::isnan(x) ? "NaN" : "+Inf");
        any_finite = any_finite || std::isfinite(x);
    }
    if (!any_finite) return make_error(Code::kInvalidArgument, "sampler: every logit is -Inf; no token can be sampled");
    if (view) {
        view->stages.clear();
        view->greedy = s.temp <= 0.0f;
        view->draw_u = 0;
    }
    Recorder rec{view};

    // raw logits
    Candidates c = make_candidates(logits);
    rec.add(StageKind::Logits, c, false);

    // repeat penalty over the last repeat_last_n tokens
    const bool penalise = s.repeat_penalty != 1.0f && s.repeat_last_n != 0 && !history.empty();
    if (penalise) {
        const size_t n = s.repeat_last_n < 0 ? history.size() : std::min(history.size(), size_t(s.repeat_last_n));
        apply_repeat_penalty(c, history.subspan(history.size() - n), s.repeat_penalty);
        rec.add(StageKind::Penalties, c, false);
    } else {
        rec.skip(StageKind::Penalties);
    }

    SampleResult out;
    if (s.temp <= 0.0f) {
        // greedy: the argmax of the penalised logits; its p is the softmax at T = 1 (how sure the model was)
        apply_softmax(c);
        const size_t i = argmax(c);
        out            = SampleResult{c.items[i].id, c.items[i].p};
        if (view) {
            // The candidates are those of the last view, in the same order (softmax only set p): its view is this
            // stage's too, not computed a second time over the whole vocabulary.
            StageView g = view->stages.back();
            g.kind      = StageKind::Greedy;
            g.enabled   = true;
            g.n_kept    = 1;
            g.mass_kept = out.p;
            view->stages.push_back(g);
            StageView f = std::move(g);
            f.kind      = StageKind::Final;
            view->stages.push_back(std::move(f));
        }
    } else {
        // temperature
        if (s.temp != 1.0f) {
            apply_temperature(c, s.temp);
            rec.add(StageKind::Temperature, c, false);
        } else {
            rec.skip(StageKind::Temperature);
        }
        // top-k
        if (s.top_k > 0 && size_t(s.top_k) < c.items.size()) {
            apply_top_k(c, s.top_k);
            rec.add(StageKind::TopK, c, true);
        } else {
            rec.skip(StageKind::TopK);
        }
        // softmax, then top-p on the sorted probabilities
        apply_softmax(c);
        apply_top_p(c, s.top_p);
        if (s.top_p < 1.0f)
            rec.add(StageKind::TopP, c, true);
        else
            rec.skip(StageKind::TopP);
        // min-p relative to the most likely token (scale-free, so top-p's missing renormalisation does not matter)
        apply_min_p(c, s.min_p);
        if (s.min_p > 0.0f)
            rec.add(StageKind::MinP, c, true);
        else
            rec.skip(StageKind::MinP);
        // renormalise and draw
        renormalize(c);
        rec.add(StageKind::Final, c, false);
        const float u  = rng.uniform();
        const size_t i = draw(c, u);
        out            = SampleResult{c.items[i].id, c.items[i].p};
        if (view) view->draw_u = u;
    }
    if (view) {
        view->chosen   = out.id;
        view->p_chosen = out.p;
    }
    return out;
}

std::vector<TokenProb> top_candidates(std::span<const float> logits, int k) {
    if (logits.empty() || k <= 0) return {};
    Candidates c = make_candidates(logits);
    double log_z = 0;
    return view_stage(StageKind::Logits, c, k, kNoMass, log_z).top;
}

void Sampler::set_settings(const SamplerSettings& s) {
    if (s.seed != settings_.seed) rng_.reseed(s.seed);
    settings_ = s;
}

Result<SampleResult> Sampler::sample(std::span<const float> logits, SamplerView* view) {
    return run_chain(logits, settings_, history_, rng_, view);
}

std::vector<float> logits_from_view(const SamplerView& v, int32_t n_vocab, bool* complete) {
    std::vector<float> logits(size_t(std::max(0, n_vocab)), -std::numeric_limits<float>::infinity());
    const StageView* raw = nullptr;
    for (const StageView& st : v.stages)
        if (st.kind == StageKind::Logits) raw = &st;
    if (complete) *complete = raw && size_t(raw->n_kept) <= raw->top.size();
    if (!raw) return logits;
    for (const TokenProb& t : raw->top)
        if (t.id >= 0 && size_t(t.id) < logits.size()) logits[size_t(t.id)] = t.logit;
    return logits;
}

}  // namespace ts::core::sample
