// Session: what each prompt position predicted (issue 15: logits for every position, prompt included). With
// SessionOptions::prompt_logits the prefill computes every prompt position's logits (LogitRows::All; within one SIMD
// level a row is bit-identical to what a one-token decode of that position gives) and keeps of each, instead of the
// full vector, the sampler's view of its distribution — every stage's top candidates with their logits and
// probabilities — with the prompt's next token as the one "chosen" (nothing is drawn: the Rng is not advanced), and
// that token's probability as its p_token, so the explorer can show a prompt token's surprisal, −log2 p.
#include <chrono>

#include "core/session/session.hpp"
#include "core/session/softmax_at.hpp"

namespace ts::core {

Status Session::describe_prompt_position(int pos, std::span<const float> logits, int32_t next) {
    const auto t0     = std::chrono::steady_clock::now();
    const float p     = softmax_at(logits, next);
    auto st           = std::make_shared<StepTrace>(*steps_[size_t(pos)]);
    st->has_next      = false;  // no proposal: the prompt goes on
    st->next_token    = -1;
    st->next_p        = 0;
    st->settings      = sampler_.settings();
    st->sampler       = sample::SamplerView{};
    st->sampler.n_top = opt_.n_top;
    sample::Rng rng   = sampler_.rng();  // a copy: a prompt position draws nothing
    const std::span<const int32_t> history(sampler_.history().data(), size_t(pos) + 1);
    auto r = sample::run_chain(logits, st->settings, history, rng, &st->sampler);
    if (!r) return r.error();
    st->sampler.chosen   = next;
    st->sampler.p_chosen = p;
    st->sampler.draw_u   = 0;
    st->t.sample_ms      = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    steps_[size_t(pos)]  = std::move(st);
    if (pos + 1 < n_pos()) {
        auto nx                 = std::make_shared<StepTrace>(*steps_[size_t(pos) + 1]);
        nx->p_token             = p;
        steps_[size_t(pos) + 1] = std::move(nx);
    } else {
        next_prompt_p_ = p;  // the token is in the next batch: eval_append gives it
    }
    return {};
}

}  // namespace ts::core
