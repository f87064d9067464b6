// MappedFile: a real file mapped read-only, an unreadable path reported with its name, and a built-in file (bytes
// with static storage, such as the executable's default model) opened by name without touching the file system.
// Both MappedFile and read_file take regular files only (a FIFO would block open(), /dev/zero never ends), and
// read_file stops at its size cap.
#include "core/base/mmap.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace ts::core {
namespace {

TEST(MappedFile, MapsAFileAndNamesAPathItCannotOpen) {
    const std::string path = ::testing::TempDir() + "ts_mmap_test.bin";
    FILE* f                = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("GGUF bytes", f);
    std::fclose(f);
    auto m = MappedFile::open(path);
    ASSERT_TRUE(m.ok()) << m.error().message;
    ASSERT_EQ((*m)->size(), 10u);
    EXPECT_EQ(std::memcmp((*m)->data(), "GGUF bytes", 10), 0);
    std::remove(path.c_str());
    auto missing = MappedFile::open("/nonexistent/ts_mmap_test.bin");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("/nonexistent/ts_mmap_test.bin"), std::string::npos);
}

const uint8_t kBuiltin[] = {'G', 'G', 'U', 'F', 3, 0, 0, 0};

TEST(MappedFile, OpensABuiltInFileByNameWithoutCopying) {
    EXPECT_FALSE(is_builtin_file("builtin:test.gguf"));
    register_builtin_file("builtin:test.gguf", kBuiltin, sizeof kBuiltin);
    EXPECT_TRUE(is_builtin_file("builtin:test.gguf"));
    {
        auto m = MappedFile::open("builtin:test.gguf");
        ASSERT_TRUE(m.ok()) << m.error().message;
        EXPECT_EQ((*m)->data(), kBuiltin);  // the very bytes, not a copy
        EXPECT_EQ((*m)->size(), sizeof kBuiltin);
        EXPECT_EQ((*m)->path(), "builtin:test.gguf");
    }  // closing it must not unmap static memory
    EXPECT_EQ(kBuiltin[0], 'G');
    EXPECT_FALSE(MappedFile::open("builtin:other.gguf").ok());  // other names still go to the file system
}

void expect_io_error(const Error& e, const std::string& part) {
    EXPECT_EQ(int(e.code), int(Code::kIo)) << e.message;
    EXPECT_NE(e.message.find(part), std::string::npos) << e.message;
}

TEST(RegularFilesOnly, FifosDirectoriesAndDevicesAreRefusedBeforeOpening) {
    const std::string fifo = ::testing::TempDir() + "ts_mmap_test.fifo";
    std::remove(fifo.c_str());
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    // Without a writer, open() would block here forever; the test binary's ctest timeout would end it.
    expect_io_error(MappedFile::open(fifo).error(), fifo + ": is a FIFO (named pipe), not a regular file");
    expect_io_error(read_file(fifo).error(), "FIFO");
    std::remove(fifo.c_str());
    expect_io_error(read_file("/dev/zero").error(), "/dev/zero: is a character device, not a regular file");
    expect_io_error(MappedFile::open("/dev/zero").error(), "character device");
    expect_io_error(read_file(::testing::TempDir()).error(), "is a directory, not a regular file");
    expect_io_error(read_file("/nonexistent/prompt.txt").error(), "/nonexistent/prompt.txt: cannot open");
}

TEST(ReadFile, ReadsAWholeFileAndStopsAtTheCap) {
    const std::string path = ::testing::TempDir() + "ts_read_file_test.txt";
    FILE* f                = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::string text(10000, 'a');
    text += "\xff\xfe not UTF-8 \n";
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    auto r = read_file(path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, text);
    expect_io_error(read_file(path, 9999).error(), "more than the limit of 9999 bytes");
    // A sparse file one byte past the default cap: refused from its size, nothing read.
    ASSERT_EQ(truncate(path.c_str(), off_t(kMaxTextFileBytes) + 1), 0);
    expect_io_error(read_file(path).error(), "more than the limit of 67108864 bytes (64 MiB)");
    std::remove(path.c_str());
}

}  // namespace
}  // namespace ts::core
