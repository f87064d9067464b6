// The head atlas's cache file: an atlas read back equals the atlas written, bit for bit; another key, another model
// shape, and every truncated or damaged file are misses (errors), never a crash; the key changes with the file and
// the probe.
#include "core/trace/atlas_cache.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/base/replace_file.hpp"

namespace ts::core {
namespace {

namespace fs = std::filesystem;

class AtlasCache : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("ts_atlas_cache_" + std::to_string(getpid()));
        fs::create_directories(dir_);
        auto m = load_model(std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf");
        ASSERT_TRUE(m.ok()) << m.error().message;
        model_ = *m;
        ThreadPool pool(2);
        opt_.half = 8;
        auto a    = build_head_atlas(*model_, pool, opt_);
        ASSERT_TRUE(a.ok()) << a.error().message;
        atlas_ = *a;
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string text_of(const std::string& path) {
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    fs::path dir_;
    std::shared_ptr<const Model> model_;
    AtlasOptions opt_;
    HeadAtlas atlas_;
};

TEST_F(AtlasCache, ReadsBackWhatItWrote) {
    const std::string key  = atlas_cache_key(*model_, opt_);
    const std::string path = atlas_cache_path(dir_.string(), key);
    EXPECT_EQ(path.rfind(dir_.string() + "/atlas-", 0), 0u) << path;
    EXPECT_FALSE(load_atlas(path, key, model_->hp).ok());  // nothing there yet
    ASSERT_TRUE(save_atlas(path, key, atlas_).ok());
    auto back = load_atlas(path, key, model_->hp);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->n_layer, atlas_.n_layer);
    EXPECT_EQ(back->n_head, atlas_.n_head);
    EXPECT_EQ(back->first_copy, atlas_.first_copy);
    EXPECT_EQ(back->half, 8);
    EXPECT_EQ(back->probe, atlas_.probe);
    ASSERT_EQ(back->heads.size(), atlas_.heads.size());
    for (size_t k = 0; k < atlas_.heads.size(); ++k) {
        const HeadScores &x = back->heads[k], &y = atlas_.heads[k];
        EXPECT_EQ(x.layer, y.layer);
        EXPECT_EQ(x.head, y.head);
        EXPECT_EQ(x.prev_token, y.prev_token) << k;
        EXPECT_EQ(x.first_token, y.first_token) << k;
        EXPECT_EQ(x.self, y.self) << k;
        EXPECT_EQ(x.duplicate, y.duplicate) << k;
        EXPECT_EQ(x.induction, y.induction) << k;
        EXPECT_EQ(x.entropy_bits, y.entropy_bits) << k;
        EXPECT_EQ(x.window, y.window) << k;
        EXPECT_EQ(x.sink, y.sink) << k;
        EXPECT_EQ(x.sink_cols, y.sink_cols) << k;
        EXPECT_EQ(x.tag, y.tag) << k;
    }
    EXPECT_EQ(back->at(0, 5).sink_cols, std::vector<int>{0});  // the default model's sink head kept its sink
}

TEST_F(AtlasCache, AnotherKeyOrShapeIsAMiss) {
    const std::string key  = atlas_cache_key(*model_, opt_);
    const std::string path = atlas_cache_path(dir_.string(), key);
    ASSERT_TRUE(save_atlas(path, key, atlas_).ok());
    AtlasOptions other          = opt_;
    other.half                  = 9;
    const std::string other_key = atlas_cache_key(*model_, other);
    EXPECT_NE(other_key, key);
    EXPECT_NE(atlas_cache_path(dir_.string(), other_key), path);
    EXPECT_FALSE(load_atlas(path, other_key, model_->hp).ok());
    Hparams hp = model_->hp;
    hp.n_head  = 4;
    EXPECT_FALSE(load_atlas(path, key, hp).ok());
    hp         = model_->hp;
    hp.n_vocab = 3;  // the probe's ids are outside this vocabulary
    EXPECT_FALSE(load_atlas(path, key, hp).ok());
}

TEST_F(AtlasCache, KeyNamesTheFileAsLoaded) {
    const std::string key = atlas_cache_key(*model_, opt_);
    EXPECT_NE(key.find("default.gguf"), std::string::npos) << key;
    EXPECT_NE(
        key.find("size=" + std::to_string(fs::file_size(std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf"))),
        std::string::npos)
        << key;
    EXPECT_EQ(key.find('\n'), std::string::npos);
    // A copy of the file elsewhere is another file (another path and inode): another entry.
    const fs::path copy = dir_ / "copy.gguf";
    fs::copy_file(std::string(TS_SOURCE_DIR) + "/assets/models/default.gguf", copy);
    auto m = load_model(copy.string());
    ASSERT_TRUE(m.ok());
    EXPECT_NE(atlas_cache_key(**m, opt_), key);
}

TEST_F(AtlasCache, DamagedFilesAreMissesNotCrashes) {
    const std::string key  = atlas_cache_key(*model_, opt_);
    const std::string path = atlas_cache_path(dir_.string(), key);
    ASSERT_TRUE(save_atlas(path, key, atlas_).ok());
    const std::string good = text_of(path);
    ASSERT_GT(good.size(), 100u);
    // Every prefix that cuts a line short or drops lines, at a spread of lengths.
    for (size_t len = 0; len + 1 < good.size(); len += 1 + len / 8) {
        const std::string cut = good.substr(0, len);
        ASSERT_TRUE(replace_file(path, cut.data(), cut.size()).ok());
        EXPECT_FALSE(load_atlas(path, key, model_->hp).ok()) << "prefix of " << len << " bytes";
    }
    // Damaged numbers and extra words.
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{{"head 0 0 ", "head 0 1 "},
                                                                                   {"shape ", "shape x"},
                                                                                   {"probe ", "probe -5 "},
                                                                                   {"\nhead 3 7", "\nhead 3 7 nan"}}) {
        std::string bad = good;
        const size_t at = bad.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        bad.replace(at, from.size(), to);
        ASSERT_TRUE(replace_file(path, bad.data(), bad.size()).ok());
        EXPECT_FALSE(load_atlas(path, key, model_->hp).ok()) << to;
    }
    std::string extra = good + "head 4 0 1 1 1 1 1 1 1 1 0\n";  // trailing lines are ignored: still the same atlas
    ASSERT_TRUE(replace_file(path, extra.data(), extra.size()).ok());
    EXPECT_TRUE(load_atlas(path, key, model_->hp).ok());
    EXPECT_FALSE(load_atlas((dir_ / "missing.txt").string(), key, model_->hp).ok());
    EXPECT_FALSE(load_atlas(dir_.string(), key, model_->hp).ok());  // a folder
}

}  // namespace
}  // namespace ts::core
