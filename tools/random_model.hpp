// Random-weight models of every supported GGUF architecture written with the project's own GGUF writer and
// quantisers: models of a real model's shape for benchmarks (`ts_mkmodel random`) and tiny ones for the CLI tests.
// The weights are uniform noise with the variance of a fresh initialisation (1 / fan-in), reproducible from a seed.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/base/result.hpp"
#include "core/gguf/gguf.hpp"
#include "core/tensor/dtype.hpp"

namespace ts::tools {

struct RandomModelSpec {
    // "llama"; "qwen2": NeoX RoPE and biases on Q, K and V; "qwen3": NeoX RoPE, per-head q/k RMSNorm, head_dim
    // written as attention.key_length; "gpt2": LayerNorm, learned positions, fused QKV, GELU, biases (n_head_kv must
    // equal n_head); "phi3": fused attn_qkv and gate+up ffn_up, NeoX RoPE; "gemma2", "gemma3": post-norms, GELU-gated
    // MLP, head_dim as attention.key_length, sliding window (n_swa, swa_pattern), soft-caps (gemma2), q/k norms
    // (gemma3), tied output; "qwen3moe": qwen3's attention and a mixture of n_expert SwiGLU experts of n_ff, of
    // which n_expert_used run per token (router ffn_gate_inp in F32, as llama.cpp's converter keeps it); "olmoe":
    // the same experts (sized by feed_forward_length), llama's heads (n_head_kv = n_head), RMSNorm of the whole q and
    // k vectors, its own output matrix, byte-level BPE with pre-tokenizer olmo; "qwen35":
    // gated DeltaNet layers (the ssm_* sizes) beside every full_attn_interval-th attention layer (gated queries,
    // q/k norms, partial interleaved M-RoPE), byte-level BPE vocabulary with pre-tokenizer qwen35; "gemma4":
    // gemma3's block with V norms, per-layer embeddings and KV sharing, optionally experts beside the MLP (the fields
    // at the end).
    std::string arch  = "llama";
    int n_layer       = 2;
    int n_embd        = 64;
    int n_head        = 4;
    int n_head_kv     = 2;
    int head_dim      = 0;    // 0: n_embd / n_head; qwen3, gemma may set another (Qwen3-0.6B: 128 with n_embd 1024)
    int n_swa         = 0;    // gemma: attention.sliding_window (0: the family's own, gemma2 4096, gemma3 512)
    int swa_pattern   = 0;    // gemma: attention.sliding_window_pattern, every n-th layer global (0: not written)
    int n_ff          = 128;  // qwen3moe, olmoe: each expert's
    int n_expert      = 0;    // qwen3moe, olmoe: expert_count (> 0) and expert_used_count (1 .. n_expert)
    int n_expert_used = 0;
    // qwen35: the DeltaNet sizes (ssm.state_size, ssm.time_step_rank = value heads, ssm.group_count = q/k heads,
    // ssm.conv_kernel), every full_attn_interval-th layer attention, rope dims rotated per head (0: head_dim / 4,
    // Qwen3.5's partial rotary).
    int ssm_d_state        = 0;
    int ssm_dt_rank        = 0;
    int ssm_n_group        = 0;
    int ssm_d_conv         = 4;
    int full_attn_interval = 4;
    int n_rot              = 0;
    int n_vocab            = 300;
    int n_ctx              = 2048;
    float rope_base        = 10000.0f;
    bool llama3_rope = false;  // write rope_freqs.weight with Llama 3.2's factors (llama3_rope_factors), llama only
    core::DType type = core::DType::Q8_0;  // of every matrix (norms stay F32)
    bool k_mix       = false;  // Q4_K_M-like: attn_v, ffn_down and output in Q6_K, the other matrices in Q4_K
    uint64_t seed    = 1;
    // A placeholder vocabulary: llama, qwen2: SentencePiece-style (<unk> <s> </s>, 256 byte tokens, "▁a" "▁b" ...);
    // gpt2, qwen3, olmoe: byte-level BPE with merges (256 byte tokens, then "aa" "ab" ... each merged from its prefix
    // and last letter, the last id <|endoftext|>), pre-tokenizer gpt-2 / qwen2 / olmo.
    bool vocab = true;
    bool tied  = false;  // no output.weight: the output matrix is token_embd
    std::string name;    // general.name; default describes the shape
    // Written as given after everything else (tests: keys and tensors the loader must refuse). Keys must be new.
    std::vector<std::pair<std::string, core::gguf::Value>> extra_keys;
    std::vector<std::pair<std::string, std::vector<float>>> extra_f32_tensors;  // 1-D

    // gemma4: the sliding-window layers' head size (attention.key_length_swa; 0: head_dim), the per-layer
    // embeddings' width (embedding_length_per_layer_input; 0: none) and the last layers that share KV caches
    // (attention.shared_kv_layers; their MLPs are twice as wide, as Gemma 4 E2B's use_double_wide_mlp, written as a
    // per-layer feed_forward_length). gemma4's pattern is written as its per-layer array (default every 5th global),
    // its global layers' "proportional" RoPE as rope_freqs.weight (a quarter of each head rotated), its logits
    // soft-capped at 30, and each layer's output scale as layer_output_scale.weight.
    int head_dim_swa     = 0;
    int n_embd_per_layer = 0;
    int n_kv_shared      = 0;
    // gemma4 with n_expert > 0 (the 26B-A4B shape): experts beside each layer's MLP, n_expert_used of them per
    // token, each n_ff_exp wide (expert_feed_forward_length; 0: n_ff / 2), gate and up fused in one tensor as
    // llama.cpp's converter writes them (split_gate_up: ffn_gate_exps and ffn_up_exps).
    int n_ff_exp       = 0;
    bool split_gate_up = false;
};

// The frequency factors Meta's "llama3" RoPE scaling gives each of the head_dim/2 pairs, as llama.cpp's converter
// writes them to rope_freqs.weight: pairs whose wavelength 2π/freq is under orig_ctx/high_freq are kept (1), over
// orig_ctx/low_freq slowed by `factor`, and in between a smooth blend. Llama 3.2: factor 32, low 1, high 4,
// original context 8192 (Llama 3.1: factor 8).
[[nodiscard]] std::vector<float> llama3_rope_factors(int head_dim, float base, float factor = 32.0f,
                                                     float low_freq = 1.0f, float high_freq = 4.0f,
                                                     int orig_ctx = 8192);

// The tests' tiny qwen35 file: 4 layers (3 DeltaNet, then attention), n_embd 64, heads 4 / 2 kv of 32, DeltaNet
// heads 4 of 16 with 2 q/k heads, vocabulary 300, context 256, seed 7.
RandomModelSpec tiny_qwen35_spec(core::DType type);

// Checks the shape (positive sizes, heads divide n_embd unless qwen3 sets head_dim, even head_dim, n_head a multiple
// of n_head_kv, rows whole blocks of the type, a type the quantiser supports, a placeholder vocabulary needs n_vocab
// >= 259).
[[nodiscard]] core::Status validate_spec(const RandomModelSpec& s);

// Builds the model and writes it to `path`. Peak memory is about twice the file size (the writer's buffers).
[[nodiscard]] core::Status write_random_model(const RandomModelSpec& s, const std::string& path);

// Parses "q8_0", "Q4_K", "f16" ... (ggml names, any case).
[[nodiscard]] core::Result<core::DType> parse_dtype(const std::string& name);

}  // namespace ts::tools
