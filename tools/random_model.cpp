// Random-weight GGUF files (see random_model.hpp): the architecture's metadata, an optional placeholder vocabulary,
// and every weight drawn from the sampler's portable Rng, quantised row by row with core/tensor's quantize_row.
#include "tools/random_model.hpp"

#include <cctype>
#include <cmath>
#include <numbers>
#include <vector>

#include "core/gguf/gguf_writer.hpp"
#include "core/sample/rng.hpp"
#include "core/tensor/quant.hpp"
#include "tools/random_parts.hpp"

namespace ts::tools {
namespace {

using core::Code;
using core::DType;
using core::make_error;
using core::gguf::Value;

}  // namespace

// n values uniform in (-scale, scale): the qwen2 biases.
std::vector<float> random_vector(int64_t n, float scale, core::sample::Rng& rng) {
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = (2.0f * rng.uniform() - 1.0f) * scale;
    return v;
}

// A [ne1][ne0] matrix of uniform noise with variance 1 / ne0 (the fan-in), quantised to `type`.
std::vector<uint8_t> random_matrix(DType type, int64_t ne0, int64_t ne1, core::sample::Rng& rng) {
    const size_t row_size = core::row_bytes(type, ne0);
    std::vector<uint8_t> bytes(row_size * size_t(ne1));
    std::vector<float> row(static_cast<size_t>(ne0));
    const float bound = std::sqrt(3.0f / float(ne0));  // uniform(-b, b) has variance b² / 3
    for (int64_t r = 0; r < ne1; ++r) {
        for (float& x : row) x = (2.0f * rng.uniform() - 1.0f) * bound;
        core::quantize_row(type, row.data(), bytes.data() + size_t(r) * row_size, ne0);
    }
    return bytes;
}

namespace {

// The placeholder vocabulary: ids 0..2 special, 3..258 bytes, then "▁" + a base-26 name per id. phi3: the last four
// ids are Phi-3's <|endoftext|> and chat specials (control tokens), which llama.cpp's vocabulary expects by name in
// a model named "phi3".
void add_placeholder_vocab(core::gguf::GgufWriter& w, int n_vocab, bool phi3) {
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<int32_t> types;
    tokens.reserve(size_t(n_vocab));
    const char* specials[] = {"<unk>", "<s>", "</s>"};
    for (int i = 0; i < 3; ++i) {
        tokens.emplace_back(specials[i]);
        types.push_back(i == 0 ? 2 : 3);  // unknown, control
    }
    for (int b = 0; b < 256; ++b) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        tokens.emplace_back(buf);
        types.push_back(6);  // byte
    }
    for (int id = 259; id < n_vocab; ++id) {
        std::string name;
        for (int k = id - 259;; k = k / 26 - 1) {
            name.insert(name.begin(), char('a' + k % 26));
            if (k < 26) break;
        }
        tokens.push_back("\xE2\x96\x81" + name);  // "▁" marks a leading space
        types.push_back(1);                       // normal
    }
    if (phi3 && n_vocab >= 263) {
        const char* specials_phi3[] = {"<|endoftext|>", "<|assistant|>", "<|end|>", "<|user|>"};
        for (int i = 0; i < 4; ++i) {
            tokens[size_t(n_vocab - 4 + i)] = specials_phi3[i];
            types[size_t(n_vocab - 4 + i)]  = 3;  // control
        }
    }
    for (int id = 0; id < n_vocab; ++id) scores.push_back(id < 259 ? 0.0f : -float(id));
    w.add("tokenizer.ggml.model", Value::make_string("llama"));
    w.add("tokenizer.ggml.tokens", Value::make_string_array(tokens));
    w.add("tokenizer.ggml.scores", Value::make_f32_array(scores));
    w.add("tokenizer.ggml.token_type", Value::make_i32_array(types));
    w.add("tokenizer.ggml.unknown_token_id", Value::make_u32(0));
    w.add("tokenizer.ggml.bos_token_id", Value::make_u32(1));
    w.add("tokenizer.ggml.eos_token_id", Value::make_u32(2));
    w.add("tokenizer.ggml.add_bos_token", Value::make_bool(true));
    w.add("tokenizer.ggml.add_eos_token", Value::make_bool(false));
}

// GPT-2's byte-level alphabet: byte b is the UTF-8 of code point b when b is printable (33..126, 161..172,
// 174..255), else of 256 + its rank among the others, so every byte is one visible character.
std::string byte_token(int b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    int cp               = b;
    if (!printable) {
        cp = 256;
        for (int i = 0; i < b; ++i)
            if (!((i >= 33 && i <= 126) || (i >= 161 && i <= 172) || (i >= 174 && i <= 255))) ++cp;
    }
    std::string s;
    if (cp < 0x80) {
        s += char(cp);
    } else {
        s += char(0xC0 | (cp >> 6));
        s += char(0x80 | (cp & 0x3F));
    }
    return s;
}

}  // namespace

