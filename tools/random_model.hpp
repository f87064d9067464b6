// Random-weight llama (or qwen2) models written with the project's own GGUF writer and quantisers: models of a real
// model's shape for benchmarks (`ts_mkmodel random`) and tiny ones for the CLI tests. The weights are uniform noise
// with the variance of a fresh initialisation (1 / fan-in), reproducible from a seed.
#pragma once

#include <cstdint>
#include <string>

#include "core/base/result.hpp"
#include "core/tensor/dtype.hpp"

namespace ts::tools {

struct RandomModelSpec {
    std::string arch = "llama";  // or "qwen2": NeoX RoPE and biases on Q, K and V
    int n_layer      = 2;
    int n_embd       = 64;
    int n_head       = 4;
    int n_head_kv    = 2;
    int n_ff         = 128;
    int n_vocab      = 300;
    int n_ctx        = 2048;
    float rope_base  = 10000.0f;
    core::DType type = core::DType::Q8_0;  // of every matrix (norms stay F32)
    bool k_mix       = false;  // Q4_K_M-like: attn_v, ffn_down and output in Q6_K, the other matrices in Q4_K
    uint64_t seed    = 1;
    bool vocab       = true;   // a placeholder llama vocabulary (<unk> <s> </s>, 256 byte tokens, "▁a" "▁b" ...)
    bool tied        = false;  // no output.weight: the output matrix is token_embd
    std::string name;          // general.name; default describes the shape
};

// Checks the shape (positive sizes, heads divide n_embd, even head_dim, n_head a multiple of n_head_kv, rows whole
// blocks of the type, a type the quantiser supports, a placeholder vocabulary needs n_vocab >= 259).
[[nodiscard]] core::Status validate_spec(const RandomModelSpec& s);

// Builds the model and writes it to `path`. Peak memory is about twice the file size (the writer's buffers).
[[nodiscard]] core::Status write_random_model(const RandomModelSpec& s, const std::string& path);

// Parses "q8_0", "Q4_K", "f16" ... (ggml names, any case).
[[nodiscard]] core::Result<core::DType> parse_dtype(const std::string& name);

}  // namespace ts::tools
