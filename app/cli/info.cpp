// `tokenscope info`: describe a model file (ARCHITECTURE §5): format, architecture, name, hyper-parameters, tokenizer,
// parameter count, tensor types with counts and bytes, file size. Any valid GGUF is described from its own header
// even when it is not a model we can run (another architecture, missing tensors): the reason is printed as a note.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <string>

#include "app/cli/args.hpp"
#include "app/cli/commands.hpp"
#include "app/cli/simd_choice.hpp"
#include "core/base/mmap.hpp"
#include "core/gguf/gguf_reader.hpp"
#include "core/model/model.hpp"
#include "core/model/stage.hpp"

namespace ts::app {
namespace {

std::string human_bytes(uint64_t b) {
    char buf[32];
    if (b >= (1ull << 30))
        std::snprintf(buf, sizeof buf, "%.2f GiB", double(b) / double(1ull << 30));
    else if (b >= (1ull << 20))
        std::snprintf(buf, sizeof buf, "%.2f MiB", double(b) / double(1ull << 20));
    else if (b >= 1024)
        std::snprintf(buf, sizeof buf, "%.2f KiB", double(b) / 1024.0);
    else
        std::snprintf(buf, sizeof buf, "%" PRIu64 " B", b);
    return buf;
}

std::string human_count(int64_t n) {
    char buf[32];
    if (n >= 1000000000)
        std::snprintf(buf, sizeof buf, "%.2f B", double(n) / 1e9);
    else if (n >= 1000000)
        std::snprintf(buf, sizeof buf, "%.2f M", double(n) / 1e6);
    else if (n >= 1000)
        std::snprintf(buf, sizeof buf, "%.2f K", double(n) / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%" PRId64, n);
    return buf;
}

const char* tokenizer_kind_name(core::TokenizerKind k) {
    switch (k) {
        case core::TokenizerKind::Llama:
            return "llama (SentencePiece-style BPE)";
        case core::TokenizerKind::Gpt2:
            return "gpt2 (byte-level BPE)";
        case core::TokenizerKind::Gemma4:
            return "gemma4 (BPE with ranked merges over SentencePiece-style pieces)";
    }
    return "?";
}

// The KV cache's size: each layer's where they differ (gemma4: heads of their own size per kind of layer, layers that
// read another's cache and store nothing), then the whole cache at 4k and 32k positions.
void print_kv_memory(const core::Hparams& hp) {
    int n_stored = 0;
    for (int il = 0; il < hp.n_layer; ++il) n_stored += hp.kv_cache_dim(il) > 0 ? 1 : 0;
    if (core::kv_layers_differ(hp)) {
        std::printf("  %-16s per layer, K and V per position (f32; f16 half), and at 4096 positions:\n", "kv cache");
        for (int il = 0; il < hp.n_layer; ++il)
            std::printf("    layer %-3d %-66s %9s/pos %11s\n", il, core::describe_kv_layer(hp, il).c_str(),
                        human_bytes(hp.kv_layer_bytes(il, 1, 4)).c_str(),
                        human_bytes(hp.kv_layer_bytes(il, 4096, 4)).c_str());
    }
    for (int n : {4096, 32768})
        std::printf("  %-16s KV cache %s f32 / %s f16 (%d of %d layers store K and V, %s per position f32)\n",
                    (std::string("memory @") + std::to_string(n)).c_str(), human_bytes(hp.kv_bytes(n, 4)).c_str(),
                    human_bytes(hp.kv_bytes(n, 2)).c_str(), n_stored, hp.n_layer,
                    human_bytes(hp.kv_bytes(1, 4)).c_str());
}

void print_hparams(const core::Hparams& hp) {
    std::printf("hyper-parameters\n");
    std::printf("  %-16s %d\n", "n_vocab", hp.n_vocab);
    std::printf("  %-16s %d\n", "n_ctx_train", hp.n_ctx_train);
    std::printf("  %-16s %d\n", "n_embd", hp.n_embd);
    std::printf("  %-16s %d\n", "n_layer", hp.n_layer);
    std::printf("  %-16s %d\n", "n_head", hp.n_head);
    // gemma4: the largest of the per-layer sizes, each layer's own below (per-layer sizes, head_dim_swa, kv cache).
    const char* largest = !hp.layer_head_dim.empty() || !hp.layer_n_head_kv.empty() ? " (the largest layer's)" : "";
    std::printf("  %-16s %d%s\n", "n_head_kv", hp.n_head_kv, hp.layer_n_head_kv.empty() ? "" : largest);
    std::printf("  %-16s %d%s\n", "head_dim", hp.head_dim, hp.layer_head_dim.empty() ? "" : largest);
    if (hp.experts_beside_mlp()) {  // gemma4: the MLP stays (a shared expert), the experts run beside it
        std::printf("  %-16s %d%s (the MLP, a shared expert every token runs)\n", "n_ff", hp.n_ff,
                    hp.layer_n_ff.empty() ? "" : " (the largest layer's)");
        std::printf("  %-16s %d (each expert's hidden size, expert_feed_forward_length; GELU-gated)\n", "n_ff_exp",
                    hp.n_ff_exp);
    } else if (hp.is_moe()) {
        // olmoe sizes its experts by feed_forward_length and weights them by their probabilities as they are.
        std::printf("  %-16s %d (each expert's hidden size, %s)\n", "n_ff", hp.n_ff,
                    hp.arch == core::Arch::Olmoe ? "feed_forward_length" : "expert_feed_forward_length");
    }
    if (hp.is_moe()) {
        std::printf("  %-16s %d (router ffn_gate_inp: softmax, top %d, %s)\n", "n_expert", hp.n_expert,
                    hp.n_expert_used,
                    hp.expert_weights_norm ? "weights renormalised to sum 1"
                                           : "weights the probabilities as they are, not renormalised");
        std::printf("  %-16s %d of %d experts run per token\n", "n_expert_used", hp.n_expert_used, hp.n_expert);
        if (hp.n_ff_dense > 0)
            std::printf("  %-16s %d (feed_forward_length; the experts are sized by n_ff)\n", "n_ff_dense",
                        hp.n_ff_dense);
    } else {
        std::printf("  %-16s %d%s\n", "n_ff", hp.n_ff, hp.layer_n_ff.empty() ? "" : " (the largest layer's)");
    }
    if (hp.n_rot > 0) {
        std::printf("  %-16s %d (%s pairs)\n", "n_rot", hp.n_rot,
                    hp.rope_style == core::RopeStyle::Normal ? "adjacent" : "NeoX half-split");
        std::printf("  %-16s %g\n", "rope_freq_base", double(hp.rope_freq_base));
        if (hp.rope_freq_scale != 1.0f) std::printf("  %-16s %g\n", "rope_freq_scale", double(hp.rope_freq_scale));
        std::printf("  %-16s %s\n", "rope_scaling", core::describe_rope_scaling(hp).c_str());
    } else {  // no RoPE (gpt2): one learned vector per position
        std::printf("  %-16s learned (position_embd.weight, %d positions)\n", "positions", hp.n_ctx_train);
    }
    // The attention variants a family may add (gemma): each named only where the model has it.
    if (hp.n_swa > 0) {
        int n_local = 0;
        for (int il = 0; il < hp.n_layer; ++il) n_local += hp.is_swa(il) ? 1 : 0;
        std::printf("  %-16s %d positions on %d of %d layers (local); global:", "sliding_window", hp.n_swa, n_local,
                    hp.n_layer);
        for (int il = 0; il < hp.n_layer; ++il)
            if (!hp.is_swa(il)) std::printf(" %d", il);
        std::printf("\n  %-16s %g (local layers), scale %g\n", "rope_base_swa", double(hp.rope_freq_base_swa),
                    double(hp.rope_freq_scale_swa));
    }
    if (hp.attn_softcap > 0.0f)
        std::printf("  %-16s %g (scores: cap·tanh(s/cap))\n", "attn_softcap", double(hp.attn_softcap));
    if (hp.final_softcap > 0.0f)
        std::printf("  %-16s %g (logits: cap·tanh(l/cap))\n", "final_softcap", double(hp.final_softcap));
    if (hp.attn_scale > 0.0f) std::printf("  %-16s %g (queries)\n", "attn_scale", double(hp.attn_scale));
    // gemma4: sizes per kind of layer, per-layer embeddings, KV sharing.
    if (!hp.layer_head_dim.empty() || hp.n_rot_swa > 0) {
        const int local = hp.n_swa > 0
                              ? int(std::find(hp.swa_layers.begin(), hp.swa_layers.end(), 1) - hp.swa_layers.begin())
                              : hp.n_layer;
        if (local < hp.n_layer)
            std::printf("  %-16s %d (local layers; global %d), n_rot %d (local)\n", "head_dim_swa",
                        hp.head_dim_of(local), hp.head_dim, hp.n_rot_of(local));
    }
    if (!hp.layer_n_ff.empty() || !hp.layer_n_head_kv.empty()) {
        std::printf("  %-16s", "per-layer sizes");
        for (int il = 0; il < hp.n_layer; ++il) std::printf(" %d:%dx%d", il, hp.n_ff_of(il), hp.n_head_kv_of(il));
        std::printf(" (n_ff x n_head_kv)\n");
    }
    if (hp.n_embd_per_layer > 0)
        std::printf("  %-16s %d per layer (per_layer_token_embd, fed into each layer after its MLP)\n",
                    "per_layer_embd", hp.n_embd_per_layer);
    if (hp.n_layer_kv > 0)
        std::printf(
            "  %-16s layers %d..%d read the KV cache of layer %d (global) / %d (local); %d layers have "
            "their own\n",
            "shared_kv", hp.n_layer_kv, hp.n_layer - 1, hp.n_layer_kv - 1, hp.n_layer_kv - 2, hp.n_layer_kv);
    if (!hp.has_recurrent()) print_kv_memory(hp);
    if (hp.has_recurrent()) {  // qwen35: which layers are which, and the two memories
        auto list = [&](bool rec) {
            std::string s;
            for (int il = 0; il < hp.n_layer; ++il)
                if (hp.is_recurrent(il) == rec) s.append(1, ' ').append(std::to_string(il));
            return s;
        };
        std::printf("  %-16s %d layers, linear attention (recurrent state):%s\n", "layer kinds", hp.n_recurrent(),
                    list(true).c_str());
        std::printf("  %-16s %d layers, attention (KV cache):%s\n", "", hp.n_layer - hp.n_recurrent(),
                    list(false).c_str());
        std::printf(
            "  %-16s gated DeltaNet: causal conv of %d taps over %d channels; %d value heads with a %d x %d "
            "state each, q/k from %d heads\n",
            "linear_attn", hp.ssm_d_conv, hp.ssm_conv_dim(), hp.ssm_dt_rank, hp.ssm_d_state, hp.ssm_head_v(),
            hp.ssm_n_group);
        std::printf(
            "  %-16s %s per linear-attention layer (conv %s + heads %s), %s in all, the same at every "
            "position\n",
            "state", human_bytes(hp.recurrent_floats() * 4).c_str(), human_bytes(hp.conv_state_floats() * 4).c_str(),
            human_bytes(hp.ssm_state_floats() * 4).c_str(), human_bytes(hp.state_bytes()).c_str());
        for (int n : {4096, 32768})
            std::printf(
                "  %-16s KV cache %s f32 / %s f16 (%d attention layers, grows with positions) + recurrent "
                "state %s (+ %s of rewind checkpoints, one state per %d positions)\n",
                (std::string("memory @") + std::to_string(n)).c_str(), human_bytes(hp.kv_bytes(n, 4)).c_str(),
                human_bytes(hp.kv_bytes(n, 2)).c_str(), hp.n_layer - hp.n_recurrent(),
                human_bytes(hp.state_bytes()).c_str(),
                human_bytes(hp.state_bytes() * size_t(n / hp.state_checkpoint_every())).c_str(),
                hp.state_checkpoint_every());
        std::printf("  %-16s rope on %d of %d dims per head, interleaved sections %d %d %d %d\n", "rope_sections",
                    hp.n_rot, hp.head_dim, hp.rope_sections[0], hp.rope_sections[1], hp.rope_sections[2],
                    hp.rope_sections[3]);
    }
    std::printf("  %-16s %g\n", "norm_eps", double(hp.norm_eps));
    std::printf("  %-16s %s\n", "output", hp.tied_output ? "tied to token_embd" : "own matrix");
}

}  // namespace

int cmd_info(int argc, char** argv) {
    std::string model_path = default_model_path();
    ArgParser ap("info", "-m FILE", "describe a model file: shape, tokenizer, tensor types and sizes");
    ap.add_string("-m", "--model", "FILE", &model_path, "model file (GGUF or llama2.c .bin)");
    core::LoadOptions load;
    add_load_flags(ap, &load);
    if (auto code = ap.parse(argc, argv)) return *code;

    // The scan runs after the description (a model with NaN weights is still described, then the scan fails).
    auto model = core::load_model(model_path, "", core::LoadOptions{load.no_mmap, false});
    auto map   = model ? core::Result<std::shared_ptr<const core::MappedFile>>((*model)->map)
                       : core::MappedFile::open(model_path);  // also the executable's built-in model
    if (!map) return print_error(map.error().message);
    const uint64_t file_size = (*map)->size();

    auto gguf = core::gguf::GgufFile::parse((*map)->data(), (*map)->size(), model_path);
    if (!gguf && !model) return print_error(model.error().message);

    std::printf("%-14s %s\n", "file", model_path.c_str());
    std::printf("%-14s %" PRIu64 " bytes (%s)\n", "size", uint64_t(file_size),
                human_bytes(uint64_t(file_size)).c_str());
    if (gguf) {
        const auto& f = *gguf;
        std::printf("%-14s gguf v%u, %zu metadata keys, %zu tensors, alignment %" PRIu64 "\n", "format", f.version(),
                    f.metadata().size(), f.tensors().size(), f.alignment());
        std::printf("%-14s %s\n", "architecture", f.get_string("general.architecture").value_or("(not set)").c_str());
        if (auto name = f.get_string("general.name")) std::printf("%-14s %s\n", "name", name->c_str());
    } else {
        std::printf("%-14s %s\n", "format", model.value()->format.c_str());
        std::printf("%-14s %s\n", "architecture", model.value()->hp.arch_name.c_str());
    }

    if (model) {
        const core::Model& m       = **model;
        const core::ArchDesc& arch = core::arch_desc(m.hp);
        std::printf("%-14s %.*s\n", "features", int(arch.summary.size()), arch.summary.data());
        print_hparams(m.hp);
        if (m.tokenizer) {
            const auto& v = m.tokenizer->vocab();
            std::printf("%-14s %s, %d tokens, bos %d, eos %d%s\n", "tokenizer", tokenizer_kind_name(v.kind),
                        m.tokenizer->n_vocab(), v.bos, v.eos, v.add_bos ? ", adds BOS" : "");
        } else {
            std::printf("%-14s none\n", "tokenizer");
        }
        std::printf("%-14s %s (%" PRId64 "), %s of weights\n", "parameters", human_count(m.n_params).c_str(),
                    m.n_params, human_bytes(m.weight_bytes).c_str());
        for (const std::string& note : m.notes) std::printf("%-14s %s\n", "note", note.c_str());
        std::printf("%-14s %s\n", "simd", simd_summary().c_str());
    } else {
        // A valid GGUF that is not a model we can run: say why, and still describe what the header holds.
        const auto& f = *gguf;
        // The architecture's own keys (llama.block_count, gpt2.context_length, ...) stand in for hyper-parameters.
        if (auto arch = f.get_string("general.architecture")) {
            const std::string prefix = *arch + ".";
            bool header              = false;
            for (const auto& kv : f.metadata()) {
                if (kv.key.rfind(prefix, 0) != 0) continue;
                if (!header) std::printf("hyper-parameters (from the file's %s.* keys)\n", arch->c_str());
                header   = true;
                double x = 0;
                if (kv.value.type == core::gguf::ValueType::String)
                    std::printf("  %-40s %s\n", kv.key.c_str(), kv.value.s.c_str());
                else if (kv.value.as_f64(x))
                    std::printf("  %-40s %g\n", kv.key.c_str(), x);
                else
                    std::printf("  %-40s (%s)\n", kv.key.c_str(), core::gguf::value_type_name(kv.value.type));
            }
        }
        if (auto kind = f.get_string("tokenizer.ggml.model")) {
            const auto* tokens = f.find("tokenizer.ggml.tokens");
            std::printf("%-14s %s, %zu tokens\n", "tokenizer", kind->c_str(), tokens ? tokens->arr.size() : size_t(0));
        }
        int64_t n = 0;
        for (const auto& t : f.tensors()) n += t.n_elements();
        std::printf("%-14s %s (%" PRId64 ")\n", "parameters", human_count(n).c_str(), n);
        std::printf("%-14s cannot run this file: %s\n", "note", model.error().message.c_str());
    }

    if (gguf) {
        struct Row {
            int count      = 0;
            uint64_t bytes = 0;
            int64_t elems  = 0;
        };
        std::map<std::string, Row> by_type;
        for (const auto& t : gguf->tensors()) {
            Row& r = by_type[std::string(core::dtype_name(t.type))];
            ++r.count;
            r.bytes += t.nbytes;
            r.elems += t.n_elements();
        }
        std::printf("tensor types\n  %-8s %7s %16s %12s %14s\n", "type", "count", "bytes", "", "elements");
        for (const auto& [type, r] : by_type)
            std::printf("  %-8s %7d %16" PRIu64 " %12s %14" PRId64 "\n", type.c_str(), r.count, r.bytes,
                        human_bytes(r.bytes).c_str(), r.elems);
    }
    if (load.check_tensors) {
        if (!model) return print_error("--check-tensors: the model did not load: " + model.error().message);
        if (auto st = core::check_tensors_finite(**model); !st.ok()) return print_error(st.error().message);
        std::printf("%-14s every weight is finite (no NaN or Inf)\n", "check");
    }
    return 0;
}

}  // namespace ts::app
