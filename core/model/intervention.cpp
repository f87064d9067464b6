// Interventions at the forward pass's stages (see intervention.hpp).
#include "core/model/intervention.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ts::core {
namespace {

struct KindName {
    InterventionKind kind;
    std::string_view name;
};
constexpr KindName kKinds[] = {
    {InterventionKind::ZeroHead, "zero-head"}, {InterventionKind::ScaleHead, "scale-head"},
    {InterventionKind::SkipAttn, "skip-attn"}, {InterventionKind::SkipMlp, "skip-mlp"},
    {InterventionKind::NoScale, "no-scale"},   {InterventionKind::NoRope, "no-rope"},
    {InterventionKind::Steer, "steer"},        {InterventionKind::MeanHead, "mean-head"},
    {InterventionKind::NoMask, "no-mask"},
};

constexpr const char* kKindList =
    "zero-head:L.H, scale-head:L.H:S, mean-head:L.H, skip-attn:L, skip-mlp:L, no-scale:L, no-rope:L, no-mask:L, "
    "steer:L:ALPHA, steer:L:ALPHA:TEXT_A|TEXT_B";

bool per_head(InterventionKind k) {
    return k == InterventionKind::ZeroHead || k == InterventionKind::ScaleHead || k == InterventionKind::MeanHead;
}

bool has_rope(const Hparams& hp) {
    return find_stage(arch_desc(hp), Stage::Q) != nullptr;
}

std::string_view kind_name(InterventionKind k) {
    for (const KindName& n : kKinds)
        if (n.kind == k) return n.name;
    return "?";
}

bool parse_int(std::string_view s, int& out) {
    const char* end = s.data() + s.size();
    auto [p, ec]    = std::from_chars(s.data(), end, out);
    return ec == std::errc() && p == end && !s.empty();
}

bool parse_float(std::string_view s, float& out) {
    if (s.empty() || s.size() > 32) return false;
    char buf[40];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = 0;
    char* end     = nullptr;
    out           = std::strtof(buf, &end);
    return end == buf + s.size() && std::isfinite(out);
}

// Where each kind acts on `layer` (intervention_stage; no-rope also keeps the projections before q and k).
StageMask stages_of(InterventionKind k, const Hparams& hp, int layer) {
    if (k == InterventionKind::NoRope)
        return StageMask{}
            .set(Stage::QProj)
            .set(Stage::KProj)
            .set(Stage::QNorm)
            .set(Stage::KNorm)
            .set(Stage::Q)
            .set(Stage::K);
    return StageMask{}.set(intervention_stage(k, hp, layer));
}

// The width of one head's row at the per-head stage of `layer`.
size_t head_width(const Hparams& hp, int layer) {
    return size_t(hp.is_recurrent(layer) ? hp.ssm_head_v() : hp.head_dim_of(layer));
}

// "3, 7, 11" — the attention layers of a model with recurrent ones (at most 8 named).
std::string attention_layers(const Hparams& hp) {
    std::string s;
    int named = 0;
    for (int il = 0; il < hp.n_layer; ++il)
        if (!hp.is_recurrent(il)) {
            if (named == 8) return s + ", …";
            s += (named++ ? ", " : "") + std::to_string(il);
        }
    return s.empty() ? "none" : s;
}

}  // namespace

Stage intervention_stage(InterventionKind kind, const Hparams& hp, int layer) {
    const bool rec = hp.is_recurrent(layer);
    switch (kind) {
        case InterventionKind::ZeroHead:
        case InterventionKind::ScaleHead:
        case InterventionKind::MeanHead:
            if (rec) return Stage::LinNorm;
            return find_stage(arch_desc(hp), Stage::AttnGate) && layer_has_stage(hp, layer, Stage::AttnGate)
                       ? Stage::AttnGate
                       : Stage::AttnOut;
        case InterventionKind::SkipAttn:
            return rec ? Stage::LinOut : Stage::AttnProj;
        case InterventionKind::SkipMlp:  // gemma4 with experts: the shared expert and the experts together
            return hp.experts_beside_mlp() ? Stage::FfnMoeSum : Stage::FfnOut;
        case InterventionKind::NoScale:
        case InterventionKind::NoMask:  // asks for the scores so that the forward pass asks key_count
            return Stage::AttnScores;
        case InterventionKind::NoRope:
            return Stage::Q;
        case InterventionKind::Steer:
            return Stage::ResidFfn;
    }
    return Stage::AttnOut;
}