// The placeholder byte-level BPE vocabulary (gpt2, qwen3): ids 0..255 the bytes, then lowercase words of 2, 3, 4
// letters in order, each with the merge (word minus its last letter, last letter), so every word is reachable;
// the last id is <|endoftext|>, the bos and eos token as in GPT-2.
void add_bpe_vocab(core::gguf::GgufWriter& w, int n_vocab, const std::string& pre) {
    std::vector<std::string> tokens, merges;
    std::vector<int32_t> types;
    tokens.reserve(size_t(n_vocab));
    for (int b = 0; b < 256; ++b) {
        tokens.push_back(byte_token(b));
        types.push_back(1);  // normal
    }
    std::string word = "a";  // grows a, b, ... z, aa, ab, ...: only words of two or more letters are added
    while (int(tokens.size()) < n_vocab - 1) {
        int i = int(word.size()) - 1;  // the next word in length-then-alphabetical order
        while (i >= 0 && word[size_t(i)] == 'z') word[size_t(i--)] = 'a';
        if (i < 0) {
            word.insert(word.begin(), 'a');
        } else {
            ++word[size_t(i)];
        }
        if (word.size() < 2) continue;
        tokens.push_back(word);
        types.push_back(1);
        merges.push_back(word.substr(0, word.size() - 1) + " " + word.substr(word.size() - 1));
    }
    tokens.emplace_back("<|endoftext|>");
    types.push_back(3);  // control
    const uint32_t eot = uint32_t(n_vocab - 1);
    w.add("tokenizer.ggml.model", Value::make_string("gpt2"));
    w.add("tokenizer.ggml.pre", Value::make_string(pre));
    w.add("tokenizer.ggml.tokens", Value::make_string_array(tokens));
    w.add("tokenizer.ggml.token_type", Value::make_i32_array(types));
    w.add("tokenizer.ggml.merges", Value::make_string_array(merges));
    w.add("tokenizer.ggml.bos_token_id", Value::make_u32(eot));
    w.add("tokenizer.ggml.eos_token_id", Value::make_u32(eot));
    w.add("tokenizer.ggml.add_bos_token", Value::make_bool(false));
}

// n values 1 + uniform(-spread, spread): norm weights that are not all ones, so a test sees them applied.
std::vector<float> around_one(int64_t n, float spread, core::sample::Rng& rng) {
    std::vector<float> v = random_vector(n, spread, rng);
    for (float& x : v) x += 1.0f;
    return v;
}

