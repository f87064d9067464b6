// The pre-tokenizer table (one row per tokenizer.ggml.pre value) and the PCRE2 splitter that applies a row.
// The expressions are those of each model's tokenizer.json, in the form llama.cpp applies them (case-insensitive
// contractions spelled out, e.g. '[sS]), so the pieces match the reference implementation.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "core/tokenizer/pretokenize.hpp"

#include <pcre2.h>

#include <string>

namespace ts::core {
namespace {

// GPT-2's original split: contractions, letters, numbers, other symbols, each with an optional leading space;
// whitespace runs leave their last space to the next word.
constexpr std::string_view kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
// Llama 3 (and its relatives): case-insensitive contractions, a letter run may take one leading non-letter,
// digits in groups of up to three, newlines kept with the symbols before them.
constexpr std::string_view kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3})"
    R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Qwen2: as Llama 3, but every digit on its own.
constexpr std::string_view kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N})"
    R"(| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Qwen3.5: as Qwen2, but a letter run also takes the combining marks (\p{M}) inside and after it, so Khmer, Thai
// or Devanagari words whose vowel signs are marks stay one piece, and symbol runs stop at a mark.
constexpr std::string_view kQwen35 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N})"
    R"(| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kSingleDigit = R"(\p{N})";
constexpr std::string_view kCjk         = R"([\x{4E00}-\x{9FA5}\x{0800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";
constexpr std::string_view kBloom       = R"( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{0964}\x{06D4}\x{060C})]+)";
// DeepSeek LLM's letter class (cased letters: Latin, Greek, Cyrillic, Armenian, Georgian, Cherokee, ...; not CJK),
// as code points so that no editor's Unicode normalisation can reorder a range.
constexpr std::string_view kDeepseekLetters =
    "\\s?["
    "\\x{0041}-\\x{005A}\\x{0061}-\\x{007A}\\x{00B5}\\x{00C0}-\\x{00D6}\\x{00D8}-\\x{00F6}"
    "\\x{00F8}-\\x{01BA}\\x{01BC}-\\x{01BF}\\x{01C4}-\\x{0293}\\x{0295}-\\x{02AF}\\x{0370}-\\x{0373}"
    "\\x{0376}-\\x{0377}\\x{037B}-\\x{037D}\\x{037F}\\x{0386}\\x{0388}-\\x{038A}\\x{038C}"
    "\\x{038E}-\\x{03A1}\\x{03A3}-\\x{03F5}\\x{03F7}-\\x{0481}\\x{048A}-\\x{052F}\\x{0531}-\\x{0556}"
    "\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}"
    "\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}"
    "\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}"
    "\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}"
    "\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}"
    "\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}"
    "\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}"
    "\\x{2145}-\\x{2149}\\x{214E}\\x{2183}-\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}"
    "\\x{2CEB}-\\x{2CEE}\\x{2CF2}-\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}"
    "\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}"
    "\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}"
    "\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}"
    "\\x{1E900}-\\x{1E943}"
    "]+";
constexpr std::string_view kTekken =
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+)"
    R"(((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kGpt4o =
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM])"
    R"(|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE])"
    R"(|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kDeepseek3 =
    R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*)"
    R"(|\s*[\r\n]+|\s+(?!\S)|\s+)";

