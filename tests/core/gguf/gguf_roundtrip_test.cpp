// GGUF writer → reader round trips: every metadata type (scalars, strings, arrays of each, arrays of arrays, empty
// ones), tensors of several dtypes with alignment, the typed getters, and GgufFile::open on real paths.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/gguf/gguf_reader.hpp"
#include "core/gguf/gguf_writer.hpp"

namespace ts::core::gguf {
namespace {

using ::testing::HasSubstr;

Result<GgufFile> parse(const std::vector<uint8_t>& bytes) {
    return GgufFile::parse(bytes.data(), bytes.size(), "t.gguf");
}

std::vector<Value> u8s(std::initializer_list<uint8_t> v) {
    std::vector<Value> r;
    for (uint8_t x : v) r.push_back(Value::make_u8(x));
    return r;
}

TEST(GgufRoundTrip, EmptyFileHasHeaderOnly) {
    GgufWriter w;
    const auto bytes = w.to_bytes();
    auto f           = parse(bytes);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->version(), 3u);
    EXPECT_EQ(f->alignment(), 32u);
    EXPECT_TRUE(f->metadata().empty());
    EXPECT_TRUE(f->tensors().empty());
    EXPECT_EQ(std::memcmp(bytes.data(), "GGUF", 4), 0);
    EXPECT_EQ(bytes.size(), 24u);  // magic, version, two counts; no data section, so no padding
}

TEST(GgufRoundTrip, EveryScalarTypeKeepsItsTypeAndValue) {
    GgufWriter w;
    w.add("a.u8", Value::make_u8(250));
    w.add("a.i8", Value::make_i8(-120));
    w.add("a.u16", Value::make_u16(65000));
    w.add("a.i16", Value::make_i16(-32000));
    w.add("a.u32", Value::make_u32(4000000000u));
    w.add("a.i32", Value::make_i32(-2000000000));
    w.add("a.f32", Value::make_f32(1.5f));
    w.add("a.bool_t", Value::make_bool(true));
    w.add("a.bool_f", Value::make_bool(false));
    w.add("a.string", Value::make_string("héllo wörld"));
    w.add("a.empty_string", Value::make_string(""));
    w.add("a.u64", Value::make_u64(std::numeric_limits<uint64_t>::max()));
    w.add("a.i64", Value::make_i64(std::numeric_limits<int64_t>::min()));
    w.add("a.f64", Value::make_f64(-2.25e300));
    auto f = parse(w.to_bytes());
    ASSERT_TRUE(f.ok()) << f.error().message;
    ASSERT_EQ(f->metadata().size(), 14u);

    const Value none;
    auto check = [&](const char* key, ValueType t) -> const Value& {
        const Value* v = f->find(key);
        EXPECT_NE(v, nullptr) << key;
        if (!v) return none;
        EXPECT_EQ(v->type, t) << key;
        return *v;
    };
    EXPECT_EQ(check("a.u8", ValueType::U8).u, 250u);
    EXPECT_EQ(check("a.i8", ValueType::I8).i, -120);
    EXPECT_EQ(check("a.u16", ValueType::U16).u, 65000u);
    EXPECT_EQ(check("a.i16", ValueType::I16).i, -32000);
    EXPECT_EQ(check("a.u32", ValueType::U32).u, 4000000000u);
    EXPECT_EQ(check("a.i32", ValueType::I32).i, -2000000000);
    EXPECT_EQ(check("a.f32", ValueType::F32).f, 1.5);
    EXPECT_TRUE(check("a.bool_t", ValueType::Bool).b);
    EXPECT_FALSE(check("a.bool_f", ValueType::Bool).b);
    EXPECT_EQ(check("a.string", ValueType::String).s, "héllo wörld");
    EXPECT_EQ(check("a.empty_string", ValueType::String).s, "");
    EXPECT_EQ(check("a.u64", ValueType::U64).u, std::numeric_limits<uint64_t>::max());
    EXPECT_EQ(check("a.i64", ValueType::I64).i, std::numeric_limits<int64_t>::min());
    EXPECT_EQ(check("a.f64", ValueType::F64).f, -2.25e300);
    EXPECT_EQ(f->find("a.missing"), nullptr);
    // Metadata keeps the file's order.
    EXPECT_EQ(f->metadata().front().key, "a.u8");
    EXPECT_EQ(f->metadata().back().key, "a.f64");
}

TEST(GgufRoundTrip, ArraysOfEveryTypeIncludingEmptyAndNested) {
    GgufWriter w;
    w.add("arr.u8", Value::make_array(ValueType::U8, u8s({0, 7, 255})));
    w.add("arr.i8", Value::make_array(ValueType::I8, {Value::make_i8(-1), Value::make_i8(5)}));
    w.add("arr.u16", Value::make_array(ValueType::U16, {Value::make_u16(1), Value::make_u16(65535)}));
    w.add("arr.i16", Value::make_array(ValueType::I16, {Value::make_i16(-300)}));
    w.add("arr.u32", Value::make_array(ValueType::U32, {Value::make_u32(9)}));
    w.add("arr.i32", Value::make_i32_array({-5, 0, 5}));
    w.add("arr.f32", Value::make_f32_array({0.25f, -1e-3f}));
    w.add("arr.bool", Value::make_array(ValueType::Bool, {Value::make_bool(true), Value::make_bool(false)}));
    w.add("arr.string", Value::make_string_array({"a", "", "ccc"}));
    w.add("arr.u64", Value::make_array(ValueType::U64, {Value::make_u64(1ull << 40)}));
    w.add("arr.i64", Value::make_array(ValueType::I64, {Value::make_i64(-(1ll << 40))}));
    w.add("arr.f64", Value::make_array(ValueType::F64, {Value::make_f64(3.125)}));
    w.add("arr.empty", Value::make_array(ValueType::F32, {}));
    w.add("arr.empty_strings", Value::make_string_array({}));
    // [[1, 2], [], [[...]] is not allowed (one element type per array), so: [[1,2],[]] and [[["x"]]].
    w.add("arr.nested", Value::make_array(ValueType::Array, {Value::make_array(ValueType::U8, u8s({1, 2})),
                                                             Value::make_array(ValueType::U8, {})}));
    w.add("arr.deep", Value::make_array(ValueType::Array,
                                        {Value::make_array(ValueType::Array, {Value::make_string_array({"x"})})}));
    auto f = parse(w.to_bytes());
    ASSERT_TRUE(f.ok()) << f.error().message;

    const Value* a = f->find("arr.u8");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->type, ValueType::Array);
    EXPECT_EQ(a->elem_type, ValueType::U8);
    ASSERT_EQ(a->arr.size(), 3u);
    EXPECT_EQ(a->arr[2].u, 255u);
    EXPECT_EQ(a->arr[2].type, ValueType::U8);
    EXPECT_EQ(f->find("arr.i8")->arr[0].i, -1);
    EXPECT_EQ(f->find("arr.u16")->arr[1].u, 65535u);
    EXPECT_EQ(f->find("arr.i16")->arr[0].i, -300);
    EXPECT_EQ(f->find("arr.u32")->arr[0].u, 9u);
    EXPECT_EQ(f->find("arr.i32")->arr[0].i, -5);
    EXPECT_EQ(f->find("arr.i32")->elem_type, ValueType::I32);
    EXPECT_FLOAT_EQ(float(f->find("arr.f32")->arr[1].f), -1e-3f);
    EXPECT_TRUE(f->find("arr.bool")->arr[0].b);
    EXPECT_FALSE(f->find("arr.bool")->arr[1].b);
    const Value* s = f->find("arr.string");
    ASSERT_EQ(s->arr.size(), 3u);
    EXPECT_EQ(s->elem_type, ValueType::String);
    EXPECT_EQ(s->arr[0].s, "a");
    EXPECT_EQ(s->arr[1].s, "");
    EXPECT_EQ(s->arr[2].s, "ccc");
    EXPECT_EQ(f->find("arr.u64")->arr[0].u, 1ull << 40);
    EXPECT_EQ(f->find("arr.i64")->arr[0].i, -(1ll << 40));
    EXPECT_EQ(f->find("arr.f64")->arr[0].f, 3.125);
    EXPECT_TRUE(f->find("arr.empty")->arr.empty());
    EXPECT_EQ(f->find("arr.empty")->elem_type, ValueType::F32);
    EXPECT_TRUE(f->find("arr.empty_strings")->arr.empty());
    const Value* n = f->find("arr.nested");
    ASSERT_EQ(n->arr.size(), 2u);
    EXPECT_EQ(n->elem_type, ValueType::Array);
    EXPECT_EQ(n->arr[0].elem_type, ValueType::U8);
    EXPECT_EQ(n->arr[0].arr[1].u, 2u);
    EXPECT_TRUE(n->arr[1].arr.empty());
    EXPECT_EQ(f->find("arr.deep")->arr[0].arr[0].arr[0].s, "x");
}

