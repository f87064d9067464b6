// Panels' numbers as CSV tables (csv.hpp).
#include "core/trace/csv.hpp"

#include <cmath>
#include <cstdio>

#include "core/base/utf8.hpp"
#include "core/tokenizer/tokenizer.hpp"

namespace ts::core::csv {
namespace {

// 9 significant digits: a float reads back to itself. Non-finite values as spreadsheets spell them.
std::string num(double x) {
    if (std::isnan(x)) return "NaN";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", x);
    return buf;
}

// Builds a table line by line; fields are joined with commas, lines end with CRLF as RFC 4180 asks.
class Table {
public:
    Table& cell(std::string_view s) { return raw(field(s)); }
    Table& cell(double x) { return raw(num(x)); }
    Table& cell(int64_t x) { return raw(std::to_string(x)); }
    Table& cell(int x) { return cell(int64_t(x)); }
    Table& empty() { return raw(""); }
    Table& end() {
        out_ += "\r\n";
        first_ = true;
        return *this;
    }
    std::string take() { return std::move(out_); }

private:
    Table& raw(const std::string& s) {
        if (!first_) out_ += ',';
        first_ = false;
        out_ += s;
        return *this;
    }
    std::string out_;
    bool first_ = true;
};

std::string key_name(const Model& model, int pos, std::span<const int32_t> tokens) {
    const std::string text = pos < int(tokens.size()) ? token_text(model, tokens[size_t(pos)]) : std::string();
    return std::to_string(pos) + ":" + text;
}

// A [n][n] matrix of query rows over keys, masked above the diagonal.
std::string causal_matrix(const Model& model, const std::vector<float>& probs, int n, std::span<const int32_t> tokens) {
    Table t;
    t.cell("query_pos").cell("query_token");
    for (int k = 0; k < n; ++k) t.cell(key_name(model, k, tokens));
    t.end();
    for (int q = 0; q < n; ++q) {
        t.cell(q).cell(q < int(tokens.size()) ? token_text(model, tokens[size_t(q)]) : std::string());
        for (int k = 0; k < n; ++k) {
            if (k > q)
                t.empty();
            else
                t.cell(double(probs[size_t(q) * size_t(n) + size_t(k)]));
        }
        t.end();
    }
    return t.take();
}

}  // namespace

std::string field(std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string token_text(const Model& model, int32_t id) {
    if (!model.tokenizer || id < 0) return {};
    return utf8_sanitized(model.tokenizer->token_bytes(id, /*render_special=*/true));
}

std::string attention_matrix(const Model& model, const derive::AttnMatrix& m, std::span<const int32_t> tokens) {
    return causal_matrix(model, m.probs, m.n, tokens);
}

std::string attention_mean(const Model& model, const derive::HeadSummary& s, std::span<const int32_t> tokens) {
    return causal_matrix(model, s.mean, s.n, tokens);
}

std::string score_row(const Model& model, const derive::AttnRow& row, std::span<const int32_t> tokens) {
    Table t;
    const bool capped = !row.raw_scores.empty();  // a soft-capped layer: the raw score beside the capped one
    t.cell("key_pos").cell("key_token");
    if (capped) t.cell("raw_score");
    t.cell("score").cell("weight").end();
    for (int k = 0; k <= row.pos && k < row.n; ++k) {
        t.cell(k).cell(k < int(tokens.size()) ? token_text(model, tokens[size_t(k)]) : std::string());
        if (capped) t.cell(double(row.raw_scores[size_t(k)]));
        t.cell(double(row.scores[size_t(k)])).cell(double(row.probs[size_t(k)])).end();
    }
    return t.take();
}

std::string candidates(const Model& model, const sample::SamplerView& view) {
    Table t;
    t.cell("rank").cell("id").cell("token").cell("logit").cell("p_model").cell("cumulative").cell("p_sampler");
    t.cell("chosen").end();
    if (view.stages.empty()) return t.take();
    const sample::StageView& raw = view.stages.front();  // the raw logits: softmax at T = 1
    const sample::StageView& fin = view.stages.back();   // what the draw used
    double cum                   = 0;
    int rank                     = 0;
    for (const sample::TokenProb& c : raw.top) {
        cum += double(c.p);
        double p_sampler = 0;
        for (const sample::TokenProb& f : fin.top)
            if (f.id == c.id) p_sampler = double(f.p);
        t.cell(++rank).cell(int64_t(c.id)).cell(token_text(model, c.id)).cell(double(c.logit)).cell(double(c.p));
        t.cell(cum).cell(p_sampler).cell(c.id == view.chosen ? 1 : 0).end();
    }
    return t.take();
}

std::string sampler_stages(const Model& model, const sample::SamplerView& view) {
    Table t;
    t.cell("stage").cell("enabled").cell("entropy_bits").cell("n_kept").cell("mass_kept").cell("rank").cell("id");
    t.cell("token").cell("logit").cell("p").end();
    for (const sample::StageView& s : view.stages) {
        int rank = 0;
        for (const sample::TokenProb& c : s.top) {
            t.cell(sample::kStageNames[size_t(s.kind)]).cell(s.enabled ? 1 : 0).cell(double(s.entropy) / std::log(2.0));
            t.cell(int64_t(s.n_kept)).cell(double(s.mass_kept)).cell(++rank).cell(int64_t(c.id));
            t.cell(token_text(model, c.id)).cell(double(c.logit)).cell(double(c.p)).end();
        }
    }
    return t.take();
}

std::string context(const Model& model, const std::vector<StepTracePtr>& steps) {
    Table t;
    t.cell("pos").cell("id").cell("token").cell("source").cell("p_token").cell("resid_norm_out").end();
    for (const StepTracePtr& st : steps) {
        if (!st) continue;
        t.cell(st->pos).cell(int64_t(st->token)).cell(token_text(model, st->token));
        t.cell(kTokenSourceNames[size_t(st->source)]);
        if (st->source == TokenSource::Prompt || std::isnan(st->p_token))
            t.empty();
        else
            t.cell(double(st->p_token));
        if (st->layers.empty())
            t.empty();
        else
            t.cell(double(st->layers.back().resid_norm_ffn));
        t.end();
    }
    return t.take();
}

std::string logit_lens(const Model& model, const std::vector<derive::LensLayer>& lens) {
    Table t;
    t.cell("layer").cell("rank").cell("id").cell("token").cell("p").end();
    for (const derive::LensLayer& l : lens) {
        int rank = 0;
        for (const sample::TokenProb& c : l.top)
            t.cell(l.layer).cell(++rank).cell(int64_t(c.id)).cell(token_text(model, c.id)).cell(double(c.p)).end();
    }
    return t.take();
}

}  // namespace ts::core::csv