constexpr PretokenizerRow kRows[] = {
    // llama.cpp's fallback for files without a known pre value.
    {"default", {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"}},
    {"gpt-2", {kGpt2}},
    {"phi-2", {kGpt2}},
    {"gpt-neox", {kGpt2}},
    {"mpt", {kGpt2}},
    {"olmo", {kGpt2}},
    {"jais", {kGpt2}},
    {"llama-bpe", {kLlama3}, /*ignore_merges=*/true, /*add_bos=*/true},
    {"dbrx", {kLlama3}},
    {"smaug-bpe", {kLlama3}},
    {"chatglm-bpe", {kLlama3}},
    {"qwen2", {kQwen2}},
    {"stablelm2", {kQwen2}},
    {"grok-2", {kQwen2}},
    {"qwen35", {kQwen35}},
    {"starcoder", {kSingleDigit, kGpt2}},
    {"refact", {kSingleDigit, kGpt2}},
    {"command-r", {kSingleDigit, kGpt2}},
    {"smollm", {kSingleDigit, kGpt2}},
    {"codeshell", {kSingleDigit, kGpt2}},
    {"exaone", {kSingleDigit, kGpt2}},
    {"minerva-7b", {kSingleDigit, kGpt2}},
    {"falcon", {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, "[0-9][0-9][0-9]"}},
    {"deepseek-llm",
     {"[\r\n]", kDeepseekLetters,
      "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+", R"(\s+$)", kCjk,
      R"(\p{N}+)"}},
    {"deepseek-coder", {"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kCjk, kSingleDigit}},
    {"deepseek-v3", {R"(\p{N}{1,3})", R"([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)", kDeepseek3}},
    {"poro-chat", {kBloom}},
    {"bloom", {kBloom}},
    {"gpt3-finnish", {kBloom}},
    {"viking", {kBloom, kSingleDigit}},
    {"tekken", {kTekken}, /*ignore_merges=*/true, /*add_bos=*/true},
    {"gpt-4o", {kGpt4o}},
    // Gemma 4 has no word splitting of its own (its normaliser only writes spaces as "▁"): as in llama.cpp, each
    // line is merged whole and each run of newlines apart.
    {"gemma4", {R"([^\n]+|[\n]+)"}, /*ignore_merges=*/false, /*add_bos=*/true, /*whole_newline_runs=*/true},
    {"seed-coder",
     {R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1})"
      R"(| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+)"}},
};

struct Alias {
    std::string_view alias, name;
};
constexpr Alias kAliases[] = {
    {"llama3", "llama-bpe"},
    {"llama-v3", "llama-bpe"},
    {"falcon3", "llama-bpe"},
    {"falcon-h1", "llama-bpe"},
    {"pixtral", "llama-bpe"},
    {"midm-2.0", "llama-bpe"},
    {"lfm2", "llama-bpe"},
    {"jina-es", "gpt-2"},
    {"jina-de", "gpt-2"},
    {"gigachat", "gpt-2"},
    {"jina-v1-en", "gpt-2"},
    {"jina-v2-es", "gpt-2"},
    {"jina-v2-de", "gpt-2"},
    {"jina-v2-code", "gpt-2"},
    {"roberta-bpe", "gpt-2"},
    {"exaone4", "gpt-2"},
    {"trillion", "gpt-2"},
    {"granite-docling", "gpt-2"},
    {"deepseek-r1-qwen", "qwen2"},
    {"megrez", "qwen2"},
    {"hunyuan", "qwen2"},
    {"glm4", "chatglm-bpe"},
    {"llama4", "gpt-4o"},
    {"minimax-m2", "gpt-4o"},
    {"hunyuan-dense", "deepseek-v3"},
    {"granite-embed-multi-311m", "gemma4"},
};

// llama.cpp's whitespace: tab to carriage return and the Unicode spaces (Zs, Zl, Zp) and U+0085. PCRE2's `\s` in
// UCP mode also matches U+180E MONGOLIAN VOWEL SEPARATOR (a format character since Unicode 6.3), which llama.cpp
// does not count as a space, so `\s` and `\S` are spelled out with this set before an expression is compiled.
constexpr std::string_view kSpaceSet =
    R"(\t-\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

// `expr` with every `\s` and `\S` replaced by kSpaceSet: `[set]` / `[^set]` outside a class, the bare set inside
// one. A `\S` inside a class has no such spelling and is refused (no row needs it).
Result<std::string> spell_out_spaces(std::string_view expr) {
    std::string out;
    out.reserve(expr.size() + 64);
    bool in_class = false;
    for (size_t i = 0; i < expr.size(); ++i) {
        const char c = expr[i];
        if (c == '\\' && i + 1 < expr.size()) {
            const char e = expr[++i];
            if (e == 's' || e == 'S') {
                if (in_class && e == 'S') return make_error(Code::kInternal, "\\S inside a character class");
                if (!in_class) out += e == 's' ? "[" : "[^";
                out += kSpaceSet;
                if (!in_class) out += ']';
            } else {
                out += c;
                out += e;
            }
            continue;
        }
        if (!in_class && c == '[') {
            in_class = true;
            out += c;
            // A ']' right after "[" or "[^" is a literal, not the end of the class.
            if (i + 1 < expr.size() && expr[i + 1] == '^') out += expr[++i];
            if (i + 1 < expr.size() && expr[i + 1] == ']') out += expr[++i];
            continue;
        }
        if (in_class && c == ']') in_class = false;
        out += c;
    }
    return out;
}

struct CodeDeleter {
    void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};

}  // namespace

struct Pretokenizer::Compiled {
    std::unique_ptr<pcre2_code, CodeDeleter> code;
};

std::span<const PretokenizerRow> pretokenizer_rows() {
    return kRows;
}

const PretokenizerRow* find_pretokenizer(std::string_view pre) {
    for (const Alias& a : kAliases)
        if (a.alias == pre) pre = a.name;
    for (const PretokenizerRow& r : kRows)
        if (r.name == pre) return &r;
    return nullptr;
}

Pretokenizer::Pretokenizer(Pretokenizer&&) noexcept            = default;
Pretokenizer& Pretokenizer::operator=(Pretokenizer&&) noexcept = default;
Pretokenizer::~Pretokenizer()                                  = default;

Result<Pretokenizer> Pretokenizer::compile(const PretokenizerRow& row) {
    Pretokenizer p;
    p.row_ = &row;
    for (std::string_view expr : row.exprs) {
        if (expr.empty()) continue;
        auto spelled = spell_out_spaces(expr);
        if (!spelled.ok())
            return make_error(Code::kInternal, "pre-tokenizer '%.*s': expression %zu: %s", int(row.name.size()),
                              row.name.data(), p.codes_.size(), spelled.error().message.c_str());
        int err          = 0;
        PCRE2_SIZE where = 0;
        // UTF + UCP: \p{L}, \s, \w follow Unicode; MATCH_INVALID_UTF: invalid bytes never match and never fail
        // the match, so arbitrary input splits (and round-trips); DOLLAR_ENDONLY: `$` is the end of the piece.
        const uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY;
        pcre2_code* code =
            pcre2_compile(reinterpret_cast<PCRE2_SPTR>(spelled->data()), spelled->size(), opts, &err, &where, nullptr);
        if (!code) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(err, msg, sizeof msg);
            return make_error(Code::kInternal, "pre-tokenizer '%.*s': expression %zu does not compile at %zu: %s",
                              int(row.name.size()), row.name.data(), p.codes_.size(), size_t(where),
                              reinterpret_cast<const char*>(msg));
        }
        auto c = std::make_unique<Compiled>();
        c->code.reset(code);
        // JIT is an optimisation: when it is unavailable the interpreter gives the same matches.
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
        p.codes_.push_back(std::move(c));
    }
    return p;
}

