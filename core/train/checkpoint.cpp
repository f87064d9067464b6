// Checkpoint serialisation (see checkpoint.hpp).
#include "core/train/checkpoint.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <type_traits>

#include "core/base/replace_file.hpp"

namespace ts::core::train {
namespace {

constexpr char kMagic[8]    = {'T', 'S', 'C', 'K', 'P', 'T', '0', '1'};
constexpr uint32_t kVersion = 1;

class Out {
public:
    template <typename T>
    void put(T v) {
        static_assert(std::is_trivially_copyable_v<T>);
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        b.insert(b.end(), p, p + sizeof(T));
    }
    void str(const std::string& s) {
        put<uint64_t>(s.size());
        b.insert(b.end(), s.begin(), s.end());
    }
    template <typename T>
    void vec(const std::vector<T>& v) {
        put<uint64_t>(v.size());
        const auto* p = reinterpret_cast<const uint8_t*>(v.data());
        b.insert(b.end(), p, p + v.size() * sizeof(T));
    }
    std::vector<uint8_t> b;
};

class In {
public:
    In(const uint8_t* d, size_t n, const std::string& name) : d_(d), n_(n), name_(name) {}
    template <typename T>
    bool get(T& v) {
        if (!need(sizeof(T), "a field")) return false;
        std::memcpy(&v, d_ + at_, sizeof(T));
        at_ += sizeof(T);
        return true;
    }
    bool str(std::string& s) {
        uint64_t n = 0;
        if (!get(n) || !need(n, "a string")) return false;
        s.assign(reinterpret_cast<const char*>(d_ + at_), size_t(n));
        at_ += size_t(n);
        return true;
    }
    template <typename T>
    bool vec(std::vector<T>& v) {
        uint64_t n = 0;
        if (!get(n)) return false;
        if (n > (n_ - at_) / sizeof(T)) return fail(n * sizeof(T), "an array");
        v.resize(size_t(n));
        if (n > 0) std::memcpy(v.data(), d_ + at_, size_t(n) * sizeof(T));
        at_ += size_t(n) * sizeof(T);
        return true;
    }
    bool need(uint64_t bytes, const char* what) { return bytes <= n_ - at_ ? true : fail(bytes, what); }
    bool fail(uint64_t bytes, const char* what) {
        if (err_.message.empty())
            err_ = make_error(Code::kFormat, "%s: %s of %llu bytes at offset %zu runs past the end (%zu bytes)",
                              name_.c_str(), what, (unsigned long long)bytes, at_, n_);
        return false;
    }
    size_t at() const { return at_; }
    const Error& error() const { return err_; }

private:
    const uint8_t* d_;
    size_t n_, at_ = 0;
    const std::string& name_;
    Error err_;
};

}  // namespace

std::vector<uint8_t> checkpoint_bytes(const TrainState& st) {
    Out o;
    o.b.insert(o.b.end(), std::begin(kMagic), std::end(kMagic));
    o.put(kVersion);
    const ModelConfig& c = st.config;
    for (int32_t x : {c.n_vocab, c.n_ctx, c.n_embd, c.n_layer, c.n_head, c.n_head_kv, c.n_ff}) o.put(x);
    o.put(c.norm_eps), o.put(c.rope_base), o.put<uint8_t>(c.tied);
    const TrainOptions& p = st.opt;
    o.put(p.steps), o.put<int32_t>(p.batch), o.put(p.lr), o.put(p.lr_min_frac), o.put(p.warmup);
    o.put(p.adam.beta1), o.put(p.adam.beta2), o.put(p.adam.eps), o.put(p.adam.weight_decay), o.put(p.grad_clip);
    o.put(p.seed), o.put(p.val_frac), o.put(p.eval_every), o.put<int32_t>(p.eval_windows);
    o.put(st.step);
    for (uint64_t s : st.rng) o.put(s);
    o.put(st.tokens_seen), o.put(st.wall_s);
    o.vec(st.w), o.vec(st.m), o.vec(st.v), o.vec(st.train_loss);
    o.put<uint64_t>(st.val_loss.size());
    for (const auto& [step, loss] : st.val_loss) o.put(step), o.put(loss);
    const Vocab& v = st.vocab;
    o.put<uint32_t>(uint32_t(v.kind));
    o.str(v.pre);
    o.put<uint64_t>(v.tokens.size());
    for (const std::string& t : v.tokens) o.str(t);
    o.vec(v.types);
    o.put<uint64_t>(v.merges.size());
    for (const std::string& m : v.merges) o.str(m);
    o.put(v.bos), o.put(v.eos);
    o.put<uint8_t>(v.add_bos), o.put<uint8_t>(v.add_eos);
    return std::move(o.b);
}

Result<TrainState> parse_checkpoint(const uint8_t* data, size_t size, const std::string& name) {
    if (size < 12 || std::memcmp(data, kMagic, 8) != 0)
        return make_error(Code::kFormat, "%s: not a tokenscope training checkpoint (bad magic)", name.c_str());
    In in(data + 8, size - 8, name);
    TrainState st;
    uint32_t version = 0;
    bool ok          = in.get(version);
    if (ok && version != kVersion)
        return make_error(Code::kUnsupported, "%s: checkpoint version %u, this build reads %u", name.c_str(), version,
                          kVersion);
    ModelConfig& c = st.config;
    uint8_t tied = 0, add_bos = 0, add_eos = 0;
    int32_t batch = 0, eval_windows = 0;
    uint32_t kind = 0;
    ok = ok && in.get(c.n_vocab) && in.get(c.n_ctx) && in.get(c.n_embd) && in.get(c.n_layer) && in.get(c.n_head) &&
         in.get(c.n_head_kv) && in.get(c.n_ff) && in.get(c.norm_eps) && in.get(c.rope_base) && in.get(tied);
    TrainOptions& p = st.opt;
    ok = ok && in.get(p.steps) && in.get(batch) && in.get(p.lr) && in.get(p.lr_min_frac) && in.get(p.warmup) &&
         in.get(p.adam.beta1) && in.get(p.adam.beta2) && in.get(p.adam.eps) && in.get(p.adam.weight_decay) &&
         in.get(p.grad_clip) && in.get(p.seed) && in.get(p.val_frac) && in.get(p.eval_every) && in.get(eval_windows);
    ok = ok && in.get(st.step);
    for (uint64_t& s : st.rng) ok = ok && in.get(s);
    ok             = ok && in.get(st.tokens_seen) && in.get(st.wall_s);
    ok             = ok && in.vec(st.w) && in.vec(st.m) && in.vec(st.v) && in.vec(st.train_loss);
    uint64_t n_val = 0;
    ok             = ok && in.get(n_val) && in.need(n_val * 12, "the validation history");
    for (uint64_t i = 0; ok && i < n_val; ++i) {
        int64_t step = 0;
        float loss   = 0;
        ok           = in.get(step) && in.get(loss);
        st.val_loss.emplace_back(step, loss);
    }
    Vocab& v          = st.vocab;
    uint64_t n_tokens = 0, n_merges = 0;
    ok = ok && in.get(kind) && in.str(v.pre) && in.get(n_tokens) && in.need(n_tokens * 8, "the token list");
    for (uint64_t i = 0; ok && i < n_tokens; ++i) ok = in.str(v.tokens.emplace_back());
    ok = ok && in.vec(v.types) && in.get(n_merges) && in.need(n_merges * 8, "the merge list");
    for (uint64_t i = 0; ok && i < n_merges; ++i) ok = in.str(v.merges.emplace_back());
    ok = ok && in.get(v.bos) && in.get(v.eos) && in.get(add_bos) && in.get(add_eos);
    if (!ok) return in.error();
    c.tied         = tied != 0;
    p.batch        = batch;
    p.eval_windows = eval_windows;
    v.kind         = kind == uint32_t(TokenizerKind::Gpt2)     ? TokenizerKind::Gpt2
                     : kind == uint32_t(TokenizerKind::Gemma4) ? TokenizerKind::Gemma4
                                                               : TokenizerKind::Llama;
    v.add_bos      = add_bos != 0;
    v.add_eos      = add_eos != 0;
    TS_TRY(c.validate());
    if (int64_t(v.tokens.size()) != c.n_vocab || v.types.size() != v.tokens.size())
        return make_error(Code::kFormat, "%s: vocabulary of %zu tokens (%zu types) for a model of %d", name.c_str(),
                          v.tokens.size(), v.types.size(), c.n_vocab);
    if (p.batch < 1 || p.steps < 0 || st.step < 0)
        return make_error(Code::kFormat, "%s: batch %d, steps %lld, step %lld out of range", name.c_str(), p.batch,
                          (long long)p.steps, (long long)st.step);
    return st;
}

Status write_checkpoint(const std::string& path, const TrainState& st) {
    const std::vector<uint8_t> bytes = checkpoint_bytes(st);
    return replace_file(path, bytes.data(), bytes.size());
}

Result<TrainState> read_checkpoint(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return make_error(Code::kIo, "%s: cannot open", path.c_str());
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return parse_checkpoint(bytes.data(), bytes.size(), path);
}

}  // namespace ts::core::train
