// Broken GGUF files: one handcrafted file per reader check (gguf_bad_files.hpp) must fail with a kFormat error that
// names the file and the problem; a valid file cut at every length must fail cleanly; the size limits hold on
// large (sparse) files without allocating.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <ostream>

#include "core/gguf/gguf_reader.hpp"
#include "core/gguf/gguf_writer.hpp"
#include "tests/core/gguf/gguf_bad_files.hpp"
#include "tests/core/gguf/gguf_bytes.hpp"

namespace ts::core::gguf {
namespace testing {
// gtest prints a failing parameter with this instead of its raw bytes.
void PrintTo(const BadFile& b, std::ostream* os) {
    *os << b.name;
}
}  // namespace testing

namespace {

using testing::BadFile;
using testing::Bytes;
using ::testing::HasSubstr;

// Parses a private heap copy of exactly the first `n` bytes, so ASan sees any read past the end; the error, if any.
std::optional<Error> prefix_error(const std::vector<uint8_t>& bytes, size_t n) {
    std::vector<uint8_t> copy(bytes.begin(), bytes.begin() + ptrdiff_t(n));
    auto f = GgufFile::parse(copy.data(), copy.size(), "bad.gguf");
    if (f.ok()) return std::nullopt;
    return f.error();
}

class GgufBadFile : public ::testing::TestWithParam<BadFile> {};

TEST_P(GgufBadFile, FailsWithAFormatErrorNamingTheProblem) {
    const BadFile& bad = GetParam();
    auto f             = GgufFile::parse(bad.bytes.data(), bad.bytes.size(), "bad.gguf");
    ASSERT_FALSE(f.ok()) << bad.name << " parsed";
    EXPECT_EQ(f.error().code, Code::kFormat) << f.error().message;
    EXPECT_THAT(f.error().message, HasSubstr(bad.expect));
    EXPECT_THAT(f.error().message, ::testing::StartsWith("bad.gguf: "));
}

INSTANTIATE_TEST_SUITE_P(Handcrafted, GgufBadFile, ::testing::ValuesIn(testing::bad_files()),
                         [](const ::testing::TestParamInfo<BadFile>& p) { return p.param.name; });

// A file using every value type, nesting and several tensors, like a small model.
GgufWriter rich_writer() {
    GgufWriter w(64);
    w.add("general.architecture", Value::make_string("llama"));
    w.add("u8", Value::make_u8(1));
    w.add("i8", Value::make_i8(-1));
    w.add("u16", Value::make_u16(2));
    w.add("i16", Value::make_i16(-2));
    w.add("u32", Value::make_u32(3));
    w.add("i32", Value::make_i32(-3));
    w.add("f32", Value::make_f32(0.5f));
    w.add("bool", Value::make_bool(true));
    w.add("u64", Value::make_u64(4));
    w.add("i64", Value::make_i64(-4));
    w.add("f64", Value::make_f64(0.25));
    w.add("tokens", Value::make_string_array({"<s>", "</s>", "a", ""}));
    w.add("scores", Value::make_f32_array({0, -1, -2, -3}));
    w.add("nested", Value::make_array(ValueType::Array, {Value::make_i32_array({1, 2}), Value::make_i32_array({})}));
    w.add_tensor_f32("a", {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
    w.add_tensor("q", DType::Q8_0, {32, 2}, std::vector<uint8_t>(68, 3));
    w.add_tensor("h", DType::F16, {3}, std::vector<uint8_t>(6, 1));
    return w;
}

TEST(GgufTruncated, EveryCutBeforeTheLastTensorByteFailsCleanly) {
    const auto bytes = rich_writer().to_bytes();
    auto full        = GgufFile::parse(bytes.data(), bytes.size(), "bad.gguf");
    ASSERT_TRUE(full.ok()) << full.error().message;
    size_t needed = 0;  // the file must hold the last tensor's last byte; padding after it is optional
    for (const Tensor& t : full->tensors()) {
        needed = std::max(needed, size_t(static_cast<const uint8_t*>(t.data) - bytes.data()) + t.nbytes);
    }
    ASSERT_GT(needed, 200u);
    for (size_t n = 0; n < needed; ++n) {
        const auto e = prefix_error(bytes, n);
        ASSERT_TRUE(e.has_value()) << "cut at " << n << " parsed";
        EXPECT_EQ(e->code, Code::kFormat) << "cut at " << n << ": " << e->message;
        EXPECT_THAT(e->message, HasSubstr("bad.gguf")) << "cut at " << n;
    }
    for (size_t n = needed; n <= bytes.size(); ++n) {
        const auto e = prefix_error(bytes, n);
        EXPECT_FALSE(e.has_value()) << "cut at " << n << ": " << e->message;
    }
}

TEST(GgufTruncated, CutInsideTensorDataNamesTheTensor) {
    const auto bytes = rich_writer().to_bytes();
    auto f           = GgufFile::parse(bytes.data(), bytes.size() - 64, "bad.gguf");
    ASSERT_FALSE(f.ok());
    EXPECT_THAT(f.error().message, HasSubstr("tensor 'h'"));
    EXPECT_THAT(f.error().message, HasSubstr("past the end of the file"));
}

TEST(GgufAccepted, Version2IsRead) {
    Bytes b;
    b.header(1, 1, 2).kv_u32("x", 5).tensor_info("t", {2}, 0, 0).pad(32).zeros(8);
    auto f = GgufFile::parse(b.bytes().data(), b.size(), "v2.gguf");
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->version(), 2u);
    EXPECT_EQ(f->get_u64("x"), 5u);
    EXPECT_EQ(f->tensors().size(), 1u);
}

TEST(GgufAccepted, NoTensorsNeedsNoPaddingAfterTheHeader) {
    Bytes b;
    b.header(0, 1).kv_u32("x", 5);  // 24 + 18 bytes, not a multiple of 32
    auto f = GgufFile::parse(b.bytes().data(), b.size(), "meta.gguf");
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->get_u64("x"), 5u);
}

TEST(GgufAccepted, GapsAndTrailingBytesBetweenTensorsAreAllowed) {
    Bytes b;
    b.header(2, 0).tensor_info("late", {8}, 0, 96).tensor_info("early", {1}, 0, 0).pad(32).zeros(200);
    auto f = GgufFile::parse(b.bytes().data(), b.size(), "gaps.gguf");
    ASSERT_TRUE(f.ok()) << f.error().message;
    EXPECT_EQ(f->tensors()[0].name, "late");  // file order, not offset order
    EXPECT_EQ(static_cast<const uint8_t*>(f->tensors()[0].data) - b.bytes().data(), ptrdiff_t(f->data_offset() + 96));
}

TEST(GgufAccepted, ArraysNestedEightDeepAreRead) {
    Bytes b;
    b.header(0, 1).str("k").u32(uint32_t(ValueType::Array));
    for (int d = 0; d < 7; ++d) b.u32(uint32_t(ValueType::Array)).u64(1);
    b.u32(uint32_t(ValueType::U8)).u64(1).u8(42);
    auto f = GgufFile::parse(b.bytes().data(), b.size(), "deep.gguf");
    ASSERT_TRUE(f.ok()) << f.error().message;
    const Value* v = f->find("k");
    for (int d = 0; d < 7; ++d) v = &v->arr.at(0);
    EXPECT_EQ(v->arr.at(0).u, 42u);
}

// Writes `prefix` and extends the file to `size` bytes without writing them (a sparse file: no disk, no memory).
class SparseFile {
public:
    SparseFile(const std::vector<uint8_t>& prefix, uint64_t size) {
        path_ = (std::filesystem::temp_directory_path() / ("ts_gguf_sparse_" + std::to_string(getpid()) + ".gguf"))
                    .string();
        const int fd = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
        ok_          = fd >= 0 && ::write(fd, prefix.data(), prefix.size()) == ssize_t(prefix.size()) &&
              ::ftruncate(fd, off_t(size)) == 0;
        if (fd >= 0) ::close(fd);
    }
    ~SparseFile() { std::filesystem::remove(path_); }
    bool ok() const { return ok_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    bool ok_ = false;
};

TEST(GgufLimits, StringLongerThanOneGibibyteIsRefusedEvenWhenTheFileHoldsIt) {
    Bytes b;
    b.header(0, 1).str("k").u32(uint32_t(ValueType::String)).u64((uint64_t(1) << 30) + 1);
    SparseFile file(b.bytes(), (uint64_t(1) << 30) + 4096);
    if (!file.ok()) GTEST_SKIP() << "cannot make a sparse file in the temp directory";
    auto f = GgufFile::open(file.path());
    ASSERT_FALSE(f.ok());
    EXPECT_THAT(f.error().message, HasSubstr("over the limit of 1073741824 bytes"));
}

TEST(GgufLimits, TooManyMetadataValuesAreRefusedBeforeAllocating) {
    Bytes b;
    b.header(0, 1).str("k").u32(uint32_t(ValueType::Array)).u32(uint32_t(ValueType::U8)).u64(uint64_t(1) << 22);
    SparseFile file(b.bytes(), b.size() + (uint64_t(1) << 22));
    if (!file.ok()) GTEST_SKIP() << "cannot make a sparse file in the temp directory";
    auto f = GgufFile::open(file.path());
    ASSERT_FALSE(f.ok());
    EXPECT_THAT(f.error().message, HasSubstr("more than 4194304 metadata values"));
}

TEST(GgufLimits, TooManyMetadataEntriesAreRefusedBeforeAllocating) {
    Bytes b;
    b.header(0, (uint64_t(1) << 22) + 1);
    SparseFile file(b.bytes(), uint64_t(64) << 20);
    if (!file.ok()) GTEST_SKIP() << "cannot make a sparse file in the temp directory";
    auto f = GgufFile::open(file.path());
    ASSERT_FALSE(f.ok());
    EXPECT_THAT(f.error().message, HasSubstr("metadata count 4194305 is more than the limit"));
}

TEST(GgufLimits, TooManyTensorsAreRefusedBeforeAllocating) {
    Bytes b;
    b.header((uint64_t(1) << 20) + 1, 0);
    SparseFile file(b.bytes(), uint64_t(40) << 20);
    if (!file.ok()) GTEST_SKIP() << "cannot make a sparse file in the temp directory";
    auto f = GgufFile::open(file.path());
    ASSERT_FALSE(f.ok());
    EXPECT_THAT(f.error().message, HasSubstr("more than the limit of 1048576"));
}

}  // namespace
}  // namespace ts::core::gguf
