// Loading a karpathy/llama2.c checkpoint (the "legacy" export run.c reads): a header of 7 int32 (dim, hidden_dim,
// n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means the classifier is not tied), then
// f32 arrays in a fixed order. The weights stay in the memory map as F32 tensors with their GGUF names.
// The header is untrusted: every size is checked, and the file's length must equal what the header implies, before
// anything is sized from it.
#include <sys/stat.h>

#include <cstring>

#include "core/base/checked_math.hpp"
#include "core/model/loader.hpp"

namespace ts::core::model_detail {
namespace {

constexpr size_t kHeaderBytes = 7 * sizeof(int32_t);

// Hands out consecutive f32 arrays of the checkpoint as tensors ({ne0, ne1} in ggml order).
class Cursor {
public:
    explicit Cursor(const uint8_t* base) : p_(base + kHeaderBytes) {}
    Tensor take(const std::string& name, int64_t ne0, int64_t ne1 = 1) {
        Tensor t;
        t.name   = name;
        t.type   = DType::F32;
        t.n_dims = ne1 == 1 ? 1 : 2;
        t.ne     = {ne0, ne1, 1, 1};
        t.data   = p_;
        t.nbytes = size_t(ne0 * ne1) * sizeof(float);
        p_ += t.nbytes;
        return t;
    }
    // The layer-stacked array `name` [n_layer][ne1][ne0]: one tensor per layer, in `dst` of each layer.
    void take_layers(std::vector<LayerWeights>& layers, Tensor LayerWeights::*dst, const char* suffix, int64_t ne0,
                     int64_t ne1 = 1) {
        for (size_t il = 0; il < layers.size(); ++il)
            layers[il].*dst = take("blk." + std::to_string(il) + "." + suffix, ne0, ne1);
    }
    void skip(uint64_t n_floats) { p_ += n_floats * sizeof(float); }

private:
    const uint8_t* p_;
};

bool file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

Result<std::shared_ptr<const Model>> load_llama2c(std::shared_ptr<const MappedFile> map,
                                                  const std::string& tokenizer_path) {
    const std::string& path = map->path();
    const char* p           = path.c_str();
    if (map->size() < kHeaderBytes)
        return make_error(Code::kFormat, "%s: not a GGUF file and too short (%zu bytes) for a llama2.c checkpoint", p,
                          map->size());
    int32_t h[7];
    std::memcpy(h, map->data(), sizeof h);
    const int32_t dim = h[0], hidden = h[1], n_layers = h[2], n_heads = h[3], n_kv_heads = h[4], seq_len = h[6];
    const int64_t vocab_signed = h[5];
    const int64_t vocab        = vocab_signed < 0 ? -vocab_signed : vocab_signed;
    if (dim <= 0 || hidden <= 0 || n_layers <= 0 || n_heads <= 0 || n_kv_heads <= 0 || vocab == 0 || seq_len <= 0 ||
        vocab > INT32_MAX)
        return make_error(Code::kFormat,
                          "%s: not a GGUF file, nor a llama2.c checkpoint: header dim %d, hidden_dim %d, n_layers %d, "
                          "n_heads %d, n_kv_heads %d, vocab_size %lld, seq_len %d",
                          p, dim, hidden, n_layers, n_heads, n_kv_heads, static_cast<long long>(vocab_signed), seq_len);
    if (dim % n_heads != 0 || n_heads % n_kv_heads != 0 || (dim / n_heads) % 2 != 0)
        return make_error(Code::kFormat,
                          "%s: not a GGUF file, nor a llama2.c checkpoint: header dim %d must be n_heads %d x an even "
                          "head size, and n_heads a multiple of n_kv_heads %d",
                          p, dim, n_heads, n_kv_heads);

    // Expected size, every product checked (all factors are positive 32-bit values, sums of a few 62-bit products).
    const uint64_t D = uint64_t(dim), F = uint64_t(hidden), L = uint64_t(n_layers), V = uint64_t(vocab);
    const uint64_t head_size = D / uint64_t(n_heads), kv_dim = head_size * uint64_t(n_kv_heads);
    const bool shared = vocab_signed > 0;
    uint64_t floats   = 0;
    bool overflow     = false;
    auto add          = [&](std::initializer_list<uint64_t> factors) {
        uint64_t prod = 1;
        for (uint64_t x : factors) {
            auto r = checked_mul(prod, x);
            if (!r) overflow = true;
            prod = r.value_or(0);
        }
        auto s = checked_add(floats, prod);
        if (!s) overflow = true;
        floats = s.value_or(0);
    };
    add({V, D});                                 // token_embedding
    add({L, D});                                 // rms_att
    add({L, D, D});                              // wq
    add({L, kv_dim, D});                         // wk
    add({L, kv_dim, D});                         // wv
    add({L, D, D});                              // wo
    add({L, D});                                 // rms_ffn
    add({L, F, D});                              // w1
    add({L, D, F});                              // w2
    add({L, F, D});                              // w3
    add({D});                                    // rms_final
    add({2, uint64_t(seq_len), head_size / 2});  // freq_cis_real, freq_cis_imag (unused)
    if (!shared) add({V, D});                    // wcls
    const auto bytes = checked_mul(floats, sizeof(float));
    const auto total = bytes ? checked_add(*bytes, kHeaderBytes) : std::nullopt;
    if (overflow || !total || *total != map->size())
        return make_error(Code::kFormat,
                          "%s: not a GGUF file, nor a llama2.c checkpoint: its header (dim %d, hidden_dim %d, "
                          "n_layers %d, n_heads %d, n_kv_heads %d, vocab_size %lld, seq_len %d) implies %s bytes, the "
                          "file has %zu",
                          p, dim, hidden, n_layers, n_heads, n_kv_heads, static_cast<long long>(vocab_signed), seq_len,
                          overflow || !total ? "more than 2^64" : std::to_string(*total).c_str(), map->size());

    auto m            = std::make_shared<Model>();
    m->path           = path;
    m->format         = "llama2.c";
    Hparams& hp       = m->hp;
    hp.arch           = Arch::Llama;
    hp.arch_name      = "llama";
    hp.n_vocab        = int(vocab);
    hp.n_ctx_train    = seq_len;
    hp.n_embd         = dim;
    hp.n_layer        = n_layers;
    hp.n_head         = n_heads;
    hp.n_head_kv      = n_kv_heads;
    hp.head_dim       = int(head_size);
    hp.n_ff           = hidden;
    hp.norm_eps       = 1e-5f;
    hp.rope_freq_base = 10000.0f;
    hp.n_rot          = int(head_size);
    hp.rope_style     = RopeStyle::Normal;  // run.c rotates adjacent pairs
    hp.tied_output    = shared;
    TS_TRY(validate_hparams(path, hp));

    // The arrays in file order. llama2.c names: w1 = gate, w3 = up, w2 = down.
    Weights& w = m->w;
    w.layers.assign(size_t(n_layers), LayerWeights{});
    const int64_t d = dim, f = hidden, kv = int64_t(kv_dim);
    Cursor c(map->data());
    w.token_embd = c.take("token_embd.weight", d, int64_t(vocab));
    c.take_layers(w.layers, &LayerWeights::attn_norm, "attn_norm.weight", d);
    c.take_layers(w.layers, &LayerWeights::wq, "attn_q.weight", d, d);
    c.take_layers(w.layers, &LayerWeights::wk, "attn_k.weight", d, kv);
    c.take_layers(w.layers, &LayerWeights::wv, "attn_v.weight", d, kv);
    c.take_layers(w.layers, &LayerWeights::wo, "attn_output.weight", d, d);
    c.take_layers(w.layers, &LayerWeights::ffn_norm, "ffn_norm.weight", d);
    c.take_layers(w.layers, &LayerWeights::w_gate, "ffn_gate.weight", d, f);
    c.take_layers(w.layers, &LayerWeights::w_down, "ffn_down.weight", f, d);
    c.take_layers(w.layers, &LayerWeights::w_up, "ffn_up.weight", d, f);
    w.output_norm = c.take("output_norm.weight", d);
    c.skip(2 * uint64_t(seq_len) * (head_size / 2));
    w.output = shared ? w.token_embd : c.take("output.weight", d, int64_t(vocab));
    count_params(*m);

    // The tokenizer: an explicit path must work; the default tokenizer.bin beside the checkpoint may be absent.
    std::string tok_path = tokenizer_path;
    if (tok_path.empty()) {
        const size_t slash = path.find_last_of('/');
        tok_path           = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + "tokenizer.bin";
        if (!file_exists(tok_path)) {
            m->tokenizer_error = "a llama2.c checkpoint's tokenizer is read from " + tok_path +
                                 ", which does not exist (pass the tokenizer's path)";
            m->notes.push_back("no tokenizer: " + m->tokenizer_error);
            tok_path.clear();
        }
    } else if (!file_exists(tok_path)) {
        return make_error(Code::kIo, "%s: tokenizer %s does not exist", p, tok_path.c_str());
    }
    if (!tok_path.empty()) {
        auto tok = Tokenizer::from_llama2c(tok_path, hp.n_vocab);
        if (!tok) return tok.error();
        m->tokenizer = *tok;
    }
    m->map = std::move(map);
    return std::shared_ptr<const Model>(std::move(m));
}

}  // namespace ts::core::model_detail
