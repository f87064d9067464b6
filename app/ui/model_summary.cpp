// Builds the Model panel's rows from a loaded model: overview, hyper-parameters, tokenizer, tensor types, tensors.
// Every row carries a one-sentence explanation for its tooltip.
#include "app/ui/model_summary.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "app/ui/format.hpp"
#include "core/base/mmap.hpp"
#include "core/base/utf8.hpp"
#include "core/model/stage.hpp"

namespace ts::app {
namespace {

std::string file_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string num(int64_t v) {
    if (v >= 0) return format_thousands(uint64_t(v));
    std::string s = format_thousands(uint64_t(-v));
    s.insert(s.begin(), '-');
    return s;
}

std::string shape_of(const core::Tensor& t) {
    std::string s;
    for (int d = 0; d < std::max(1, t.n_dims); ++d) {
        if (d) s += " × ";
        s += std::to_string(t.ne[size_t(d)]);
    }
    return s;
}

std::string type_help(core::DType type) {
    const core::DTypeInfo i = core::dtype_info(type);
    char buf[160];
    const double bits = double(i.type_size) * 8.0 / double(i.block_size);
    if (i.block_size == 1)
        std::snprintf(buf, sizeof buf, "%.*s: one plain number per weight, %u bytes each (%.0f bits per weight).",
                      int(i.name.size()), i.name.data(), i.type_size, bits);
    else
        std::snprintf(buf, sizeof buf,
                      "%.*s: quantised in blocks of %u weights stored in %u bytes with their scale "
                      "(%.2f bits per weight).",
                      int(i.name.size()), i.name.data(), i.block_size, i.type_size, bits);
    return buf;
}

void collect_tensors(const core::Model& m, std::vector<const core::Tensor*>& out) {
    auto add = [&](const core::Tensor& t) {
        if (t.data != nullptr || t.nbytes > 0) out.push_back(&t);
    };
    add(m.w.token_embd);
    for (const core::LayerWeights& l : m.w.layers) {
        add(l.attn_norm);
        add(l.wq);
        add(l.bq);
        add(l.wk);
        add(l.bk);
        add(l.wv);
        add(l.bv);
        add(l.wo);
        add(l.ffn_norm);
        add(l.w_gate);
        add(l.w_up);
        add(l.w_down);
    }
    add(m.w.output_norm);
    if (!m.hp.tied_output) add(m.w.output);
}

// A size that may differ per layer (gemma4: head_dim, n_head_kv, n_ff): "256", or each layer's own where they differ,
// by kind of layer ("global 512, local 256") when that is what separates them, else "1024 (layers 0–14), 2048 (…)".
std::string per_kind(const core::Hparams& hp, int (core::Hparams::*of)(int) const) {
    std::map<int, std::string> layers;           // value → "0–3 5 …" (runs of layers)
    std::map<int, std::pair<bool, bool>> kinds;  // value → (on a global layer, on a local layer)
    for (int il = 0; il < hp.n_layer; ++il) {
        const int v                          = (hp.*of)(il);
        auto& k                              = kinds[v];
        (hp.is_swa(il) ? k.second : k.first) = true;
        std::string& l                       = layers[v];
        const bool run                       = il > 0 && (hp.*of)(il - 1) == v;
        const bool end                       = il + 1 == hp.n_layer || (hp.*of)(il + 1) != v;
        if (!run) {
            if (!l.empty()) l.push_back(' ');
            l.append(std::to_string(il));
        }
        if (run && end) l.append("–").append(std::to_string(il));
    }
    if (layers.size() <= 1) return num(layers.empty() ? 0 : (hp.*of)(0));
    bool by_kind = hp.n_swa > 0;
    for (const auto& [v, k] : kinds) by_kind = by_kind && k.first != k.second;
    std::string out;
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
        if (!out.empty()) out += ", ";
        if (by_kind)
            out.append(kinds[it->first].first ? "global " : "local ").append(num(it->first));
        else
            out.append(num(it->first)).append(" (layers ").append(it->second).append(")");
    }
    return out;
}

}  // namespace

void append_codepoints(std::string_view s, std::vector<uint32_t>& out) {
    for (size_t i = 0, len = 0; i < s.size(); i += len) out.push_back(core::utf8_decode(s, i, &len));
}

