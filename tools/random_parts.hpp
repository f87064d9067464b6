// The pieces of random_model.cpp that each family's writer shares (random_qwen35.cpp): noise of a given variance,
// quantised matrices, norm weights around one, the placeholder byte-level BPE vocabulary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/gguf/gguf_writer.hpp"
#include "core/sample/rng.hpp"
#include "core/tensor/dtype.hpp"
#include "tools/random_model.hpp"

namespace ts::tools {

// n values uniform in (-scale, scale).
std::vector<float> random_vector(int64_t n, float scale, core::sample::Rng& rng);
// A [ne1][ne0] matrix of uniform noise with variance 1 / ne0 (the fan-in), quantised to `type`.
std::vector<uint8_t> random_matrix(core::DType type, int64_t ne0, int64_t ne1, core::sample::Rng& rng);
// n values 1 + uniform(-spread, spread).
std::vector<float> around_one(int64_t n, float spread, core::sample::Rng& rng);
// The placeholder byte-level BPE vocabulary with pre-tokenizer `pre`.
void add_bpe_vocab(core::gguf::GgufWriter& w, int n_vocab, const std::string& pre);

// random_gemma4.cpp: whether layer il is a sliding-window layer (every swa_pattern-th global, default 5), its MLP's
// width (twice n_ff on KV-sharing layers), each expert's width (n_ff_exp, default n_ff / 2; 0 without experts), and
// every tensor of a gemma4 file.
bool gemma4_swa(const RandomModelSpec& s, int il);
int gemma4_ff(const RandomModelSpec& s, int il);
int gemma4_ff_exp(const RandomModelSpec& s);
void add_gemma4_tensors(core::gguf::GgufWriter& w, const RandomModelSpec& s, int head_dim, core::sample::Rng& rng);

// random_qwen35.cpp: qwen35's keys (ssm.*, full_attention_interval, rope sections) and tensors.
void add_qwen35_model(core::gguf::GgufWriter& w, const RandomModelSpec& s, core::sample::Rng& rng);

}  // namespace ts::tools
