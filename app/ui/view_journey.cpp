// The Journey's itinerary, from the architecture's description (see view_journey.hpp).
#include "app/ui/view_journey.hpp"

#include <cmath>
#include <cstdio>

namespace ts::app {

std::vector<JourneyStage> journey_stages(const core::ArchDesc& arch, int n_layer, const core::Hparams* hp) {
    std::vector<JourneyStage> s = {{JourneyKind::Token, nullptr, -1}};
    for (const core::StageDesc& d : arch.before) s.push_back({JourneyKind::Model, &d, -1});
    for (int l = 0; l < n_layer; ++l)
        for (const core::StageDesc& d : arch.block)
            if (!hp || core::layer_has_stage(*hp, l, d.id)) s.push_back({JourneyKind::Model, &d, l});
    for (const core::StageDesc& d : arch.after) s.push_back({JourneyKind::Model, &d, -1});
    for (JourneyKind k : {JourneyKind::Probs, JourneyKind::Sampler, JourneyKind::Appended})
        s.push_back({k, nullptr, -1});
    return s;
}

int journey_layer_start(const core::ArchDesc& arch, int layer) {
    return 1 + int(arch.before.size()) + layer * int(arch.block.size());
}

int journey_layer_start(const std::vector<JourneyStage>& stages, int layer) {
    for (size_t i = 0; i < stages.size(); ++i)
        if (stages[i].layer == layer) return int(i);
    return 0;
}

std::string_view journey_title(const JourneyStage& s) {
    switch (s.kind) {
        case JourneyKind::Token:
            return "Token id";
        case JourneyKind::Model:
            return s.desc->title;
        case JourneyKind::Probs:
            return "Softmax over the vocabulary";
        case JourneyKind::Sampler:
            return "Sampler";
        case JourneyKind::Appended:
            return "Appended token";
    }
    return "?";
}

std::string_view journey_explain(const JourneyStage& s) {
    switch (s.kind) {
        case JourneyKind::Token:
            return "The tokenizer turned text into this id: a row number in the vocabulary.";
        case JourneyKind::Model:
            return s.desc->explain;
        case JourneyKind::Probs:
            return "Softmax at temperature 1 turns the logits into the model's probability for each next token.";
        case JourneyKind::Sampler:
            return "The sampler reshapes and truncates the distribution (temperature, top-k, top-p, min-p) and "
                   "draws one token.";
        case JourneyKind::Appended:
            return "The drawn token is appended to the sequence and becomes the input of the next forward pass.";
    }
    return "";
}

std::string journey_shape(const JourneyStage& s, const core::Hparams& hp, int n_keys) {
    char buf[160];
    switch (s.kind) {
        case JourneyKind::Token:
            std::snprintf(buf, sizeof buf, "one id in [0, %d)", hp.n_vocab);
            return buf;
        case JourneyKind::Probs:
            std::snprintf(buf, sizeof buf, "[%d], sums to 1", hp.n_vocab);
            return buf;
        case JourneyKind::Sampler:
            std::snprintf(buf, sizeof buf, "[%d] → one id", hp.n_vocab);
            return buf;
        case JourneyKind::Appended:
            std::snprintf(buf, sizeof buf, "sequence length %d → %d", n_keys, n_keys + 1);
            return buf;
        case JourneyKind::Model:
            break;
    }
    std::string out          = core::describe_dims(s.desc->dims, hp, n_keys, s.layer);
    const std::string prefix = s.layer >= 0 ? "blk." + std::to_string(s.layer) + "." : "";
    bool first               = true;
    for (std::string_view w : s.desc->weights) {
        if (w.empty()) continue;
        if (w == "output.weight" && hp.tied_output) w = "token_embd.weight";
        out += first ? " · reads " : ", ";
        out += prefix;
        out += w;
        first = false;
    }
    return out;
}

float l2_norm(std::span<const float> v) {
    double s = 0;
    for (float x : v) s += double(x) * double(x);
    return float(std::sqrt(s));
}

}  // namespace ts::app
