// ts_mkmodel: writes random-weight GGUF models of every supported architecture in a chosen shape with the project's own
// writer and quantisers, for benchmarks on real model shapes without downloading weights.
//
//   ts_mkmodel random /tmp/tinyllama-q8_0.gguf --layers 22 --dim 2048 --heads 32 --kv-heads 4 --ffn 5632
//              --vocab 32000 --type q8_0
//   ts_mkmodel random /tmp/llama3.2-1b-q8_0.gguf --arch llama3 --layers 16 --dim 2048 --heads 32 --kv-heads 8
//              --ffn 8192 --vocab 128256 --tied --type q8_0      (Llama 3.2 1B's shape, with its rope_freqs)
//   ts_mkmodel random /tmp/gpt2-f32.gguf --arch gpt2 --type f32     (GPT-2 small's shape: the defaults of --arch gpt2)
//   ts_mkmodel random /tmp/qwen3-2l.gguf --arch qwen3 --layers 2    (Qwen3-0.6B's shape, 2 of its 28 layers)
//   ts_mkmodel random /tmp/phi3-2l.gguf --arch phi3 --layers 2      (Phi-3-mini's shape, 2 of its 32 layers)
//   ts_mkmodel random /tmp/gemma2-2l.gguf --arch gemma2 --layers 2  (Gemma-2-2B's shape, 2 of its 26 layers)
//   ts_mkmodel random /tmp/gemma3-6l.gguf --arch gemma3 --layers 6  (Gemma-3-1B's shape, 6 of its 26 layers)
//   ts_mkmodel random /tmp/gemma4-7l.gguf --arch gemma4 --layers 7 --kv-shared 2
//              (Gemma-4-E2B's shape with 7 of its 35 layers, the last 2 sharing KV caches as its last 20 do)
//   ts_mkmodel random /tmp/gemma4-26b-a4b-6l.gguf --arch gemma4 --experts 128 --layers 6
//              (Gemma-4-26B-A4B's shape with 6 of its 30 layers: 128 experts of 704 beside each layer's MLP, 8 used)
//   ts_mkmodel random /tmp/qwen3moe-2l.gguf --arch qwen3moe --layers 2 --experts 16
//              (Qwen3-30B-A3B's shape with 2 of its 48 layers and 16 of its 128 experts, 8 used)
//   ts_mkmodel random /tmp/olmoe-2l.gguf --arch olmoe --layers 2   (OLMoE-1B-7B's shape, 2 of its 16 layers)
//   ts_mkmodel random /tmp/qwen35-4l.gguf --arch qwen35 --layers 4  (Qwen3.5-0.8B's shape, 4 of its 24 layers:
//              three DeltaNet layers and one attention layer)
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>

#include "app/cli/args.hpp"
#include "tools/random_model.hpp"

