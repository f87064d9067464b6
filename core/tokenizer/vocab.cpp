// Building a Tokenizer: from a Vocab (checked, then indexed into lookup tables), from a GGUF file's
// tokenizer.ggml.* keys, and from karpathy/llama2.c's tokenizer.bin.
#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/base/mmap.hpp"
#include "core/gguf/gguf_reader.hpp"
#include "core/tokenizer/tokenizer_impl.hpp"

namespace ts::core {
namespace {

// "<0x0A>" -> 10; -1 when the text is not of that form.
int parse_byte_piece(std::string_view s) {
    if (s.size() != 6 || s.substr(0, 3) != "<0x" || s[5] != '>') return -1;
    int v = 0;
    for (char c : s.substr(3, 2)) {
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else
            return -1;
    }
    return v;
}

bool is_special_type(TokenType t) {
    return t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unknown;
}

std::string replace_all(std::string_view s, std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        if (s.substr(i, from.size()) == from) {
            out += to;
            i += from.size();
        } else {
            out += s[i++];
        }
    }
    return out;
}

// llama.cpp's strip attributes, which it sets by model name (general.name, lower-cased) since GGUF does not store
// them: in a Phi-3 file every special token but <unk>, <s> and <|endoftext|> drops the whitespace after it, so the
// "\n" a chat template writes after <|user|> or <|end|> is not tokenised.
void set_strip_attributes(Vocab& v, std::string name) {
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (name.find("phi-3") == std::string::npos && name.find("phi3") == std::string::npos) return;
    v.strip.assign(v.tokens.size(), kStripNone);
    for (size_t i = 0; i < v.tokens.size(); ++i)
        if (i < v.types.size() && (is_special_type(v.types[i]) || v.tokens[i] == "</s>")) v.strip[i] = kStripRight;
    for (size_t i = 0; i < v.tokens.size(); ++i)
        if (v.tokens[i] == "<unk>" || v.tokens[i] == "<s>" || v.tokens[i] == "<|endoftext|>") v.strip[i] = kStripNone;
}

// Checks the special ids; an id outside the vocabulary becomes -1 with a warning.
void check_special_ids(Vocab& v, std::vector<std::string>& warnings) {
    const auto n = int32_t(v.tokens.size());
    struct Named {
        const char* name;
        int32_t* id;
    };
    for (Named s : {Named{"bos", &v.bos}, Named{"eos", &v.eos}, Named{"eot", &v.eot}, Named{"unk", &v.unk},
                    Named{"pad", &v.pad}}) {
        if (*s.id >= n || *s.id < -1) {
            warnings.push_back("tokenizer: " + std::string(s.name) + " id " + std::to_string(*s.id) +
                               " is outside the vocabulary of " + std::to_string(n) + " tokens; ignored");
            *s.id = -1;
        }
    }
    if (v.add_bos && v.bos < 0) {
        warnings.push_back("tokenizer: the vocabulary asks for BOS but has no BOS token; not adding it");
        v.add_bos = false;
    }
    if (v.add_eos && v.eos < 0) {
        warnings.push_back("tokenizer: the vocabulary asks for EOS but has no EOS token; not adding it");
        v.add_eos = false;
    }
}

Status index_vocab(Tokenizer::Impl& t) {
    Vocab& v       = t.vocab;
    const size_t n = v.tokens.size();
    if (n == 0) return make_error(Code::kFormat, "tokenizer: the vocabulary is empty");
    if (n > size_t(INT32_MAX)) return make_error(Code::kFormat, "tokenizer: %zu tokens is too many", n);
    if (!v.scores.empty() && v.scores.size() != n)
        return make_error(Code::kFormat, "tokenizer: %zu scores for %zu tokens", v.scores.size(), n);
    if (v.types.empty()) v.types.assign(n, TokenType::Normal);
    if (v.types.size() != n)
        return make_error(Code::kFormat, "tokenizer: %zu token types for %zu tokens", v.types.size(), n);
    if (!v.strip.empty() && v.strip.size() != n)
        return make_error(Code::kFormat, "tokenizer: %zu strip attributes for %zu tokens", v.strip.size(), n);
    check_special_ids(v, t.warnings);

    const bool llama = v.kind == TokenizerKind::Llama;
    const bool gpt2  = v.kind == TokenizerKind::Gpt2;  // otherwise pieces are SentencePiece-style: "▁", <0xXX>
    t.byte_to_id.fill(-1);
    t.bytes.resize(n);
    for (size_t i = 0; i < n; ++i) {
        const std::string& text = v.tokens[i];
        const TokenType type    = v.types[i];
        if (is_special_type(type)) {
            t.bytes[i] = text;
        } else if (!gpt2) {
            const int b = parse_byte_piece(text);
            if (b >= 0 && (type == TokenType::Byte || type == TokenType::Normal || type == TokenType::Undefined)) {
                t.bytes[i] = std::string(1, char(b));
                if (type == TokenType::Byte || t.byte_to_id[size_t(b)] < 0) t.byte_to_id[size_t(b)] = int32_t(i);
            } else {
                t.bytes[i] = replace_all(text, tok::kSpaceEscape, " ");
            }
        } else {
            (void)t.byte_map.decode(text, t.bytes[i]);
        }
    }

    // Merge lookups. llama: pieces merges may produce (SentencePiece never matches control, unknown or byte pieces
    // in text). gpt2: every token by its bytes. gemma4: every token by its text, as llama.cpp looks it up.
    for (size_t i = 0; i < n; ++i) {
        const TokenType type = v.types[i];
        std::string_view key;
        if (llama) {
            if (is_special_type(type) && type != TokenType::UserDefined) continue;
            if (type == TokenType::Byte) continue;
            key = v.tokens[i];
        } else if (gpt2) {
            key = t.bytes[i];
        } else {
            key = v.tokens[i];
        }
        if (key.empty()) continue;
        t.piece_to_id[key] = int32_t(i);
        t.max_piece_len    = std::max(t.max_piece_len, key.size());
    }

    if (llama) {
        t.spm_word_cuts           = true;
        const std::string_view sp = tok::kSpaceEscape;
        for (const auto& [piece, id] : t.piece_to_id)
            for (size_t k = piece.find(sp, 1); k != std::string_view::npos; k = piece.find(sp, k + 1))
                if (k < sp.size() || piece.substr(k - sp.size(), sp.size()) != sp) t.spm_word_cuts = false;
    } else {
        if (gpt2) {
            for (int b = 0; b < 256; ++b) {
                const char c            = char(b);
                t.byte_to_id[size_t(b)] = t.find_piece(std::string_view(&c, 1));
            }
        }
        if (v.merges.empty())
            return make_error(Code::kFormat, "tokenizer: a %s vocabulary needs merges (tokenizer.ggml.merges)",
                              gpt2 ? "gpt2" : "gemma4");
        size_t skipped = 0;
        std::string left, right;
        for (size_t r = 0; r < v.merges.size(); ++r) {
            const std::string& m = v.merges[r];
            const size_t sp      = m.find(' ', 1);
            if (sp == std::string::npos) {
                ++skipped;
                continue;
            }
            left.clear(), right.clear();
            if (gpt2) {
                (void)t.byte_map.decode(std::string_view(m).substr(0, sp), left);
                (void)t.byte_map.decode(std::string_view(m).substr(sp + 1), right);
            } else {
                left.assign(m, 0, sp);
                right.assign(m, sp + 1);
            }
            const int32_t l = t.find_piece(left), rr = t.find_piece(right);
            if (l < 0 || rr < 0) {
                ++skipped;
                continue;
            }
            const int32_t merged = t.find_piece(left + right);
            t.merges.emplace(Tokenizer::Impl::pair_key(l, rr), Tokenizer::Impl::Merge{int32_t(r), merged});
        }
        if (skipped)
            t.warnings.push_back("tokenizer: " + std::to_string(skipped) + " of " + std::to_string(v.merges.size()) +
                                 " merges name pieces that are not tokens; ignored");

        const PretokenizerRow* row = find_pretokenizer(v.pre);
        if (!row) {
            t.warnings.push_back("tokenizer: unknown pre-tokenizer '" + v.pre + "'; using 'default'");
            row = &pretokenizer_rows()[0];
        }
        auto pre = Pretokenizer::compile(*row);
        if (!pre.ok()) return pre.error();
        t.pre.emplace(std::move(pre.value()));
        t.ignore_merges      = row->ignore_merges;
        t.whole_newline_runs = row->whole_newline_runs;
    }

    for (size_t i = 0; i < n; ++i)
        if (is_special_type(v.types[i]) && !v.tokens[i].empty()) t.specials.push_back(int32_t(i));
    std::stable_sort(t.specials.begin(), t.specials.end(),
                     [&](int32_t a, int32_t b) { return v.tokens[size_t(a)].size() > v.tokens[size_t(b)].size(); });
    return {};
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

const Vocab& Tokenizer::vocab() const {
    return impl_->vocab;
}
int32_t Tokenizer::n_vocab() const {
    return int32_t(impl_->vocab.tokens.size());
}
const std::vector<std::string>& Tokenizer::warnings() const {
    return impl_->warnings;
}

int32_t Tokenizer::find_token(std::string_view text) const {
    const auto& toks = impl_->vocab.tokens;
    for (size_t i = toks.size(); i-- > 0;)
        if (toks[i] == text) return int32_t(i);
    return -1;
}

TokenType Tokenizer::token_type(int32_t id) const {
    if (id < 0 || id >= n_vocab()) return TokenType::Undefined;
    return impl_->vocab.types[size_t(id)];
}

namespace {
Result<std::shared_ptr<const Tokenizer>> build(Vocab v, std::vector<std::string> warnings) {
    auto impl      = std::make_unique<Tokenizer::Impl>();
    impl->vocab    = std::move(v);
    impl->warnings = std::move(warnings);
    TS_TRY(index_vocab(*impl));
    return std::shared_ptr<const Tokenizer>(std::make_shared<const Tokenizer>(std::move(impl)));
}
}  // namespace

Result<std::shared_ptr<const Tokenizer>> Tokenizer::from_vocab(Vocab v) {
    return build(std::move(v), {});
}

Result<std::shared_ptr<const Tokenizer>> Tokenizer::from_gguf(const gguf::GgufFile& f) {
    const std::string& file = f.name();
    Vocab v;
    std::vector<std::string> warnings;
    const auto model = f.get_string("tokenizer.ggml.model");
    if (!model)
        return make_error(Code::kFormat, "%s: no tokenizer (key tokenizer.ggml.model is missing)", file.c_str());
    if (*model == "llama") {
        v.kind = TokenizerKind::Llama;
        v.bos = 1, v.eos = 2, v.unk = 0;
        v.add_bos = true, v.add_space_prefix = true;
    } else if (*model == "gpt2") {
        v.kind             = TokenizerKind::Gpt2;
        v.add_space_prefix = false;
    } else if (*model == "gemma4") {
        v.kind             = TokenizerKind::Gemma4;
        v.add_space_prefix = false;
        v.pre              = "gemma4";  // whatever tokenizer.ggml.pre says, as in llama.cpp
    } else {
        return make_error(Code::kUnsupported,
                          "%s: tokenizer.ggml.model '%s' is not supported (llama, gpt2, gemma4 are)", file.c_str(),
                          model->c_str());
    }

    auto string_array = [&](const char* key, std::vector<std::string>& out, bool required) -> Status {
        const gguf::Value* val = f.find(key);
        if (!val) {
            if (required) return make_error(Code::kFormat, "%s: key %s is missing", file.c_str(), key);
            return {};
        }
        if (val->type != gguf::ValueType::Array || val->elem_type != gguf::ValueType::String)
            return make_error(Code::kFormat, "%s: %s is not an array of strings", file.c_str(), key);
        out.reserve(val->arr.size());
        for (const gguf::Value& e : val->arr) out.push_back(e.s);
        return {};
    };
    TS_TRY(string_array("tokenizer.ggml.tokens", v.tokens, true));
    TS_TRY(string_array("tokenizer.ggml.merges", v.merges, false));
    const size_t n = v.tokens.size();

    if (const gguf::Value* s = f.find("tokenizer.ggml.scores")) {
        if (s->type != gguf::ValueType::Array || s->arr.size() != n)
            return make_error(Code::kFormat, "%s: tokenizer.ggml.scores is not an array of %zu numbers", file.c_str(),
                              n);
        v.scores.reserve(n);
        for (const gguf::Value& e : s->arr) {
            double d = 0;
            if (!e.as_f64(d))
                return make_error(Code::kFormat, "%s: tokenizer.ggml.scores holds a non-number", file.c_str());
            v.scores.push_back(float(d));
        }
    }
    if (const gguf::Value* s = f.find("tokenizer.ggml.token_type")) {
        if (s->type != gguf::ValueType::Array || s->arr.size() != n)
            return make_error(Code::kFormat, "%s: tokenizer.ggml.token_type is not an array of %zu integers",
                              file.c_str(), n);
        v.types.reserve(n);
        for (const gguf::Value& e : s->arr) {
            int64_t t = 0;
            if (!e.as_i64(t))
                return make_error(Code::kFormat, "%s: tokenizer.ggml.token_type holds a non-integer", file.c_str());
            v.types.push_back(t >= 0 && t <= 6 ? TokenType(t) : TokenType::Undefined);
        }
    }

    if (auto name = f.get_string("general.name")) set_strip_attributes(v, *name);

    const PretokenizerRow* row = nullptr;
    if (v.kind == TokenizerKind::Gpt2) {
        const auto pre = f.get_string("tokenizer.ggml.pre");
        if (!pre) warnings.push_back(file + ": no tokenizer.ggml.pre; using the 'default' pre-tokenizer");
        v.pre = pre ? *pre : "default";
        row   = find_pretokenizer(v.pre);
        // A gpt2 file with Gemma 4's pre-tokenizer has Gemma 4's pieces ("▁", <0xXX>): llama.cpp reads it so too.
        if (row && row->name == "gemma4") v.kind = TokenizerKind::Gemma4;
    } else if (v.kind == TokenizerKind::Gemma4) {
        row = find_pretokenizer(v.pre);
    }
    if (row) v.add_bos = row->add_bos;

    struct IdKey {
        const char* key;
        int32_t* id;
    };
    for (IdKey k : {IdKey{"tokenizer.ggml.bos_token_id", &v.bos}, IdKey{"tokenizer.ggml.eos_token_id", &v.eos},
                    IdKey{"tokenizer.ggml.eot_token_id", &v.eot}, IdKey{"tokenizer.ggml.unknown_token_id", &v.unk},
                    IdKey{"tokenizer.ggml.padding_token_id", &v.pad}}) {
        const auto id = f.get_u64(k.key);
        if (!id) continue;
        if (*id >= n) {
            warnings.push_back(file + ": " + k.key + " = " + std::to_string(*id) + " is outside the vocabulary of " +
                               std::to_string(n) + " tokens; using " + std::to_string(*k.id));
            continue;
        }
        *k.id = int32_t(*id);
    }
    if (auto b = f.get_bool("tokenizer.ggml.add_bos_token")) v.add_bos = *b;
    if (auto b = f.get_bool("tokenizer.ggml.add_eos_token")) v.add_eos = *b;
    if (auto b = f.get_bool("tokenizer.ggml.add_space_prefix")) v.add_space_prefix = *b;
    // llama.cpp always adds BOS for Gemma 4, even when the file says add_bos_token = false.
    if (v.kind == TokenizerKind::Gemma4 && !v.add_bos) {
        warnings.push_back(file + ": tokenizer.ggml.add_bos_token is false; Gemma 4 needs BOS, adding it");
        v.add_bos = true;
    }

    // No EOT key: recognise the usual end-of-turn texts, as llama.cpp does.
    if (v.eot < 0) {
        for (const char* text :
             {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<turn|>", "<|end_of_text|>"}) {
            auto it = std::find(v.tokens.begin(), v.tokens.end(), text);
            if (it != v.tokens.end()) {
                v.eot = int32_t(it - v.tokens.begin());
                break;
            }
        }
    }

    auto tok = build(std::move(v), std::move(warnings));
    if (!tok.ok()) return make_error(tok.error().code, "%s: %s", file.c_str(), tok.error().message.c_str());
    return tok;
}

Result<std::shared_ptr<const Tokenizer>> Tokenizer::from_llama2c(const std::string& path, int32_t n_vocab) {
    auto data = read_file(path);
    if (!data.ok()) return data.error();
    const std::string& d = *data;
    size_t pos           = 0;
    auto read4           = [&](void* out) {
        std::memcpy(out, d.data() + pos, 4);
        pos += 4;
    };
    if (d.size() < 4)
        return make_error(Code::kFormat, "%s: %zu bytes is too short for a tokenizer.bin", path.c_str(), d.size());
    int32_t max_len = 0;
    read4(&max_len);
    if (max_len <= 0)
        return make_error(Code::kFormat, "%s: max_token_length %d is not positive", path.c_str(), int(max_len));

    Vocab v;
    v.kind = TokenizerKind::Llama;
    v.bos = 1, v.eos = 2, v.unk = 0;
    v.add_bos = true, v.add_space_prefix = true;
    for (int32_t i = 0; n_vocab <= 0 ? pos < d.size() : i < n_vocab; ++i) {
        if (d.size() - pos < 8)
            return make_error(Code::kFormat,
                              "%s: token %d: record header at %zu passes the end of the file (%zu bytes)", path.c_str(),
                              int(i), pos, d.size());
        float score = 0;
        int32_t len = 0;
        read4(&score);
        read4(&len);
        if (len < 0 || size_t(len) > d.size() - pos)
            return make_error(Code::kFormat,
                              "%s: token %d: length %d at offset %zu passes the end of the file (%zu bytes)",
                              path.c_str(), int(i), int(len), pos - 4, d.size());
        std::string piece = d.substr(pos, size_t(len));
        pos += size_t(len);
        TokenType type = TokenType::Normal;
        if (i == 0) {
            type = TokenType::Unknown;
        } else if (i == 1 || i == 2) {
            type           = TokenType::Control;  // llama2.c stores "\n<s>\n" and "\n</s>\n"
            const size_t b = piece.find_first_not_of(" \n"), e = piece.find_last_not_of(" \n");
            piece = b == std::string::npos ? piece : piece.substr(b, e - b + 1);
        } else if (parse_byte_piece(piece) >= 0) {
            type = TokenType::Byte;
        } else {
            piece = replace_all(piece, " ", tok::kSpaceEscape);  // llama2.c's export turned "▁" into ' '
        }
        v.tokens.push_back(std::move(piece));
        v.scores.push_back(score);
        v.types.push_back(type);
    }
    if (v.tokens.size() < 3)
        return make_error(Code::kFormat, "%s: %zu tokens; a llama2.c vocabulary has <unk>, <s>, </s> first",
                          path.c_str(), v.tokens.size());
    auto tok = from_vocab(std::move(v));
    if (!tok.ok()) return make_error(tok.error().code, "%s: %s", path.c_str(), tok.error().message.c_str());
    return tok;
}

}  // namespace ts::core
