// The numbers of a panel as CSV, for spreadsheets and handouts (File ▸ Export numbers in the explorer): the same
// numbers the panels draw, one table each. RFC 4180: a header line, then one line per row; a field holding a comma,
// a quote or a line break is quoted with its quotes doubled. Token texts are the tokens' bytes with invalid UTF-8
// replaced by U+FFFD; floats are written with 9 significant digits (they read back to the same float); a masked
// attention cell (a key after the query) is an empty field.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model.hpp"
#include "core/sample/sampler.hpp"
#include "core/trace/derive.hpp"
#include "core/trace/step_trace.hpp"

namespace ts::core::csv {

// One field, quoted when it must be.
std::string field(std::string_view s);
// A token's text as the CSV files write it ("" without a tokenizer).
std::string token_text(const Model& model, int32_t id);

// Attention probabilities of one head: a row per query (query_pos, query_token, then one column per key named
// "pos:token"). `tokens` are the context's ids, [T].
std::string attention_matrix(const Model& model, const derive::AttnMatrix& m, std::span<const int32_t> tokens);
// The same layout for the mean over a layer's heads.
std::string attention_mean(const Model& model, const derive::HeadSummary& s, std::span<const int32_t> tokens);
// One query's row: key_pos, key_token, [raw_score (before the soft-cap, where the layer has one),] score (q·k/√d,
// what the softmax reads; empty where masked), weight (softmax).
std::string score_row(const Model& model, const derive::AttnRow& row, std::span<const int32_t> tokens);
// The ranked next-token candidates: rank, id, token, logit, p_model (softmax at T = 1), cumulative, p_sampler (in the
// final distribution; 0 when the sampler removed it), chosen (1 for the drawn token).
std::string candidates(const Model& model, const sample::SamplerView& view);
// Every sampler stage and its listed candidates: stage, enabled, entropy_bits, n_kept, mass_kept, rank, id, token,
// logit, p.
std::string sampler_stages(const Model& model, const sample::SamplerView& view);
// The context: pos, id, token, source, p_token (the probability it had when chosen; empty for prompt tokens),
// resid_norm_out (‖x‖ after the last layer).
std::string context(const Model& model, const std::vector<StepTracePtr>& steps);
// The logit lens of one position: layer (-1: the embedding, before any layer), rank, id, token, p.
std::string logit_lens(const Model& model, const std::vector<derive::LensLayer>& lens);

}  // namespace ts::core::csv
