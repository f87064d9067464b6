// A loaded model: hyper-parameters, weights (views into the file's memory map) and its tokenizer.
// Architectures: GGUF `llama` (Llama 2/3, TinyLlama, SmolLM, Mistral without sliding window), `qwen2` (biases on
// Q, K, V; NeoX RoPE), `qwen3` (per-head RMSNorm of Q and K, head size from attention.key_length), `gpt2` (LayerNorm,
// learned positions, fused QKV, GELU MLP, biases everywhere), `phi3` (fused attn_qkv and gate+up, NeoX RoPE),
// `gemma2` / `gemma3` (scaled embeddings, GELU-gated MLP, post-norms, soft-caps (gemma2), q/k norms (gemma3), sliding
// window on local layers), `qwen3moe` (the qwen3 block with a mixture of experts in place of the MLP: a router picks
// n_expert_used of n_expert SwiGLU experts per token), `olmoe` (OLMoE: RMSNorm of the whole q and k vectors, a
// mixture of experts whose chosen weights are not renormalised), `qwen35` (gated DeltaNet linear attention with a
// recurrent state on three of every four layers, gated softmax attention on the others) and karpathy/llama2.c
// checkpoints (.bin with tokenizer.bin beside it).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/base/mmap.hpp"
#include "core/base/result.hpp"
#include "core/tensor/tensor.hpp"
#include "core/tokenizer/tokenizer.hpp"

