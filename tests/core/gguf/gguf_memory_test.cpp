// The reader's memory is bounded by the file: metadata that would take more than 128 MiB + 2x the file's size in
// memory is refused before it is allocated (a 48 MB file of empty arrays took 932 MB), while real vocabularies and
// models, whose tensors dominate the file, parse as before.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/gguf/gguf_reader.hpp"
#include "core/gguf/gguf_writer.hpp"
#include "tests/core/gguf/gguf_bytes.hpp"
#include "tests/core/resident_memory.hpp"

namespace ts::core::gguf {
namespace {

using ts::core::testing::resident_bytes;

using testing::Bytes;
using ::testing::HasSubstr;

std::string temp_file(const std::string& name) {
    return (std::filesystem::temp_directory_path() / ("ts_gguf_mem_" + std::to_string(getpid()) + "_" + name)).string();
}

TEST(GgufMemory, A48MegabyteFileOfEmptyArraysIsRefusedBeforeAllocating) {
    // One key holding 2^22 - 2 empty arrays: 12 bytes each in the file (zeros: element type u8, count 0), ~100 in
    // memory as Values.
    const uint64_t n = (uint64_t(1) << 22) - 2;
    Bytes b;
    b.header(0, 1).str("a").u32(uint32_t(ValueType::Array)).u32(uint32_t(ValueType::Array)).u64(n);
    const std::string path = temp_file("empty_arrays.gguf");
    {
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(b.bytes().data()), std::streamsize(b.size()));
    }
    std::filesystem::resize_file(path, b.size() + n * 12);  // the rest reads as zeros
    const size_t before = resident_bytes();
    auto f              = GgufFile::open(path);
    const size_t after  = resident_bytes();
    std::filesystem::remove(path);
    ASSERT_FALSE(f.ok());
    EXPECT_THAT(f.error().message, HasSubstr("the metadata would take more than"));
    EXPECT_THAT(f.error().message, HasSubstr("key 'a'"));
    EXPECT_LT(after, before + (size_t(32) << 20)) << "the refusal came after allocating";
}

TEST(GgufMemory, ManySmallArraysAddUpAgainstTheSameBound) {
    // 2^16 keys each holding 60 empty arrays: no single array is large, together they would take ~400 MB.
    Bytes b;
    const uint64_t n_kv = uint64_t(1) << 16, per = 60;
    b.header(0, n_kv);
    for (uint64_t k = 0; k < n_kv; ++k) {
        std::string key = "k";
        key += std::to_string(k);  // not "k" + ...: g++ 12 warns falsely (-Wrestrict)
        b.str(key).u32(uint32_t(ValueType::Array)).u32(uint32_t(ValueType::Array)).u64(per);
        b.zeros(size_t(per) * 12);
    }
    auto f = GgufFile::parse(b.bytes().data(), b.size(), "small_arrays.gguf");
    ASSERT_FALSE(f.ok());
    EXPECT_THAT(f.error().message, HasSubstr("the metadata would take more than"));
}

TEST(GgufMemory, ALargeVocabularyStillParses) {
    // 262144 tokens with scores and types (a Gemma-sized vocabulary) in a file of a few MB.
    std::vector<std::string> tokens;
    std::vector<float> scores;
    std::vector<int32_t> types;
    for (int i = 0; i < 262144; ++i) {
        tokens.push_back("tok" + std::to_string(i));
        scores.push_back(float(-i));
        types.push_back(1);
    }
    GgufWriter w;
    w.add("tokenizer.ggml.tokens", Value::make_string_array(tokens));
    w.add("tokenizer.ggml.scores", Value::make_f32_array(scores));
    w.add("tokenizer.ggml.token_type", Value::make_i32_array(types));
    const auto bytes = w.to_bytes();
    auto f           = GgufFile::parse(bytes.data(), bytes.size(), "vocab.gguf");
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->find("tokenizer.ggml.tokens")->arr.size(), tokens.size());
}

}  // namespace
}  // namespace ts::core::gguf