std::string intervention_refusal(InterventionKind kind, const Hparams& hp, int layer) {
    if (kind == InterventionKind::NoRope && !has_rope(hp))
        return hp.arch_name + " has no RoPE to turn off (its positions are learned and added to the embedding)";
    if (!hp.is_recurrent(layer)) return "";
    const std::string L = "layer " + std::to_string(layer) + " is linear attention (gated DeltaNet, recurrent state): ";
    const std::string att = "; the attention layers are " + attention_layers(hp);
    switch (kind) {
        case InterventionKind::NoScale:
            return L + "it computes no attention scores to scale" + att;
        case InterventionKind::NoRope:
            return L + "it has no RoPE (it knows order only through its state)" + att;
        case InterventionKind::NoMask:
            return L + "it has no causal mask to lift (its state only ever holds the tokens before)" + att;
        default:
            return "";
    }
}

bool Intervention::same_edit(const Intervention& o) const {
    return kind == o.kind && layer == o.layer && head == o.head && factor == o.factor && from_pos == o.from_pos &&
           steer == o.steer && steer_a == o.steer_a && steer_b == o.steer_b;
}

Status check_intervention(const Intervention& iv, const Hparams& hp) {
    const std::string s = intervention_spec(iv);
    auto bad            = [&](const std::string& why) {
        return make_error(Code::kInvalidArgument, "intervention '%s': %s", s.c_str(), why.c_str());
    };
    if (iv.layer < 0 || iv.layer >= hp.n_layer)
        return bad("the model has layers 0 .. " + std::to_string(hp.n_layer - 1));
    if (per_head(iv.kind) && (iv.head < 0 || iv.head >= hp.mixer_heads(iv.layer)))
        return bad((hp.is_recurrent(iv.layer)
                        ? "layer " + std::to_string(iv.layer) + " is linear attention: it has value heads 0 .. "
                        : std::string("the model has heads 0 .. ")) +
                   std::to_string(hp.mixer_heads(iv.layer) - 1));
    if (iv.from_pos < 0) return bad("the start position must be >= 0");
    if (!std::isfinite(iv.factor)) return bad("the factor must be a finite number");
    if (const std::string why = intervention_refusal(iv.kind, hp, iv.layer); !why.empty()) return bad(why);
    if (iv.kind == InterventionKind::Steer && !iv.steer.empty() && int64_t(iv.steer.size()) != hp.n_embd)
        return bad("the steering vector has " + std::to_string(iv.steer.size()) + " entries, the residual stream " +
                   std::to_string(hp.n_embd));
    return {};
}

Result<Intervention> parse_intervention(std::string_view spec, const Hparams& hp) {
    const std::string s(spec);
    auto bad = [&](const char* why) {
        return make_error(Code::kInvalidArgument, "intervention '%s': %s", s.c_str(), why);
    };
    Intervention iv;
    std::string_view rest = spec;
    if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
        if (!parse_int(rest.substr(at + 1), iv.from_pos) || iv.from_pos < 0)
            return bad("the position after '@' must be a whole number >= 0");
        rest = rest.substr(0, at);
    }
    const size_t colon = rest.find(':');
    if (colon == std::string_view::npos) {
        const std::string why = std::string("expected KIND:LAYER (") + kKindList + ")";
        return bad(why.c_str());
    }
    const std::string_view kind = rest.substr(0, colon);
    bool known                  = false;
    for (const KindName& n : kKinds)
        if (n.name == kind) {
            iv.kind = n.kind;
            known   = true;
        }
    if (!known) {
        const std::string why = std::string("unknown kind (") + kKindList + ")";
        return bad(why.c_str());
    }
    std::string_view args = rest.substr(colon + 1);
    std::string_view extra, texts;
    bool has_texts = false;
    if (const size_t c2 = args.find(':'); c2 != std::string_view::npos) {
        extra = args.substr(c2 + 1);
        args  = args.substr(0, c2);
        if (iv.kind == InterventionKind::Steer)  // steer:L:ALPHA:TEXT_A|TEXT_B (the texts may hold ':')
            if (const size_t c3 = extra.find(':'); c3 != std::string_view::npos) {
                texts     = extra.substr(c3 + 1);
                extra     = extra.substr(0, c3);
                has_texts = true;
            }
    }
    const bool heads            = per_head(iv.kind);
    const bool has_factor       = iv.kind == InterventionKind::ScaleHead || iv.kind == InterventionKind::Steer;
    std::string_view layer_text = args;
    if (heads) {
        const size_t dot = args.find('.');
        if (dot == std::string_view::npos) return bad("expected LAYER.HEAD");
        layer_text = args.substr(0, dot);
        if (!parse_int(args.substr(dot + 1), iv.head)) return bad("the head must be a whole number");
    }
    if (!parse_int(layer_text, iv.layer)) return bad("the layer must be a whole number");
    if (has_factor) {
        if (!parse_float(extra, iv.factor)) return bad("expected a finite number after the last ':'");
    } else if (!extra.empty()) {
        return bad("unexpected text after the layer");
    }
    if (has_texts) {
        const size_t bar = texts.find('|');
        if (bar == std::string_view::npos || bar == 0 || bar + 1 == texts.size())
            return bad("expected two texts after ALPHA: TEXT_A|TEXT_B");
        iv.steer_a = std::string(texts.substr(0, bar));
        iv.steer_b = std::string(texts.substr(bar + 1));
    }
    TS_TRY(check_intervention(iv, hp));
    return iv;
}

