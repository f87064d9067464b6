// libFuzzer target for the tokenizers: any bytes are encoded by a llama (SentencePiece-style) and a gpt2
// (byte-level) vocabulary, with the pre-tokenizer row and special parsing chosen by the first byte. Checks: no
// crash or sanitizer report, every id in range, decode gives the input back (both vocabularies hold every byte),
// and the streaming decoder emits only valid UTF-8. The fixture vocabularies are used too when TS_SHARED_DIR has
// them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/gguf/gguf_reader.hpp"
#include "core/tokenizer/pretokenize.hpp"
#include "core/tokenizer/tokenizer.hpp"
#include "core/tokenizer/unicode.hpp"

namespace {

using ts::core::Tokenizer;
using ts::core::TokenizerKind;
using ts::core::TokenType;
using ts::core::Vocab;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_tokenizer: %s\n", what);
        std::abort();
    }
}

std::shared_ptr<const Tokenizer> make(Vocab v) {
    auto t = Tokenizer::from_vocab(std::move(v));
    check(t.ok(), "a handmade vocabulary does not load");
    return *t;
}

// <unk> <s> </s>, the 256 byte pieces, then a few pieces that merge ("▁the", "▁a", "he", "th", "▁▁", "<s>"-like).
std::shared_ptr<const Tokenizer> small_llama() {
    Vocab v;
    v.kind   = TokenizerKind::Llama;
    v.tokens = {"<unk>", "<s>", "</s>"};
    v.types  = {TokenType::Unknown, TokenType::Control, TokenType::Control};
    for (int b = 0; b < 256; ++b) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "<0x%02X>", b);
        v.tokens.push_back(buf);
        v.types.push_back(TokenType::Byte);
    }
    const char* pieces[] = {"\xE2\x96\x81",
                            "t",
                            "h",
                            "e",
                            "a",
                            "<",
                            "s",
                            ">",
                            "th",
                            "he",
                            "\xE2\x96\x81t",
                            "\xE2\x96\x81th",
                            "\xE2\x96\x81the",
                            "\xE2\x96\x81\xE2\x96\x81",
                            "\xE2\x96\x81\x61",
                            "<s",
                            "\xC3\xA9",
                            "\xE4\xBD\xA0"};
    for (const char* p : pieces) {
        v.tokens.push_back(p);
        v.types.push_back(TokenType::Normal);
    }
    v.tokens.push_back("<|user|>");
    v.types.push_back(TokenType::UserDefined);
    v.scores.resize(v.tokens.size());
    for (size_t i = 0; i < v.scores.size(); ++i) v.scores[i] = -float(i % 7);
    v.bos = 1, v.eos = 2, v.unk = 0, v.add_bos = true;
    return make(std::move(v));
}

std::shared_ptr<const Tokenizer> small_gpt2(std::string_view pre) {
    ts::core::tok::ByteMap map;
    Vocab v;
    v.kind = TokenizerKind::Gpt2;
    v.pre  = std::string(pre);
    for (int b = 0; b < 256; ++b) v.tokens.emplace_back(map.encode(uint8_t(b)));
    const char* merges[][2] = {{" ", "t"},       {"h", "e"}, {" t", "he"}, {"1", "2"}, {"12", "3"},
                               {"\xC3", "\xA9"}, {"a", "b"}, {"ab", "c"},  {" ", " "}, {"\n", "\n"}};
    for (const auto& m : merges) {
        std::string l, r;
        for (char c : std::string(m[0])) l += map.encode(uint8_t(c));
        for (char c : std::string(m[1])) r += map.encode(uint8_t(c));
        v.merges.push_back(l + " " + r);
        v.tokens.push_back(l + r);
    }
    v.tokens.push_back("<|endoftext|>");
    v.types.assign(v.tokens.size(), TokenType::Normal);
    v.types.back() = TokenType::Control;
    v.eos          = int32_t(v.tokens.size() - 1);
    return make(std::move(v));
}

std::shared_ptr<const Tokenizer> fixture(const char* name) {
#ifdef TS_SHARED_DIR
    auto f = ts::core::gguf::GgufFile::open(std::string(TS_SHARED_DIR) + "/fixtures/tokenizer/" + name);
    if (!f.ok()) return nullptr;
    auto t = Tokenizer::from_gguf(*f);
    return t.ok() ? *t : nullptr;
#else
    (void)name;
    return nullptr;
#endif
}

struct Tokenizers {
    std::shared_ptr<const Tokenizer> llama = small_llama();
    std::vector<std::shared_ptr<const Tokenizer>> gpt2;
    std::shared_ptr<const Tokenizer> fixture_llama = fixture("ggml-vocab-llama-spm.gguf");
    std::shared_ptr<const Tokenizer> fixture_gpt2  = fixture("ggml-vocab-gpt-2.gguf");
    Tokenizers() {
        for (const auto& row : ts::core::pretokenizer_rows()) gpt2.push_back(small_gpt2(row.name));
    }
};

bool is_valid_utf8(const std::string& s) {
    for (size_t i = 0; i < s.size();) {
        const size_t n = ts::core::tok::utf8_valid_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

void run(const Tokenizer& tok, const std::string& text, bool parse_special, bool add_special) {
    auto ids = tok.encode(text, add_special, parse_special);
    check(ids.ok(), "encode failed on a vocabulary that holds every byte");
    for (int32_t id : *ids) check(id >= 0 && id < tok.n_vocab(), "id out of range");
    const bool has_space_mark = text.find("\xE2\x96\x81") != std::string::npos;  // SentencePiece reads it as ' '
    if (!parse_special && !(tok.vocab().kind == TokenizerKind::Llama && has_space_mark))
        check(tok.decode(*ids) == text, "decode(encode(text)) != text");
    ts::core::StreamDecoder stream(tok);
    std::string streamed;
    for (int32_t id : *ids) streamed += stream.push(id);
    streamed += stream.flush();
    check(is_valid_utf8(streamed), "the stream decoder emitted invalid UTF-8");
    for (int32_t id : *ids) (void)tok.display(id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const Tokenizers toks;  // built once: vocabularies and compiled pre-tokenizers
    if (size == 0) return 0;
    const uint8_t sel = data[0];
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    const bool parse_special = sel & 1, add_special = sel & 2;
    run(*toks.llama, text, parse_special, add_special);
    run(*toks.gpt2[(sel >> 2) % toks.gpt2.size()], text, parse_special, add_special);
    if (size < 4096) {
        if (toks.fixture_llama) run(*toks.fixture_llama, text, parse_special, add_special);
        if (toks.fixture_gpt2) run(*toks.fixture_gpt2, text, parse_special, add_special);
    }
    return 0;
}
