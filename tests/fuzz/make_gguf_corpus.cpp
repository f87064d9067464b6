// Writes the seed corpus of fuzz_gguf: a few small valid files (every value type, several tensor types, v2, a
// custom alignment, a tiny llama-shaped model) and every handcrafted bad file of the reader tests.
// Usage: make_gguf_corpus OUT_DIR   (the committed seeds live in tests/fuzz/corpus/gguf)
#include <cstdio>
#include <string>

#include "core/gguf/gguf_writer.hpp"
#include "tests/core/gguf/gguf_bad_files.hpp"

namespace {

using namespace ts::core;
using namespace ts::core::gguf;

constexpr size_t kMaxSeedBytes = 8192;  // seeds stay small; bigger bad files are covered by the unit tests

bool save(const std::string& dir, const std::string& name, const std::vector<uint8_t>& bytes) {
    if (bytes.size() > kMaxSeedBytes) return true;
    const std::string path = dir + "/" + name + ".gguf";
    std::FILE* f           = std::fopen(path.c_str(), "wb");
    if (!f) return false;
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    return std::fclose(f) == 0 && ok;
}

std::vector<uint8_t> every_value_type() {
    GgufWriter w;
    w.add("u8", Value::make_u8(1));
    w.add("i8", Value::make_i8(-1));
    w.add("u16", Value::make_u16(2));
    w.add("i16", Value::make_i16(-2));
    w.add("u32", Value::make_u32(3));
    w.add("i32", Value::make_i32(-3));
    w.add("f32", Value::make_f32(0.5f));
    w.add("bool", Value::make_bool(true));
    w.add("string", Value::make_string("text"));
    w.add("u64", Value::make_u64(4));
    w.add("i64", Value::make_i64(-4));
    w.add("f64", Value::make_f64(0.25));
    w.add("arr.str", Value::make_string_array({"a", "", "bc"}));
    w.add("arr.f32", Value::make_f32_array({1, 2}));
    w.add("arr.bool", Value::make_array(ValueType::Bool, {Value::make_bool(false)}));
    w.add("arr.empty", Value::make_array(ValueType::U64, {}));
    w.add("arr.nested",
          Value::make_array(ValueType::Array, {Value::make_i32_array({1}), Value::make_string_array({"x"})}));
    return w.to_bytes();
}

std::vector<uint8_t> tensor_types() {
    GgufWriter w;
    w.add_tensor_f32("f32", {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
    w.add_tensor("f16", DType::F16, {8}, std::vector<uint8_t>(16, 0x3c));
    w.add_tensor("bf16", DType::BF16, {2, 2}, std::vector<uint8_t>(8, 0x3f));
    w.add_tensor("q8_0", DType::Q8_0, {32}, std::vector<uint8_t>(34, 1));
    w.add_tensor("q4_0", DType::Q4_0, {32, 2}, std::vector<uint8_t>(36, 2));
    w.add_tensor("q4_k", DType::Q4_K, {256}, std::vector<uint8_t>(144, 3));
    w.add_tensor("q6_k", DType::Q6_K, {256}, std::vector<uint8_t>(210, 4));
    w.add_tensor("i32", DType::I32, {3, 1, 1, 2}, std::vector<uint8_t>(24, 5));
    return w.to_bytes();
}

std::vector<uint8_t> tiny_llama() {
    GgufWriter w;
    w.add("general.architecture", Value::make_string("llama"));
    w.add("llama.context_length", Value::make_u32(16));
    w.add("llama.embedding_length", Value::make_u32(4));
    w.add("llama.block_count", Value::make_u32(1));
    w.add("llama.feed_forward_length", Value::make_u32(8));
    w.add("llama.attention.head_count", Value::make_u32(2));
    w.add("llama.attention.head_count_kv", Value::make_u32(1));
    w.add("llama.attention.layer_norm_rms_epsilon", Value::make_f32(1e-5f));
    w.add("tokenizer.ggml.model", Value::make_string("gpt2"));
    w.add("tokenizer.ggml.tokens", Value::make_string_array({"a", "b", "ab", "<s>"}));
    w.add("tokenizer.ggml.token_type", Value::make_i32_array({1, 1, 1, 3}));
    w.add("tokenizer.ggml.merges", Value::make_string_array({"a b"}));
    w.add("tokenizer.ggml.bos_token_id", Value::make_u32(3));
    const std::vector<float> e(16, 0.5f), n(4, 1.0f), q(16, 0.1f), kv(8, 0.2f), up(32, 0.3f);
    w.add_tensor_f32("token_embd.weight", {4, 4}, e);
    w.add_tensor_f32("blk.0.attn_norm.weight", {4}, n);
    w.add_tensor_f32("blk.0.attn_q.weight", {4, 4}, q);
    w.add_tensor_f32("blk.0.attn_k.weight", {4, 2}, kv);
    w.add_tensor_f32("blk.0.attn_v.weight", {4, 2}, kv);
    w.add_tensor_f32("blk.0.attn_output.weight", {4, 4}, q);
    w.add_tensor_f32("blk.0.ffn_norm.weight", {4}, n);
    w.add_tensor_f32("blk.0.ffn_gate.weight", {4, 8}, up);
    w.add_tensor_f32("blk.0.ffn_up.weight", {4, 8}, up);
    w.add_tensor_f32("blk.0.ffn_down.weight", {8, 4}, up);
    w.add_tensor_f32("output_norm.weight", {4}, n);
    return w.to_bytes();
}

std::vector<uint8_t> aligned_64() {
    GgufWriter w(64);
    w.add_tensor_f32("a", {3}, {1, 2, 3});
    w.add_tensor_f32("b", {1}, {4});
    return w.to_bytes();
}

// Found by fuzzing: a huge alignment with no tensors must not make the writer pad to it.
std::vector<uint8_t> huge_alignment_no_tensors() {
    GgufWriter w(uint64_t(1) << 28);
    return w.to_bytes();
}

std::vector<uint8_t> version_2() {
    auto bytes = aligned_64();
    bytes[4]   = 2;  // v2 and v3 share the layout
    return bytes;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    bool ok               = save(dir, "valid_empty", GgufWriter().to_bytes());
    ok &= save(dir, "valid_every_value_type", every_value_type());
    ok &= save(dir, "valid_tensor_types", tensor_types());
    ok &= save(dir, "valid_tiny_llama", tiny_llama());
    ok &= save(dir, "valid_aligned_64", aligned_64());
    ok &= save(dir, "valid_version_2", version_2());
    ok &= save(dir, "valid_huge_alignment_no_tensors", huge_alignment_no_tensors());
    for (const auto& bad : testing::bad_files()) ok &= save(dir, "bad_" + bad.name, bad.bytes);
    if (!ok) {
        std::fprintf(stderr, "error: cannot write the seeds into %s\n", dir.c_str());
        return 1;
    }
    return 0;
}