TEST(GgufRoundTrip, TensorsOfSeveralTypesPointAtTheirBytes) {
    GgufWriter w;
    w.add("general.architecture", Value::make_string("llama"));
    const std::vector<float> a = {1, 2, 3, 4, 5, 6};
    w.add_tensor_f32("a", {3, 2}, a);
    std::vector<uint8_t> h(2 * 5);
    for (size_t i = 0; i < h.size(); ++i) h[i] = uint8_t(i * 7);
    w.add_tensor("h", DType::F16, {5}, h);
    std::vector<uint8_t> q(34 * 2 * 3);  // Q8_0: 34 bytes per 32 elements; ne {64, 3}
    for (size_t i = 0; i < q.size(); ++i) q[i] = uint8_t(i);
    w.add_tensor("q", DType::Q8_0, {64, 3}, q);
    std::vector<uint8_t> k(144 * 2);  // Q4_K: 144 bytes per 256 elements; ne {256, 1, 2, 1}
    for (size_t i = 0; i < k.size(); ++i) k[i] = uint8_t(255 - i % 256);
    w.add_tensor("k", DType::Q4_K, {256, 1, 2, 1}, k);
    const auto bytes = w.to_bytes();
    auto f           = parse(bytes);
    ASSERT_TRUE(f.ok()) << f.error().message;
    ASSERT_EQ(f->tensors().size(), 4u);
    EXPECT_EQ(f->data_offset() % 32, 0u);

    const Tensor* ta = f->find_tensor("a");
    ASSERT_NE(ta, nullptr);
    EXPECT_EQ(ta->type, DType::F32);
    EXPECT_EQ(ta->n_dims, 2);
    EXPECT_EQ(ta->ne[0], 3);
    EXPECT_EQ(ta->ne[1], 2);
    EXPECT_EQ(ta->ne[2], 1);
    EXPECT_EQ(ta->nbytes, 24u);
    EXPECT_EQ(std::memcmp(ta->data, a.data(), 24), 0);

    const Tensor* th = f->find_tensor("h");
    EXPECT_EQ(th->type, DType::F16);
    EXPECT_EQ(th->nbytes, h.size());
    EXPECT_EQ(std::memcmp(th->data, h.data(), h.size()), 0);

    const Tensor* tq = f->find_tensor("q");
    EXPECT_EQ(tq->type, DType::Q8_0);
    EXPECT_EQ(tq->nbytes, q.size());
    EXPECT_EQ(tq->row_size(), 68u);
    EXPECT_EQ(std::memcmp(tq->data, q.data(), q.size()), 0);

    const Tensor* tk = f->find_tensor("k");
    EXPECT_EQ(tk->n_dims, 4);
    EXPECT_EQ(tk->ne[2], 2);
    EXPECT_EQ(tk->nbytes, k.size());
    EXPECT_EQ(std::memcmp(tk->data, k.data(), k.size()), 0);

    for (const Tensor& t : f->tensors()) {
        const auto off = size_t(static_cast<const uint8_t*>(t.data) - bytes.data());
        EXPECT_EQ((off - f->data_offset()) % 32, 0u) << t.name;
        EXPECT_LE(off + t.nbytes, bytes.size()) << t.name;
    }
    EXPECT_EQ(f->find_tensor("missing"), nullptr);
    EXPECT_EQ(f->tensors()[0].name, "a");  // file order
    EXPECT_EQ(f->tensors()[3].name, "k");
}

