// Test helper: one small handcrafted GGUF file per reader check, with a word the error must contain.
// Shared by gguf_bad_file_test.cpp (each must fail with that text) and tests/fuzz/make_gguf_corpus.cpp (fuzz seeds).
#pragma once

#include <string>
#include <vector>

#include "tests/core/gguf/gguf_bytes.hpp"

namespace ts::core::gguf::testing {

struct BadFile {
    std::string name;  // a test-name-safe identifier
    std::vector<uint8_t> bytes;
    std::string expect;  // substring of the error message
};

inline std::vector<BadFile> bad_files() {
    constexpr uint32_t kF32 = 0, kQ8_0 = 8, kF64 = 28;
    constexpr uint32_t kU8 = 0, kU32 = 4, kBool = 7, kString = 8, kArray = 9, kU64 = 10;
    std::vector<BadFile> v;
    auto add = [&](std::string name, const Bytes& b, std::string expect) {
        v.push_back(BadFile{std::move(name), b.bytes(), std::move(expect)});
    };

    // --- header ---
    add("TooShortForMagic", Bytes().raw("GG", 2), "too short for the magic");
    add("BadMagic", Bytes().raw("GGML", 4).u32(3).u64(0).u64(0), "bad magic");
    add("Version1", Bytes().header(0, 0, 1), "version 1 is not supported");
    add("Version0", Bytes().header(0, 0, 0), "unsupported GGUF version 0");
    add("Version4", Bytes().header(0, 0, 4), "unsupported GGUF version 4");
    add("BigEndianVersion", Bytes().header(0, 0, 0x03000000u), "big-endian");
    add("TruncatedVersion", Bytes().raw("GGUF", 4).u8(3), "truncated at offset 4");
    add("TruncatedCounts", Bytes().raw("GGUF", 4).u32(3).u64(0), "the metadata count");
    add("HugeKvCount", Bytes().header(0, uint64_t(1) << 60).kv_u32("a", 1), "metadata count");
    add("HugeTensorCount", Bytes().header(uint64_t(1) << 60, 0).zeros(64), "tensor count");
    add("CountsTogetherTooLarge", Bytes().header(1, 2).zeros(40), "cannot fit");

    // --- metadata ---
    add("KeyLengthPastEnd", Bytes().header(0, 1).u64(1000).raw("abc", 3).zeros(8), "the key of metadata entry 0");
    add("KeyOverLimit", Bytes().header(0, 1).str(std::string(70000, 'k')).u32(kU8).u8(0), "over the limit");
    add("EmptyKey", Bytes().header(0, 1).str("").u32(kU32).u32(0), "empty key");
    add("DuplicateKey", Bytes().header(0, 2).kv_u32("a.b", 1).kv_u32("a.b", 2), "duplicate metadata key 'a.b'");
    add("UnknownValueType", Bytes().header(0, 1).str("k").u32(13).u64(0), "unknown value type 13");
    add("TruncatedValue", Bytes().header(0, 1).str("k").u32(kU64).u32(0), "the u64 value of key 'k'");
    add("StringValuePastEnd", Bytes().header(0, 1).str("k").u32(kString).u64(1u << 20).zeros(8),
        "the string value of key 'k'");
    add("BoolNotZeroOrOne", Bytes().header(0, 1).str("k").u32(kBool).u8(2), "bool of value 2");
    add("ArrayOfUnknownType", Bytes().header(0, 1).str("k").u32(kArray).u32(99).u64(0),
        "array of unknown value type 99");
    add("ArrayCountTooLarge", Bytes().header(0, 1).str("k").u32(kArray).u32(kU32).u64(1000).zeros(16), "cannot fit");
    add("ArrayOfStringsTruncated", Bytes().header(0, 1).str("k").u32(kArray).u32(kString).u64(2).str("ab").u64(9),
        "string 1 of array 'k'");
    add("ArrayBoolNotZeroOrOne", Bytes().header(0, 1).str("k").u32(kArray).u32(kBool).u64(3).u8(0).u8(1).u8(7),
        "element 2 is a bool");
    {
        Bytes b;
        b.header(0, 1).str("k").u32(kArray);
        for (int d = 0; d < 9; ++d) b.u32(kArray).u64(1);
        b.u32(kU8).u64(0);
        add("ArraysNestedTooDeep", b, "nested more than 8 deep");
    }
    add("AlignmentNotPowerOfTwo", Bytes().header(0, 1).kv_u32("general.alignment", 48), "not a power of two");
    add("AlignmentZero", Bytes().header(0, 1).kv_u32("general.alignment", 0), "not a power of two");
    add("AlignmentWrongType", Bytes().header(0, 1).str("general.alignment").u32(kU64).u64(32), "expected u32");

    // --- tensor infos ---
    add("TensorNameEmpty", Bytes().header(1, 0).tensor_info("", {4}, kF32, 0).pad(32).zeros(16), "empty name");
    add("TensorNameTooLong", Bytes().header(1, 0).tensor_info(std::string(65, 'n'), {4}, kF32, 0).pad(32).zeros(16),
        "over the limit of 64");
    add("TensorZeroDims", Bytes().header(1, 0).str("t").u32(0).u32(kF32).u64(0).zeros(32), "0 dimensions");
    add("TensorFiveDims", Bytes(one_tensor_file({1, 1, 1, 1, 1}, kF32, 0, 4)), "5 dimensions");
    add("TensorZeroDimension", Bytes(one_tensor_file({4, 0}, kF32, 0, 16)), "dimension 1 of size 0");
    add("TensorNegativeDimension", Bytes(one_tensor_file({uint64_t(-4)}, kF32, 0, 16)), "must be positive");
    add("TensorElementCountOverflows", Bytes(one_tensor_file({uint64_t(1) << 32, uint64_t(1) << 32}, kF32, 0, 16)),
        "overflows at dimension 1");
    add("TensorByteSizeOverflows", Bytes(one_tensor_file({uint64_t(1) << 30, uint64_t(1) << 30, 4}, kF64, 0, 16)),
        "byte size");
    add("TensorUnknownType", Bytes(one_tensor_file({4}, 4, 0, 16)), "unknown type 4");
    add("TensorTypeFarOutOfRange", Bytes(one_tensor_file({4}, 0xffffffffu, 0, 16)), "unknown type 4294967295");
    add("TensorRowNotWholeBlocks", Bytes(one_tensor_file({48}, kQ8_0, 0, 64)),
        "not a multiple of the q8_0 block size 32");
    add("TensorOffsetNotAligned", Bytes(one_tensor_file({4}, kF32, 8, 64)), "not a multiple of the alignment 32");
    add("TensorDataPastEnd", Bytes(one_tensor_file({8}, kF32, 0, 16)), "past the end of the file");
    add("TensorOffsetHuge", Bytes(one_tensor_file({8}, kF32, uint64_t(-32), 64)), "past the end of the file");
    add("DataSectionPastEnd", Bytes().header(1, 0).tensor_info("t", {1}, kF32, 0), "data section starts at");
    {
        Bytes b;
        b.header(1, 0).str("t").u32(3).u64(4);
        for (int i = 0; i < 12; ++i) b.u8(1);  // dimension 1 = 0x0101010101010101, dimension 2 cut after 4 bytes
        add("TruncatedTensorInfo", b, "dimension 2 of tensor 't'");
    }
    add("DuplicateTensorName",
        Bytes().header(2, 0).tensor_info("w", {8}, kF32, 0).tensor_info("w", {8}, kF32, 32).pad(32).zeros(64),
        "duplicate tensor name 'w'");
    add("TensorsOverlap",
        Bytes().header(2, 0).tensor_info("a", {16}, kF32, 0).tensor_info("b", {8}, kF32, 32).pad(32).zeros(128),
        "overlap");
    add("TensorsOverlapOutOfOrder",
        Bytes().header(2, 0).tensor_info("a", {8}, kF32, 64).tensor_info("b", {32}, kF32, 0).pad(32).zeros(128),
        "'b' [0, 128) and 'a' [64, 96) overlap");
    add("TensorsOverlapSameOffset",
        Bytes().header(2, 0).tensor_info("a", {1}, kF32, 0).tensor_info("b", {1}, kF32, 0).pad(32).zeros(32),
        "overlap");
    return v;
}

}  // namespace ts::core::gguf::testing
