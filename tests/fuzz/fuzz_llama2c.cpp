// libFuzzer target for karpathy/llama2.c files: the input is a checkpoint and a tokenizer.bin, split by its first
// two bytes (little-endian: the tokenizer's length, taken modulo what is left). The checkpoint goes through
// load_model() with that tokenizer (header checks, the size the header implies, weight views, the tokenizer read for
// exactly n_vocab tokens), then fuzz_model_check.hpp; the tokenizer alone is also read as `tokenize` reads a
// tokenizer.bin (every record to the end of the file) and must encode to ids in range.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/base/mmap.hpp"
#include "core/model/model.hpp"
#include "core/tokenizer/tokenizer.hpp"
#include "tests/fuzz/fuzz_model_check.hpp"

namespace {

// The tokenizer is read from a file (Tokenizer::from_llama2c takes a path); one per fuzzing process.
const std::string& tokenizer_path() {
    static const std::string path = "/tmp/fuzz_llama2c_" + std::to_string(getpid()) + "_tokenizer.bin";
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const size_t rest    = size - 2;
    const size_t tok_len = rest ? (size_t(data[0]) | size_t(data[1]) << 8) % (rest + 1) : 0;
    const uint8_t* ckpt  = data + 2;
    const size_t ckpt_n  = rest - tok_len;
    const uint8_t* tok   = ckpt + ckpt_n;
    std::FILE* f         = std::fopen(tokenizer_path().c_str(), "wb");
    TS_CHECK(f != nullptr, "the tokenizer's temporary file can be written");
    TS_CHECK(std::fwrite(tok, 1, tok_len, f) == tok_len && std::fclose(f) == 0, "the tokenizer is written");

    // A mapped file starts on a page: the checkpoint gets an aligned copy (its f32 arrays are read in place).
    std::vector<uint64_t> aligned((ckpt_n + 7) / 8);
    if (ckpt_n) std::memcpy(aligned.data(), ckpt, ckpt_n);
    const auto* bytes = reinterpret_cast<const uint8_t*>(aligned.data());
    ts::core::register_builtin_file("fuzz.bin", bytes, ckpt_n);
    ts::fuzz::check_model(ts::core::load_model("fuzz.bin", tokenizer_path()), bytes, ckpt_n);

    auto t = ts::core::Tokenizer::from_llama2c(tokenizer_path(), 0);
    if (!t.ok()) {
        TS_CHECK(!t.error().message.empty(), "every error has a message");
        return 0;
    }
    auto ids = (*t)->encode("Once upon a time \xE2\x96\x81\xFF", true, false);
    if (ids.ok())
        for (int32_t id : *ids) TS_CHECK(id >= 0 && id < (*t)->n_vocab(), "encoded ids in range");
    return 0;
}
