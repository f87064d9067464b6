// `tokenscope tokenize -m FILE (-p TEXT | -f FILE) [--ids] [--special]` (ARCHITECTURE §5): how text becomes tokens.
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
#include "core/model/model.hpp"
#include "core/tokenizer/tokenizer.hpp"

namespace ts::app {
namespace {

using core::Result;
using core::Tokenizer;

std::string base_name(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A GGUF (a vocabulary-only one is enough), a llama2.c tokenizer.bin (named so), or a llama2.c checkpoint with
// tokenizer.bin beside it. The file is mapped, not read (MappedFile refuses FIFOs and devices before opening them).
Result<std::shared_ptr<const Tokenizer>> load_tokenizer(const std::string& path) {
    auto map = core::MappedFile::open(path);
    if (!map.ok()) return map.error();
    const bool gguf = (*map)->size() >= 4 && std::memcmp((*map)->data(), "GGUF", 4) == 0;
    if (gguf) {
        auto f = core::gguf::GgufFile::open(path);
        if (!f.ok()) return f.error();
        return Tokenizer::from_gguf(*f);
    }
    if (base_name(path).find("tokenizer") != std::string::npos) return Tokenizer::from_llama2c(path, 0);
    // Anything else can only be a llama2.c checkpoint: the model loader checks its header against the file size and
    // says why it is not one, or why its tokenizer did not load.
    auto model = core::load_model(path);
    if (!model.ok()) return model.error();
    if (!(*model)->tokenizer)
        return core::make_error(core::Code::kFormat, "%s: %s", path.c_str(), (*model)->tokenizer_error.c_str());
    return (*model)->tokenizer;
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
    ap.add_string("-f", "--file", "FILE", &prompt_file, "read the text from a file (a regular file of at most 64 MiB)");
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
    std::fwrite(out.data(), 1, out.size(), stdout);
    return flush_stdout();
}

}  // namespace ts::app