ModelSummary summarize_model(const core::Model& m) {
    const core::Hparams& hp = m.hp;
    ModelSummary s;
    s.title = hp.name.empty() ? file_name(m.path) : hp.name;

    std::vector<const core::Tensor*> tensors;
    collect_tensors(m, tensors);
    std::map<core::DType, TypeRow> by_type;
    for (const core::Tensor* t : tensors) {
        s.tensor_bytes += t->nbytes;
        TypeRow& r = by_type[t->type];
        r.count += 1;
        r.bytes += t->nbytes;
        r.elements += uint64_t(t->n_elements());
        s.tensors.push_back({t->name, std::string(core::dtype_name(t->type)), shape_of(*t), t->nbytes});
    }
    for (auto& [type, row] : by_type) {
        row.type  = std::string(core::dtype_name(type));
        row.help  = type_help(type);
        row.share = s.tensor_bytes ? double(row.bytes) / double(s.tensor_bytes) : 0.0;
        s.types.push_back(row);
    }
    std::sort(s.types.begin(), s.types.end(), [](const TypeRow& a, const TypeRow& b) { return a.bytes > b.bytes; });

    const uint64_t mapped = m.map ? m.map->size() : 0;
    const bool builtin    = core::is_builtin_file(m.path);
    s.subtitle = hp.arch_name + " · " + m.format + " · " + format_count_short(uint64_t(m.n_params)) + " parameters";

    s.overview = {
        {"Architecture", hp.arch_name,
         std::string(core::arch_desc(hp).summary) +
             ". The layer recipe the file declares (general.architecture) decides norms, positions and biases."},
        {"Name", hp.name.empty() ? "(none)" : hp.name, "The model's own name from general.name, if the file has one."},
        {"File format", m.format, "How the weights are stored on disk; GGUF keeps metadata and tensors in one file."},
        {"File", builtin ? m.path + " (in the program)" : m.path,
         builtin ? "The default model is compiled into the program, so it opens from any folder with no file beside it."
                 : "The file the weights are read from."},
        {"Parameters", format_thousands(uint64_t(m.n_params)) + "  (" + format_count_short(uint64_t(m.n_params)) + ")",
         "Number of learned weights in all tensors: the numbers training adjusted."},
        {"Weight bytes", format_bytes(m.weight_bytes) + "  (" + format_thousands(m.weight_bytes) + " B)",
         "Bytes the weight tensors take; fewer bits per weight (quantisation) make this smaller than 4 per parameter."},
        {"Memory mapped",
         mapped
             ? format_bytes(mapped) + "  (" + format_thousands(mapped) + " B)" + (builtin ? ", with the program" : "")
             : "no (copied)",
         "The file is mapped into memory, not copied: the OS pages weights in as the forward pass touches them."},
    };

    const bool layer_norm = core::arch_desc(hp).norm == core::NormKind::Layer;
    const char* rope_style =
        hp.rope_style == core::RopeStyle::NeoX ? "NeoX (pairs i, i + head_dim/2)" : "normal (adjacent pairs 2i, 2i+1)";
    s.hparams = {
        {"n_vocab", num(hp.n_vocab), "Number of distinct tokens: the model reads them and gives one logit to each."},
        {"n_ctx_train", num(hp.n_ctx_train),
         "Longest sequence in tokens the model was trained on; attention degrades beyond it."},
        {"n_embd", num(hp.n_embd), "Width of the residual stream: each token is a vector of this many numbers."},
        {"n_layer", num(hp.n_layer), "Number of transformer blocks (attention then MLP) each token passes through."},
        {"n_head", num(hp.n_head), "Query heads per layer: each attends over the context with its own projections."},
        {"n_head_kv", per_kind(hp, &core::Hparams::n_head_kv_of),
         hp.n_head_kv < hp.n_head ? "Key/value heads per layer: fewer than n_head, so query heads share them "
                                    "(grouped-query attention), which shrinks the KV cache."
                                  : "Key/value heads per layer: one per query head (plain multi-head attention)."},
        {"head_dim", per_kind(hp, &core::Hparams::head_dim_of),
         "Length of one head's query, key and value vectors; scores are q·k/√head_dim."},
        {"n_ff", per_kind(hp, &core::Hparams::n_ff_of),
         "Hidden width of the MLP (feed-forward block) inside every layer."},
        {"norm eps", format_float(double(hp.norm_eps)),
         layer_norm ? "Small constant inside LayerNorm's square root (added to the variance) so it never divides by "
                      "zero."
                    : "Small constant inside RMSNorm's square root so it never divides by zero."},
        {"output", hp.tied_output ? "tied to token_embd" : "own matrix",
         "Whether the logits reuse the embedding matrix (tied) or have a separate output matrix."},
    };
    if (hp.has_recurrent()) {  // qwen35: which layers are which
        std::string rec, att;
        for (int il = 0; il < hp.n_layer; ++il) {
            std::string& dst = hp.is_recurrent(il) ? rec : att;
            if (!dst.empty()) dst.append(1, ' ');
            dst.append(num(il));
        }
        s.hparams.insert(s.hparams.begin() + 4,
                         {{"linear attention (recurrent state)", rec,
                           "Gated DeltaNet layers: a causal convolution, then one fixed-size state per head updated by "
                           "each token (decay, then a correction written at the key) and read by the query. No KV "
                           "cache."},
                          {"attention (KV cache)", att,
                           "Softmax attention layers: every position's K and V kept in the cache, an output gate per "
                           "head."}});
    }
    // Positions: RoPE's settings, or the learned position matrix of an architecture without RoPE (gpt2).
    if (hp.n_rot > 0) {
        s.hparams.insert(
            s.hparams.end() - 2,
            {
                {"rope base", format_float(double(hp.rope_freq_base)),
                 "Base θ of rotary position embeddings: larger bases rotate slower and reach farther positions."},
                {"rope style", rope_style,
                 "Which dimensions RoPE rotates together; the wrong pairing gives fluent-looking nonsense."},
                {"rope scaling", core::describe_rope_scaling(hp),
                 "How positions are stretched before rotation: a linear factor divides every position; Llama 3's "
                 "frequency "
                 "factors (rope_freqs.weight) divide each pair's rotation speed, slowing the slow pairs most, so a "
                 "model "
                 "trained on a short context reaches a longer one."},
                {"rope dims", num(hp.n_rot), "How many dimensions of each head are rotated by position (usually all)."},
            });
    } else {
        s.hparams.insert(
            s.hparams.end() - 2,
            InfoRow{"positions", "learned (position_embd.weight, " + num(hp.n_ctx_train) + " rows)",
                    "No RoPE: one learned vector per position is added to the token's embedding before layer "
                    "0, so the model cannot see past its n_ctx_train positions."});
    }

    if (m.tokenizer) {
        const core::Vocab& v = m.tokenizer->vocab();
        const bool gpt2      = v.kind == core::TokenizerKind::Gpt2;
        const bool ranked    = v.kind != core::TokenizerKind::Llama;  // merges by rank: gpt2, gemma4
        auto token_name      = [&](int32_t id) {
            if (id < 0) return std::string("(none)");
            return std::to_string(id) + "  " + m.tokenizer->display(id);
        };
        const char* kind = gpt2     ? "gpt2 (byte-level BPE)"
                           : ranked ? "gemma4 (BPE over SentencePiece-style pieces)"
                                    : "llama (SentencePiece-style BPE)";
        const char* kind_help =
            gpt2 ? "Splits text into bytes mapped to characters, then merges frequent pairs by rank."
            : ranked
                ? "Writes each space as the mark U+2581, merges characters line by line in rank order, falling back to "
                  "single bytes."
                : "Merges characters into known pieces by score, falling back to single bytes.";
        s.tokenizer = {
            {"Kind", kind, kind_help},
            {"Vocabulary", format_thousands(uint64_t(m.tokenizer->n_vocab())) + " tokens",
             "Number of pieces the tokenizer can produce; equal to n_vocab."},
            {"Pre-tokenizer", ranked ? v.pre : "(none)",
             "How text is cut into words before merging (digits, spaces, punctuation rules)."},
            {"BOS", token_name(v.bos), "Beginning-of-sequence token, put before the prompt when the model asks."},
            {"EOS", token_name(v.eos), "End-of-sequence token: generating it ends the text."},
            {"Adds BOS", v.add_bos ? "yes" : "no", "Whether encoding a prompt prepends BOS automatically."},
        };
        if (ranked)
            s.tokenizer.insert(s.tokenizer.begin() + 3, InfoRow{"Merges", format_thousands(v.merges.size()),
                                                                "Learned pair merges, applied in rank order."});
        std::vector<bool> seen(0x10000, false);
        std::vector<uint32_t> cps;
        for (int32_t id = 0; id < m.tokenizer->n_vocab(); ++id) {
            cps.clear();
            append_codepoints(m.tokenizer->display(id), cps);
            for (uint32_t cp : cps)
                if (cp < 0x10000) seen[cp] = true;
        }
        for (uint32_t cp = 0x20; cp < 0x10000; ++cp)
            if (seen[cp]) s.vocab_codepoints.push_back(cp);
    } else {
        s.tokenizer = {{"Kind", "(none)", "The file has no tokenizer metadata, so text cannot be encoded."}};
    }
    return s;
}

}  // namespace ts::app
