// `tokenscope tokenize -m FILE (-p TEXT | -f FILE) [--ids] [--special]` (DESIGN §5): how text becomes tokens.
// Reads only the tokenizer: a vocabulary-only GGUF is enough, and no weights are loaded. Also accepts llama2.c
// files: a tokenizer.bin itself, or a checkpoint with tokenizer.bin beside it.
// Output: one token per line (id, visible form, byte length), or with --ids the ids on one line separated by
// single spaces. BOS is added only when the model asks for it.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "app/cli/args.hpp"
#include "app/cli/commands.hpp"
#include "core/base/mmap.hpp"
#include "core/gguf/gguf_reader.hpp"
#include "core/tokenizer/tokenizer.hpp"

namespace ts::app {
namespace {

using core::Result;
using core::Tokenizer;

std::string base_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The first `n` bytes of a file ("" when it cannot be read; the loaders then report why).
std::string read_head(const std::string& path, size_t n) {
    std::string head(n, '\0');
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return {};
    head.resize(std::fread(head.data(), 1, n, f));
    std::fclose(f);
    return head;
}

Result<std::shared_ptr<const Tokenizer>> load_tokenizer(const std::string& path) {
    const std::string head = read_head(path, 28);
    if (head.size() >= 4 && std::memcmp(head.data(), "GGUF", 4) == 0) {
        auto f = core::gguf::GgufFile::open(path);
        if (!f.ok()) return f.error();
        return Tokenizer::from_gguf(*f);
    }
    if (base_name(path).find("tokenizer") != std::string::npos) return Tokenizer::from_llama2c(path, 0);
    if (head.size() == 28) {
        // A llama2.c checkpoint: 7 i32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len);
        // a negative vocab_size only says the classifier is not shared.
        int32_t n_vocab = 0;
        std::memcpy(&n_vocab, head.data() + 20, 4);
        const size_t slash = path.find_last_of('/');
        const std::string tok =
            (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + "tokenizer.bin";
        return Tokenizer::from_llama2c(tok, n_vocab < 0 ? -n_vocab : n_vocab);
    }
    auto f = core::gguf::GgufFile::open(path);  // not GGUF: let the reader say why
    if (!f.ok()) return f.error();
    return Tokenizer::from_gguf(*f);
}

void append_int(std::string& out, int32_t v) {
    char buf[16];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

}  // namespace

int cmd_tokenize(int argc, char** argv) {
    std::string model_path = default_model_path();
    std::string prompt, prompt_file;
    bool ids_only = false, special = false;
    ArgParser ap("tokenize", "-m FILE (-p TEXT | -f FILE) [--ids] [--special]", "show how text becomes tokens");
    ap.add_string("-m", "--model", "FILE", &model_path, "model or vocabulary file (GGUF, llama2.c tokenizer.bin)");
    ap.add_string("-p", "--prompt", "TEXT", &prompt, "text to tokenize");
    ap.add_string("-f", "--file", "FILE", &prompt_file, "read the text from a file");
    ap.add_flag("", "--ids", &ids_only, "print only the ids, on one line separated by spaces");
    ap.add_flag("", "--special", &special, "parse special-token text such as <s> or <|im_start|> into its id");
    if (auto code = ap.parse(argc, argv)) return *code;
    const bool has_p = ap.was_set("-p"), has_f = ap.was_set("-f");
    if (has_p == has_f) return ap.usage_error("give the text with exactly one of -p TEXT or -f FILE");

    std::string text = prompt;
    if (has_f) {
        auto r = core::read_file(prompt_file);
        if (!r.ok()) return print_error(r.error().message);
        text = std::move(r.value());
    }

    auto tok = load_tokenizer(model_path);
    if (!tok.ok()) return print_error(tok.error().message);
    for (const std::string& w : (*tok)->warnings()) std::fprintf(stderr, "warning: %s\n", w.c_str());

    auto ids = (*tok)->encode(text, /*add_special=*/true, /*parse_special=*/special);
    if (!ids.ok()) return print_error(ids.error().message);

    std::string out;
    if (ids_only) {
        out.reserve(ids->size() * 6 + 1);
        for (size_t i = 0; i < ids->size(); ++i) {
            if (i) out += ' ';
            append_int(out, (*ids)[i]);
        }
        out += '\n';
    } else {
        for (int32_t id : *ids) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "%6d", int(id));
            out += buf;
            out += '\t';
            out += (*tok)->display(id);
            out += '\t';
            append_int(out, int32_t((*tok)->token_bytes(id).size()));
            out += '\n';
        }
    }
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0)
        return print_error("writing to stdout failed");
    return 0;
}

}  // namespace ts::app
