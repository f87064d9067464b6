// Session: the derived numbers of its trace (derive.hpp) and writing the trace file (trace_json.hpp).
#include "core/session/session.hpp"

namespace ts::core {

Result<derive::AttnRow> Session::attention_row(int layer, int head, int pos) const {
    return derive::attention_row(trace_view(), layer, head, pos);
}

Result<derive::AttnMatrix> Session::attention_matrix(int layer, int head) const {
    return derive::attention_matrix(trace_view(), layer, head);
}

Result<derive::HeadSummary> Session::head_summary(int layer) const {
    return derive::head_summary(trace_view(), layer);
}

Result<std::vector<derive::LensLayer>> Session::logit_lens(int pos, int top_k) {
    return derive::logit_lens(trace_view(), pos, top_k, *pool_);
}

Result<Journey> Session::journey(int pos) {
    if (pos < 0 || pos >= n_pos())
        return make_error(Code::kInvalidArgument, "journey: position %d is not in the sequence (%d positions)", pos,
                          n_pos());
    const StepTrace& st = *steps_[size_t(pos)];
    return replay_journey(*fwd_, cache_, st.token, pos, *pool_, st.record.get(),
                          intervening() ? intervener_.get() : nullptr);
}

Status Session::write_trace(const std::string& path, const TraceWriteOptions& wo) {
    const auto lg = logits();
    TraceSource src{*model_, steps_};
    src.cache         = &cache_;
    src.n_prompt      = n_prompt_;
    src.n_ctx         = n_ctx_;
    src.settings      = &sampler_.settings();
    src.logits        = lg.get();
    src.interventions = &interventions_;
    return core::write_trace(path, src, wo);
}

}  // namespace ts::core
