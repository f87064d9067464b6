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
    {InterventionKind::Steer, "steer"},
};

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

// Where each kind acts.
StageMask stages_of(InterventionKind k) {
    switch (k) {
        case InterventionKind::ZeroHead:
        case InterventionKind::ScaleHead:
            return StageMask{}.set(Stage::AttnOut);
        case InterventionKind::SkipAttn:
            return StageMask{}.set(Stage::AttnProj);
        case InterventionKind::SkipMlp:
            return StageMask{}.set(Stage::FfnOut);
        case InterventionKind::NoScale:
            return StageMask{}.set(Stage::AttnScores);
        case InterventionKind::NoRope:
            return StageMask{}.set(Stage::QProj).set(Stage::KProj).set(Stage::Q).set(Stage::K);
        case InterventionKind::Steer:
            return StageMask{}.set(Stage::ResidFfn);
    }
    return {};
}

}  // namespace

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
    if (colon == std::string_view::npos)
        return bad(
            "expected KIND:LAYER (zero-head:L.H, scale-head:L.H:S, skip-attn:L, skip-mlp:L, no-scale:L, "
            "no-rope:L, steer:L:ALPHA)");
    const std::string_view kind = rest.substr(0, colon);
    bool known                  = false;
    for (const KindName& n : kKinds)
        if (n.name == kind) {
            iv.kind = n.kind;
            known   = true;
        }
    if (!known) return bad("unknown kind (zero-head, scale-head, skip-attn, skip-mlp, no-scale, no-rope, steer)");
    std::string_view args = rest.substr(colon + 1);
    std::string_view extra;
    if (const size_t c2 = args.find(':'); c2 != std::string_view::npos) {
        extra = args.substr(c2 + 1);
        args  = args.substr(0, c2);
    }
    const bool per_head         = iv.kind == InterventionKind::ZeroHead || iv.kind == InterventionKind::ScaleHead;
    const bool has_factor       = iv.kind == InterventionKind::ScaleHead || iv.kind == InterventionKind::Steer;
    std::string_view layer_text = args;
    if (per_head) {
        const size_t dot = args.find('.');
        if (dot == std::string_view::npos) return bad("expected LAYER.HEAD");
        layer_text = args.substr(0, dot);
        if (!parse_int(args.substr(dot + 1), iv.head)) return bad("the head must be a whole number");
    }
    if (!parse_int(layer_text, iv.layer)) return bad("the layer must be a whole number");
    if (iv.layer < 0 || iv.layer >= hp.n_layer) {
        const std::string why = "the model has layers 0 .. " + std::to_string(hp.n_layer - 1);
        return bad(why.c_str());
    }
    if (per_head && (iv.head < 0 || iv.head >= hp.n_head)) {
        const std::string why = "the model has heads 0 .. " + std::to_string(hp.n_head - 1);
        return bad(why.c_str());
    }
    if (has_factor) {
        if (!parse_float(extra, iv.factor)) return bad("expected a finite number after the last ':'");
    } else if (!extra.empty()) {
        return bad("unexpected text after the layer");
    }
    return iv;
}

std::string intervention_spec(const Intervention& iv) {
    std::string s(kind_name(iv.kind));
    s += ':' + std::to_string(iv.layer);
    if (iv.kind == InterventionKind::ZeroHead || iv.kind == InterventionKind::ScaleHead)
        s += '.' + std::to_string(iv.head);
    if (iv.kind == InterventionKind::ScaleHead || iv.kind == InterventionKind::Steer) {
        char buf[32];
        std::snprintf(buf, sizeof buf, ":%g", double(iv.factor));
        s += buf;
    }
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
        case InterventionKind::Steer:
            std::snprintf(buf, sizeof buf, ": residual + %g × steering vector", double(iv.factor));
            d = "after " + L + buf;
            break;
    }
    if (iv.from_pos > 0) d += ", from position " + std::to_string(iv.from_pos);
    return d;
}

Intervener::Intervener(const Hparams& hp, std::vector<Intervention> list, Observer* inner)
    : hp_(hp), list_(std::move(list)), inner_(inner), inner_wants_(size_t(hp.n_layer) + 1) {}

bool Intervener::active() const {
    for (const Intervention& iv : list_)
        if (iv.enabled) return true;
    return false;
}

StageMask Intervener::wants(int layer) const {
    StageMask m                     = inner_ ? inner_->wants(layer) : StageMask{};
    inner_wants_[size_t(layer + 1)] = m;
    for (const Intervention& iv : list_)
        if (iv.enabled && iv.layer == layer) m.bits |= stages_of(iv.kind).bits;
    return m;
}

void Intervener::observe(Stage stage, int layer, int pos, TensorView v) {
    for (const Intervention& iv : list_) {
        if (!iv.enabled || iv.layer != layer || pos < iv.from_pos || !stages_of(iv.kind).has(stage)) continue;
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
            case InterventionKind::NoScale: {
                const float s = std::sqrt(float(hp_.head_dim));
                for (size_t i = 0; i < n; ++i) v.data[i] *= s;
                break;
            }
            case InterventionKind::NoRope:
                if (stage == Stage::QProj || stage == Stage::KProj) {  // keep the unrotated projection
                    saved_[{stage, layer, pos}].assign(v.data, v.data + n);
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
    if (inner_ && inner_wants_[size_t(layer + 1)].has(stage)) inner_->observe(stage, layer, pos, v);
}

}  // namespace ts::core