TEST(GgufRoundTrip, CustomAlignmentIsWrittenAndHonoured) {
    GgufWriter w(64);
    w.add_tensor_f32("x", {3}, {1, 2, 3});
    w.add_tensor_f32("y", {5}, {1, 2, 3, 4, 5});
    const auto bytes = w.to_bytes();
    auto f           = parse(bytes);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->alignment(), 64u);
    EXPECT_EQ(f->get_u64("general.alignment"), 64u);
    EXPECT_EQ(f->data_offset() % 64, 0u);
    for (const Tensor& t : f->tensors()) {
        EXPECT_EQ(size_t(static_cast<const uint8_t*>(t.data) - bytes.data()) % 64, 0u) << t.name;
    }
    EXPECT_EQ(static_cast<const float*>(f->find_tensor("y")->data)[4], 5.0f);
}

// Found by fuzz_gguf: the writer used to pad even a file without tensors to the alignment (256 MB here).
TEST(GgufRoundTrip, HugeAlignmentWithoutTensorsWritesNoPadding) {
    GgufWriter w(uint64_t(1) << 28);
    w.add("x", Value::make_u8(1));
    const auto bytes = w.to_bytes();
    EXPECT_LT(bytes.size(), 100u);
    auto f = parse(bytes);
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->alignment(), uint64_t(1) << 28);
}

