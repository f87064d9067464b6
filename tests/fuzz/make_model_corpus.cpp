// Regenerates the seeds of fuzz_load_model and fuzz_llama2c: make_model_corpus tests/fuzz/corpus
// writes corpus/model/ (small valid GGUF models, with and without a vocabulary, llama and qwen2, and the bad cases of
// issue 11: a huge or too small block_count, an architecture of the wrong type, a tokenizer smaller than the
// embedding) and corpus/llama2c/ (a valid checkpoint with its tokenizer.bin, in fuzz_llama2c's input layout, and a
// header whose vocab_size is INT32_MIN).
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/gguf/gguf_reader.hpp"
#include "core/gguf/gguf_writer.hpp"
#include "tools/random_model.hpp"

namespace {

namespace fs   = std::filesystem;
namespace gguf = ts::core::gguf;

void write_bytes(const fs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

// `src` rewritten with `edit` applied to every key/value (returning false drops the key).
template <typename Edit>
bool rewrite(const fs::path& src, const fs::path& dst, Edit edit) {
    auto f = gguf::GgufFile::open(src.string());
    if (!f.ok()) return false;
    gguf::GgufWriter w(f->alignment());
    for (const auto& kv : f->metadata()) {
        gguf::KeyValue e = kv;
        if (edit(e)) w.add(e.key, e.value);
    }
    for (const auto& t : f->tensors()) {
        const auto* p = static_cast<const uint8_t*>(t.data);
        w.add_tensor(t.name, t.type, std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims),
                     std::vector<uint8_t>(p, p + t.nbytes));
    }
    return w.write(dst.string()).ok();
}

// A llama2.c checkpoint (dim 8, hidden 8, 1 layer, 2 heads, 1 kv head, vocab 4, seq_len 4, shared classifier) and a
// tokenizer.bin of 4 tokens, joined in fuzz_llama2c's layout: 2 bytes of tokenizer length, checkpoint, tokenizer.
std::string llama2c_input(int32_t vocab) {
    const int32_t dim = 8, hidden = 8, layers = 1, heads = 2, kv_heads = 1, seq = 4;
    const int32_t header[7] = {dim, hidden, layers, heads, kv_heads, vocab, seq};
    const int head = dim / heads, kv = head * kv_heads, v = vocab < 0 ? 4 : vocab;
    const size_t floats = size_t(v * dim + dim + dim * dim + 2 * kv * dim + dim * dim + dim + 3 * hidden * dim + dim +
                                 2 * seq * (head / 2));
    std::string ckpt(sizeof header, '\0');
    std::memcpy(ckpt.data(), header, sizeof header);
    for (size_t i = 0; i < floats; ++i) {
        const float x = float(int(i % 7) - 3) * 0.1f;
        ckpt.append(reinterpret_cast<const char*>(&x), 4);
    }
    std::string tok;
    const int32_t max_len = 8;
    tok.append(reinterpret_cast<const char*>(&max_len), 4);
    for (const char* piece : {"<unk>", "\n<s>\n", "\n</s>\n", "a"}) {
        const float score = -1.0f;
        const int32_t len = int32_t(std::strlen(piece));
        tok.append(reinterpret_cast<const char*>(&score), 4);
        tok.append(reinterpret_cast<const char*>(&len), 4);
        tok += piece;
    }
    const uint16_t n = uint16_t(tok.size());
    return std::string(reinterpret_cast<const char*>(&n), 2) + ckpt + tok;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_model_corpus tests/fuzz/corpus\n");
        return 2;
    }
    const fs::path model = fs::path(argv[1]) / "model", l2c = fs::path(argv[1]) / "llama2c";
    fs::create_directories(model);
    fs::create_directories(l2c);

    ts::tools::RandomModelSpec s;
    s.n_layer = 1, s.n_embd = 32, s.n_head = 2, s.n_head_kv = 1, s.n_ff = 32, s.n_vocab = 259, s.n_ctx = 16;
    s.type  = ts::core::DType::Q4_0;
    bool ok = ts::tools::write_random_model(s, (model / "valid_llama_q4_0_vocab.gguf").string()).ok();
    s.vocab = false, s.n_vocab = 16, s.arch = "qwen2", s.tied = true, s.type = ts::core::DType::F16;
    ok     = ok && ts::tools::write_random_model(s, (model / "valid_qwen2_f16_tied.gguf").string()).ok();
    s.arch = "llama", s.n_layer = 2, s.n_head = 4, s.n_head_kv = 2, s.tied = false, s.type = ts::core::DType::Q8_0;
    ok = ok && ts::tools::write_random_model(s, (model / "valid_llama_q8_0_2layers.gguf").string()).ok();

    const fs::path base = model / "valid_llama_q4_0_vocab.gguf", two = model / "valid_llama_q8_0_2layers.gguf";
    auto block_count = [](uint32_t n) {
        return [n](gguf::KeyValue& kv) {
            if (kv.key == "llama.block_count") kv.value = gguf::Value::make_u32(n);
            return true;
        };
    };
    ok = ok && rewrite(two, model / "bad_block_count_2147483647.gguf", block_count(2147483647u));
    ok = ok && rewrite(two, model / "bad_block_count_1000000.gguf", block_count(1000000u));
    ok = ok && rewrite(two, model / "bad_block_count_3.gguf", block_count(3u));
    ok = ok && rewrite(two, model / "bad_tensors_past_block_count.gguf", block_count(1u));
    ok = ok && rewrite(base, model / "bad_architecture_u32.gguf", [](gguf::KeyValue& kv) {
             if (kv.key == "general.architecture") kv.value = gguf::Value::make_u32(1);
             return true;
         });
    ok = ok && rewrite(base, model / "bad_tokenizer_smaller_than_embedding.gguf", [](gguf::KeyValue& kv) {
             if (kv.key == "tokenizer.ggml.tokens" || kv.key == "tokenizer.ggml.scores" ||
                 kv.key == "tokenizer.ggml.token_type")
                 kv.value.arr.resize(kv.value.arr.size() - 3);
             return true;
         });

    write_bytes(l2c / "valid_tiny.bin", llama2c_input(4));
    write_bytes(l2c / "bad_vocab_int32_min.bin", llama2c_input(INT32_MIN));
    if (!ok) std::fprintf(stderr, "make_model_corpus: a seed could not be written\n");
    return ok ? 0 : 1;
}