namespace {

struct MatchState {
    pcre2_match_data* md    = nullptr;
    pcre2_match_context* mc = nullptr;
    pcre2_jit_stack* stack  = nullptr;
    ~MatchState() {
        if (md) pcre2_match_data_free(md);
        if (mc) pcre2_match_context_free(mc);
        if (stack) pcre2_jit_stack_free(stack);
    }
};

}  // namespace

Result<std::vector<std::string_view>> Pretokenizer::split(std::string_view text) const {
    std::vector<std::string_view> pieces;
    if (text.empty()) return pieces;
    pieces.push_back(text);
    if (codes_.empty()) return pieces;

    MatchState st;
    st.md    = pcre2_match_data_create(1, nullptr);
    st.mc    = pcre2_match_context_create(nullptr);
    st.stack = pcre2_jit_stack_create(32 * 1024, 64 * 1024 * 1024, nullptr);
    if (!st.md || !st.mc || !st.stack) return make_error(Code::kOutOfMemory, "pre-tokenizer: out of memory");
    pcre2_jit_stack_assign(st.mc, nullptr, st.stack);

    std::vector<std::string_view> next;
    for (const auto& c : codes_) {
        next.clear();
        next.reserve(pieces.size() * 2);
        for (std::string_view piece : pieces) {
            const auto* subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
            size_t start = 0, last_end = 0;
            while (start <= piece.size()) {
                const int rc = pcre2_match(c->code.get(), subject, piece.size(), start, 0, st.md, st.mc);
                if (rc == PCRE2_ERROR_NOMATCH) break;
                if (rc < 0) {
                    PCRE2_UCHAR msg[256];
                    pcre2_get_error_message(rc, msg, sizeof msg);
                    return make_error(Code::kInvalidArgument, "pre-tokenizer '%.*s': matching a %zu-byte piece: %s",
                                      int(row_->name.size()), row_->name.data(), piece.size(),
                                      reinterpret_cast<const char*>(msg));
                }
                const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.md);
                const size_t ms = ov[0], me = ov[1];
                if (me <= ms) {
                    // Empty match: no piece; step over one character and try again.
                    start = ms + 1;
                    while (start < piece.size() && (uint8_t(piece[start]) & 0xC0) == 0x80) ++start;
                    continue;
                }
                if (ms > last_end) next.push_back(piece.substr(last_end, ms - last_end));
                next.push_back(piece.substr(ms, me - ms));
                last_end = start = me;
            }
            if (last_end < piece.size()) next.push_back(piece.substr(last_end));
        }
        pieces.swap(next);
    }
    return pieces;
}

}  // namespace ts::core
