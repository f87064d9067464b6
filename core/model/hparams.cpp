// Hyper-parameters of a GGUF model: which architecture, and the `<arch>.*` keys that size it. Also the checks that
// every format's hyper-parameters must pass before any buffer is sized from them.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>

#include "core/gguf/gguf_reader.hpp"
#include "core/kv/recurrent_state.hpp"
#include "core/model/hparams_keys.hpp"
#include "core/model/loader.hpp"

namespace ts::core::model_detail {
namespace {

// The most layers a model may declare: llama.cpp's LLAMA_MAX_LAYERS. The largest published models have about 130.
constexpr int kMaxLayers = 512;

// RoPE scaling, read as llama.cpp reads it: rope.scaling.type defaults to "linear"; the factor is
// rope.scaling.factor, else the older rope.scale_linear, and 0 (or absent) means 1; "none" never scales, whatever the
// factor. Everything llama.cpp would apply that we do not (yarn, longrope, an attention factor) is refused.
// Llama 3.1/3.2 files carry no type: their "llama3" scaling is the tensor rope_freqs.weight (bind_weights).
Status read_rope_scaling(const gguf::GgufFile& f, const std::string& a, Hparams& hp) {
    const char* path = f.name().c_str();
    std::string type = "linear";
    if (f.find(a + "rope.scaling.type")) {
        auto t = read_string(f, a + "rope.scaling.type");
        if (!t) return t.error();
        type = *t;
    }
    if (type != "none" && type != "linear")
        return make_error(Code::kUnsupported,
                          "%s: rope scaling '%s' (%srope.scaling.type) is not supported (none, linear; llama3 "
                          "scaling is read from tensor rope_freqs.weight)",
                          path, type.c_str(), a.c_str());
    hp.rope_scaling = type == "none" ? RopeScaling::None : RopeScaling::Linear;

    float factor           = 0.0f;
    std::string factor_key = a + "rope.scaling.factor";
    if (!f.find(factor_key)) factor_key = a + "rope.scale_linear";
    TS_TRY(read_float(f, factor_key, factor));
    if (factor < 0.0f || (factor > 0.0f && !std::isfinite(1.0f / factor)))
        return make_error(Code::kFormat,
                          "%s: rope scaling factor %g (%s) must be positive and large enough that 1/factor is "
                          "finite (0: no scaling)",
                          path, double(factor), factor_key.c_str());
    hp.rope_freq_scale = hp.rope_scaling == RopeScaling::None || factor == 0.0f ? 1.0f : 1.0f / factor;

    // llama.cpp multiplies every cos and sin by this (its attn_factor); nothing here does, so only 1 is accepted.
    float attn_factor = 1.0f;
    TS_TRY(read_float(f, a + "rope.scaling.attn_factor", attn_factor));
    if (attn_factor != 1.0f)
        return make_error(Code::kUnsupported, "%s: %srope.scaling.attn_factor %g is not supported (only 1)", path,
                          a.c_str(), double(attn_factor));
    TS_TRY(read_int(f, a + "rope.scaling.original_context_length", hp.n_ctx_orig, false));
    return {};
}

// phi3: llama.cpp reads attention.sliding_window and then turns it off (its Phi SWA is disabled), so it is shown
// and not applied, as there.
Status read_phi3(const gguf::GgufFile& f, const std::string& a, Hparams& hp) {
    if (hp.head_dim * hp.n_head != hp.n_embd)
        return make_error(Code::kFormat, "%s: phi3 heads of %d x %d must fill embedding_length %d", f.name().c_str(),
                          hp.n_head, hp.head_dim, hp.n_embd);
    int window = 0;  // read for its type only: load_gguf notes that it is not applied
    TS_TRY(read_int(f, a + "attention.sliding_window", window, false));
    hp.n_swa = 0;
    return {};
}

// gemma2 / gemma3, as llama.cpp's loaders read them. Sliding window: attention.sliding_window (gemma2: default 4096,
// always on; gemma3: on only when the key is > 0), layers marked by attention.sliding_window_pattern (an array of
// bools, or n: every n-th layer is global, the others local; gemma2 default 2, gemma3 6). Local layers' RoPE:
// gemma2 the global base and scale unless rope.freq_base_swa; gemma3 base rope.freq_base_swa (default 10000) and no
// scaling. Soft-caps: gemma2 always caps the scores (attn_logit_softcapping, default 50) and the logits
// (final_logit_softcapping, default 30); gemma3 only the logits when final_logit_softcapping is > 0. The queries'
// scale is 1/√head_dim except for the 27B shapes (46 / 62 layers), which llama.cpp scales by 1/√(n_embd/n_head).
Status read_gemma(const gguf::GgufFile& f, const std::string& a, Hparams& hp) {
    const char* path  = f.name().c_str();
    const bool gemma2 = hp.arch == Arch::Gemma2;
    TS_TRY(
        refuse_other(f, a + "attention.key_length_swa", hp.head_dim, "a head size of the local layers of their own"));
    TS_TRY(
        refuse_other(f, a + "attention.value_length_swa", hp.head_dim, "a head size of the local layers of their own"));
    TS_TRY(refuse_other(f, a + "rope.dimension_count_swa", hp.n_rot, "a RoPE size of the local layers of their own"));

    int n_swa         = gemma2 ? 4096 : 0;
    const bool window = f.find(a + "attention.sliding_window") != nullptr;
    if (window) {
        const gguf::Value* v = f.find(a + "attention.sliding_window");
        uint64_t u           = 0;
        if (!is_integer(v->type) || !v->as_u64(u) || u > uint64_t(INT_MAX))
            return make_error(Code::kFormat, "%s: metadata key '%sattention.sliding_window' must be a count", path,
                              a.c_str());
        n_swa = int(u);
    }
    if (n_swa > 0) {
        hp.n_swa = n_swa;
        hp.swa_layers.assign(size_t(hp.n_layer), 0);
        const std::string pkey = a + "attention.sliding_window_pattern";
        const gguf::Value* pv  = f.find(pkey);
        if (pv && pv->type == gguf::ValueType::Array) {
            TS_TRY(read_layer_flags(f, pkey, hp));
        } else {
            int pattern = gemma2 ? 2 : 6;
            if (pv) {
                uint64_t u = 0;
                if (!is_integer(pv->type) || !pv->as_u64(u) || u > uint64_t(INT_MAX))
                    return make_error(Code::kFormat, "%s: metadata key '%s' must be a count or an array of bools", path,
                                      pkey.c_str());
                pattern = int(u);
            }
            for (int il = 0; il < hp.n_layer; ++il)
                hp.swa_layers[size_t(il)] = pattern == 0 || il % pattern < pattern - 1 ? 1 : 0;
        }
        hp.rope_freq_base_swa  = gemma2 ? hp.rope_freq_base : 10000.0f;
        hp.rope_freq_scale_swa = gemma2 ? hp.rope_freq_scale : 1.0f;
        TS_TRY(read_float(f, a + "rope.freq_base_swa", hp.rope_freq_base_swa));
        if (!(hp.rope_freq_base_swa > 0.0f))
            return make_error(Code::kFormat, "%s: %srope.freq_base_swa %g must be > 0", path, a.c_str(),
                              double(hp.rope_freq_base_swa));
    }

    hp.attn_softcap  = gemma2 ? 50.0f : 0.0f;
    hp.final_softcap = gemma2 ? 30.0f : 0.0f;
    if (gemma2) TS_TRY(read_float(f, a + "attn_logit_softcapping", hp.attn_softcap));
    TS_TRY(read_float(f, a + "final_logit_softcapping", hp.final_softcap));
    // gemma2 divides by both caps whatever they are: 0 or less would make every score or logit NaN or 0.
    if (gemma2 && !(hp.attn_softcap > 0.0f && hp.final_softcap > 0.0f))
        return make_error(
            Code::kFormat,
            "%s: gemma2's soft-caps (%sattn_logit_softcapping %g, final_logit_softcapping %g) must be > 0", path,
            a.c_str(), double(hp.attn_softcap), double(hp.final_softcap));
    if (!gemma2 && hp.final_softcap != 0.0f)
        return make_error(Code::kUnsupported,
                          "%s: %sfinal_logit_softcapping %g is not supported for gemma3 (only gemma2 soft-caps the "
                          "logits here)",
                          path, a.c_str(), double(hp.final_softcap));
    const bool big = hp.n_layer == (gemma2 ? 46 : 62);  // Gemma 2 / 3 27B
    hp.attn_scale  = big ? 1.0f / std::sqrt(float(hp.n_embd / hp.n_head)) : 1.0f / std::sqrt(float(hp.head_dim));
    return {};
}

// Both mixtures (qwen3moe, olmoe): expert_count and expert_used_count (required, 0 < used <= count <= 512), and
// grouped routing, which llama.cpp applies to any architecture whose file asks for it, refused.
Status read_expert_counts(const gguf::GgufFile& f, const std::string& a, Hparams& hp) {
    const char* path = f.name().c_str();
    TS_TRY(read_int(f, a + "expert_count", hp.n_expert, true));
    TS_TRY(read_int(f, a + "expert_used_count", hp.n_expert_used, true));
    if (hp.n_expert_used > hp.n_expert || hp.n_expert > 512)
        return make_error(Code::kFormat, "%s: %sexpert_used_count %d must be at most expert_count %d (at most 512)",
                          path, a.c_str(), hp.n_expert_used, hp.n_expert);
    return refuse_count(f, a, "expert_group_count", 1, "grouped expert routing is not implemented (only 0 or 1)");
}

// gemma4's experts, as llama.cpp reads them: expert_count and expert_used_count (read_expert_counts), each expert's
// hidden size expert_feed_forward_length (required here: llama.cpp sizes the experts' tensors by it; an array must
// hold one value, since llama.cpp sizes every layer's experts by layer 0's). Its graph always takes the softmax's
// top experts and renormalises their weights (build_moe_ffn with softmax gating, norm_w true, scale 1), reading no
// gating, norm or scale key: load_gguf notes those when a file has them.
Status read_gemma4_experts(const gguf::GgufFile& f, const std::string& a, Hparams& hp) {
    TS_TRY(read_expert_counts(f, a, hp));
    std::vector<int> per_layer;
    TS_TRY(read_int_per_layer(f, a + "expert_feed_forward_length", hp.n_layer, hp.n_ff_exp, per_layer, true));
    if (!per_layer.empty())
        return make_error(Code::kUnsupported,
                          "%s: metadata key '%sexpert_feed_forward_length' differs between layers: llama.cpp sizes "
                          "every layer's experts by layer 0's, so such a file does not load there (one value only)",
                          f.name().c_str(), a.c_str());
    hp.expert_weights_norm = true;
    return {};
}

// gemma4 (the text model), as llama.cpp's loader reads it: attention.sliding_window and its per-layer pattern (an
// array, required), the local layers' own head size (attention.key_length_swa / value_length_swa, required) and
// RoPE size (rope.dimension_count_swa) and base (rope.freq_base_swa, default 10000, no scaling), no query scale
// (1), an optional final soft-cap, per-layer embeddings (embedding_length_per_layer_input, 0: none) and KV sharing
// (attention.shared_kv_layers: the last n layers reuse earlier layers' caches). head_count_kv and
// feed_forward_length may be per-layer arrays (read before this). With expert_count > 0 (the 26B-A4B shape), experts
// beside the MLP (read_gemma4_experts).
Status read_gemma4(const gguf::GgufFile& f, const std::string& a, Hparams& hp) {
    const char* path = f.name().c_str();
    int n_expert     = 0;
    TS_TRY(read_count(f, a + "expert_count", n_expert));
    if (n_expert > 0) TS_TRY(read_gemma4_experts(f, a, hp));
    const int head_full = hp.head_dim;
    int head_swa = 0, value_swa = 0;
    TS_TRY(read_int(f, a + "attention.key_length_swa", head_swa, true));
    TS_TRY(read_int(f, a + "attention.value_length_swa", value_swa, true));
    if (value_swa != head_swa)
        return make_error(Code::kUnsupported,
                          "%s: %sattention.value_length_swa %d differs from key_length_swa %d (llama.cpp requires "
                          "them equal for gemma4)",
                          path, a.c_str(), value_swa, head_swa);
    hp.n_rot_swa = hp.n_rot;
    TS_TRY(read_int(f, a + "rope.dimension_count_swa", hp.n_rot_swa, false));
    if (hp.n_rot_swa > head_swa || hp.n_rot_swa % 2 != 0 || hp.n_rot > head_full)
        return make_error(Code::kFormat,
                          "%s: gemma4's RoPE sizes (%d global, %d local) must be even and at most the head sizes "
                          "(%d, %d)",
                          path, hp.n_rot, hp.n_rot_swa, head_full, head_swa);
    TS_TRY(read_int(f, a + "attention.sliding_window", hp.n_swa, true));
    TS_TRY(read_layer_flags(f, a + "attention.sliding_window_pattern", hp));
    hp.rope_freq_base_swa  = 10000.0f;
    hp.rope_freq_scale_swa = 1.0f;
    TS_TRY(read_float(f, a + "rope.freq_base_swa", hp.rope_freq_base_swa));
    if (!(hp.rope_freq_base_swa > 0.0f))
        return make_error(Code::kFormat, "%s: %srope.freq_base_swa %g must be > 0", path, a.c_str(),
                          double(hp.rope_freq_base_swa));
    TS_TRY(read_float(f, a + "final_logit_softcapping", hp.final_softcap));
    if (hp.final_softcap < 0.0f)
        return make_error(Code::kFormat, "%s: %sfinal_logit_softcapping %g must be >= 0", path, a.c_str(),
                          double(hp.final_softcap));
    hp.attn_scale = 1.0f;  // llama.cpp: f_attention_scale = 1 (the q norm sets the scores' size)
    if (!f.find(a + "embedding_length_per_layer_input"))
        return make_error(Code::kFormat, "%s: metadata key '%sembedding_length_per_layer_input' is missing", path,
                          a.c_str());
    TS_TRY(read_count(f, a + "embedding_length_per_layer_input", hp.n_embd_per_layer));
    int shared = 0;
    TS_TRY(read_count(f, a + "attention.shared_kv_layers", shared));
    hp.n_layer_kv = shared > 0 ? hp.n_layer - shared : 0;
    if (shared > 0 && hp.n_layer_kv < 2)
        return make_error(Code::kFormat,
                          "%s: %sattention.shared_kv_layers %d leaves %d layers with a KV cache of their own; at "
                          "least 2 are needed (one global, one sliding-window to share)",
                          path, a.c_str(), shared, hp.n_layer - shared);

    // Per-layer head sizes: the global layers' key_length, the local layers' key_length_swa.
    if (head_swa != head_full) {
        hp.layer_head_dim.assign(size_t(hp.n_layer), head_full);
        for (int il = 0; il < hp.n_layer; ++il)
            if (hp.is_swa(il)) hp.layer_head_dim[size_t(il)] = head_swa;
        hp.head_dim = std::max(head_full, head_swa);
    }
    for (int il = hp.n_layer_kv; shared > 0 && il < hp.n_layer; ++il) {
        const int src = hp.kv_source(il);
        if (hp.is_swa(src) != hp.is_swa(il) || hp.kv_dim_of(src) != hp.kv_dim_of(il))
            return make_error(Code::kFormat,
                              "%s: layer %d shares the KV cache of layer %d, which is not of its kind (sliding-window "
                              "%d vs %d) or size (%d vs %d values per position)",
                              path, il, src, int(hp.is_swa(il)), int(hp.is_swa(src)), hp.kv_dim_of(il),
                              hp.kv_dim_of(src));
    }
    for (int il = 0; il < hp.n_layer; ++il)
        if (hp.n_head % hp.n_head_kv_of(il) != 0)
            return make_error(Code::kFormat, "%s: layer %d: n_head %d is not a multiple of its n_head_kv %d", path, il,
                              hp.n_head, hp.n_head_kv_of(il));
    return {};
}

// qwen3moe's experts, as llama.cpp reads them: expert_count and expert_used_count (required, 0 < used <= count),
// each expert's hidden size expert_feed_forward_length (default feed_forward_length / expert_used_count). Its graph
// always renormalises the chosen weights and never scales them; keys that would ask otherwise, shared experts or
// grouped routing (which llama.cpp's build_moe_ffn would apply) are refused.
Status read_moe(const gguf::GgufFile& f, const std::string& a, Hparams& hp) {
    const char* path = f.name().c_str();
    hp.n_ff_dense    = hp.n_ff;
    TS_TRY(read_expert_counts(f, a, hp));
    const bool has_len = f.find(a + "expert_feed_forward_length") != nullptr;
    if (!has_len && hp.n_ff_dense <= 0)
        return make_error(Code::kFormat,
                          "%s: metadata keys '%sexpert_feed_forward_length' and feed_forward_length are "
                          "both missing",
                          path, a.c_str());
    hp.n_ff = has_len ? 0 : hp.n_ff_dense / hp.n_expert_used;
    TS_TRY(read_int(f, a + "expert_feed_forward_length", hp.n_ff, has_len));
    TS_TRY(
        refuse_count(f, a, "expert_shared_count", 0, "shared experts are not part of qwen3moe (only 0 is supported)"));
    if (f.find(a + "expert_gating_func")) {
        int gating = 0;
        TS_TRY(read_int(f, a + "expert_gating_func", gating, true));
        if (gating != 1)
            return make_error(Code::kUnsupported,
                              "%s: metadata key '%sexpert_gating_func' is %d: only softmax gating (1) is implemented",
                              path, a.c_str(), gating);
    }
    if (const gguf::Value* v = f.find(a + "expert_weights_norm"); v && !(v->type == gguf::ValueType::Bool && v->b))
        return make_error(Code::kUnsupported,
                          "%s: metadata key '%sexpert_weights_norm' is not true: qwen3moe always renormalises the "
                          "chosen experts' weights (only true is supported)",
                          path, a.c_str());
    float scale = 0.0f;
    TS_TRY(read_float(f, a + "expert_weights_scale", scale));
    if (scale != 0.0f && scale != 1.0f)
        return make_error(Code::kUnsupported, "%s: metadata key '%sexpert_weights_scale' is %g: not supported (only 1)",
                          path, a.c_str(), double(scale));
    hp.expert_weights_norm = true;
    return {};
}

// olmoe, as llama.cpp's loader and graph read it: the experts are sized by feed_forward_length (llama.cpp reads no
// expert_feed_forward_length for olmoe), softmax gating, and the chosen experts' probabilities are their weights as
// they are, never renormalised or scaled (expert_weights_norm, expert_weights_scale and expert_gating_func are not
// read; load_gguf notes them when a file has them). q and k are RMS-normed as whole vectors with weights of n_embd
// and the output projection is [n_embd, n_embd], so the heads must fill n_embd with one kv head per query head
// (llama.cpp cannot build the graph otherwise), and RoPE turns the whole head (llama.cpp asserts n_rot = head
// size).
Status read_olmoe(const gguf::GgufFile& f, const std::string& a, Hparams& hp) {
    const char* path = f.name().c_str();
    TS_TRY(read_expert_counts(f, a, hp));
    hp.expert_weights_norm = false;
    hp.n_ff_dense          = 0;
    if (hp.q_dim() != hp.n_embd)
        return make_error(Code::kUnsupported,
                          "%s: olmoe heads of %d x %d (%sattention.key_length) must fill embedding_length %d: its "
                          "query norm and output matrix are n_embd wide",
                          path, hp.n_head, hp.head_dim, a.c_str(), hp.n_embd);
    if (hp.n_head_kv != hp.n_head)
        return make_error(Code::kUnsupported,
                          "%s: olmoe's key norm is n_embd wide, so %sattention.head_count_kv %d must equal head_count "
                          "%d (grouped-query attention is not part of olmoe)",
                          path, a.c_str(), hp.n_head_kv, hp.n_head);
    if (hp.n_rot != hp.head_dim)
        return make_error(Code::kUnsupported, "%s: %srope.dimension_count %d must be olmoe's head size %d", path,
                          a.c_str(), hp.n_rot, hp.head_dim);
    return {};
}

// qwen35, as llama.cpp's loader reads it: the ssm.* sizes (all required), which layers are recurrent
// (attention.recurrent_layers, else every layer but each full_attention_interval-th, default 4) and the M-RoPE
// sections (rope.dimension_sections, required). Refused: multi-token-prediction layers (nextn_predict_layers >
// 0, not run here) and sizes whose heads do not fit (the state is square: d_state == d_inner / dt_rank).
Status read_qwen35(const gguf::GgufFile& f, const std::string& a, Hparams& hp) {
    const char* path = f.name().c_str();
    TS_TRY(read_int(f, a + "ssm.conv_kernel", hp.ssm_d_conv, true));
    TS_TRY(read_int(f, a + "ssm.inner_size", hp.ssm_d_inner, true));
    TS_TRY(read_int(f, a + "ssm.state_size", hp.ssm_d_state, true));
    TS_TRY(read_int(f, a + "ssm.time_step_rank", hp.ssm_dt_rank, true));
    TS_TRY(read_int(f, a + "ssm.group_count", hp.ssm_n_group, true));
    TS_TRY(refuse_other(f, a + "nextn_predict_layers", 0,
                        "multi-token-prediction layers are not run here (only 0 is supported)"));
    if (hp.ssm_d_conv < 2 || hp.ssm_d_conv > 64 || hp.ssm_d_inner % hp.ssm_dt_rank != 0 ||
        hp.ssm_d_inner / hp.ssm_dt_rank != hp.ssm_d_state || hp.ssm_dt_rank % hp.ssm_n_group != 0 ||
        hp.ssm_d_state > 4096)
        return make_error(Code::kFormat,
                          "%s: DeltaNet sizes do not fit: ssm.conv_kernel %d (2..64), ssm.inner_size %d must be "
                          "ssm.time_step_rank %d x ssm.state_size %d (<= 4096), ssm.time_step_rank a multiple of "
                          "ssm.group_count %d",
                          path, hp.ssm_d_conv, hp.ssm_d_inner, hp.ssm_dt_rank, hp.ssm_d_state, hp.ssm_n_group);
    hp.recurrent_layers.assign(size_t(hp.n_layer), 0);
    const std::string rkey = a + "attention.recurrent_layers";
    if (const gguf::Value* rv = f.find(rkey)) {
        if (rv->type != gguf::ValueType::Array || rv->arr.size() != size_t(hp.n_layer))
            return make_error(Code::kFormat, "%s: metadata key '%s' must be an array of %d bools", path, rkey.c_str(),
                              hp.n_layer);
        for (size_t il = 0; il < rv->arr.size(); ++il) {
            uint64_t b = 0;
            if (rv->arr[il].type == gguf::ValueType::Bool)
                b = rv->arr[il].b ? 1 : 0;
            else if (!rv->arr[il].as_u64(b))
                return make_error(Code::kFormat, "%s: metadata key '%s' must be an array of bools", path, rkey.c_str());
            hp.recurrent_layers[il] = b ? 1 : 0;
        }
    } else {
        int interval = 4;
        TS_TRY(read_int(f, a + "full_attention_interval", interval, false));
        for (int il = 0; il < hp.n_layer; ++il) hp.recurrent_layers[size_t(il)] = (il + 1) % interval != 0 ? 1 : 0;
    }
    const std::string skey = a + "rope.dimension_sections";
    const gguf::Value* sv  = f.find(skey);
    if (!sv) return make_error(Code::kFormat, "%s: metadata key '%s' is missing", path, skey.c_str());
    if (sv->type != gguf::ValueType::Array || sv->arr.size() < 3 || sv->arr.size() > 4)
        return make_error(Code::kFormat, "%s: metadata key '%s' must be an array of 4 counts", path, skey.c_str());
    int sum = 0;
    for (size_t i = 0; i < sv->arr.size(); ++i) {
        int64_t x = 0;
        if (!sv->arr[i].as_i64(x) || x < 0 || x > 65536)
            return make_error(Code::kFormat, "%s: metadata key '%s' must be an array of 4 counts", path, skey.c_str());
        hp.rope_sections[i] = int(x);
        sum += int(x);
    }
    if (sum <= 0 || sum > hp.n_rot / 2)
        return make_error(Code::kFormat, "%s: %s sum to %d, expected 1 .. n_rot/2 = %d", path, skey.c_str(), sum,
                          hp.n_rot / 2);
    return {};
}

}  // namespace

Result<Hparams> read_hparams(const gguf::GgufFile& f) {
    const std::string& path = f.name();
    const auto arch         = read_string(f, "general.architecture");
    if (!arch) return arch.error();

    Hparams hp;
    hp.arch_name = *arch;
    if (*arch == "llama") {
        hp.arch       = Arch::Llama;
        hp.rope_style = RopeStyle::Normal;  // the converter permuted Q and K for adjacent pairs
    } else if (*arch == "qwen2" || *arch == "qwen3" || *arch == "qwen3moe") {
        hp.arch       = *arch == "qwen2" ? Arch::Qwen2 : *arch == "qwen3" ? Arch::Qwen3 : Arch::Qwen3Moe;
        hp.rope_style = RopeStyle::NeoX;  // pairs (i, i + n_rot/2)
    } else if (*arch == "qwen35") {
        hp.arch       = Arch::Qwen35;
        hp.rope_style = RopeStyle::NeoX;  // interleaved M-RoPE pairs (i, i + n_rot/2), as NeoX
    } else if (*arch == "gpt2") {
        hp.arch = Arch::Gpt2;  // learned positions: no RoPE at all (n_rot 0)
    } else if (*arch == "phi3" || *arch == "gemma2" || *arch == "gemma3" || *arch == "gemma4") {
        hp.arch       = *arch == "phi3"     ? Arch::Phi3
                        : *arch == "gemma2" ? Arch::Gemma2
                        : *arch == "gemma3" ? Arch::Gemma3
                                            : Arch::Gemma4;
        hp.rope_style = RopeStyle::NeoX;
    } else if (*arch == "olmoe") {
        hp.arch       = Arch::Olmoe;
        hp.rope_style = RopeStyle::NeoX;
    } else {
        return make_error(Code::kUnsupported,
                          "%s: architecture '%s' is not supported (supported: llama, qwen2, qwen3, qwen3moe, qwen35, "
                          "gpt2, phi3, gemma2, gemma3, gemma4, olmoe)",
                          path.c_str(), arch->c_str());
    }
    if (auto name = f.get_string("general.name")) hp.name = *name;

    const std::string a = *arch + ".";
    const bool gpt2     = hp.arch == Arch::Gpt2;
    TS_TRY(read_int(f, a + "embedding_length", hp.n_embd, true));
    TS_TRY(read_int(f, a + "block_count", hp.n_layer, true));
    const bool moe    = hp.arch == Arch::Qwen3Moe;
    const bool gemma4 = hp.arch == Arch::Gemma4;  // sizes that may differ per layer
    TS_TRY(read_int_per_layer(f, a + "feed_forward_length", gemma4 ? hp.n_layer : 0, hp.n_ff, hp.layer_n_ff, !moe));
    if (moe) TS_TRY(read_moe(f, a, hp));
    TS_TRY(read_int(f, a + "attention.head_count", hp.n_head, true));
    hp.n_head_kv = hp.n_head;
    TS_TRY(read_int_per_layer(f, a + "attention.head_count_kv", gemma4 ? hp.n_layer : 0, hp.n_head_kv,
                              hp.layer_n_head_kv, false));
    // gpt2's position matrix has context_length rows, so it sizes a tensor there.
    TS_TRY(read_int(f, a + "context_length", hp.n_ctx_train, gpt2));
    // LayerNorm's epsilon has its own key (llama.cpp reads only that one for gpt2).
    TS_TRY(
        read_float(f, a + (gpt2 ? "attention.layer_norm_epsilon" : "attention.layer_norm_rms_epsilon"), hp.norm_eps));

    // The head size: attention.key_length when the file gives it (qwen3: 128 with n_embd 1024 and 16 heads), else
    // n_embd / n_head. Values must be as long as keys (attention.value_length), since the weighted sum of V is
    // written where the queries' heads lie.
    const bool has_key_length = f.find(a + "attention.key_length") != nullptr;
    if (!has_key_length && hp.n_embd % hp.n_head != 0)
        return make_error(Code::kFormat, "%s: embedding_length %d is not a multiple of head_count %d", path.c_str(),
                          hp.n_embd, hp.n_head);
    hp.head_dim = hp.n_embd / hp.n_head;
    TS_TRY(read_int(f, a + "attention.key_length", hp.head_dim, false));
    int value_length = hp.head_dim;
    TS_TRY(read_int(f, a + "attention.value_length", value_length, false));
    if (value_length != hp.head_dim)
        return make_error(Code::kUnsupported,
                          "%s: %sattention.value_length %d differs from the key length %d; only equal head sizes of "
                          "keys and values are supported",
                          path.c_str(), a.c_str(), value_length, hp.head_dim);
    if (gpt2) {
        if (hp.head_dim * hp.n_head != hp.n_embd)
            return make_error(Code::kFormat, "%s: gpt2 heads of %d x %d must fill embedding_length %d", path.c_str(),
                              hp.n_head, hp.head_dim, hp.n_embd);
        hp.n_rot = 0;
        return hp;
    }
    TS_TRY(read_float(f, a + "rope.freq_base", hp.rope_freq_base));
    hp.n_rot = hp.head_dim;
    TS_TRY(read_int(f, a + "rope.dimension_count", hp.n_rot, false));
    TS_TRY(read_rope_scaling(f, a, hp));
    if (hp.arch == Arch::Phi3) TS_TRY(read_phi3(f, a, hp));
    if (hp.arch == Arch::Gemma2 || hp.arch == Arch::Gemma3) TS_TRY(read_gemma(f, a, hp));
    if (hp.arch == Arch::Olmoe) TS_TRY(read_olmoe(f, a, hp));
    if (gemma4) TS_TRY(read_gemma4(f, a, hp));
    if (hp.arch == Arch::Qwen35) TS_TRY(read_qwen35(f, a, hp));
    return hp;
}

Status validate_hparams(const std::string& path, const Hparams& hp) {
    const char* p = path.c_str();
    if (hp.n_embd <= 0 || hp.n_layer <= 0 || hp.n_ff <= 0 || hp.n_head <= 0 || hp.n_head_kv <= 0 || hp.n_vocab <= 0)
        return make_error(Code::kFormat,
                          "%s: sizes must be positive (n_embd %d, n_layer %d, n_ff %d, n_head %d, n_head_kv %d, "
                          "n_vocab %d)",
                          p, hp.n_embd, hp.n_layer, hp.n_ff, hp.n_head, hp.n_head_kv, hp.n_vocab);
    if (hp.n_layer > kMaxLayers)
        return make_error(Code::kFormat, "%s: n_layer %d is more than the %d layers a model may have", p, hp.n_layer,
                          kMaxLayers);
    if (hp.head_dim <= 0 || (hp.arch == Arch::Gpt2 && hp.head_dim * hp.n_head != hp.n_embd))
        return make_error(Code::kFormat, "%s: n_embd %d is not n_head %d x head_dim %d", p, hp.n_embd, hp.n_head,
                          hp.head_dim);
    if (hp.n_head % hp.n_head_kv != 0)
        return make_error(Code::kFormat, "%s: n_head %d is not a multiple of n_head_kv %d", p, hp.n_head, hp.n_head_kv);
    if (hp.arch == Arch::Gpt2) {
        if (hp.n_rot != 0 || hp.n_ctx_train <= 0)
            return make_error(Code::kFormat, "%s: gpt2 needs learned positions (context_length %d) and no RoPE", p,
                              hp.n_ctx_train);
    } else if (hp.n_rot <= 0 || hp.n_rot > hp.head_dim || hp.n_rot % 2 != 0)
        return make_error(Code::kFormat, "%s: rope dimension count %d must be even and in [2, head_dim %d]", p,
                          hp.n_rot, hp.head_dim);
    // Each must be a finite float in range, or every activation downstream is NaN/Inf (a silent wrong answer).
    if (!(hp.norm_eps >= 0.0f) || !std::isfinite(hp.norm_eps))
        return make_error(Code::kFormat, "%s: norm epsilon %g must be finite and >= 0", p, double(hp.norm_eps));
    if (!(hp.rope_freq_base > 0.0f) || !std::isfinite(hp.rope_freq_base))
        return make_error(Code::kFormat, "%s: rope frequency base %g must be finite and > 0", p,
                          double(hp.rope_freq_base));
    if (!(hp.rope_freq_scale > 0.0f) || !std::isfinite(hp.rope_freq_scale))
        return make_error(Code::kFormat, "%s: rope frequency scale %g (1 / rope scaling factor) must be finite and > 0",
                          p, double(hp.rope_freq_scale));
    return {};
}

}  // namespace ts::core::model_detail

namespace ts::core {

int Hparams::state_checkpoint_every() const {
    return RecurrentState::checkpoint_every(state_bytes(), kv_bytes(1, sizeof(float)));
}

std::string describe_rope_scaling(const Hparams& hp) {
    char buf[160];
    if (hp.rope_scaling == RopeScaling::None || hp.rope_freq_scale == 1.0f)
        std::snprintf(buf, sizeof buf, "none");
    else
        std::snprintf(buf, sizeof buf, "linear, factor %g (positions x %g)", 1.0 / double(hp.rope_freq_scale),
                      double(hp.rope_freq_scale));
    std::string s = buf;
    if (!hp.rope_freq_factors.empty()) {
        const auto [lo, hi] = std::minmax_element(hp.rope_freq_factors.begin(), hp.rope_freq_factors.end());
        std::snprintf(buf, sizeof buf, "; frequency factors (rope_freqs.weight): %zu pairs divided by %g to %g",
                      hp.rope_freq_factors.size(), double(*lo), double(*hi));
        s += buf;
    }
    if (hp.n_ctx_orig > 0) s += "; original context " + std::to_string(hp.n_ctx_orig);
    return s;
}

}  // namespace ts::core
