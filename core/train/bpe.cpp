// Byte-level BPE training (count adjacent pairs over the distinct words, merge the most frequent, update only the
// words that contain it) and encoding by merge rank.
#include "core/train/bpe.hpp"

#include <algorithm>
#include <map>

#include "core/tokenizer/pretokenize.hpp"
#include "core/tokenizer/unicode.hpp"

namespace ts::core::train {
namespace {

uint64_t pair_key(int32_t a, int32_t b) {
    return (uint64_t(uint32_t(a)) << 32) | uint32_t(b);
}

Result<std::vector<std::string_view>> split_words(std::string_view text, const std::string& pre) {
    const PretokenizerRow* row = find_pretokenizer(pre);
    if (!row) return make_error(Code::kInvalidArgument, "bpe: unknown pre-tokenizer '%s'", pre.c_str());
    auto pt = Pretokenizer::compile(*row);
    if (!pt.ok()) return pt.error();
    return pt->split(text);
}

}  // namespace

Result<Vocab> train_bpe(std::string_view corpus, const BpeOptions& opt) {
    if (opt.n_vocab < 257)
        return make_error(Code::kInvalidArgument, "bpe: vocabulary size %d is below 257 (256 bytes + 1 special)",
                          opt.n_vocab);
    auto pieces = split_words(corpus, opt.pre);
    if (!pieces.ok()) return pieces.error();

    // Distinct words with their counts, in first-seen order (a std::map would also do; order only affects speed).
    std::unordered_map<std::string_view, int32_t> index;
    std::vector<std::vector<int32_t>> words;
    std::vector<int64_t> freq;
    for (std::string_view p : *pieces) {
        auto [it, fresh] = index.try_emplace(p, int32_t(words.size()));
        if (fresh) {
            std::vector<int32_t> w(p.size());
            for (size_t i = 0; i < p.size(); ++i) w[i] = int32_t(uint8_t(p[i]));
            words.push_back(std::move(w));
            freq.push_back(0);
        }
        ++freq[size_t(it->second)];
    }

    Vocab v;
    v.kind = TokenizerKind::Gpt2;
    v.pre  = opt.pre;
    const tok::ByteMap bytemap;
    for (int b = 0; b < 256; ++b) v.tokens.emplace_back(bytemap.encode(uint8_t(b)));

    // pair -> count over all words, and pair -> words that contained it when counted (may hold stale entries)
    std::unordered_map<uint64_t, int64_t> count;
    std::unordered_map<uint64_t, std::vector<int32_t>> where;
    auto add_pairs = [&](int32_t wi, int64_t sign) {
        const std::vector<int32_t>& w = words[size_t(wi)];
        for (size_t i = 0; i + 1 < w.size(); ++i) {
            const uint64_t k = pair_key(w[i], w[i + 1]);
            count[k] += sign * freq[size_t(wi)];
            if (sign > 0) where[k].push_back(wi);
        }
    };
    for (int32_t wi = 0; wi < int32_t(words.size()); ++wi) add_pairs(wi, 1);

    const int n_merges_max = opt.n_vocab - 256 - 1;
    std::vector<int32_t> seen(words.size(), -1);
    for (int32_t m = 0; m < n_merges_max; ++m) {
        // The most frequent pair; ties go to the smallest (left, right) ids so the result is deterministic.
        uint64_t best  = 0;
        int64_t best_n = 0;
        for (const auto& [k, n] : count)
            if (n > best_n || (n == best_n && n > 0 && k < best)) best = k, best_n = n;
        if (best_n < std::max(1, opt.min_frequency)) break;
        const int32_t a = int32_t(best >> 32), b = int32_t(best & 0xffffffffu), id = int32_t(v.tokens.size());
        v.merges.push_back(v.tokens[size_t(a)] + " " + v.tokens[size_t(b)]);
        v.tokens.push_back(v.tokens[size_t(a)] + v.tokens[size_t(b)]);
        std::vector<int32_t> list = std::move(where[best]);
        where.erase(best);
        for (int32_t wi : list) {
            if (seen[size_t(wi)] == m) continue;  // listed twice
            seen[size_t(wi)]        = m;
            std::vector<int32_t>& w = words[size_t(wi)];
            bool has                = false;
            for (size_t i = 0; i + 1 < w.size() && !has; ++i) has = w[i] == a && w[i + 1] == b;
            if (!has) continue;  // stale entry
            add_pairs(wi, -1);
            std::vector<int32_t> merged;
            merged.reserve(w.size());
            for (size_t i = 0; i < w.size(); ++i) {
                if (i + 1 < w.size() && w[i] == a && w[i + 1] == b) {
                    merged.push_back(id);
                    ++i;
                } else {
                    merged.push_back(w[i]);
                }
            }
            w = std::move(merged);
            add_pairs(wi, 1);
        }
        count.erase(best);
        for (auto it = count.begin(); it != count.end();) it = it->second == 0 ? count.erase(it) : std::next(it);
    }

    v.types.assign(v.tokens.size(), TokenType::Normal);
    v.bos = v.eos = int32_t(v.tokens.size());
    v.tokens.push_back(opt.special);
    v.types.push_back(TokenType::Control);
    v.scores.clear();
    v.add_bos          = true;
    v.add_eos          = false;
    v.add_space_prefix = false;
    return v;
}

Result<BpeEncoder> BpeEncoder::create(const Vocab& vocab) {
    if (vocab.kind != TokenizerKind::Gpt2)
        return make_error(Code::kInvalidArgument, "bpe: the encoder needs a gpt2 vocabulary");
    BpeEncoder e;
    e.pre_ = vocab.pre;
    const tok::ByteMap bytemap;
    std::unordered_map<std::string, int32_t> id_of;
    e.bytes_of_.resize(vocab.tokens.size());
    for (size_t i = 0; i < vocab.tokens.size(); ++i) {
        const bool control = i < vocab.types.size() && vocab.types[i] == TokenType::Control;
        if (!control) {
            id_of.emplace(vocab.tokens[i], int32_t(i));
            std::string bytes;
            if (!bytemap.decode(vocab.tokens[i], bytes))
                return make_error(Code::kFormat, "bpe: token %zu '%s' is not in byte-to-unicode form", i,
                                  vocab.tokens[i].c_str());
            e.bytes_of_[i] = std::move(bytes);
        }
    }
    e.byte_id_.assign(256, -1);
    for (int b = 0; b < 256; ++b) {
        auto it = id_of.find(std::string(bytemap.encode(uint8_t(b))));
        if (it == id_of.end())
            return make_error(Code::kFormat, "bpe: vocabulary lacks the token of byte 0x%02X", unsigned(b));
        e.byte_id_[size_t(b)] = it->second;
    }
    for (size_t r = 0; r < vocab.merges.size(); ++r) {
        const std::string& mg = vocab.merges[r];
        const size_t sp       = mg.find(' ');
        if (sp == std::string::npos)
            return make_error(Code::kFormat, "bpe: merge %zu '%s' has no space", r, mg.c_str());
        auto l = id_of.find(mg.substr(0, sp)), rt = id_of.find(mg.substr(sp + 1));
        auto m = id_of.find(mg.substr(0, sp) + mg.substr(sp + 1));
        if (l == id_of.end() || rt == id_of.end() || m == id_of.end())
            return make_error(Code::kFormat, "bpe: merge %zu '%s' names a token the vocabulary lacks", r, mg.c_str());
        e.merges_.try_emplace(key(l->second, rt->second), Merge{int32_t(r), m->second});
    }
    return e;
}

std::vector<int32_t> BpeEncoder::encode_word(std::string_view word) const {
    std::vector<int32_t> s(word.size());
    for (size_t i = 0; i < word.size(); ++i) s[i] = byte_id_[uint8_t(word[i])];
    // Repeatedly merge the lowest-ranked adjacent pair (the leftmost one on ties).
    while (s.size() > 1) {
        int32_t best_rank = -1, best_id = 0;
        size_t at = 0;
        for (size_t i = 0; i + 1 < s.size(); ++i) {
            auto it = merges_.find(key(s[i], s[i + 1]));
            if (it != merges_.end() && (best_rank < 0 || it->second.rank < best_rank))
                best_rank = it->second.rank, best_id = it->second.id, at = i;
        }
        if (best_rank < 0) break;
        s[at] = best_id;
        s.erase(s.begin() + std::ptrdiff_t(at) + 1);
    }
    return s;
}

Result<std::vector<int32_t>> BpeEncoder::encode(std::string_view text) const {
    auto pieces = split_words(text, pre_);
    if (!pieces.ok()) return pieces.error();
    std::unordered_map<std::string_view, std::vector<int32_t>> cache;  // words repeat: encode each once
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3);
    for (std::string_view p : *pieces) {
        auto it = cache.find(p);
        if (it == cache.end()) it = cache.emplace(p, encode_word(p)).first;
        ids.insert(ids.end(), it->second.begin(), it->second.end());
    }
    return ids;
}

std::string BpeEncoder::decode(const std::vector<int32_t>& ids) const {
    std::string out;
    for (int32_t id : ids)
        if (id >= 0 && size_t(id) < bytes_of_.size()) out += bytes_of_[size_t(id)];
    return out;
}

}  // namespace ts::core::train