namespace ts::core {

enum class Arch { Llama, Qwen2, Qwen3, Gpt2, Phi3, Gemma2, Gemma3, Qwen3Moe, Olmoe, Gemma4, Qwen35 };
enum class RopeStyle { Normal, NeoX };  // Normal: adjacent pairs (2i, 2i+1); NeoX: pairs (i, i + head_dim/2)
// rope.scaling.type as llama.cpp applies it: none (freq_scale 1 whatever the factor), linear (positions times
// 1/factor; also what a file without the key gets). Llama 3's own scaling is not a type: the converter bakes it into
// the per-pair frequency factors of tensor rope_freqs.weight (Hparams::rope_freq_factors).
enum class RopeScaling { None, Linear };

struct Hparams {
    Arch arch             = Arch::Llama;
    std::string arch_name = "llama";
    std::string name;  // general.name when present
    int n_vocab           = 0;
    int n_ctx_train       = 0;  // context length the model was trained for
    int n_embd            = 0;
    int n_layer           = 0;
    int n_head            = 0;
    int n_head_kv         = 0;
    int head_dim          = 0;      // attention.key_length when present (qwen3), else n_embd / n_head
    int n_ff              = 0;      // the MLP's hidden size; with experts, each expert's (expert_feed_forward_length)
    float norm_eps        = 1e-5f;  // layer_norm_rms_epsilon (RMSNorm) or layer_norm_epsilon (gpt2's LayerNorm)
    float rope_freq_base  = 10000.0f;
    float rope_freq_scale = 1.0f;  // linear scaling: positions are multiplied by this (1 / rope.scaling.factor)
    int n_rot             = 0;     // rotated dims per head (rope.dimension_count), usually head_dim; 0: no RoPE (gpt2)
    RopeStyle rope_style  = RopeStyle::Normal;
    bool tied_output      = false;  // output matrix is token_embd
    // RoPE scaling as llama.cpp reads it (rope_theta / rope_angles apply all of it). rope_scaling: rope.scaling.type
    // (Linear with rope_freq_scale 1 = no scaling). n_ctx_orig: rope.scaling.original_context_length, 0 when absent;
    // shown only, since none and linear do not use it. rope_freq_factors: [n_rot/2] from rope_freqs.weight (Llama
    // 3.1/3.2), the angle of pair i divided by factor i; empty = every factor 1.
    RopeScaling rope_scaling = RopeScaling::Linear;
    int n_ctx_orig           = 0;
    std::vector<float> rope_freq_factors;
    // Attention as gemma2/3 vary it, read as llama.cpp reads it; the defaults are every other family's attention.
    // attn_scale: the queries' scale (0: 1/√head_dim; gemma's 27B sizes: 1/√(n_embd/n_head)). attn_softcap,
    // final_softcap: gemma2's soft-caps, x → cap·tanh(x/cap) on the scores and on the logits (0: none).
    // n_swa > 0: the layers marked in swa_layers ("local") attend only to the n_swa most recent positions (the query's
    // own included), and rotate with rope_freq_base_swa / rope_freq_scale_swa (gemma3: base 10000, no scaling).
    float attn_scale    = 0.0f;
    float attn_softcap  = 0.0f;
    float final_softcap = 0.0f;
    int n_swa           = 0;
    std::vector<uint8_t> swa_layers;  // [n_layer], 1: a sliding-window layer; empty: none
    float rope_freq_base_swa  = 10000.0f;
    float rope_freq_scale_swa = 1.0f;
    // A mixture of experts (qwen3moe), as llama.cpp's build_moe_ffn runs it: router logits = ffn_gate_inp · x,
    // softmax over the n_expert experts, the n_expert_used most probable chosen, their probabilities divided by
    // their sum (expert_weights_norm; olmoe: false, the probabilities are the weights), each chosen expert a SwiGLU
    // MLP of n_ff, outputs summed with those weights. n_expert 0: a dense MLP. n_ff_dense: feed_forward_length as the
    // file gives it when the experts are sized by expert_feed_forward_length (shown only; 0 otherwise).
    int n_expert             = 0;
    int n_expert_used        = 0;
    bool expert_weights_norm = true;
    int n_ff_dense           = 0;
    // gemma4's experts (the 26B-A4B shape) do not replace the MLP: they run beside it, the MLP acting as a shared
    // expert (n_ff wide, per layer where it differs), and each expert is n_ff_exp wide (expert_feed_forward_length).
    // 0 elsewhere: qwen3moe's and olmoe's experts are the MLP, n_ff wide.
    int n_ff_exp = 0;
    bool is_moe() const { return n_expert > 0; }
    bool experts_beside_mlp() const { return n_ff_exp > 0; }
    // The chosen experts' hidden size: n_ff_exp beside an MLP, else n_ff.
    int expert_ff() const { return n_ff_exp > 0 ? n_ff_exp : n_ff; }
    // Rows of the MLP's hidden stages (ffn_gate, ffn_up, ffn_act): one per chosen expert where the experts are the
    // MLP, else 1.
    int ff_rows() const { return n_expert > 0 && n_ff_exp == 0 ? n_expert_used : 1; }
    // gemma4, as llama.cpp reads it: sizes that differ per layer (head_dim, n_head_kv and n_ff above are then the
    // largest, which sizes every buffer; empty: every layer has those), the sliding-window layers' own head size and
    // RoPE size (n_rot_swa; 0: n_rot), per-layer token embeddings (n_embd_per_layer > 0: a second embedding table of
    // [n_layer][n_embd_per_layer] per token, fed into each layer after its MLP), and KV sharing: the layers from
    // n_layer_kv on compute no K and V of their own and read the cache of the last earlier layer of their kind
    // (kv_source). n_layer_kv 0: every layer has its own.
    std::vector<int> layer_head_dim, layer_n_head_kv, layer_n_ff;
    int n_rot_swa        = 0;
    int n_embd_per_layer = 0;
    int n_layer_kv       = 0;
    bool is_swa(int il) const { return n_swa > 0 && size_t(il) < swa_layers.size() && swa_layers[size_t(il)] != 0; }
    int head_dim_of(int il) const { return layer_head_dim.empty() ? head_dim : layer_head_dim[size_t(il)]; }
    int n_head_kv_of(int il) const { return layer_n_head_kv.empty() ? n_head_kv : layer_n_head_kv[size_t(il)]; }
    int n_ff_of(int il) const { return layer_n_ff.empty() ? n_ff : layer_n_ff[size_t(il)]; }
    int n_rot_of(int il) const { return is_swa(il) && n_rot_swa > 0 ? n_rot_swa : n_rot; }
    int kv_dim_of(int il) const { return n_head_kv_of(il) * head_dim_of(il); }
    int q_dim_of(int il) const { return n_head * head_dim_of(il); }
    bool has_own_kv(int il) const { return n_layer_kv <= 0 || il < n_layer_kv; }
    // The layer whose KV cache layer il reads: il itself, or for a KV-sharing layer (as llama.cpp's gemma4 reuse
    // rule) the last own-KV layer n_layer_kv - 1 (global) or n_layer_kv - 2 (sliding-window).
    int kv_source(int il) const { return has_own_kv(il) ? il : n_layer_kv - (is_swa(il) ? 2 : 1); }
    // Whether layer il stores K and V in the cache: not a recurrent layer (qwen35), not a KV-sharing one (gemma4).
    bool stores_kv(int il) const { return !is_recurrent(il) && has_own_kv(il); }
    std::vector<int> kv_layers() const {  // the layers that do, in order
        std::vector<int> out;
        for (int il = 0; il < n_layer; ++il)
            if (stores_kv(il)) out.push_back(il);
        return out;
    }
    // Layer il's attention window: keys this many or more positions behind the query are not seen; 0: no window.
    int window(int il) const { return is_swa(il) ? n_swa : 0; }
    // qwen35's gated DeltaNet layers, read as llama.cpp reads them (ssm.* keys): a short causal convolution of
    // ssm_d_conv taps over the mixed q | k | v channels (ssm_conv_dim()), then per value head (ssm_dt_rank heads of
    // ssm_d_state) a [d_state x d_state] state decayed, corrected and read once per token; q and k have ssm_n_group
    // heads, value head h reads q/k head h % ssm_n_group. recurrent_layers[il] 1: a DeltaNet layer (llama.cpp's
    // attention.recurrent_layers, else every layer but each full_attention_interval-th). rope_sections: the
    // interleaved M-RoPE sections (text: pairs outside the first three sections are not rotated). attn_q_gate: the
    // attention layers' Q projection also yields a sigmoid gate of their output (q | gate per head).
    int ssm_d_conv  = 0;
    int ssm_d_inner = 0;
    int ssm_d_state = 0;
    int ssm_dt_rank = 0;
    int ssm_n_group = 0;
    std::vector<uint8_t> recurrent_layers;
    std::array<int, 4> rope_sections{};
    bool is_recurrent(int il) const { return size_t(il) < recurrent_layers.size() && recurrent_layers[size_t(il)]; }
    bool has_recurrent() const { return ssm_d_state > 0; }
    // The heads of layer il's token mixer: its attention heads, or a recurrent layer's value heads (ssm_dt_rank).
    int mixer_heads(int il) const { return is_recurrent(il) ? ssm_dt_rank : n_head; }
    int ssm_conv_dim() const { return ssm_d_inner + 2 * ssm_n_group * ssm_d_state; }
    int ssm_head_v() const { return ssm_dt_rank > 0 ? ssm_d_inner / ssm_dt_rank : 0; }
    // Floats of one recurrent layer's state: the convolution's last d_conv - 1 inputs, then every head's state.
    size_t conv_state_floats() const { return size_t(ssm_d_conv - 1) * size_t(ssm_conv_dim()); }
    size_t ssm_state_floats() const { return size_t(ssm_dt_rank) * size_t(ssm_d_state) * size_t(ssm_head_v()); }
    size_t recurrent_floats() const { return conv_state_floats() + ssm_state_floats(); }
    int n_recurrent() const {
        int n = 0;
        for (uint8_t r : recurrent_layers) n += r;
        return n;
    }
    // The values of one K (and one V) row the KV cache stores for layer il: n_head_kv × head_dim of that layer, or 0
    // for a layer that stores none (a KV-sharing layer reads kv_source's rows; a recurrent layer keeps a state).
    int kv_cache_dim(int il) const { return stores_kv(il) ? kv_dim_of(il) : 0; }
    std::vector<int> kv_cache_dims() const {  // [n_layer]: what KvCache::create takes
        std::vector<int> d(size_t(n_layer > 0 ? n_layer : 0));
        for (int il = 0; il < n_layer; ++il) d[size_t(il)] = kv_cache_dim(il);
        return d;
    }
    // The context memory at n_pos positions: K and V of layer il (elem_bytes per value: 4 for f32, 2 for f16), of
    // every layer (kv_bytes), and the recurrent layers' state (f32), the same at any position (rewind checkpoints
    // not counted).
    size_t kv_layer_bytes(int il, int n_pos, size_t elem_bytes) const {
        return 2 * size_t(kv_cache_dim(il)) * elem_bytes * size_t(n_pos);
    }
    size_t kv_bytes(int n_pos, size_t elem_bytes) const {
        size_t b = 0;
        for (int il = 0; il < n_layer; ++il) b += kv_layer_bytes(il, n_pos, elem_bytes);
        return b;
    }
    size_t state_bytes() const { return size_t(n_recurrent()) * recurrent_floats() * sizeof(float); }
    // The rewind checkpoints' spacing (RecurrentState::checkpoint_every against f32 K and V).
    int state_checkpoint_every() const;
    // Where sizes differ per layer (gemma4) these are of the largest head_dim and n_head_kv: they size buffers; a
    // layer's own are kv_dim_of / q_dim_of, and what its cache stores kv_cache_dim.
    int kv_dim() const { return n_head_kv * head_dim; }
    int q_dim() const { return n_head * head_dim; }  // == n_embd except where key_length decouples them (qwen3)
};

// Tensors an architecture does not have stay empty (data == nullptr).
struct LayerWeights {
    Tensor attn_norm;             // [n_embd] f32
    Tensor attn_norm_b;           // [n_embd] f32, gpt2's LayerNorm bias
    Tensor wq, wk, wv, wo;        // wq: {n_embd, q_dim}, wk/wv: {n_embd, kv_dim}, wo: {q_dim, n_embd}
    Tensor bq, bk, bv;            // qwen2 only, f32
    Tensor wqkv, bqkv;            // gpt2: {n_embd, q_dim + 2 kv_dim} rows q | k | v, and its bias (f32)
    Tensor bo;                    // [n_embd] f32, gpt2
    Tensor q_norm, k_norm;        // [head_dim] f32, qwen3: RMSNorm weights shared by every head; olmoe: [q_dim]
                                  // and [kv_dim] (= n_embd), one RMSNorm over the whole vector
    Tensor ffn_norm;              // [n_embd] f32
    Tensor ffn_norm_b;            // [n_embd] f32, gpt2
    Tensor w_gate, w_up, w_down;  // gate/up: {n_embd, n_ff}, down: {n_ff, n_embd}; gpt2 has no gate
    Tensor b_up, b_down;          // [n_ff], [n_embd] f32, gpt2
    // gemma4: the per-layer embedding's gate {n_embd, n_embd_per_layer}, projection {n_embd_per_layer, n_embd} and
    // its RMSNorm [n_embd]; the layer's output scale [1] (f32, optional).
    Tensor ple_gate, ple_proj, ple_post_norm, out_scale;
    // gemma2/3: RMSNorm of the attention block's and the MLP's output before each residual add ([n_embd] f32).
    // phi3's fused gate and up are w_up {n_embd, 2 n_ff} (gate rows first) with w_gate empty; its fused Q, K, V are
    // wqkv (without bias).
    Tensor attn_post_norm, ffn_post_norm;
    // A mixture of experts: the router {n_embd, n_expert} and the experts stacked along a third dimension, gate/up
    // {n_embd, n_ff, n_expert}, down {n_ff, n_embd, n_expert} (expert e's matrix: expert_matrix(t, e)).
    Tensor ffn_gate_inp, ffn_gate_exps, ffn_up_exps, ffn_down_exps;
    // gemma4's experts beside the MLP: the router's input scale [n_embd] f32 (ffn_gate_inp.scale), gate and up as
    // one stacked tensor {n_embd, 2 n_ff_exp, n_expert} (each expert's gate rows, then its up rows) where the file
    // fuses them (else ffn_gate_exps and ffn_up_exps), each expert's output scale [n_expert] f32 (ffn_down_exps.scale,
    // optional), and three more RMSNorms [n_embd] f32: the experts' input norm (pre_ffw_norm_2) and the post-norms of
    // the MLP's (post_ffw_norm_1) and the experts' (post_ffw_norm_2) outputs.
    Tensor ffn_gate_inp_s, ffn_gate_up_exps, ffn_down_exps_s, ffn_pre_norm_2, ffn_post_norm_1, ffn_post_norm_2;
    // qwen35's DeltaNet layers: wqkv {n_embd, conv_dim} (q | k | v before the convolution), attn_gate {n_embd,
    // d_inner} (z, the output gate), ssm_conv1d {d_conv, conv_dim} f32, ssm_dt [dt_rank] f32 (the decay's bias),
    // ssm_a [dt_rank] f32 (-exp(A_log)), ssm_beta / ssm_alpha {n_embd, dt_rank}, ssm_norm [d_state] f32, ssm_out
    // {d_inner, n_embd}. Its attention layers: wq {n_embd, 2 q_dim} (q | gate per head). Its pre-MLP norm
    // (post_attention_norm.weight) is ffn_norm.
    Tensor attn_gate, ssm_conv1d, ssm_dt, ssm_a, ssm_beta, ssm_alpha, ssm_norm, ssm_out;
};

// Expert e's matrix of a stacked [n_in, n_out, n_expert] tensor: a 2-D view of its n_out rows.
// row0, n_rows: only those of its rows (gemma4's fused gate | up: the gate rows, or the up rows); n_rows 0: all.
inline Tensor expert_matrix(const Tensor& stacked, int e, int64_t row0 = 0, int64_t n_rows = 0) {
    if (n_rows <= 0) n_rows = stacked.ne[1] - row0;
    Tensor t = stacked;
    t.n_dims = 2;
    t.ne[1]  = n_rows;
    t.ne[2]  = 1;
    t.data   = stacked.row(int64_t(e) * stacked.ne[1] + row0);
    t.nbytes = size_t(n_rows) * stacked.row_size();
    return t;
}

// Every tensor of a layer, for code that visits them all (counting, the NaN scan); empty ones have data == nullptr.
inline std::array<const Tensor*, 45> layer_tensors(const LayerWeights& L) {
    return {&L.attn_norm,
            &L.attn_norm_b,
            &L.wq,
            &L.wk,
            &L.wv,
            &L.wo,
            &L.bq,
            &L.bk,
            &L.bv,
            &L.wqkv,
            &L.bqkv,
            &L.bo,
            &L.q_norm,
            &L.k_norm,
            &L.ffn_norm,
            &L.ffn_norm_b,
            &L.w_gate,
            &L.w_up,
            &L.w_down,
            &L.b_up,
            &L.b_down,
            &L.attn_post_norm,
            &L.ffn_post_norm,
            &L.ffn_gate_inp,
            &L.ffn_gate_exps,
            &L.ffn_up_exps,
            &L.ffn_down_exps,
            &L.ffn_gate_inp_s,
            &L.ffn_gate_up_exps,
            &L.ffn_down_exps_s,
            &L.ffn_pre_norm_2,
            &L.ffn_post_norm_1,
            &L.ffn_post_norm_2,
            &L.ple_gate,
            &L.ple_proj,
            &L.ple_post_norm,
            &L.out_scale,
            &L.attn_gate,
            &L.ssm_conv1d,
            &L.ssm_dt,
            &L.ssm_a,
            &L.ssm_beta,
            &L.ssm_alpha,
            &L.ssm_norm,
            &L.ssm_out};
}

struct Weights {
    Tensor token_embd;  // {n_embd, n_vocab}
    Tensor pos_embd;    // {n_embd, n_ctx_train}, gpt2's learned positions
    std::vector<LayerWeights> layers;
    Tensor output_norm;    // [n_embd]
    Tensor output_norm_b;  // [n_embd] f32, gpt2
    Tensor output;         // {n_embd, n_vocab}; == token_embd when tied
    Tensor rope_freqs;     // [n_rot/2] f32 (llama3 RoPE frequency factors); data == nullptr when the file has none
    // gemma4's per-layer embeddings: the table {n_embd_per_layer * n_layer, n_vocab}, the projection of the scaled
    // embedding {n_embd, n_embd_per_layer * n_layer} and the RMSNorm of each layer's slice [n_embd_per_layer].
    Tensor per_layer_token_embd, per_layer_model_proj, per_layer_proj_norm;
};

struct Model {
    std::string path;
    std::string format;  // "gguf v3", "llama2.c"
    Hparams hp;
    Weights w;
    std::shared_ptr<const Tokenizer> tokenizer;  // may be null (a GGUF without tokenizer metadata)
    std::string tokenizer_error;                 // why `tokenizer` is null ("" when it is not)
    std::shared_ptr<const MappedFile> map;       // keeps weights alive
    std::vector<std::vector<uint8_t>> owned;     // converted buffers (e.g. llama2.c f32 arrays) when not mapped
    size_t weight_bytes = 0;                     // bytes of all weight tensors
    int64_t n_params    = 0;
    std::vector<std::string> notes;  // non-fatal remarks for the user ("no tokenizer.bin beside ...")
};

// How load_model reads the file (the CLI's --no-mmap and --check-tensors, llama.cpp's names).
struct LoadOptions {
    bool no_mmap       = false;  // read the whole file into memory (FileAccess::Read): immune to later changes
    bool check_tensors = false;  // scan every weight for NaN/Inf (dequantising each block) at load
};

// Loads a GGUF file or a llama2.c checkpoint (detected from the magic). For llama2.c, `tokenizer_path` names its
// tokenizer.bin (default: tokenizer.bin in the checkpoint's folder).
[[nodiscard]] Result<std::shared_ptr<const Model>> load_model(const std::string& path,
                                                              const std::string& tokenizer_path = "",
                                                              const LoadOptions& opt            = {});

// How positions are scaled before RoPE, in one line for `info` and the Model panel: "none", "linear, factor 2
// (positions x 0.5)", then, when the file has them, "; frequency factors (rope_freqs.weight): 32 pairs divided by 1
// to 32" and "; original context 8192".
std::string describe_rope_scaling(const Hparams& hp);

// What layer il's KV cache holds, in one line for `info` and the KV panel: "global, 2 kv heads x 512 = 1024 values per
// K and per V row", "local, reads layer 13's cache (no storage of its own)" (gemma4's KV-sharing layers), "linear
// attention: a recurrent state of its own, no KV cache" (qwen35). "global, " / "local, " only where a model has
// sliding-window layers.
std::string describe_kv_layer(const Hparams& hp, int il);
// Whether the layers' caches differ in size (gemma4: heads of their own size per kind of layer, KV-sharing layers;
// qwen35: recurrent layers): then each layer's is shown, not one figure for all.
bool kv_layers_differ(const Hparams& hp);

// Every weight tensor dequantised row by row and checked for NaN/Inf; the error names the tensor, its type and
// shape, and the first bad row and column. Cost: one pass over all weights (seconds for a 7B model).
[[nodiscard]] Status check_tensors_finite(const Model& m);

}  // namespace ts::core
