// Sampling view-model: cumulative top-p cut, stage lookup and titles, Logits table rows, token labels.
#include "app/ui/view_sampling.hpp"

#include <cstdio>

#include "core/sample/settings_json.hpp"

namespace ts::app {

using core::sample::SamplerView;
using core::sample::StageKind;
using core::sample::StageView;
using core::sample::TokenProb;

CumulativeCut cumulative_cut(std::span<const TokenProb> sorted, float top_p) {
    CumulativeCut c;
    c.cum.resize(sorted.size());
    c.active = top_p < 1.0f;
    double s = 0;
    c.n_kept = int(sorted.size());
    bool cut = false;
    for (size_t i = 0; i < sorted.size(); ++i) {
        s += double(sorted[i].p);
        c.cum[i] = float(s);
        if (c.active && !cut && s >= double(top_p)) {
            c.n_kept  = int(i) + 1;
            c.in_list = true;
            cut       = true;
        }
    }
    return c;
}

int u_bar(std::span<const TokenProb> sorted, float u) {
    double s = 0;
    for (size_t i = 0; i < sorted.size(); ++i)
        if ((s += double(sorted[i].p)) > double(u)) return int(i);
    return -1;
}

const StageView* find_stage(const SamplerView& view, StageKind kind) {
    for (const StageView& s : view.stages)
        if (s.kind == kind) return &s;
    return nullptr;
}

const StageView* top_p_input(const SamplerView& view) {
    for (size_t i = 1; i < view.stages.size(); ++i)
        if (view.stages[i].kind == StageKind::TopP) return &view.stages[i - 1];
    return nullptr;
}

const StageView* min_p_input(const SamplerView& view) {
    for (size_t i = 1; i < view.stages.size(); ++i)
        if (view.stages[i].kind == StageKind::MinP) return &view.stages[i - 1];
    return nullptr;
}

std::string stage_formula(StageKind kind, const core::sample::SamplerSettings& s, float p_max) {
    char buf[200];
    switch (kind) {
        case StageKind::Logits:
            return "p_i = exp(z_i) / Σ_j exp(z_j)   (softmax of the raw logits z)";
        case StageKind::Penalties:
            std::snprintf(buf, sizeof buf,
                          "z_i ← z_i / r if z_i > 0, else z_i · r, for tokens among the last %d (r = %.2f)",
                          int(s.repeat_last_n), double(s.repeat_penalty));
            return buf;
        case StageKind::Temperature:
            std::snprintf(buf, sizeof buf, "p_i = exp(z_i / T) / Σ_j exp(z_j / T),   T = %.2f", double(s.temp));
            return buf;
        case StageKind::TopK:
            std::snprintf(buf, sizeof buf, "keep the k = %d highest z_i, then p_i = exp(z_i) / Σ_kept exp(z_j)",
                          int(s.top_k));
            return buf;
        case StageKind::TopP:
            std::snprintf(buf, sizeof buf,
                          "best first, keep tokens until Σ p_i ≥ P = %.2f (the one that reaches it stays), renormalise",
                          double(s.top_p));
            return buf;
        case StageKind::MinP:
            std::snprintf(buf, sizeof buf, "keep p_i ≥ min_p · p_max = %.2f × %.4f = %.4f, renormalise",
                          double(s.min_p), double(p_max), double(s.min_p) * double(p_max));
            return buf;
        case StageKind::Greedy:
            return "take argmax_i z_i (nothing is drawn)";
        case StageKind::Final:
            return "p_i = p_i / Σ_kept p_j; draw u in [0, 1): the first token (best first) whose cumulative p exceeds "
                   "u";
        case StageKind::kCount:
            break;
    }
    return {};
}

float stage_p(const StageView& stage, int32_t id) {
    for (const TokenProb& t : stage.top)
        if (t.id == id) return t.p;
    return 0.0f;
}

const char* stage_title(StageKind kind) {
    switch (kind) {
        case StageKind::Logits:
            return "raw logits";
        case StageKind::Penalties:
            return "penalties";
        case StageKind::Temperature:
            return "temperature";
        case StageKind::TopK:
            return "top-k";
        case StageKind::TopP:
            return "top-p";
        case StageKind::MinP:
            return "min-p";
        case StageKind::Greedy:
            return "greedy";
        case StageKind::Final:
            return "final";
        case StageKind::kCount:
            break;
    }
    return "?";
}

const char* stage_help(StageKind kind) {
    switch (kind) {
        case StageKind::Logits:
            return "The model's own distribution: softmax of the raw logits at temperature 1.";
        case StageKind::Penalties:
            return "Repeat penalty: logits of recently seen tokens are pushed down (divided if positive, multiplied "
                   "if negative).";
        case StageKind::Temperature:
            return "Logits divided by the temperature: below 1 sharpens the distribution, above 1 flattens it.";
        case StageKind::TopK:
            return "Only the k highest-scoring tokens stay; their probabilities are renormalised.";
        case StageKind::TopP:
            return "The smallest set of best tokens whose cumulative probability reaches p stays (nucleus).";
        case StageKind::MinP:
            return "Tokens less likely than min-p times the best token's probability are dropped.";
        case StageKind::Greedy:
            return "Temperature 0: the highest-scoring token is taken, nothing is drawn.";
        case StageKind::Final:
            return "What the draw uses: the survivors, renormalised to sum to 1.";
        case StageKind::kCount:
            break;
    }
    return "";
}

std::vector<LogitRow> ranked_rows(const SamplerView& view) {
    std::vector<LogitRow> rows;
    const StageView* raw = find_stage(view, StageKind::Logits);
    if (!raw) return rows;
    const StageView* fin = find_stage(view, StageKind::Final);
    rows.reserve(raw->top.size());
    double cum = 0;
    for (size_t i = 0; i < raw->top.size(); ++i) {
        const TokenProb& t = raw->top[i];
        cum += double(t.p);
        LogitRow r;
        r.rank    = int(i) + 1;
        r.id      = t.id;
        r.logit   = t.logit;
        r.p       = t.p;
        r.cum     = float(cum);
        r.p_final = fin ? stage_p(*fin, t.id) : 0.0f;
        r.chosen  = t.id == view.chosen;
        rows.push_back(r);
    }
    return rows;
}

bool sampler_settings_equal(const core::sample::SamplerSettings& a, const core::sample::SamplerSettings& b) {
    return core::sample::same_settings(a, b);
}

std::string token_label(const core::Model& model, int32_t id) {
    if (model.tokenizer && id >= 0) {
        std::string s = model.tokenizer->display(id);
        if (!s.empty()) return s;
    }
    std::string s = "#";  // (not "#" + to_string: g++ 12 warns falsely about memcpy overlap there)
    s += std::to_string(id);
    return s;
}

}  // namespace ts::app
