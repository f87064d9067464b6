// Test helpers: the llama.cpp tokenizer conformance fixtures under TS_SHARED_DIR/fixtures/tokenizer (inputs
// separated by "\n__ggml_vocab_test__\n", one line of expected ids per input) and loading their vocabularies.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/gguf/gguf_reader.hpp"
#include "core/tokenizer/tokenizer.hpp"

namespace ts::test {

inline std::string fixture_path(const std::string& name) {
    return std::string(TS_SHARED_DIR) + "/fixtures/tokenizer/" + name;
}

inline bool file_exists(const std::string& path) {
    return std::ifstream(path).good();
}

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct FixtureCase {
    std::string text;
    std::vector<int32_t> ids;
};

inline std::vector<FixtureCase> read_fixture_cases(const std::string& vocab_file) {
    const std::string inp = slurp(fixture_path(vocab_file + ".inp"));
    const std::string out = slurp(fixture_path(vocab_file + ".out"));
    const std::string sep = "\n__ggml_vocab_test__\n";
    std::vector<FixtureCase> cases;
    for (size_t pos = 0; pos < inp.size();) {
        size_t end = inp.find(sep, pos);
        if (end == std::string::npos) end = inp.size();
        cases.push_back({inp.substr(pos, end - pos), {}});
        pos = end == inp.size() ? end : end + sep.size();
    }
    std::istringstream lines(out);
    std::string line;
    for (FixtureCase& c : cases) {
        if (!std::getline(lines, line)) break;
        std::istringstream ids(line);
        for (int32_t id; ids >> id;) c.ids.push_back(id);
    }
    return cases;
}

// Loads a fixture vocabulary; null (with `why`) when the file is absent or does not load.
inline std::shared_ptr<const core::Tokenizer> load_fixture_vocab(const std::string& vocab_file, std::string& why) {
    const std::string path = fixture_path(vocab_file);
    if (!file_exists(path)) {
        why = path + " is absent";
        return nullptr;
    }
    auto f = core::gguf::GgufFile::open(path);
    if (!f.ok()) {
        why = f.error().message;
        return nullptr;
    }
    auto tok = core::Tokenizer::from_gguf(*f);
    if (!tok.ok()) {
        why = tok.error().message;
        return nullptr;
    }
    return *tok;
}

}  // namespace ts::test
