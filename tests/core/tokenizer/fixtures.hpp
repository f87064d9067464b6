// Test helpers: the llama.cpp tokenizer conformance fixtures (inputs separated by "\n__ggml_vocab_test__\n", one line
// of expected ids per input) and loading their vocabularies. A file is looked for in the repository's own
// tests/data/tokenizer (the vocabularies ../shared does not hold: qwen35, gemma-4, phi-3) and then in
// TS_SHARED_DIR/fixtures/tokenizer.
#pragma once

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/gguf/gguf_reader.hpp"
#include "core/tokenizer/tokenizer.hpp"

namespace ts::test {

inline bool file_exists(const std::string& path) {
    return std::ifstream(path).good();
}

// Where `name` is: the repository's copy when it has one, else the shared folder's path (which may be absent).
inline std::string fixture_path(const std::string& name) {
    const std::string own = std::string(TS_SOURCE_DIR) + "/tests/data/tokenizer/" + name;
    if (file_exists(own)) return own;
    return std::string(TS_SHARED_DIR) + "/fixtures/tokenizer/" + name;
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