TEST(GgufGetters, IntegersConvertWhenInRange) {
    GgufWriter w;
    w.add("u32", Value::make_u32(7));
    w.add("neg", Value::make_i32(-3));
    w.add("big", Value::make_u64(std::numeric_limits<uint64_t>::max()));
    w.add("f", Value::make_f32(0.5f));
    w.add("b", Value::make_bool(true));
    w.add("s", Value::make_string("text"));
    auto f = parse(w.to_bytes());
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->get_u64("u32"), 7u);
    EXPECT_EQ(f->get_i64("u32"), 7);
    EXPECT_EQ(f->get_f64("u32"), 7.0);
    EXPECT_EQ(f->get_i64("neg"), -3);
    EXPECT_EQ(f->get_u64("neg"), std::nullopt);  // negative does not fit u64
    EXPECT_EQ(f->get_f64("neg"), -3.0);
    EXPECT_EQ(f->get_u64("big"), std::numeric_limits<uint64_t>::max());
    EXPECT_EQ(f->get_i64("big"), std::nullopt);  // does not fit i64
    EXPECT_EQ(f->get_f64("f"), 0.5);
    EXPECT_EQ(f->get_u64("f"), std::nullopt);  // floats are not integers
    EXPECT_EQ(f->get_bool("b"), true);
    EXPECT_EQ(f->get_bool("u32"), std::nullopt);
    EXPECT_EQ(f->get_string("s"), "text");
    EXPECT_EQ(f->get_string("u32"), std::nullopt);
    EXPECT_EQ(f->get_u64("s"), std::nullopt);
    EXPECT_EQ(f->get_u64("absent"), std::nullopt);
    EXPECT_EQ(f->get_string("absent"), std::nullopt);
}

TEST(GgufFileOpen, WrittenFileOpensAndKeepsItsMap) {
    const auto path = std::filesystem::temp_directory_path() / ("ts_gguf_open_" + std::to_string(getpid()) + ".gguf");
    GgufWriter w;
    w.add("general.name", Value::make_string("tiny"));
    w.add_tensor_f32("w", {2, 2}, {1, 2, 3, 4});
    ASSERT_TRUE(w.write(path.string()).ok());
    {
        auto f = GgufFile::open(path.string());
        ASSERT_TRUE(f.ok()) << f.error().message;
        GgufFile moved = std::move(f.value());  // views stay valid: the map moves with the file
        EXPECT_EQ(moved.name(), path.string());
        EXPECT_EQ(moved.get_string("general.name"), "tiny");
        EXPECT_EQ(static_cast<const float*>(moved.find_tensor("w")->data)[3], 4.0f);
        EXPECT_EQ(moved.file_size(), std::filesystem::file_size(path));
    }
    std::filesystem::remove(path);
}

TEST(GgufFileOpen, MissingFileIsAnIoErrorNamingThePath) {
    auto f = GgufFile::open("/nonexistent/dir/model.gguf");
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().code, Code::kIo);
    EXPECT_THAT(f.error().message, HasSubstr("/nonexistent/dir/model.gguf"));
}

TEST(GgufFileOpen, DirectoryIsRefused) {
    auto f = GgufFile::open(std::filesystem::temp_directory_path().string());
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().code, Code::kIo);
    EXPECT_THAT(f.error().message, HasSubstr("not a regular file"));
}

TEST(GgufFileOpen, EmptyFileIsAFormatError) {
    const auto path = std::filesystem::temp_directory_path() / ("ts_gguf_empty_" + std::to_string(getpid()) + ".gguf");
    {
        std::FILE* fp = std::fopen(path.c_str(), "wb");
        ASSERT_NE(fp, nullptr);
        std::fclose(fp);
    }
    auto f = GgufFile::open(path.string());
    std::filesystem::remove(path);
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.error().code, Code::kFormat);
    EXPECT_THAT(f.error().message, HasSubstr("magic"));
}

TEST(GgufWriter, WriteToUnwritablePathIsAnIoError) {
    GgufWriter w;
    const Status s = w.write("/nonexistent/dir/out.gguf");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Code::kIo);
    EXPECT_THAT(s.error().message, HasSubstr("/nonexistent/dir/out.gguf"));
}

// Writer misuse is a bug in our code (the trainer, a test), not a file error: it stops at once.
TEST(GgufWriterDeathTest, TensorBytesNotMatchingTheShapeAbort) {
    GgufWriter w;
    EXPECT_DEATH(w.add_tensor("t", DType::F32, {4}, std::vector<uint8_t>(15)), "tensor bytes match");
    EXPECT_DEATH(w.add_tensor("t", DType::Q8_0, {16}, std::vector<uint8_t>(17)), "block size");
}

TEST(GgufWriterDeathTest, DuplicateKeysAbort) {
    GgufWriter w;
    w.add("k", Value::make_u8(1));
    w.add("k", Value::make_u8(2));
    EXPECT_DEATH((void)w.to_bytes(), "unique");
}

}  // namespace
}  // namespace ts::core::gguf
