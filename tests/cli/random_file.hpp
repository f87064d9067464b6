// Test helpers for the tests that run a model written by tools/random_model: write it to a temporary file, load it
// (into memory, so the file can go at once) and remove the file; and a prompt of n ids that cycles through a
// vocabulary of 300 (the tiny shapes').
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/model/model.hpp"
#include "tools/random_model.hpp"

namespace ts::core::testing {

// `tag` keeps the temporary names of one test file apart from another's running at the same time.
inline std::shared_ptr<const Model> load_random_model(const ts::tools::RandomModelSpec& spec, const std::string& tag) {
    const std::string path =
        (std::filesystem::temp_directory_path() / ("ts_" + tag + "_" + std::to_string(getpid()) + ".gguf")).string();
    EXPECT_TRUE(ts::tools::write_random_model(spec, path).ok());
    auto m = load_model(path, "", LoadOptions{true, false});  // read into memory: the file can go
    std::filesystem::remove(path);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.ok() ? *m : nullptr;
}

inline std::vector<int32_t> cycling_prompt(int n) {
    std::vector<int32_t> ids;
    for (int i = 0; i < n; ++i) ids.push_back(int32_t(3 + (i * 37) % 290));
    return ids;
}

}  // namespace ts::core::testing
