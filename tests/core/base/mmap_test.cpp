// MappedFile: a real file mapped read-only, an unreadable path reported with its name, and a built-in file (bytes
// with static storage, such as the executable's default model) opened by name without touching the file system.
#include "core/base/mmap.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ts::core
