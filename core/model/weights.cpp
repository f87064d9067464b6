// Weight binding: every tensor the forward pass of the file's architecture needs, found by its GGUF name and checked
// for type and shape before use, so that a wrong file is explained ("tensor 'blk.3.attn_q.weight': expected [2048,
// 2048], got Q8_0 [2048, 256]") instead of read out of bounds.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "core/gguf/gguf_reader.hpp"
#include "core/model/loader.hpp"

namespace ts::core::model_detail {

std::string describe_tensor(const Tensor& t) {
    std::string s(dtype_name(t.type));
    for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    s += " [";
    for (int i = 0; i < t.n_dims; ++i) s += (i ? ", " : "") + std::to_string(t.ne[size_t(i)]);
    return s + "]";
}

namespace {

std::string describe_shape(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// Absent: the architecture does not use the tensor, and a file that carries it is refused (as llama.cpp refuses a
// file with tensors it does not read), so nothing the file says is silently ignored.
enum class Need { Required, Optional, Absent };
enum class TypeRule { AnySupported, F32Only };

// Finds `name` and checks it: present (unless optional), of a supported type (F32 only for norms and biases), with
// exactly `shape` (ggml order). An absent optional tensor leaves `out` empty (data == nullptr).
Status bind(const gguf::GgufFile& f, const std::string& name, const std::vector<int64_t>& shape, TypeRule rule,
            Need need, Tensor& out) {
    const char* path   = f.name().c_str();
    const Tensor* t    = f.find_tensor(name);
    const bool f32only = rule == TypeRule::F32Only;
    if (need == Need::Absent) {
        if (!t) return {};
        return make_error(Code::kFormat, "%s: tensor '%s' is not used by this architecture", path, name.c_str());
    }
    if (!t) {
        if (need == Need::Optional) return {};
        return make_error(Code::kFormat, "%s: tensor '%s' is missing (expected %s%s)", path, name.c_str(),
                          f32only ? "F32 " : "", describe_shape(shape).c_str());
    }
    bool same = t->n_dims == int(shape.size());
    for (size_t i = 0; same && i < shape.size(); ++i) same = t->ne[i] == shape[i];
    if (!same || (f32only && t->type != DType::F32))
        return make_error(Code::kFormat, "%s: tensor '%s': expected %s%s, got %s", path, name.c_str(),
                          f32only ? "F32 " : "", describe_shape(shape).c_str(), describe_tensor(*t).c_str());
    if (!dtype_info(t->type).supported)
        return make_error(Code::kUnsupported, "%s: tensor '%s': type %s is not supported", path, name.c_str(),
                          describe_tensor(*t).c_str());
    if (shape[0] % dtype_info(t->type).block_size != 0)
        return make_error(Code::kFormat, "%s: tensor '%s': rows of %lld are not whole %s blocks", path, name.c_str(),
                          static_cast<long long>(shape[0]), describe_tensor(*t).c_str());
    out = *t;
    return {};
}

// The layer index of a tensor named "blk.N.…", or -1 for any other name (N up to 9 digits, so it fits an int).
int64_t layer_of(const std::string& name) {
    if (name.rfind("blk.", 0) != 0) return -1;
    size_t i  = 4;
    int64_t n = 0;
    while (i < name.size() && i < 13 && name[i] >= '0' && name[i] <= '9') n = n * 10 + (name[i++] - '0');
    if (i == 4 || i >= name.size() || name[i] != '.') return -1;
    return n;
}

// block_count against the blk.N tensors the file holds, in both directions, before n_layer layers are allocated: a
// block_count of 2^31-1 in a small file must be an error, not 2^31 empty layers; tensors for layers past
// block_count would be ignored silently.
Status check_layer_count(const gguf::GgufFile& f, const Hparams& hp) {
    const char* path      = f.name().c_str();
    const std::string key = hp.arch_name + ".block_count";
    std::set<int64_t> present;
    for (const Tensor& t : f.tensors()) {
        const int64_t il = layer_of(t.name);
        if (il < 0) continue;
        if (il >= hp.n_layer)
            return make_error(Code::kFormat, "%s: tensor '%s' is for layer %lld, but %s is %d (layers 0..%d)", path,
                              t.name.c_str(), static_cast<long long>(il), key.c_str(), hp.n_layer, hp.n_layer - 1);
        present.insert(il);
    }
    if (int64_t(present.size()) < int64_t(hp.n_layer)) {
        int64_t missing = 0;
        while (present.count(missing)) ++missing;
        return make_error(Code::kFormat, "%s: %s is %d, but the file has tensors for %zu layers (none for blk.%lld)",
                          path, key.c_str(), hp.n_layer, present.size(), static_cast<long long>(missing));
    }
    return {};
}

// The llama3 RoPE frequency factors, unprefixed `rope_freqs.weight` (one tensor for every layer, as llama.cpp reads
// it): F32 [n_rot/2], each finite and positive since it divides an angle. Copied into hp.rope_freq_factors, where
// rope_theta reads it. llama.cpp binds it for llama only; a qwen2 file carrying it is refused, as llama.cpp refuses a
// file with a tensor it does not use.
Status bind_rope_freqs(const gguf::GgufFile& f, Hparams& hp, Tensor& out) {
    const char* path    = f.name().c_str();
    const char* name    = "rope_freqs.weight";
    const Tensor* t     = f.find_tensor(name);
    const int64_t n_rot = hp.n_rot;
    // gemma4's global layers always read it (their "proportional" RoPE: factors 1e30 stop the unrotated pairs).
    const bool needed = hp.arch == Arch::Gemma4 &&
                        std::any_of(hp.swa_layers.begin(), hp.swa_layers.end(), [](uint8_t s) { return s == 0; });
    if (!t && needed)
        return make_error(Code::kFormat, "%s: tensor '%s' is missing (gemma4's global layers need it)", path, name);
    if (!t) return {};
    if (hp.arch != Arch::Llama && hp.arch != Arch::Gemma4)
        return make_error(Code::kUnsupported,
                          "%s: tensor '%s' (RoPE frequency factors) is not used by architecture '%s'", path, name,
                          hp.arch_name.c_str());
    if (t->type != DType::F32 || t->n_dims != 1 || t->ne[0] != n_rot / 2)
        return make_error(
            Code::kFormat, "%s: tensor '%s' (RoPE frequency factors): expected F32 [%lld] (n_rot %lld / 2), got %s",
            path, name, static_cast<long long>(n_rot / 2), static_cast<long long>(n_rot), describe_tensor(*t).c_str());
    std::vector<float> factors(size_t(n_rot / 2));
    std::memcpy(factors.data(), t->data, factors.size() * sizeof(float));
    for (size_t i = 0; i < factors.size(); ++i)
        if (!(factors[i] > 0.0f) || !std::isfinite(factors[i]))
            return make_error(Code::kFormat, "%s: tensor '%s': factor %zu is %g, expected a finite positive number",
                              path, name, i, double(factors[i]));
    hp.rope_freq_factors = std::move(factors);
    out                  = *t;
    return {};
}

// `<arch>.vocab_size`, when present, must be the number of token_embd rows (it sizes nothing here, but a file that
// disagrees with itself is not trusted).
Status check_vocab_size(const gguf::GgufFile& f, const Hparams& hp) {
    const std::string key = hp.arch_name + ".vocab_size";
    const gguf::Value* v  = f.find(key);
    if (!v) return {};
    uint64_t n = 0;
    if (!v->as_u64(n) || n != uint64_t(hp.n_vocab))
        return make_error(Code::kFormat, "%s: metadata key '%s' is %s, but tensor 'token_embd.weight' has %d rows",
                          f.name().c_str(), key.c_str(), v->as_u64(n) ? std::to_string(n).c_str() : "not a count",
                          hp.n_vocab);
    return {};
}

// One qwen35 layer, as llama.cpp's loader reads it: the norms and the SwiGLU MLP of every layer (its pre-MLP norm is
// named post_attention_norm), then either the gated DeltaNet's tensors (a recurrent layer) or the gated attention's
// (Q projection of 2 q_dim rows: q | gate per head, per-head q/k norms). Each kind's tensors are refused on the
// other kind's layers, and the other families' names everywhere.
Status bind_qwen35_layer(const gguf::GgufFile& f, const Hparams& hp, int il, LayerWeights& L) {
    using TR              = TypeRule;
    const std::string blk = "blk." + std::to_string(il) + ".";
    auto b = [&](const char* name, const std::vector<int64_t>& shape, TypeRule rule, Need need, Tensor& out) {
        return bind(f, blk + name, shape, rule, need, out);
    };
    const int64_t E = hp.n_embd, F = hp.n_ff, Q = hp.q_dim(), KV = hp.kv_dim(), HD = hp.head_dim;
    const int64_t C = hp.ssm_conv_dim(), DI = hp.ssm_d_inner, R = hp.ssm_dt_rank;
    const bool rec = hp.is_recurrent(il);
    const Need lin = rec ? Need::Required : Need::Absent, att = rec ? Need::Absent : Need::Required;
    Tensor unused;
    TS_TRY(b("attn_norm.weight", {E}, TR::F32Only, Need::Required, L.attn_norm));
    TS_TRY(b("post_attention_norm.weight", {E}, TR::F32Only, Need::Required, L.ffn_norm));
    TS_TRY(b("ffn_norm.weight", {E}, TR::F32Only, Need::Absent, unused));
    TS_TRY(b("ffn_gate.weight", {E, F}, TR::AnySupported, Need::Required, L.w_gate));
    TS_TRY(b("ffn_up.weight", {E, F}, TR::AnySupported, Need::Required, L.w_up));
    TS_TRY(b("ffn_down.weight", {F, E}, TR::AnySupported, Need::Required, L.w_down));
    // The attention layers (separate Q, K, V only: a fused attn_qkv there is refused as unused).
    TS_TRY(b("attn_q.weight", {E, 2 * Q}, TR::AnySupported, att, L.wq));
    TS_TRY(b("attn_k.weight", {E, KV}, TR::AnySupported, att, L.wk));
    TS_TRY(b("attn_v.weight", {E, KV}, TR::AnySupported, att, L.wv));
    TS_TRY(b("attn_output.weight", {Q, E}, TR::AnySupported, att, L.wo));
    TS_TRY(b("attn_q_norm.weight", {HD}, TR::F32Only, att, L.q_norm));
    TS_TRY(b("attn_k_norm.weight", {HD}, TR::F32Only, att, L.k_norm));
    // The gated DeltaNet layers.
    TS_TRY(b("attn_qkv.weight", {E, C}, TR::AnySupported, lin, L.wqkv));
    TS_TRY(b("attn_gate.weight", {E, DI}, TR::AnySupported, lin, L.attn_gate));
    TS_TRY(b("ssm_conv1d.weight", {hp.ssm_d_conv, C}, TR::F32Only, lin, L.ssm_conv1d));
    TS_TRY(b("ssm_dt.bias", {R}, TR::F32Only, lin, L.ssm_dt));
    TS_TRY(b("ssm_a", {R}, TR::F32Only, lin, L.ssm_a));
    TS_TRY(b("ssm_beta.weight", {E, R}, TR::AnySupported, lin, L.ssm_beta));
    TS_TRY(b("ssm_alpha.weight", {E, R}, TR::AnySupported, lin, L.ssm_alpha));
    TS_TRY(b("ssm_norm.weight", {hp.ssm_d_state}, TR::F32Only, lin, L.ssm_norm));
    TS_TRY(b("ssm_out.weight", {DI, E}, TR::AnySupported, lin, L.ssm_out));
    for (const char* other : {"attn_q.bias", "attn_k.bias", "attn_v.bias", "attn_qkv.bias", "post_ffw_norm.weight",
                              "ffn_gate_inp.weight", "ffn_gate_exps.weight"})
        TS_TRY(b(other, {1}, TR::AnySupported, Need::Absent, unused));
    return {};
}

}  // namespace

Status bind_weights(const gguf::GgufFile& f, Hparams& hp, Weights& w) {
    using TR         = TypeRule;
    const char* path = f.name().c_str();

    // The vocabulary size comes from the embedding matrix: {n_embd, n_vocab}.
    const Tensor* embd = f.find_tensor("token_embd.weight");
    if (!embd) return make_error(Code::kFormat, "%s: tensor 'token_embd.weight' is missing", path);
    if (embd->n_dims != 2 || embd->ne[0] != hp.n_embd || embd->ne[1] <= 0 || embd->ne[1] > INT32_MAX)
        return make_error(Code::kFormat, "%s: tensor 'token_embd.weight': expected [%d, n_vocab], got %s", path,
                          hp.n_embd, describe_tensor(*embd).c_str());
    hp.n_vocab = int(embd->ne[1]);
    TS_TRY(validate_hparams(f.name(), hp));
    TS_TRY(check_vocab_size(f, hp));
    TS_TRY(bind_rope_freqs(f, hp, w.rope_freqs));

    const int64_t n_embd = hp.n_embd, n_vocab = hp.n_vocab;
    const bool gpt2      = hp.arch == Arch::Gpt2;
    const Need gpt2_only = gpt2 ? Need::Required : Need::Absent;
    TS_TRY(bind(f, "token_embd.weight", {n_embd, n_vocab}, TR::AnySupported, Need::Required, w.token_embd));
    TS_TRY(bind(f, "position_embd.weight", {n_embd, hp.n_ctx_train}, TR::AnySupported, gpt2_only, w.pos_embd));
    TS_TRY(bind(f, "output_norm.weight", {n_embd}, TR::F32Only, Need::Required, w.output_norm));
    TS_TRY(bind(f, "output_norm.bias", {n_embd}, TR::F32Only, gpt2_only, w.output_norm_b));
    // gemma2 always ties (llama.cpp does not read an output.weight there, so a file with one is refused); olmoe never
    // does (llama.cpp requires its output.weight).
    TS_TRY(bind(f, "output.weight", {n_embd, n_vocab}, TR::AnySupported,
                hp.arch == Arch::Gemma2  ? Need::Absent
                : hp.arch == Arch::Olmoe ? Need::Required
                                         : Need::Optional,
                w.output));
    hp.tied_output = w.output.data == nullptr;
    if (hp.tied_output) w.output = w.token_embd;

    // Biases on Q, K, V: always there in qwen2; accepted in llama files that carry them.
    const Need bias     = hp.arch == Arch::Qwen2 ? Need::Required : gpt2 ? Need::Absent : Need::Optional;
    const Need separate = gpt2 ? Need::Absent : Need::Required;  // what gpt2 fuses or lacks
    const bool phi3     = hp.arch == Arch::Phi3;
    const bool gemma    = hp.arch == Arch::Gemma2 || hp.arch == Arch::Gemma3;
    const bool moe      = hp.is_moe();
    const bool olmoe    = hp.arch == Arch::Olmoe;  // its q/k norms span the whole q and k vectors, not one head
    const Need qk_norm  = hp.arch == Arch::Qwen3 || hp.arch == Arch::Gemma3 || hp.arch == Arch::Qwen3Moe || olmoe ||
                                 hp.arch == Arch::Gemma4
                              ? Need::Required
                              : Need::Absent;
    // gemma4's experts run beside its MLP (which stays, as a shared expert); qwen3moe's and olmoe's replace it.
    const bool beside  = hp.experts_beside_mlp();
    const Need experts = moe ? Need::Required : Need::Absent;
    const Need dense   = moe && !beside ? Need::Absent : Need::Required;
    const Need g4_moe  = beside ? Need::Required : Need::Absent;
    const bool gemma4  = hp.arch == Arch::Gemma4;
    const Need post    = gemma || gemma4 ? Need::Required : Need::Absent;
    if (gemma4 && f.find_tensor("blk.0.attn_qkv.weight"))
        return make_error(Code::kUnsupported,
                          "%s: tensor 'blk.0.attn_qkv.weight': gemma4 with a fused Q, K, V is not "
                          "supported (only separate attn_q, attn_k, attn_v)",
                          path);
    // gemma4's per-layer embeddings: three tensors before the layers, three per layer (n_embd_per_layer > 0).
    const int64_t n_pl = hp.n_embd_per_layer;
    const Need ple     = n_pl > 0 ? Need::Required : Need::Absent;
    TS_TRY(bind(f, "per_layer_token_embd.weight", {n_pl * hp.n_layer, n_vocab}, TR::AnySupported, ple,
                w.per_layer_token_embd));
    TS_TRY(bind(f, "per_layer_model_proj.weight", {n_embd, n_pl * hp.n_layer}, TR::AnySupported, ple,
                w.per_layer_model_proj));
    TS_TRY(bind(f, "per_layer_proj_norm.weight", {n_pl}, TR::F32Only, ple, w.per_layer_proj_norm));
    // phi3 reads Q, K, V from one attn_qkv when the file has it, else as three matrices (as llama.cpp does).
    const bool phi3_fused = phi3 && f.find_tensor("blk.0.attn_qkv.weight") != nullptr;
    const Need fused_qkv  = gpt2 || phi3_fused ? Need::Required : Need::Absent;
    const Need sep_qkv    = gpt2 || phi3_fused ? Need::Absent : Need::Required;
    // Phi-3's long-context RoPE ("longrope": per-pair factors chosen by the context length, and a scale of cos and
    // sin) is not implemented: its tensors are refused by name.
    for (const char* name : {"rope_factors_long.weight", "rope_factors_short.weight"})
        if (f.find_tensor(name))
            return make_error(Code::kUnsupported,
                              "%s: tensor '%s': Phi-3's long-context RoPE (longrope frequency factors) is not "
                              "supported",
                              path, name);
    TS_TRY(check_layer_count(f, hp));
    w.layers.assign(size_t(hp.n_layer), LayerWeights{});
    for (int il = 0; il < hp.n_layer; ++il) {
        LayerWeights& L = w.layers[size_t(il)];
        if (hp.arch == Arch::Qwen35) {
            TS_TRY(bind_qwen35_layer(f, hp, il, L));
            continue;
        }
        const std::string blk = "blk." + std::to_string(il) + ".";
        auto b = [&](const char* name, const std::vector<int64_t>& shape, TypeRule rule, Need need, Tensor& out) {
            return bind(f, blk + name, shape, rule, need, out);
        };
        // Sizes of this layer (gemma4's differ between global and sliding-window layers).
        const int64_t q_dim = hp.q_dim_of(il), kv_dim = hp.kv_dim_of(il), n_ff = hp.n_ff_of(il);
        const int64_t head_dim = hp.head_dim_of(il);
        // gemma4: a KV-sharing layer may carry K (and its norm) but never uses it; V is optional (K is used).
        const Need own_k  = hp.has_own_kv(il) ? sep_qkv : Need::Optional;
        const Need v_need = gemma4 ? Need::Optional : sep_qkv;
        TS_TRY(b("attn_norm.weight", {n_embd}, TR::F32Only, Need::Required, L.attn_norm));
        TS_TRY(b("attn_norm.bias", {n_embd}, TR::F32Only, gpt2_only, L.attn_norm_b));
        TS_TRY(b("attn_qkv.weight", {n_embd, q_dim + 2 * kv_dim}, TR::AnySupported, fused_qkv, L.wqkv));
        TS_TRY(b("attn_qkv.bias", {q_dim + 2 * kv_dim}, TR::F32Only,
                 gpt2         ? Need::Required
                 : phi3_fused ? Need::Optional
                              : Need::Absent,
                 L.bqkv));
        TS_TRY(b("attn_q.weight", {n_embd, q_dim}, TR::AnySupported, sep_qkv, L.wq));
        TS_TRY(b("attn_k.weight", {n_embd, kv_dim}, TR::AnySupported, own_k, L.wk));
        TS_TRY(b("attn_v.weight", {n_embd, kv_dim}, TR::AnySupported, v_need, L.wv));
        TS_TRY(b("attn_output.weight", {q_dim, n_embd}, TR::AnySupported, Need::Required, L.wo));
        TS_TRY(b("attn_output.bias", {n_embd}, TR::F32Only, gpt2_only, L.bo));
        const Need qkv_bias = phi3_fused ? Need::Absent : bias;  // a fused phi3 file's bias is attn_qkv.bias
        TS_TRY(b("attn_q.bias", {q_dim}, TR::F32Only, qkv_bias, L.bq));
        TS_TRY(b("attn_k.bias", {kv_dim}, TR::F32Only, qkv_bias, L.bk));
        TS_TRY(b("attn_v.bias", {kv_dim}, TR::F32Only, qkv_bias, L.bv));
        TS_TRY(b("post_attention_norm.weight", {n_embd}, TR::F32Only, post, L.attn_post_norm));
        TS_TRY(b("post_ffw_norm.weight", {n_embd}, TR::F32Only, post, L.ffn_post_norm));
        TS_TRY(b("attn_q_norm.weight", {olmoe ? q_dim : head_dim}, TR::F32Only, qk_norm, L.q_norm));
        TS_TRY(b("attn_k_norm.weight", {olmoe ? kv_dim : head_dim}, TR::F32Only,
                 hp.has_own_kv(il) ? qk_norm : Need::Optional, L.k_norm));
        TS_TRY(b("layer_output_scale.weight", {1}, TR::F32Only, gemma4 ? Need::Optional : Need::Absent, L.out_scale));
        TS_TRY(b("inp_gate.weight", {n_embd, n_pl}, TR::AnySupported, ple, L.ple_gate));
        TS_TRY(b("proj.weight", {n_pl, n_embd}, TR::AnySupported, ple, L.ple_proj));
        TS_TRY(b("post_norm.weight", {n_embd}, TR::F32Only, ple, L.ple_post_norm));
        TS_TRY(b("ffn_norm.weight", {n_embd}, TR::F32Only, Need::Required, L.ffn_norm));
        TS_TRY(b("ffn_norm.bias", {n_embd}, TR::F32Only, gpt2_only, L.ffn_norm_b));
        TS_TRY(b("ffn_gate.weight", {n_embd, n_ff}, TR::AnySupported,
                 phi3 || (moe && !beside) ? Need::Absent : separate, L.w_gate));
        TS_TRY(b("ffn_up.weight", {n_embd, phi3 ? 2 * n_ff : n_ff}, TR::AnySupported, dense, L.w_up));
        TS_TRY(b("ffn_up.bias", {n_ff}, TR::F32Only, gpt2_only, L.b_up));
        TS_TRY(b("ffn_down.weight", {n_ff, n_embd}, TR::AnySupported, dense, L.w_down));
        // The mixture of experts (qwen3moe, olmoe, gemma4): the router and the stacked experts. Shared experts are
        // refused. gemma4 (as llama.cpp's loader): gate and up fused when the file has ffn_gate_up_exps, else
        // separate; the router's input scale, three norms, and each expert's output scale (optional) besides.
        const int64_t n_exp = hp.n_expert, n_ffx = hp.expert_ff();
        const bool fused   = beside && f.find_tensor(blk + "ffn_gate_up_exps.weight");
        const Need gate_up = fused ? Need::Absent : experts;
        TS_TRY(b("ffn_gate_inp.weight", {n_embd, n_exp}, TR::AnySupported, experts, L.ffn_gate_inp));
        TS_TRY(b("ffn_gate_inp.scale", {n_embd}, TR::F32Only, g4_moe, L.ffn_gate_inp_s));
        TS_TRY(b("pre_ffw_norm_2.weight", {n_embd}, TR::F32Only, g4_moe, L.ffn_pre_norm_2));
        TS_TRY(b("post_ffw_norm_1.weight", {n_embd}, TR::F32Only, g4_moe, L.ffn_post_norm_1));
        TS_TRY(b("post_ffw_norm_2.weight", {n_embd}, TR::F32Only, g4_moe, L.ffn_post_norm_2));
        TS_TRY(b("ffn_gate_up_exps.weight", {n_embd, 2 * n_ffx, n_exp}, TR::AnySupported,
                 fused ? Need::Required : Need::Absent, L.ffn_gate_up_exps));
        TS_TRY(b("ffn_gate_exps.weight", {n_embd, n_ffx, n_exp}, TR::AnySupported, gate_up, L.ffn_gate_exps));
        TS_TRY(b("ffn_up_exps.weight", {n_embd, n_ffx, n_exp}, TR::AnySupported, gate_up, L.ffn_up_exps));
        TS_TRY(b("ffn_down_exps.weight", {n_ffx, n_embd, n_exp}, TR::AnySupported, experts, L.ffn_down_exps));
        TS_TRY(
            b("ffn_down_exps.scale", {n_exp}, TR::F32Only, beside ? Need::Optional : Need::Absent, L.ffn_down_exps_s));
        for (const char* scale : {"ffn_gate_exps.scale", "ffn_up_exps.scale"})
            if (f.find_tensor(blk + scale))
                return make_error(Code::kUnsupported,
                                  "%s: tensor '%s%s': per-expert scales of the gate and up projections are not "
                                  "supported (only ffn_down_exps.scale)",
                                  path, blk.c_str(), scale);
        for (const char* shexp :
             {"ffn_gate_inp_shexp.weight", "ffn_gate_shexp.weight", "ffn_up_shexp.weight", "ffn_down_shexp.weight"})
            if (f.find_tensor(blk + shexp))
                return make_error(Code::kUnsupported, "%s: tensor '%s%s': shared experts are not supported", path,
                                  blk.c_str(), shexp);
        TS_TRY(b("ffn_down.bias", {n_embd}, TR::F32Only, gpt2_only, L.b_down));
    }
    return {};
}

void count_params(Model& m) {
    int64_t n    = 0;
    size_t bytes = 0;
    auto add     = [&](const Tensor& t) {
        if (!t.data) return;
        n += t.n_elements();
        bytes += t.nbytes;
    };
    add(m.w.token_embd);
    add(m.w.pos_embd);
    add(m.w.output_norm);
    add(m.w.output_norm_b);
    add(m.w.rope_freqs);
    add(m.w.per_layer_token_embd);
    add(m.w.per_layer_model_proj);
    add(m.w.per_layer_proj_norm);
    if (!m.hp.tied_output) add(m.w.output);
    for (const LayerWeights& L : m.w.layers)
        for (const Tensor* t : layer_tensors(L)) add(*t);
    m.n_params     = n;
    m.weight_bytes = bytes;
}

}  // namespace ts::core::model_detail