namespace {

// GPT-2's tensors: LayerNorm weights and biases, learned positions, fused QKV with bias, a GELU MLP with biases.
void add_gpt2_tensors(core::gguf::GgufWriter& w, const RandomModelSpec& s, core::sample::Rng& rng) {
    const DType t   = s.type;
    const int64_t E = s.n_embd, F = s.n_ff;
    w.add_tensor("token_embd.weight", t, {E, s.n_vocab}, random_matrix(t, E, s.n_vocab, rng));
    // GPT-2's learned positions are about a tenth of the token embeddings' size; F32 as llama.cpp's converter keeps
    // small 2-D tensors it does not quantise.
    w.add_tensor_f32("position_embd.weight", {E, s.n_ctx}, random_vector(E * s.n_ctx, 0.1f, rng));
    for (int il = 0; il < s.n_layer; ++il) {
        const std::string blk = "blk." + std::to_string(il) + ".";
        w.add_tensor_f32(blk + "attn_norm.weight", {E}, around_one(E, 0.2f, rng));
        w.add_tensor_f32(blk + "attn_norm.bias", {E}, random_vector(E, 0.1f, rng));
        w.add_tensor(blk + "attn_qkv.weight", t, {E, 3 * E}, random_matrix(t, E, 3 * E, rng));
        w.add_tensor_f32(blk + "attn_qkv.bias", {3 * E}, random_vector(3 * E, 0.5f, rng));
        w.add_tensor(blk + "attn_output.weight", t, {E, E}, random_matrix(t, E, E, rng));
        w.add_tensor_f32(blk + "attn_output.bias", {E}, random_vector(E, 0.1f, rng));
        w.add_tensor_f32(blk + "ffn_norm.weight", {E}, around_one(E, 0.2f, rng));
        w.add_tensor_f32(blk + "ffn_norm.bias", {E}, random_vector(E, 0.1f, rng));
        w.add_tensor(blk + "ffn_up.weight", t, {E, F}, random_matrix(t, E, F, rng));
        w.add_tensor_f32(blk + "ffn_up.bias", {F}, random_vector(F, 0.5f, rng));
        w.add_tensor(blk + "ffn_down.weight", t, {F, E}, random_matrix(t, F, E, rng));
        w.add_tensor_f32(blk + "ffn_down.bias", {E}, random_vector(E, 0.1f, rng));
    }
    w.add_tensor_f32("output_norm.weight", {E}, around_one(E, 0.2f, rng));
    w.add_tensor_f32("output_norm.bias", {E}, random_vector(E, 0.1f, rng));
    if (!s.tied) w.add_tensor("output.weight", t, {E, s.n_vocab}, random_matrix(t, E, s.n_vocab, rng));
}

// Gemma 2 / 3's tensors: q/k/v and the gated MLP as llama's, RMS post-norms after attention and MLP, per-head q/k
// norms (gemma3), norms around 1 (the converter stores Gemma's 1 + w). Tied output unless the spec says otherwise
// (gemma2 always ties).
void add_gemma_tensors(core::gguf::GgufWriter& w, const RandomModelSpec& s, int head_dim, core::sample::Rng& rng) {
    const DType t   = s.type;
    const int64_t E = s.n_embd, F = s.n_ff, Q = int64_t(head_dim) * s.n_head, KV = int64_t(head_dim) * s.n_head_kv;
    w.add_tensor("token_embd.weight", t, {E, s.n_vocab}, random_matrix(t, E, s.n_vocab, rng));
    for (int il = 0; il < s.n_layer; ++il) {
        const std::string blk = "blk." + std::to_string(il) + ".";
        w.add_tensor_f32(blk + "attn_norm.weight", {E}, around_one(E, 0.2f, rng));
        w.add_tensor(blk + "attn_q.weight", t, {E, Q}, random_matrix(t, E, Q, rng));
        w.add_tensor(blk + "attn_k.weight", t, {E, KV}, random_matrix(t, E, KV, rng));
        w.add_tensor(blk + "attn_v.weight", t, {E, KV}, random_matrix(t, E, KV, rng));
        if (s.arch == "gemma3") {
            w.add_tensor_f32(blk + "attn_q_norm.weight", {head_dim}, around_one(head_dim, 0.2f, rng));
            w.add_tensor_f32(blk + "attn_k_norm.weight", {head_dim}, around_one(head_dim, 0.2f, rng));
        }
        w.add_tensor(blk + "attn_output.weight", t, {Q, E}, random_matrix(t, Q, E, rng));
        w.add_tensor_f32(blk + "post_attention_norm.weight", {E}, around_one(E, 0.2f, rng));
        w.add_tensor_f32(blk + "ffn_norm.weight", {E}, around_one(E, 0.2f, rng));
        w.add_tensor(blk + "ffn_gate.weight", t, {E, F}, random_matrix(t, E, F, rng));
        w.add_tensor(blk + "ffn_up.weight", t, {E, F}, random_matrix(t, E, F, rng));
        w.add_tensor(blk + "ffn_down.weight", t, {F, E}, random_matrix(t, F, E, rng));
        w.add_tensor_f32(blk + "post_ffw_norm.weight", {E}, around_one(E, 0.2f, rng));
    }
    w.add_tensor_f32("output_norm.weight", {E}, around_one(E, 0.2f, rng));
    if (!s.tied && s.arch != "gemma2")
        w.add_tensor("output.weight", t, {E, s.n_vocab}, random_matrix(t, E, s.n_vocab, rng));
}

// Phi-3's tensors: one fused attn_qkv (rows q | k | v) and one fused ffn_up (gate rows, then up rows).
void add_phi3_tensors(core::gguf::GgufWriter& w, const RandomModelSpec& s, core::sample::Rng& rng) {
    const DType t   = s.type;
    const int64_t E = s.n_embd, F = s.n_ff, KV = int64_t(s.n_embd / s.n_head) * s.n_head_kv;
    w.add_tensor("token_embd.weight", t, {E, s.n_vocab}, random_matrix(t, E, s.n_vocab, rng));
    for (int il = 0; il < s.n_layer; ++il) {
        const std::string blk = "blk." + std::to_string(il) + ".";
        w.add_tensor_f32(blk + "attn_norm.weight", {E}, around_one(E, 0.2f, rng));
        w.add_tensor(blk + "attn_qkv.weight", t, {E, E + 2 * KV}, random_matrix(t, E, E + 2 * KV, rng));
        w.add_tensor(blk + "attn_output.weight", t, {E, E}, random_matrix(t, E, E, rng));
        w.add_tensor_f32(blk + "ffn_norm.weight", {E}, around_one(E, 0.2f, rng));
        w.add_tensor(blk + "ffn_up.weight", t, {E, 2 * F}, random_matrix(t, E, 2 * F, rng));
        w.add_tensor(blk + "ffn_down.weight", t, {F, E}, random_matrix(t, F, E, rng));
    }
    w.add_tensor_f32("output_norm.weight", {E}, around_one(E, 0.2f, rng));
    if (!s.tied) w.add_tensor("output.weight", t, {E, s.n_vocab}, random_matrix(t, E, s.n_vocab, rng));
}

}  // namespace

