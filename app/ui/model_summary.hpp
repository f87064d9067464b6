// ModelSummary: what the Model panel shows, prepared once when a model is loaded (on the loader thread), so the
// panel only draws strings from it. Pure data: no ImGui, no GL; tests build it from a tiny model.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/model/model.hpp"

namespace ts::app {

struct InfoRow {
    std::string label;  // "n_embd"
    std::string value;  // "2,048"
    std::string help;   // one sentence: what this is to the model
};

struct TypeRow {
    std::string type;  // "q8_0"
    int count         = 0;
    uint64_t bytes    = 0;
    uint64_t elements = 0;
    double share      = 0;  // of all weight bytes
    std::string help;       // "blocks of 32 weights in 34 bytes: 8.50 bits per weight"
};

struct TensorRow {
    std::string name;   // "blk.0.attn_q.weight"
    std::string type;   // "q8_0"
    std::string shape;  // "2048 × 2048"
    uint64_t bytes = 0;
};

struct ModelSummary {
    std::string title;     // general.name, else the file name
    std::string subtitle;  // "llama · gguf v3 · 12.3 MiB"
    std::vector<InfoRow> overview;
    std::vector<InfoRow> hparams;
    std::vector<InfoRow> tokenizer;
    std::vector<TypeRow> types;      // by bytes, largest first
    std::vector<TensorRow> tensors;  // file order of the engine's weights: embeddings, layers, output
    uint64_t tensor_bytes = 0;
    // Every code point (<= U+FFFF, ImGui's 16-bit range) used by the vocabulary's display forms, sorted, unique:
    // the font atlas adds them so tokens do not render as '?'.
    std::vector<uint32_t> vocab_codepoints;
};

[[nodiscard]] ModelSummary summarize_model(const core::Model& m);

// Decodes UTF-8 into code points (invalid bytes become U+FFFD); used for glyph ranges.
void append_codepoints(std::string_view utf8, std::vector<uint32_t>& out);

}  // namespace ts::app
