// replace_file(): the new bytes land under the name, while a mapping of the old file keeps reading the old bytes
// (a rewrite in place would truncate the pages under it: SIGBUS), and a failed write leaves the old file alone.
#include "core/base/replace_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/base/mmap.hpp"

namespace ts::core {
namespace {

std::string temp_dir() {
    const auto d = std::filesystem::temp_directory_path() / ("ts_replace_" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d.string();
}

TEST(ReplaceFile, AMappingOfTheOldFileKeepsItsBytes) {
    const std::string dir = temp_dir(), path = dir + "/f.bin";
    const std::string old_bytes(100000, 'a'), new_bytes(10, 'b');
    ASSERT_TRUE(replace_file(path, old_bytes.data(), old_bytes.size()).ok());
    auto old_map = MappedFile::open(path);
    ASSERT_TRUE(old_map.ok());
    const auto old_stamp = (*old_map)->stamp();
    ASSERT_TRUE(replace_file(path, new_bytes.data(), new_bytes.size()).ok());
    // The old mapping still reads every old byte (the last page included), the name opens the new file.
    EXPECT_EQ((*old_map)->data()[old_bytes.size() - 1], 'a');
    auto new_map = MappedFile::open(path);
    ASSERT_TRUE(new_map.ok());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>((*new_map)->data()), (*new_map)->size()), new_bytes);
    auto now = stamp_file(path);
    ASSERT_TRUE(now.ok());
    EXPECT_FALSE(*now == old_stamp) << "a replaced file must not look unchanged";
    EXPECT_TRUE(*now == (*new_map)->stamp());
    // No temporary file is left beside it.
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file();
    EXPECT_EQ(n, 1);
    std::filesystem::remove_all(dir);
}

TEST(ReplaceFile, AFolderThatCannotBeWrittenIsAnErrorNamingThePath) {
    const Status st = replace_file("/nonexistent/dir/f.bin", "x", 1);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("/nonexistent/dir/f.bin"), std::string::npos) << st.error().message;
}

TEST(MappedFile, ReadModeCopiesTheFileAndIsNotListedAsAMapping) {
    const std::string dir = temp_dir(), path = dir + "/r.bin";
    const std::string bytes(5000, 'z');
    ASSERT_TRUE(replace_file(path, bytes.data(), bytes.size()).ok());
    auto mapped = MappedFile::open(path);
    auto read   = MappedFile::open(path, FileAccess::Read);
    ASSERT_TRUE(mapped.ok() && read.ok());
    EXPECT_TRUE((*mapped)->is_mapped());
    EXPECT_FALSE((*read)->is_mapped());
    EXPECT_EQ(std::string(reinterpret_cast<const char*>((*read)->data()), (*read)->size()), bytes);
    EXPECT_EQ(find_mapped_file((*mapped)->data() + 4999), (*mapped)->path().c_str());
    EXPECT_EQ(find_mapped_file((*read)->data()), nullptr);
    const uint8_t* gone = (*mapped)->data();
    mapped              = Error{};
    EXPECT_EQ(find_mapped_file(gone), nullptr) << "an unmapped file is still listed";
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ts::core
