// SHA-256 against the FIPS 180-2 / NIST example vectors, split updates, and a file (also a built-in one).
#include "core/base/sha256.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/base/mmap.hpp"
#include "core/base/replace_file.hpp"

namespace ts::core {
namespace {

TEST(Sha256, KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(
        sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                   "mnopqrstnopqrstu"),
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PaddingBoundaries) {  // 55, 56 and 64 bytes: the length does or does not fit the last block
    EXPECT_EQ(sha256_hex(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    EXPECT_EQ(sha256_hex(std::string(56, 'a')), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    EXPECT_EQ(sha256_hex(std::string(64, 'a')), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256, SplitUpdatesGiveTheSameDigest) {
    std::string msg;
    for (int i = 0; i < 1000; ++i) msg += char('a' + i % 26);
    const std::string whole = sha256_hex(msg);
    for (size_t step : {1u, 3u, 63u, 64u, 65u, 200u}) {
        Sha256 h;
        for (size_t i = 0; i < msg.size(); i += step) h.update(std::string_view(msg).substr(i, step));
        EXPECT_EQ(to_hex(h.finish()), whole) << "updates of " << step << " bytes";
    }
}

TEST(Sha256, FilesAndBuiltinFiles) {
    const auto dir = std::filesystem::temp_directory_path() / ("ts_sha_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string path = (dir / "f.bin").string();
    ASSERT_TRUE(replace_file(path, "abc", 3).ok());
    auto h = sha256_file(path);
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_EQ(*h, sha256_hex("abc"));
    ASSERT_TRUE(replace_file(path, "", 0).ok());
    EXPECT_EQ(sha256_file(path).value(), sha256_hex(""));
    static const uint8_t kBytes[] = {'a', 'b', 'c'};
    register_builtin_file("builtin:sha_test.bin", kBytes, sizeof kBytes);
    EXPECT_EQ(sha256_file("builtin:sha_test.bin").value(), sha256_hex("abc"));
    EXPECT_FALSE(sha256_file((dir / "missing").string()).ok());
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ts::core
