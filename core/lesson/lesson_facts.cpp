// Each fact kind measured on the session and compared with what the lesson says (lesson.hpp). Every message says
// what was measured; a failed one ends with what the lesson says.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "core/lesson/lesson.hpp"
#include "core/lesson/lesson_internal.hpp"
#include "core/session/session.hpp"
#include "core/trace/head_atlas.hpp"

namespace ts::core::lesson {
namespace {

std::string num(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", x);
    return buf;
}

std::string tok(const Session& s, int32_t id) {
    if (s.model().tokenizer) return quote_token(s.model().tokenizer->token_bytes(id, true));
    std::string r = "id ";
    r += std::to_string(id);
    return r;
}

// "L1H5" (GCC 12 warns falsely about "L" + std::to_string(...), so this appends).
std::string head_name(int layer, int head) {
    std::string r = "L";
    r += std::to_string(layer);
    r += "H";
    r += std::to_string(head);
    return r;
}

FactResult ok(std::string m) {
    return FactResult{true, std::move(m)};
}
FactResult bad(std::string m) {
    return FactResult{false, std::move(m)};
}

// "", or why `x` is outside the fact's bounds: "the lesson says above 0.5".
std::string bounds_problem(const Fact& f, double x) {
    if (f.above && !(x > *f.above)) return "the lesson says above " + num(*f.above);
    if (f.below && !(x < *f.below)) return "the lesson says below " + num(*f.below);
    return "";
}

FactResult verdict(const Fact& f, double x, const std::string& measured) {
    const std::string why = bounds_problem(f, x);
    return why.empty() ? ok(measured) : bad(measured + ", " + why);
}

// The sampler's view of the token after `pos` at a stage ("top_k"...); null with a reason when there is none.
const sample::StageView* stage_view(const StepTrace& st, const std::string& stage, std::string* why) {
    if (!st.has_next) {
        *why = "position " + std::to_string(st.pos) + " has no sampler view (a prompt position before the last)";
        return nullptr;
    }
    const std::string want = stage == "model" ? std::string("logits") : stage;
    for (const sample::StageView& v : st.sampler.stages)
        if (sample::kStageNames[size_t(v.kind)] == want) return &v;
    *why = "the sampler at position " + std::to_string(st.pos) + " has no " + stage + " stage" +
           (st.sampler.greedy ? " (it is greedy: temp 0)" : "");
    return nullptr;
}

// The next-token distribution after `pos`, best first: "model" is the softmax at T = 1 over the whole vocabulary
// (the newest position's logits, or the logit lens's last layer, which equals them, at earlier positions); a
// sampler stage lists its top candidates as recorded.
Result<std::vector<sample::TokenProb>> distribution(Session& s, int pos, const std::string& stage) {
    if (stage == "model") {
        const auto logits = s.logits();
        if (pos == s.n_pos() - 1 && logits) return sample::top_candidates(*logits, s.model().hp.n_vocab);
        auto lens = s.logit_lens(pos, s.model().hp.n_vocab);
        if (!lens) return lens.error();
        return std::move(lens->back().top);
    }
    std::string why;
    const sample::StageView* v = stage_view(*s.steps()[size_t(pos)], stage, &why);
    if (!v) return Error{Code::kInvalidArgument, why};
    return v->top;
}

std::string after(int pos, const std::string& stage) {
    return "after position " + std::to_string(pos) + (stage == "model" ? "" : " (" + stage + ")");
}

FactResult check_candidate(const Fact& f, Session& s, int pos, int32_t id) {
    auto dist = distribution(s, pos, f.stage);
    if (!dist) return bad(dist.error().message);
    if (dist->empty()) return bad("no candidates " + after(pos, f.stage));
    const auto it  = std::find_if(dist->begin(), dist->end(), [&](const auto& c) { return c.id == id; });
    const int rank = it == dist->end() ? -1 : int(it - dist->begin()) + 1;
    const float p  = it == dist->end() ? 0.0f : it->p;
    if (f.kind == FactKind::Top) {
        const auto& top = dist->front();
        const std::string measure =
            "top candidate " + after(pos, f.stage) + " is " + tok(s, top.id) + " (p " + num(top.p) + ")";
        if (top.id != id) return bad(measure + ", the lesson says " + tok(s, id));
        return verdict(f, top.p, measure);
    }
    const std::string where = tok(s, id) + " " + after(pos, f.stage);
    if (rank < 0) {
        if (f.rank || f.rank_at_most || f.above)
            return bad(where + " is not among the " + std::to_string(dist->size()) + " candidates listed");
        return ok(where + " is not among the candidates listed (p 0)");
    }
    const std::string measure = where + ": rank " + std::to_string(rank) + ", p " + num(p);
    if (f.rank && rank != *f.rank) return bad(measure + ", the lesson says rank " + std::to_string(*f.rank));
    if (f.rank_at_most && rank > *f.rank_at_most)
        return bad(measure + ", the lesson says rank " + std::to_string(*f.rank_at_most) + " or better");
    return verdict(f, p, measure);
}

FactResult check_attention(const Fact& f, Session& s) {
    const Hparams& hp = s.model().hp;
    if (f.layer >= hp.n_layer || f.head >= hp.n_head)
        return bad("head " + head_name(f.layer, f.head) + " is outside the model (" + std::to_string(hp.n_layer) +
                   " layers x " + std::to_string(hp.n_head) + " heads)");
    auto q = resolve_pos(s, f.query);
    if (!q) return bad(q.error().message);
    auto row = s.attention_row(f.layer, f.head, *q);
    if (!row) return bad(row.error().message);
    const std::string head = head_name(f.layer, f.head) + " from position " + std::to_string(*q);
    const auto& pr         = row->probs;
    if (f.strongest) {
        const int best      = int(std::max_element(pr.begin(), pr.begin() + *q + 1) - pr.begin());
        const std::string m = head + ": strongest key is position " + std::to_string(best) + " " +
                              tok(s, s.steps()[size_t(best)]->token) + " (" + num(pr[size_t(best)]) + ")";
        if (best != *f.strongest) return bad(m + ", the lesson says position " + std::to_string(*f.strongest));
        if (!f.key) return ok(m);
    }
    if (*f.key > *q) return bad(head + ": key " + std::to_string(*f.key) + " is after the query (masked)");
    const double x = f.score ? row->scores[size_t(*f.key)] : pr[size_t(*f.key)];
    return verdict(f, x,
                   head + ": " + (f.score ? "score" : "weight") + " on key " + std::to_string(*f.key) + " " +
                       tok(s, s.steps()[size_t(*f.key)]->token) + " is " + num(x));
}

// Layers are the lens entries' own `layer` numbers (after block L); the entry for the embedding (layer -1, where the
// lens has one) is named by "layer": -1 and is not a layer for "first_layer", which counts blocks only.
FactResult check_lens(const Fact& f, Session& s, int pos, int32_t id) {
    auto lens = s.logit_lens(pos, 1);
    if (!lens) return bad(lens.error().message);
    const derive::LensLayer* at_layer = nullptr;
    int first = -1, last = -1;
    for (const derive::LensLayer& e : *lens) {
        if (f.embedding && e.layer == -1 && !e.top.empty()) at_layer = &e;
        if (e.layer < 0 || e.top.empty()) continue;
        last = std::max(last, e.layer);
        if (e.layer == f.layer) at_layer = &e;
        if (first < 0 && e.top[0].id == id) first = e.layer;
    }
    if (f.layer >= 0 && !at_layer) return bad("the lens has layers 0.." + std::to_string(last));
    if (f.embedding && !at_layer) return bad("the logit lens has no embedding row for this model");
    const std::string at = " after position " + std::to_string(pos);
    if (at_layer) {
        const auto& top     = at_layer->top.front();
        const std::string m = "the logit lens at " +
                              (f.embedding ? std::string("the embedding") : "layer " + std::to_string(f.layer)) + at +
                              " ranks " + tok(s, top.id) + " top (p " + num(top.p) + ")";
        if (top.id != id) return bad(m + ", the lesson says " + tok(s, id));
        if (!f.first_layer) return verdict(f, top.p, m);
        if (const std::string why = bounds_problem(f, top.p); !why.empty()) return bad(m + ", " + why);
    }
    const std::string m = "the logit lens" + at + " first ranks " + tok(s, id) + " top at " +
                          (first < 0 ? std::string("no layer") : "layer " + std::to_string(first));
    if (first != *f.first_layer) return bad(m + ", the lesson says layer " + std::to_string(*f.first_layer));
    return ok(m);
}

// The head atlas (head_atlas.hpp) of the session's model: head layer.head's tag, and its score for that tag.
FactResult check_atlas(const Fact& f, Session& s) {
    const Hparams& hp      = s.model().hp;
    const std::string head = head_name(f.layer, f.head);
    if (f.layer >= hp.n_layer || f.head >= hp.n_head) return bad("head " + head + " is outside the model");
    auto atlas = build_head_atlas(s.model(), s.pool());
    if (!atlas) return bad(atlas.error().message);
    const HeadScores& h                               = atlas->at(f.layer, f.head);
    const std::pair<std::string_view, float> scores[] = {{"previous-token", h.prev_token},
                                                         {"first-token", h.first_token},
                                                         {"self", h.self},
                                                         {"duplicate-token", h.duplicate},
                                                         {"induction", h.induction}};
    double score                                      = 0;
    for (const auto& [tag, x] : scores)
        if (tag == f.text) score = x;
    const std::string m =
        "the head atlas tags " + head + " " + std::string(h.tag) + " (" + f.text + " score " + num(score) + ")";
    if (h.tag != f.text) return bad(m + ", the lesson says " + f.text);
    return verdict(f, score, m);
}

// The model's hyper-parameters against the lesson's.
FactResult check_model(const Fact& f, const Model& m) {
    const Hparams& hp                                   = m.hp;
    const std::pair<std::string_view, int64_t> actual[] = {
        {"n_vocab", hp.n_vocab}, {"n_ctx", hp.n_ctx_train},   {"n_embd", hp.n_embd},     {"n_layer", hp.n_layer},
        {"n_head", hp.n_head},   {"n_head_kv", hp.n_head_kv}, {"head_dim", hp.head_dim}, {"n_ff", hp.n_ff}};
    std::string msg = "the model has", wrong;
    for (const auto& [key, want] : f.shape)
        for (const auto& [name, have] : actual)
            if (name == key) {
                msg += " " + key + " " + std::to_string(have);
                if (have != want) wrong += (wrong.empty() ? "" : ", ") + key + " " + std::to_string(want);
            }
    if (f.tied) {
        msg += hp.tied_output ? " (output tied to the embedding)" : " (output not tied to the embedding)";
        if (*f.tied != hp.tied_output)
            wrong += std::string(wrong.empty() ? "" : ", ") + (*f.tied ? "tied" : "not tied");
    }
    return wrong.empty() ? ok(msg) : bad(msg + ", the lesson says " + wrong);
}

double norm_of(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += double(x) * double(x);
    return std::sqrt(s);
}

}  // namespace

FactResult check_fact(const Fact& f, Session& s) {
    const Model& m = s.model();
    if (f.kind == FactKind::Pieces) {
        if (!m.tokenizer) return bad("the model has no tokenizer");
        auto ids = m.tokenizer->encode(f.text, false, true);
        if (!ids) return bad(ids.error().message);
        std::string pieces;
        for (int32_t id : *ids) pieces += (pieces.empty() ? "" : " + ") + tok(s, id);
        const std::string msg = quote_token(f.text) + " is " + std::to_string(ids->size()) + " token" +
                                (ids->size() == 1 ? "" : "s") + ": " + pieces;
        if (int(ids->size()) != *f.count) return bad(msg + ", the lesson says " + std::to_string(*f.count));
        return ok(msg);
    }
    if (f.kind == FactKind::Sequence) {
        const std::string text = m.tokenizer ? m.tokenizer->decode(s.tokens()) : "";
        std::string msg        = std::to_string(s.n_pos()) + " positions";
        if (f.count && s.n_pos() != *f.count) return bad(msg + ", the lesson says " + std::to_string(*f.count));
        if (!f.text.empty()) {
            const bool ends =
                text.size() >= f.text.size() && text.compare(text.size() - f.text.size(), f.text.size(), f.text) == 0;
            const std::string tail = text.substr(text.size() - std::min(text.size(), f.text.size() + 12));
            msg += ", the text ends " + quote_token(tail);
            if (!ends) return bad(msg + ", the lesson says it ends " + quote_token(f.text));
        }
        return ok(msg);
    }
    if (f.kind == FactKind::Atlas) return check_atlas(f, s);
    if (f.kind == FactKind::Model) return check_model(f, m);
    auto pos = resolve_pos(s, f.kind == FactKind::Attention ? -1 : f.at);
    if (!pos) return bad(pos.error().message);
    const StepTrace& st = *s.steps()[size_t(*pos)];
    switch (f.kind) {
        case FactKind::Top:
        case FactKind::Candidate:
        case FactKind::Sampled:
        case FactKind::Lens: {
            auto id = resolve_token(s, f.token);
            if (!id) return bad(id.error().message);
            if (f.kind == FactKind::Lens) return check_lens(f, s, *pos, *id);
            if (f.kind != FactKind::Sampled) return check_candidate(f, s, *pos, *id);
            if (!st.has_next) return bad("position " + std::to_string(*pos) + " has no sampled next token");
            const std::string msg = "the sampler picks " + tok(s, st.next_token) + " after position " +
                                    std::to_string(*pos) + " (p " + num(st.next_p) + ")";
            return st.next_token == *id ? ok(msg) : bad(msg + ", the lesson says " + tok(s, *id));
        }
        case FactKind::Entropy:
            if (f.stage == "model") {  // over the whole vocabulary, at any position (also with a greedy sampler)
                auto dist = distribution(s, *pos, f.stage);
                if (!dist) return bad(dist.error().message);
                double bits = 0;
                for (const auto& c : *dist)
                    if (c.p > 0) bits -= double(c.p) * std::log2(double(c.p));
                return verdict(f, bits, "entropy " + after(*pos, f.stage) + " is " + num(bits) + " bits");
            }
            [[fallthrough]];
        case FactKind::Kept: {
            std::string why;
            const sample::StageView* v = stage_view(st, f.stage, &why);
            if (!v) return bad(why);
            if (f.kind == FactKind::Entropy) {
                const double bits = double(v->entropy) / std::numbers::ln2;
                return verdict(f, bits, "entropy " + after(*pos, f.stage) + " is " + num(bits) + " bits");
            }
            const std::string msg = f.stage + " keeps " + std::to_string(v->n_kept) +
                                    (v->n_kept == 1 ? " candidate " : " candidates ") + after(*pos, "model") +
                                    " (mass kept " + num(v->mass_kept) + ")";
            if (f.count && v->n_kept != *f.count) return bad(msg + ", the lesson says " + std::to_string(*f.count));
            return verdict(f, v->n_kept, msg);
        }
        case FactKind::Attention:
            return check_attention(f, s);
        case FactKind::Kv: {
            const int64_t per     = s.n_pos() > 0 ? int64_t(st.kv.bytes_total) / st.kv.n_pos : 0;
            const std::string msg = "the KV cache holds " + std::to_string(st.kv.bytes_total) + " bytes for " +
                                    std::to_string(st.kv.n_pos) + " positions: " + std::to_string(per) +
                                    " per position";
            if (per != *f.bytes_per_position)
                return bad(msg + ", the lesson says " + std::to_string(*f.bytes_per_position));
            return ok(msg);
        }
        case FactKind::Norm: {
            if (f.layer >= m.hp.n_layer)
                return bad("layer " + std::to_string(f.layer) + ": the model has " + std::to_string(m.hp.n_layer));
            const double x          = f.layer < 0 ? norm_of(derive::embedding_row(m, st.token))
                                                  : double(st.layers[size_t(f.layer)].resid_norm_ffn);
            const std::string where = f.layer < 0 ? "the embedding" : "layer " + std::to_string(f.layer);
            return verdict(f, x,
                           "residual norm at position " + std::to_string(*pos) + " " + tok(s, st.token) + " after " +
                               where + " is " + num(x));
        }
        default:
            break;
    }
    return bad("unhandled fact");
}

}  // namespace ts::core::lesson