std::vector<float> llama3_rope_factors(int head_dim, float base, float factor, float low_freq, float high_freq,
                                       int orig_ctx) {
    const double low_wavelen = double(orig_ctx) / low_freq, high_wavelen = double(orig_ctx) / high_freq;
    std::vector<float> factors;
    for (int i = 0; i < head_dim; i += 2) {
        const double freq    = std::pow(double(base), -double(i) / double(head_dim));
        const double wavelen = 2.0 * std::numbers::pi / freq;
        if (wavelen < high_wavelen) {
            factors.push_back(1.0f);
        } else if (wavelen > low_wavelen) {
            factors.push_back(factor);
        } else {
            const double smooth = (double(orig_ctx) / wavelen - low_freq) / double(high_freq - low_freq);
            factors.push_back(float(1.0 / ((1.0 - smooth) / factor + smooth)));
        }
    }
    return factors;
}

core::Result<DType> parse_dtype(const std::string& name) {
    std::string lower;
    for (char c : name) lower += char(std::tolower(static_cast<unsigned char>(c)));
    for (const auto& info : core::kDTypeInfos) {
        std::string n(info.name);
        for (char& c : n) c = char(std::tolower(static_cast<unsigned char>(c)));
        if (n == lower) return info.type;
    }
    return make_error(Code::kInvalidArgument, "unknown tensor type '%s' (e.g. f32, f16, q8_0, q4_0, q4_k)",
                      name.c_str());
}