std::string intervention_spec(const Intervention& iv) {
    std::string s(kind_name(iv.kind));
    s += ':' + std::to_string(iv.layer);
    if (per_head(iv.kind)) s += '.' + std::to_string(iv.head);
    if (iv.kind == InterventionKind::ScaleHead || iv.kind == InterventionKind::Steer) {
        char buf[32];
        std::snprintf(buf, sizeof buf, ":%g", double(iv.factor));
        s += buf;
    }
    if (iv.kind == InterventionKind::Steer && !iv.steer_a.empty()) s += ':' + iv.steer_a + '|' + iv.steer_b;
    if (iv.from_pos > 0) s += '@' + std::to_string(iv.from_pos);
    return s;
}

std::string describe_intervention(const Intervention& iv) {
    const std::string L = "layer " + std::to_string(iv.layer);
    char buf[96];
    std::string d;
    switch (iv.kind) {
        case InterventionKind::ZeroHead:
            d = L + ", head " + std::to_string(iv.head) + ": output zeroed";
            break;
        case InterventionKind::ScaleHead:
            std::snprintf(buf, sizeof buf, ": output × %g", double(iv.factor));
            d = L + ", head " + std::to_string(iv.head) + buf;
            break;
        case InterventionKind::MeanHead:
            d = L + ", head " + std::to_string(iv.head) + ": output replaced by its mean over the context so far";
            break;
        case InterventionKind::SkipAttn:
            d = L + ": attention block skipped (the residual passes through)";
            break;
        case InterventionKind::SkipMlp:
            d = L + ": MLP skipped (the residual passes through)";
            break;
        case InterventionKind::NoScale:
            d = L + ": scores q·k without the 1/√head_dim";
            break;
        case InterventionKind::NoRope:
            d = L + ": no RoPE on the queries and keys";
            break;
        case InterventionKind::NoMask:
            d = L +
                ": no causal mask in the prompt (each prompt position also sees the later ones); generation then "
                "breaks: the prompt's states after this layer carry the future, which the model never saw in "
                "training, while generated tokens stay causal";
            break;
        case InterventionKind::Steer:
            std::snprintf(buf, sizeof buf, ": residual + %g × steering vector", double(iv.factor));
            d = "after " + L + buf;
            if (!iv.steer_a.empty()) d += " (\"" + iv.steer_a + "\" − \"" + iv.steer_b + "\")";
            break;
    }
    if (iv.from_pos > 0) d += ", from position " + std::to_string(iv.from_pos);
    return d;
}

Intervener::Intervener(const Hparams& hp, std::vector<Intervention> list, Observer* inner)
    : hp_(hp), list_(std::move(list)), inner_(inner), inner_wants_(size_t(hp.n_layer) + 1) {
    edits_.self = this;
}

bool Intervener::active() const {
    for (const Intervention& iv : list_)
        if (iv.enabled) return true;
    return false;
}

StageMask Intervener::wants(int layer) const {
    StageMask m                     = inner_ ? inner_->wants(layer) : StageMask{};
    inner_wants_[size_t(layer + 1)] = m;
    m.bits |= own_wants(layer).bits;
    return m;
}

StageMask Intervener::own_wants(int layer) const {
    StageMask m;
    for (const Intervention& iv : list_)
        if (iv.enabled && iv.layer == layer) m.bits |= stages_of(iv.kind, hp_, layer).bits;
    return m;
}

void Intervener::truncate(int n) {
    for (auto it = saved_.begin(); it != saved_.end();)
        it = std::get<2>(it->first) >= n ? saved_.erase(it) : std::next(it);
    for (auto& [i, h] : head_history_) h.resize(std::min(h.size(), size_t(n) * head_width(hp_, list_[i].layer)));
}