namespace {

int cmd_random(int argc, char** argv) {
    ts::tools::RandomModelSpec s;
    std::string type = "q8_0";
    int32_t seed     = 1;
    bool no_vocab    = false;
    ts::app::ArgParser ap("random", "OUT.gguf [flags]", "write a llama model with random weights");
    ap.set_program("ts_mkmodel");
    ap.add_string("", "--arch", "NAME", &s.arch,
                  "llama (default), llama3 (llama with Llama 3.2's rope_freqs.weight and rope base 500000), qwen2 "
                  "(NeoX RoPE, biases on Q K V), qwen3 (per-head q/k norm; Qwen3-0.6B's shape unless flags say "
                  "otherwise), gpt2 (LayerNorm, learned positions, GELU; GPT-2 small's shape unless flags say "
                  "otherwise), phi3 (fused QKV and gate+up; Phi-3-mini's shape), gemma2 (soft-caps, sliding window "
                  "every other layer; Gemma-2-2B's shape) or gemma3 (q/k norms, 5 local : 1 global layers; "
                  "Gemma-3-1B's shape), gemma4 (per-layer embeddings, KV-sharing layers, smaller local heads; "
                  "Gemma-4-E2B's shape; with --experts, experts beside the MLP and Gemma-4-26B-A4B's shape), qwen3moe "
                  "(qwen3 attention, a mixture of experts; Qwen3-30B-A3B's shape) or "
                  "olmoe (q/k norms over the whole vector, 64 experts, 8 used, weights not renormalised; "
                  "OLMoE-1B-7B's shape) or qwen35 (gated DeltaNet layers, every 4th attention; Qwen3.5-0.8B's "
                  "shape)");
    ap.add_float("", "--rope-base", "B", &s.rope_base, 1.0f, 1e9f,
                 "RoPE frequency base (default 10000; llama3 500000)");
    ap.add_int("", "--layers", "N", &s.n_layer, 1, 1024, "transformer blocks");
    ap.add_int("", "--dim", "N", &s.n_embd, 2, 1 << 16, "embedding width");
    ap.add_int("", "--heads", "N", &s.n_head, 1, 1024, "attention heads");
    ap.add_int("", "--kv-heads", "N", &s.n_head_kv, 1, 1024, "key/value heads");
    ap.add_int("", "--head-dim", "N", &s.head_dim, 2, 1 << 12,
               "qwen3, gemma2, gemma3: head size written as attention.key_length (default: dim / heads; presets: "
               "qwen3 128, gemma 256)");
    ap.add_int("", "--swa", "N", &s.n_swa, 1, 1 << 22,
               "gemma: sliding window in positions (attention.sliding_window; default gemma2 4096, gemma3 512)");
    ap.add_int("", "--swa-pattern", "N", &s.swa_pattern, 1, 1 << 10,
               "gemma: every N-th layer is global, the others local (default gemma2 2, gemma3 6, gemma4 5; written "
               "only as gemma4's per-layer array)");
    ap.add_int("", "--head-dim-swa", "N", &s.head_dim_swa, 2, 1 << 12,
               "gemma4: head size of the sliding-window layers (attention.key_length_swa; preset 256, global 512)");
    ap.add_int("", "--per-layer-embd", "N", &s.n_embd_per_layer, 0, 1 << 14,
               "gemma4: per-layer embedding width (embedding_length_per_layer_input; preset 256, 0: none)");
    ap.add_int("", "--kv-shared", "N", &s.n_kv_shared, 0, 1024,
               "gemma4: the last N layers read earlier layers' KV caches (attention.shared_kv_layers; preset 20 of "
               "35; their MLPs are twice as wide)");
    ap.add_int("", "--ffn", "N", &s.n_ff, 1, 1 << 18, "MLP width (qwen3moe, olmoe: each expert's)");
    ap.add_int("", "--experts", "N", &s.n_expert, 1, 512,
               "qwen3moe, olmoe, gemma4: experts per layer (default qwen3moe 128, olmoe 64; gemma4: none unless set, "
               "then beside each layer's MLP)");
    ap.add_int("", "--experts-used", "N", &s.n_expert_used, 1, 512,
               "qwen3moe, olmoe, gemma4: experts each token runs (default 8, at most --experts)");
    ap.add_int("", "--ffn-exp", "N", &s.n_ff_exp, 1, 1 << 18,
               "gemma4 with --experts: each expert's width (expert_feed_forward_length; preset 704)");
    ap.add_flag("", "--split-gate-up", &s.split_gate_up,
                "gemma4 with --experts: write ffn_gate_exps and ffn_up_exps instead of the fused ffn_gate_up_exps");
    ap.add_int("", "--ssm-state", "N", &s.ssm_d_state, 1, 4096,
               "qwen35: DeltaNet head size (ssm.state_size; default 128)");
    ap.add_int("", "--ssm-heads", "N", &s.ssm_dt_rank, 1, 4096,
               "qwen35: DeltaNet value heads (ssm.time_step_rank; default 16)");
    ap.add_int("", "--ssm-groups", "N", &s.ssm_n_group, 1, 4096,
               "qwen35: DeltaNet query/key heads (ssm.group_count; default 16)");
    ap.add_int("", "--conv", "N", &s.ssm_d_conv, 2, 64, "qwen35: causal convolution taps (default 4)");
    ap.add_int("", "--attn-every", "N", &s.full_attn_interval, 1, 1024,
               "qwen35: every N-th layer is attention, the others DeltaNet (default 4)");
    ap.add_int("", "--rope-dims", "N", &s.n_rot, 2, 1 << 12,
               "qwen35: dims of each head RoPE rotates (default head size / 4)");
    ap.add_int("", "--vocab", "N", &s.n_vocab, 1, 1 << 22, "vocabulary size");
    ap.add_int("", "--ctx", "N", &s.n_ctx, 1, 1 << 22, "context length written as llama.context_length");
    ap.add_string("", "--type", "TYPE", &type,
                  "type of the matrices: f32 f16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k q6_k, or q4_k_m (attn_v, ffn_down and "
                  "output in q6_k)");
    ap.add_int("", "--seed", "S", &seed, 0, INT32_MAX, "seed of the weights");
    ap.add_flag("", "--no-vocab", &no_vocab, "write no tokenizer metadata");
    ap.add_flag("", "--tied", &s.tied, "no output.weight (tied to token_embd)");

    // The output path is the first argument that is not a flag.
    if (argc < 2 || std::string_view(argv[1]).substr(0, 1) == "-") {
        if (argc >= 2 && (std::string_view(argv[1]) == "-h" || std::string_view(argv[1]) == "--help")) {
            ap.print_help(stdout);
            return 0;
        }
        return ap.usage_error("the output file comes first: ts_mkmodel random OUT.gguf [flags]");
    }
    const std::string out = argv[1];
    if (auto code = ap.parse(argc - 1, argv + 1)) return *code;
    if (s.arch == "llama3") {
        s.arch        = "llama";
        s.llama3_rope = true;
        if (!ap.was_set("--rope-base")) s.rope_base = 500000.0f;
    }
    // The real shapes of the two new families, each size overridable by its flag (--layers 2 for a quick file).
    auto preset = [&](const char* flag, int& field, int value) {
        if (!ap.was_set(flag)) field = value;
    };
    if (s.arch == "gpt2") {  // GPT-2 small (124M)
        preset("--layers", s.n_layer, 12);
        preset("--dim", s.n_embd, 768);
        preset("--heads", s.n_head, 12);
        preset("--kv-heads", s.n_head_kv, s.n_head);
        preset("--ffn", s.n_ff, 3072);
        preset("--vocab", s.n_vocab, 50257);
        preset("--ctx", s.n_ctx, 1024);
        if (!ap.was_set("--tied")) s.tied = true;
    } else if (s.arch == "qwen3") {  // Qwen3-0.6B
        preset("--layers", s.n_layer, 28);
        preset("--dim", s.n_embd, 1024);
        preset("--heads", s.n_head, 16);
        preset("--kv-heads", s.n_head_kv, 8);
        preset("--head-dim", s.head_dim, 128);
        preset("--ffn", s.n_ff, 3072);
        preset("--vocab", s.n_vocab, 151936);
        preset("--ctx", s.n_ctx, 40960);
        if (!ap.was_set("--rope-base")) s.rope_base = 1000000.0f;
        if (!ap.was_set("--tied")) s.tied = true;
    } else if (s.arch == "phi3") {  // Phi-3-mini-4k
        preset("--layers", s.n_layer, 32);
        preset("--dim", s.n_embd, 3072);
        preset("--heads", s.n_head, 32);
        preset("--kv-heads", s.n_head_kv, s.n_head);
        preset("--ffn", s.n_ff, 8192);
        preset("--vocab", s.n_vocab, 32064);
        preset("--ctx", s.n_ctx, 4096);
    } else if (s.arch == "gemma2") {  // Gemma-2-2B
        preset("--layers", s.n_layer, 26);
        preset("--dim", s.n_embd, 2304);
        preset("--heads", s.n_head, 8);
        preset("--kv-heads", s.n_head_kv, 4);
        preset("--head-dim", s.head_dim, 256);
        preset("--ffn", s.n_ff, 9216);
        preset("--vocab", s.n_vocab, 256000);
        preset("--ctx", s.n_ctx, 8192);
        s.tied = true;
    } else if (s.arch == "qwen3moe") {  // Qwen3-30B-A3B
        preset("--layers", s.n_layer, 48);
        preset("--dim", s.n_embd, 2048);
        preset("--heads", s.n_head, 32);
        preset("--kv-heads", s.n_head_kv, 4);
        preset("--head-dim", s.head_dim, 128);
        preset("--ffn", s.n_ff, 768);
        preset("--experts", s.n_expert, 128);
        preset("--experts-used", s.n_expert_used, std::min(8, s.n_expert));
        preset("--vocab", s.n_vocab, 151936);
        preset("--ctx", s.n_ctx, 40960);
        if (!ap.was_set("--rope-base")) s.rope_base = 1000000.0f;
    } else if (s.arch == "olmoe") {  // OLMoE-1B-7B
        preset("--layers", s.n_layer, 16);
        preset("--dim", s.n_embd, 2048);
        preset("--heads", s.n_head, 16);
        preset("--kv-heads", s.n_head_kv, s.n_head);
        preset("--ffn", s.n_ff, 1024);
        preset("--experts", s.n_expert, 64);
        preset("--experts-used", s.n_expert_used, std::min(8, s.n_expert));
        preset("--vocab", s.n_vocab, 50304);
        preset("--ctx", s.n_ctx, 4096);
    } else if (s.arch == "qwen35") {  // Qwen3.5-0.8B's shape (its published config)
        preset("--layers", s.n_layer, 24);
        preset("--dim", s.n_embd, 1024);
        preset("--heads", s.n_head, 8);
        preset("--kv-heads", s.n_head_kv, 2);
        preset("--head-dim", s.head_dim, 256);
        preset("--ffn", s.n_ff, 3584);
        preset("--ssm-state", s.ssm_d_state, 128);
        preset("--ssm-heads", s.ssm_dt_rank, 16);
        preset("--ssm-groups", s.ssm_n_group, 16);
        preset("--vocab", s.n_vocab, 248320);
        preset("--ctx", s.n_ctx, 262144);
        if (!ap.was_set("--rope-base")) s.rope_base = 10000000.0f;
        if (!ap.was_set("--tied")) s.tied = true;
    } else if (s.arch == "gemma3") {  // Gemma-3-1B
        preset("--layers", s.n_layer, 26);
        preset("--dim", s.n_embd, 1152);
        preset("--heads", s.n_head, 4);
        preset("--kv-heads", s.n_head_kv, 1);
        preset("--head-dim", s.head_dim, 256);
        preset("--ffn", s.n_ff, 6912);
        preset("--vocab", s.n_vocab, 262144);
        preset("--ctx", s.n_ctx, 32768);
        if (!ap.was_set("--rope-base")) s.rope_base = 1000000.0f;
        if (!ap.was_set("--tied")) s.tied = true;
    } else if (s.arch == "gemma4" && ap.was_set("--experts")) {  // Gemma-4-26B-A4B (its published config)
        preset("--layers", s.n_layer, 30);
        preset("--dim", s.n_embd, 2816);
        preset("--heads", s.n_head, 16);
        preset("--kv-heads", s.n_head_kv, 8);
        preset("--head-dim", s.head_dim, 512);
        preset("--head-dim-swa", s.head_dim_swa, 256);
        preset("--swa", s.n_swa, 1024);
        preset("--swa-pattern", s.swa_pattern, 6);
        preset("--ffn", s.n_ff, 2112);
        preset("--ffn-exp", s.n_ff_exp, 704);
        preset("--experts-used", s.n_expert_used, std::min(8, s.n_expert));
        preset("--vocab", s.n_vocab, 262144);
        preset("--ctx", s.n_ctx, 262144);
        if (!ap.was_set("--rope-base")) s.rope_base = 1000000.0f;
        if (!ap.was_set("--tied")) s.tied = true;
    } else if (s.arch == "gemma4") {  // Gemma-4-E2B
        preset("--layers", s.n_layer, 35);
        preset("--dim", s.n_embd, 1536);
        preset("--heads", s.n_head, 8);
        preset("--kv-heads", s.n_head_kv, 1);
        preset("--head-dim", s.head_dim, 512);
        preset("--head-dim-swa", s.head_dim_swa, 256);
        preset("--per-layer-embd", s.n_embd_per_layer, 256);
        preset("--kv-shared", s.n_kv_shared, s.n_layer == 35 ? 20 : 0);
        preset("--swa", s.n_swa, 512);
        preset("--ffn", s.n_ff, 6144);
        preset("--vocab", s.n_vocab, 262144);
        preset("--ctx", s.n_ctx, 131072);
        if (!ap.was_set("--rope-base")) s.rope_base = 1000000.0f;
        if (!ap.was_set("--tied")) s.tied = true;
    }
    s.seed  = uint64_t(seed);
    s.vocab = !no_vocab;
    s.k_mix = type == "q4_k_m" || type == "Q4_K_M";
    auto t  = ts::tools::parse_dtype(s.k_mix ? std::string("q4_k") : type);
    if (!t) return ap.usage_error(t.error().message);
    s.type = *t;
    if (auto st = ts::tools::validate_spec(s); !st.ok()) return ap.usage_error(st.error().message);
    if (auto st = ts::tools::write_random_model(s, out); !st.ok()) return ts::app::print_error(st.error().message);
    std::printf("wrote %s\n", out.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::string_view(argv[1]) == "random") return cmd_random(argc - 1, argv + 1);
    std::fprintf(stderr,
                 "usage: ts_mkmodel random OUT.gguf [--arch "
                 "llama|llama3|qwen2|qwen3|qwen3moe|qwen35|olmoe|gpt2|phi3|gemma2|gemma3|"
                 "gemma4 "
                 "--layers N "
                 "--dim N --heads N "
                 "--kv-heads N "
                 "--ffn N --vocab N "
                 "--type f32|f16|q8_0|q4_0|q4_k|q6_k|q4_k_m --seed S]\n");
    return 2;
}