core::Status validate_spec(const RandomModelSpec& s) {
    const bool gemma = s.arch == "gemma2" || s.arch == "gemma3" || s.arch == "gemma4";
    const bool olmoe = s.arch == "olmoe";
    // gemma4 takes experts too (beside its MLP, each n_ff_exp wide); qwen3moe and olmoe need them.
    const bool moe = s.arch == "qwen3moe" || olmoe || (s.arch == "gemma4" && s.n_expert > 0);
    if ((s.head_dim_swa || s.n_embd_per_layer || s.n_kv_shared || s.n_ff_exp || s.split_gate_up) && s.arch != "gemma4")
        return make_error(Code::kInvalidArgument,
                          "--head-dim-swa, --per-layer-embd, --kv-shared, --ffn-exp and --split-gate-up are gemma4's, "
                          "not %s's",
                          s.arch.c_str());
    if ((s.n_ff_exp || s.split_gate_up) && s.n_expert == 0)
        return make_error(Code::kInvalidArgument, "--ffn-exp and --split-gate-up size gemma4's experts (--experts)");
    if (s.head_dim_swa < 0 || s.n_embd_per_layer < 0 || s.n_kv_shared < 0 || s.head_dim_swa % 2 != 0)
        return make_error(Code::kInvalidArgument, "gemma4's sizes must be >= 0 (and the head size even)");
    if (s.arch == "gemma4" && s.n_kv_shared > 0) {  // the sharing layers read layer n_kv - 1 (global), n_kv - 2
        const int n_kv = s.n_layer - s.n_kv_shared;
        if (n_kv < 2 || gemma4_swa(s, n_kv - 1) || !gemma4_swa(s, n_kv - 2))
            return make_error(Code::kInvalidArgument,
                              "gemma4: with %d KV-sharing layers, layer %d must be global and layer %d local (the "
                              "caches they share)",
                              s.n_kv_shared, n_kv - 1, n_kv - 2);
    }
    const bool q35 = s.arch == "qwen35";
    if (s.arch != "llama" && s.arch != "qwen2" && s.arch != "qwen3" && s.arch != "gpt2" && s.arch != "phi3" && !gemma &&
        !moe && !q35)
        return make_error(Code::kInvalidArgument,
                          "unknown architecture '%s' (llama, qwen2, qwen3, qwen3moe, qwen35, olmoe, gpt2, phi3, "
                          "gemma2, gemma3 or gemma4)",
                          s.arch.c_str());
    if (q35 != (s.ssm_d_state > 0) ||
        (q35 && (s.ssm_dt_rank < 1 || s.ssm_n_group < 1 || s.ssm_dt_rank % s.ssm_n_group != 0 || s.ssm_d_conv < 2 ||
                 s.full_attn_interval < 1 || s.n_rot < 0 || s.n_rot % 2 != 0)))
        return make_error(Code::kInvalidArgument,
                          "DeltaNet sizes (--ssm-state, --ssm-heads a multiple of --ssm-groups, --conv >= 2, "
                          "--attn-every >= 1, even --rope-dims) are qwen35's and it needs them");
    if (moe != (s.n_expert > 0) || s.n_expert < 0 || (moe && (s.n_expert_used < 1 || s.n_expert_used > s.n_expert)))
        return make_error(Code::kInvalidArgument,
                          "experts (--experts, --experts-used) are a mixture's (qwen3moe, olmoe, gemma4) and "
                          "qwen3moe and olmoe need them: "
                          "1 <= used %d <= experts %d",
                          s.n_expert_used, s.n_expert);
    // olmoe's q/k norms and output matrix are n_embd wide: one kv head per head, heads filling n_embd, never tied.
    if (olmoe && (s.n_head_kv != s.n_head || s.tied))
        return make_error(Code::kInvalidArgument,
                          "olmoe has one kv head per head and its own output matrix: kv-heads %d must be heads %d, "
                          "not tied",
                          s.n_head_kv, s.n_head);
    if (s.n_swa < 0 || s.swa_pattern < 0) return make_error(Code::kInvalidArgument, "window sizes must be >= 0");
    if ((s.n_swa || s.swa_pattern) && !gemma)
        return make_error(Code::kInvalidArgument, "a sliding window (--swa, --swa-pattern) is gemma's, not %s's",
                          s.arch.c_str());
    if (s.n_layer <= 0 || s.n_embd <= 0 || s.n_head <= 0 || s.n_head_kv <= 0 || s.n_ff <= 0 || s.n_vocab <= 0 ||
        s.n_ctx <= 0 || s.head_dim < 0)
        return make_error(Code::kInvalidArgument, "every size must be positive");
    if (s.head_dim > 0 && s.arch != "qwen3" && s.arch != "qwen3moe" && !gemma && !q35)
        return make_error(Code::kInvalidArgument, "a head size of its own (--head-dim) is qwen3's or gemma's, not %s's",
                          s.arch.c_str());
    if (s.head_dim == 0 && (s.n_embd % s.n_head != 0 || (s.n_embd / s.n_head) % 2 != 0))
        return make_error(Code::kInvalidArgument, "dim %d must be heads %d x an even head size", s.n_embd, s.n_head);
    if (s.head_dim % 2 != 0) return make_error(Code::kInvalidArgument, "head size %d must be even", s.head_dim);
    if (s.arch == "gpt2" && s.n_head_kv != s.n_head)
        return make_error(Code::kInvalidArgument, "gpt2 has one kv head per head: kv-heads %d must be heads %d",
                          s.n_head_kv, s.n_head);
    if (s.n_head % s.n_head_kv != 0)
        return make_error(Code::kInvalidArgument, "heads %d must be a multiple of kv-heads %d", s.n_head, s.n_head_kv);
    if (!core::can_quantize(s.type))
        return make_error(Code::kUnsupported, "the quantiser cannot write type %s",
                          std::string(core::dtype_name(s.type)).c_str());
    const uint32_t block = core::dtype_info(s.type).block_size;
    if (s.n_embd % int(block) != 0 || s.n_ff % int(block) != 0 || gemma4_ff_exp(s) % int(block) != 0)
        return make_error(Code::kInvalidArgument, "dim %d, ffn %d and ffn-exp %d must be multiples of %s's block of %u",
                          s.n_embd, s.n_ff, gemma4_ff_exp(s), std::string(core::dtype_name(s.type)).c_str(), block);
    if (s.llama3_rope && s.arch != "llama")
        return make_error(Code::kInvalidArgument, "llama3 RoPE factors are a llama file's tensor, not %s's",
                          s.arch.c_str());
    if (!(s.rope_base > 1.0f) || !std::isfinite(s.rope_base))
        return make_error(Code::kInvalidArgument, "rope base %g must be finite and > 1", double(s.rope_base));
    const int q_dim = (s.head_dim ? s.head_dim : s.n_embd / s.n_head) * s.n_head;
    if (q_dim % int(block) != 0)
        return make_error(Code::kInvalidArgument, "heads x head size %d must be a multiple of %s's block of %u", q_dim,
                          std::string(core::dtype_name(s.type)).c_str(), block);
    if ((s.n_embd_per_layer % int(block) != 0) || ((s.head_dim_swa * s.n_head) % int(block) != 0))
        return make_error(Code::kInvalidArgument,
                          "gemma4's per-layer width %d and heads x local head size %d must be multiples of %s's block "
                          "of %u",
                          s.n_embd_per_layer, s.head_dim_swa * s.n_head, std::string(core::dtype_name(s.type)).c_str(),
                          block);
    if (q35 && (s.ssm_d_state * s.ssm_dt_rank % int(block) != 0 || (s.n_rot ? s.n_rot : q_dim / s.n_head / 4) < 2 ||
                s.n_rot > q_dim / s.n_head))
        return make_error(Code::kInvalidArgument,
                          "qwen35: --ssm-state x --ssm-heads must be a multiple of %s's block of %u, and the rotated "
                          "dims (--rope-dims, default head size / 4) in [2, head size]",
                          std::string(core::dtype_name(s.type)).c_str(), block);
    if (s.vocab && s.n_vocab < 259)
        return make_error(Code::kInvalidArgument, "a placeholder vocabulary needs vocab >= 259, got %d", s.n_vocab);
    return {};
}