void edit_scores(const std::vector<Intervention>& list, const Hparams& hp, int layer, int pos, float* scores,
                 int n_keys) {
    for (const Intervention& iv : list) {
        if (!iv.enabled || iv.kind != InterventionKind::NoScale || iv.layer != layer || pos < iv.from_pos) continue;
        const float s = std::sqrt(float(hp.head_dim_of(layer)));
        for (int i = 0; i < n_keys; ++i) scores[i] *= s;
    }
}

int keys_read(const std::vector<Intervention>& list, int layer, int pos, int prompt_end) {
    for (const Intervention& iv : list)
        if (iv.enabled && iv.kind == InterventionKind::NoMask && iv.layer == layer && pos >= iv.from_pos &&
            pos < prompt_end)
            return prompt_end;
    return pos + 1;
}

bool has_no_mask(const std::vector<Intervention>& list) {
    for (const Intervention& iv : list)
        if (iv.enabled && iv.kind == InterventionKind::NoMask) return true;
    return false;
}

int Intervener::key_count(int layer, int pos, int causal) const {
    const int k = keys_read(list_, layer, pos, prompt_end_);
    return k == pos + 1 ? causal : k;
}

void Intervener::observe(Stage stage, int layer, int pos, TensorView v) {
    edit(stage, layer, pos, v);
    if (inner_ && inner_wants_[size_t(layer + 1)].has(stage)) inner_->observe(stage, layer, pos, v);
}

void Intervener::edit(Stage stage, int layer, int pos, TensorView v) {
    if (stage == Stage::AttnScores) {  // one row per head, n_keys = v.cols
        for (int h = 0; h < v.rows; ++h)
            edit_scores(list_, hp_, layer, pos, v.data + size_t(h) * size_t(v.cols), v.cols);
    }
    for (size_t k = 0; k < list_.size(); ++k) {
        const Intervention& iv = list_[k];
        if (iv.kind == InterventionKind::MeanHead && iv.enabled && iv.layer == layer &&
            stage == intervention_stage(iv.kind, hp_, layer) &&
            iv.head < v.rows) {  // every position's output goes into the history, the edit from from_pos on
            float* row             = v.data + size_t(iv.head) * size_t(v.cols);
            std::vector<float>& hh = head_history_[k];
            const size_t hd        = size_t(v.cols);
            hh.resize(std::max(hh.size(), (size_t(pos) + 1) * hd));
            std::copy(row, row + hd, hh.begin() + ptrdiff_t(size_t(pos) * hd));
            if (pos >= iv.from_pos)
                for (size_t i = 0; i < hd; ++i) {
                    double sum = 0;
                    for (int p = 0; p <= pos; ++p) sum += double(hh[size_t(p) * hd + i]);
                    row[i] = float(sum / double(pos + 1));
                }
            continue;
        }
        if (!iv.enabled || iv.layer != layer || pos < iv.from_pos || !stages_of(iv.kind, hp_, layer).has(stage))
            continue;
        const size_t n = size_t(v.rows) * size_t(v.cols);
        switch (iv.kind) {
            case InterventionKind::ZeroHead:
            case InterventionKind::ScaleHead:
                if (iv.head < v.rows) {
                    float* row = v.data + size_t(iv.head) * size_t(v.cols);
                    for (int i = 0; i < v.cols; ++i)
                        row[i] = iv.kind == InterventionKind::ZeroHead ? 0.0f : row[i] * iv.factor;
                }
                break;
            case InterventionKind::SkipAttn:
            case InterventionKind::SkipMlp:
                std::fill(v.data, v.data + n, 0.0f);
                break;
            case InterventionKind::NoScale:  // edit_scores, above
            case InterventionKind::NoMask:   // key_count
            case InterventionKind::MeanHead:
                break;
            case InterventionKind::NoRope:
                if (stage == Stage::QProj || stage == Stage::QNorm) {  // keep the unrotated query (the last before Q)
                    saved_[{Stage::QProj, layer, pos}].assign(v.data, v.data + n);
                } else if (stage == Stage::KProj || stage == Stage::KNorm) {
                    saved_[{Stage::KProj, layer, pos}].assign(v.data, v.data + n);
                } else {  // Q or K: put it back
                    const auto it = saved_.find({stage == Stage::Q ? Stage::QProj : Stage::KProj, layer, pos});
                    if (it != saved_.end() && it->second.size() == n) {
                        std::copy(it->second.begin(), it->second.end(), v.data);
                        saved_.erase(it);
                    }
                }
                break;
            case InterventionKind::Steer:
                if (iv.steer.size() == n)
                    for (size_t i = 0; i < n; ++i) v.data[i] += iv.factor * iv.steer[i];
                break;
        }
    }
}

}  // namespace ts::core