core::Status write_random_model(const RandomModelSpec& s, const std::string& path) {
    TS_TRY(validate_spec(s));
    core::gguf::GgufWriter w;
    const int head_dim = s.head_dim ? s.head_dim : s.n_embd / s.n_head;
    const int kv_dim = head_dim * s.n_head_kv, q_dim = head_dim * s.n_head;
    const bool olmoe  = s.arch == "olmoe";  // qwen3moe's experts, llama's heads, q/k norms over the whole vector
    const bool moe    = s.arch == "qwen3moe" || olmoe;
    const bool q35    = s.arch == "qwen35";
    const bool g4_moe = s.arch == "gemma4" && s.n_expert > 0;  // experts beside the MLP
    const bool gpt2 = s.arch == "gpt2", qwen3 = s.arch == "qwen3" || s.arch == "qwen3moe" || q35,
               phi3   = s.arch == "phi3";
    const bool gemma  = s.arch == "gemma2" || s.arch == "gemma3" || s.arch == "gemma4";
    const bool gemma4 = s.arch == "gemma4";
    std::string name  = s.name;
    if (name.empty())
        name = "random " + s.arch + " " + std::to_string(s.n_layer) + "x" + std::to_string(s.n_embd) + " " +
               (s.k_mix ? std::string("q4_K_M-like") : std::string(core::dtype_name(s.type)));
    const std::string& a = s.arch;  // the metadata keys' prefix
    w.add("general.architecture", Value::make_string(a));
    w.add("general.name", Value::make_string(name));
    w.add(a + ".context_length", Value::make_u32(uint32_t(s.n_ctx)));
    w.add(a + ".embedding_length", Value::make_u32(uint32_t(s.n_embd)));
    w.add(a + ".block_count", Value::make_u32(uint32_t(s.n_layer)));
    if (gemma4 && s.n_kv_shared > 0) {
        std::vector<int32_t> ff;
        for (int il = 0; il < s.n_layer; ++il) ff.push_back(gemma4_ff(s, il));
        w.add(a + ".feed_forward_length", Value::make_i32_array(ff));
    } else {
        // As Qwen3-30B-A3B's file: experts used x each expert's length; OLMoE's is each expert's (no
        // expert_feed_forward_length).
        w.add(a + ".feed_forward_length", Value::make_u32(uint32_t(moe && !olmoe ? s.n_ff * s.n_expert_used : s.n_ff)));
    }
    if (moe || g4_moe) {
        w.add(a + ".expert_count", Value::make_u32(uint32_t(s.n_expert)));
        w.add(a + ".expert_used_count", Value::make_u32(uint32_t(s.n_expert_used)));
        if (!olmoe)
            w.add(a + ".expert_feed_forward_length", Value::make_u32(uint32_t(g4_moe ? gemma4_ff_exp(s) : s.n_ff)));
    }
    w.add(a + ".attention.head_count", Value::make_u32(uint32_t(s.n_head)));
    w.add(a + ".attention.head_count_kv", Value::make_u32(uint32_t(s.n_head_kv)));
    if (gpt2) {
        w.add(a + ".attention.layer_norm_epsilon", Value::make_f32(1e-5f));
    } else {
        const int n_rot = q35 ? (s.n_rot ? s.n_rot : head_dim / 4) : head_dim;  // qwen35: partial rotary
        w.add(a + ".rope.dimension_count", Value::make_u32(uint32_t(n_rot)));
        w.add(a + ".attention.layer_norm_rms_epsilon", Value::make_f32(qwen3 || gemma ? 1e-6f : 1e-5f));
        w.add(a + ".rope.freq_base", Value::make_f32(s.rope_base));
    }
    if (qwen3 || gemma) {
        w.add(a + ".attention.key_length", Value::make_u32(uint32_t(head_dim)));
        w.add(a + ".attention.value_length", Value::make_u32(uint32_t(head_dim)));
    }
    if (gemma) {
        const int n_swa = s.n_swa ? s.n_swa : s.arch == "gemma2" ? 4096 : 512;
        w.add(a + ".attention.sliding_window", Value::make_u32(uint32_t(n_swa)));
        if (gemma4) {  // the pattern as an array, the keys llama.cpp requires of gemma4
            std::vector<Value> local;
            for (int il = 0; il < s.n_layer; ++il) local.push_back(Value::make_bool(gemma4_swa(s, il)));
            w.add(a + ".attention.sliding_window_pattern", Value::make_array(core::gguf::ValueType::Bool, local));
            const int hd_swa = s.head_dim_swa ? s.head_dim_swa : head_dim;
            w.add(a + ".attention.key_length_swa", Value::make_u32(uint32_t(hd_swa)));
            w.add(a + ".attention.value_length_swa", Value::make_u32(uint32_t(hd_swa)));
            w.add(a + ".rope.dimension_count_swa", Value::make_u32(uint32_t(hd_swa)));
            w.add(a + ".rope.freq_base_swa", Value::make_f32(10000.0f));
            w.add(a + ".final_logit_softcapping", Value::make_f32(30.0f));
            w.add(a + ".embedding_length_per_layer_input", Value::make_u32(uint32_t(s.n_embd_per_layer)));
            w.add(a + ".attention.shared_kv_layers", Value::make_u32(uint32_t(s.n_kv_shared)));
        } else if (s.swa_pattern) {
            w.add(a + ".attention.sliding_window_pattern", Value::make_u32(uint32_t(s.swa_pattern)));
        }
        if (s.arch == "gemma2") {
            w.add(a + ".attn_logit_softcapping", Value::make_f32(50.0f));
            w.add(a + ".final_logit_softcapping", Value::make_f32(30.0f));
        }
    }
    if (phi3) w.add(a + ".attention.sliding_window", Value::make_u32(2047));  // as Phi-3-mini-4k's files
    if (s.vocab) {
        if (gpt2 || qwen3 || olmoe) {
            add_bpe_vocab(w, s.n_vocab, gpt2 ? "gpt-2" : olmoe ? "olmo" : q35 ? "qwen35" : "qwen2");
        } else {
            add_placeholder_vocab(w, s.n_vocab, phi3);
        }
    }

    for (const auto& [key, value] : s.extra_keys) w.add(key, value);
    for (const auto& [tname, values] : s.extra_f32_tensors) w.add_tensor_f32(tname, {int64_t(values.size())}, values);
    core::sample::Rng rng(s.seed);
    if (s.arch == "qwen35") {
        add_qwen35_model(w, s, rng);
        return w.write(path);
    }
    if (gpt2) {
        add_gpt2_tensors(w, s, rng);
        return w.write(path);
    }
    if (gemma || phi3) {
        if (gemma4) {
            add_gemma4_tensors(w, s, head_dim, rng);
        } else if (gemma) {
            add_gemma_tensors(w, s, head_dim, rng);
        } else {
            add_phi3_tensors(w, s, rng);
        }
        return w.write(path);
    }
    const DType t   = s.k_mix ? DType::Q4_K : s.type;
    const DType big = s.k_mix ? DType::Q6_K : t;  // the matrices Q4_K_M keeps at more bits
    const std::vector<float> ones(size_t(s.n_embd), 1.0f);
    w.add_tensor("token_embd.weight", t, {s.n_embd, s.n_vocab}, random_matrix(t, s.n_embd, s.n_vocab, rng));
    for (int il = 0; il < s.n_layer; ++il) {
        const std::string blk = "blk." + std::to_string(il) + ".";
        w.add_tensor_f32(blk + "attn_norm.weight", {s.n_embd}, ones);
        w.add_tensor(blk + "attn_q.weight", t, {s.n_embd, q_dim}, random_matrix(t, s.n_embd, q_dim, rng));
        w.add_tensor(blk + "attn_k.weight", t, {s.n_embd, kv_dim}, random_matrix(t, s.n_embd, kv_dim, rng));
        w.add_tensor(blk + "attn_v.weight", big, {s.n_embd, kv_dim}, random_matrix(big, s.n_embd, kv_dim, rng));
        if (s.arch == "qwen2") {  // biases of a size that matters (the weights' outputs are about unit size)
            w.add_tensor_f32(blk + "attn_q.bias", {s.n_embd}, random_vector(s.n_embd, 0.5f, rng));
            w.add_tensor_f32(blk + "attn_k.bias", {kv_dim}, random_vector(kv_dim, 0.5f, rng));
            w.add_tensor_f32(blk + "attn_v.bias", {kv_dim}, random_vector(kv_dim, 0.5f, rng));
        }
        if (qwen3) {  // one RMSNorm weight per head dimension, shared by the heads
            w.add_tensor_f32(blk + "attn_q_norm.weight", {head_dim}, around_one(head_dim, 0.2f, rng));
            w.add_tensor_f32(blk + "attn_k_norm.weight", {head_dim}, around_one(head_dim, 0.2f, rng));
        }
        if (olmoe) {  // one RMSNorm weight per dimension of the whole q and k vectors
            w.add_tensor_f32(blk + "attn_q_norm.weight", {q_dim}, around_one(q_dim, 0.2f, rng));
            w.add_tensor_f32(blk + "attn_k_norm.weight", {kv_dim}, around_one(kv_dim, 0.2f, rng));
        }
        w.add_tensor(blk + "attn_output.weight", t, {q_dim, s.n_embd}, random_matrix(t, q_dim, s.n_embd, rng));
        w.add_tensor_f32(blk + "ffn_norm.weight", {s.n_embd}, ones);
        if (moe) {  // the router, then every expert's matrices stacked along the third dimension
            const int64_t E = s.n_embd, F = s.n_ff, X = s.n_expert;
            w.add_tensor(blk + "ffn_gate_inp.weight", DType::F32, {E, X}, random_matrix(DType::F32, E, X, rng));
            w.add_tensor(blk + "ffn_gate_exps.weight", t, {E, F, X}, random_matrix(t, E, F * X, rng));
            w.add_tensor(blk + "ffn_up_exps.weight", t, {E, F, X}, random_matrix(t, E, F * X, rng));
            w.add_tensor(blk + "ffn_down_exps.weight", big, {F, E, X}, random_matrix(big, F, E * X, rng));
            continue;
        }
        w.add_tensor(blk + "ffn_gate.weight", t, {s.n_embd, s.n_ff}, random_matrix(t, s.n_embd, s.n_ff, rng));
        w.add_tensor(blk + "ffn_up.weight", t, {s.n_embd, s.n_ff}, random_matrix(t, s.n_embd, s.n_ff, rng));
        w.add_tensor(blk + "ffn_down.weight", big, {s.n_ff, s.n_embd}, random_matrix(big, s.n_ff, s.n_embd, rng));
    }
    if (s.llama3_rope) {  // one unprefixed tensor for all layers, where llama.cpp's converter puts it
        const std::vector<float> factors = llama3_rope_factors(head_dim, s.rope_base);
        w.add_tensor_f32("rope_freqs.weight", {int64_t(factors.size())}, factors);
    }
    w.add_tensor_f32("output_norm.weight", {s.n_embd}, ones);
    if (!s.tied)
        w.add_tensor("output.weight", big, {s.n_embd, s.n_vocab}, random_matrix(big, s.n_embd, s.n_vocab, rng));
    return w.write(path);
}

}  // namespace ts::tools
