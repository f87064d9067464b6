// Hostile and careless input to the verbs (issue 11): paths that are not regular files (a FIFO, /dev/zero, a folder)
// given as the model or the text file, text files past the size cap, stdout that cannot be written (/dev/full), files
// that are no model, and hyper-parameters that do not match the tensors. Each must end in one `error:` line and
// exit 1 (2 for usage), quickly: never a signal, a hang or exit 0 with the output lost.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/gguf/gguf_reader.hpp"
#include "core/gguf/gguf_writer.hpp"
#include "tests/cli/cli_harness.hpp"

namespace ts::cli_test {
namespace {

constexpr unsigned kTimeout = 30;  // seconds; each of these runs takes well under one

class CliInput : public CliModelTest {
protected:
    static Outcome run_t(const std::vector<std::string>& args, const std::string& stdout_to = "") {
        Outcome r = run_tokenscope(args, "", stdout_to, kTimeout);
        EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal << " (14: it hung)\nstderr: " << r.err;
        return r;
    }
    static void expect_error_with(const Outcome& r, int code, const std::string& part) {
        expect_error(r, code);
        EXPECT_NE(r.err.find(part), std::string::npos) << r.err;
    }
    static std::string write_file(const std::string& name, const std::string& bytes) {
        const std::string path = (dir_ / name).string();
        std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
        return path;
    }
    static std::string make_fifo(const std::string& name) {
        const std::string path = (dir_ / name).string();
        fs::remove(path);
        EXPECT_EQ(mkfifo(path.c_str(), 0600), 0);
        return path;
    }
    // tiny.gguf with one metadata value replaced.
    static std::string with_key(const std::string& name, const std::string& key, core::gguf::Value v) {
        auto f = core::gguf::GgufFile::open(model());
        EXPECT_TRUE(f.ok());
        core::gguf::GgufWriter w(f->alignment());
        for (const auto& kv : f->metadata()) w.add(kv.key, kv.key == key ? v : kv.value);
        for (const auto& t : f->tensors()) {
            const auto* p = static_cast<const uint8_t*>(t.data);
            w.add_tensor(t.name, t.type, std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims),
                         std::vector<uint8_t>(p, p + t.nbytes));
        }
        const std::string path = (dir_ / name).string();
        EXPECT_TRUE(w.write(path).ok());
        return path;
    }
};

TEST_F(CliInput, TextFilesMustBeRegularFilesUnderTheCap) {
    const std::string fifo = make_fifo("prompt.fifo");
    const std::string big  = write_file("big.txt", "x");
    ASSERT_EQ(truncate(big.c_str(), (off_t(64) << 20) + 1), 0);  // sparse: one byte past the 64 MiB cap
    const std::vector<std::pair<std::string, std::string>> cases{{"/dev/zero", "is a character device"},
                                                                 {dir_.string(), "is a directory"},
                                                                 {fifo, "is a FIFO (named pipe)"},
                                                                 {big, "(64 MiB) for a text file"}};
    for (const char* verb : {"tokenize", "run"})
        for (const auto& [path, why] : cases) expect_error_with(run_t({verb, "-m", model(), "-f", path}), 1, why);
    fs::remove(fifo);
    fs::remove(big);
}

TEST_F(CliInput, RunReadsThePromptFromAFile) {
    const std::string text = "hello world, \xff not UTF-8\n";
    const std::string path = write_file("prompt.txt", text);
    const Outcome a        = run_t({"run", "-m", model(), "-f", path, "-n", "4", "--temp", "0", "--json"});
    const Outcome b        = run_t({"run", "-m", model(), "-p", text, "-n", "4", "--temp", "0", "--json"});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(ids_of(a), ids_of(b));
    expect_error(run_t({"run", "-m", model(), "-f", path, "-p", "x"}), 2);
    expect_error(run_t({"run", "-m", model(), "-f", path, "--prompt-ids", "1"}), 2);
    EXPECT_NE(run_t({"run", "--help"}).out.find("-f, --file"), std::string::npos);
}

TEST_F(CliInput, AFifoAsTheModelIsAnErrorNotAHang) {
    const std::string fifo = make_fifo("model.fifo");
    for (const char* verb : {"run", "info", "tokenize", "bench"}) {
        std::vector<std::string> args{verb, "-m", fifo};
        if (std::string(verb) == "run") args.insert(args.end(), {"--prompt-ids", "1"});
        if (std::string(verb) == "tokenize") args.insert(args.end(), {"-p", "x"});
        expect_error_with(run_t(args), 1, "is a FIFO (named pipe), not a regular file");
    }
    fs::remove(fifo);
}

TEST_F(CliInput, OutputThatCannotBeWrittenIsAnError) {
    const std::vector<std::vector<std::string>> cases{
        {"run", "-m", model(), "-p", "hello", "-n", "3", "--temp", "0"},
        {"run", "-m", model(), "--prompt-ids", "1,2", "-n", "3", "--json"},
        {"tokenize", "-m", model(), "-p", "hello world"},
        {"tokenize", "-m", model(), "-p", "hello world", "--ids"},
        {"info", "-m", model()},
        {"run", "--help"}};
    for (const auto& args : cases) {
        const Outcome r = run_t(args, "/dev/full");
        expect_error_with(r, 1, "error: writing output: No space left on device");
        EXPECT_EQ(lines_of(r.err).size(), 1u) << "one error line, nothing else: " << r.err;
    }
}

TEST_F(CliInput, TokenizeOnAFileThatIsNoModelSaysSo) {
    const std::string path = write_file("notes.txt", "just some text, not a model, but longer than 28 bytes\n");
    const Outcome r        = run_t({"tokenize", "-m", path, "-p", "x"});
    expect_error_with(r, 1, "notes.txt: not a GGUF file, nor a llama2.c checkpoint");
    EXPECT_EQ(r.err.find("tokenizer.bin: cannot open"), std::string::npos) << r.err;
}

// vocab_size INT32_MIN in a llama2.c header: tokenize once negated it (undefined behaviour).
TEST_F(CliInput, ALlama2cHeaderWithTheSmallestVocabSizeIsAnError) {
    int32_t header[7] = {64, 128, 2, 4, 4, INT32_MIN, 32};
    std::string bytes(sizeof header + 64, '\0');
    std::memcpy(bytes.data(), header, sizeof header);
    const std::string path = write_file("int32min.bin", bytes);
    write_file("tokenizer.bin", std::string("\x08\0\0\0", 4));
    expect_error_with(run_t({"tokenize", "-m", path, "-p", "x"}), 1, "vocab_size -2147483648");
    expect_error_with(run_t({"run", "-m", path, "--prompt-ids", "1"}), 1, "vocab_size -2147483648");
    fs::remove(dir_ / "tokenizer.bin");
}

TEST_F(CliInput, RunWithoutATokenizerSaysWhy) {
    ts::tools::RandomModelSpec s;
    s.n_ctx                = 64;
    s.vocab                = false;
    const std::string path = (dir_ / "novocab.gguf").string();
    ASSERT_TRUE(ts::tools::write_random_model(s, path).ok());
    expect_error_with(run_t({"run", "-m", path, "-p", "hello"}), 1,
                      "the model has no tokenizer (" + path + ": no tokenizer (key tokenizer.ggml.model is missing))");
}

// llama.block_count far beyond the tensors present: was an uncaught std::bad_alloc (SIGABRT).
TEST_F(CliInput, AHugeBlockCountIsAnErrorNotACrash) {
    for (const uint32_t n : {2147483647u, 10000000u, 1000000u, 3u}) {
        const std::string path = with_key("layers.gguf", "llama.block_count", core::gguf::Value::make_u32(n));
        expect_error_with(run_t({"run", "-m", path, "--prompt-ids", "1"}), 1, "layers.gguf: ");
        const Outcome info = run_t({"info", "-m", path});
        EXPECT_EQ(info.exit_code, 0) << info.err;  // info describes the header and says why it cannot run
        EXPECT_NE(info.out.find("cannot run this file"), std::string::npos) << info.out;
    }
    const std::string wrong = with_key("arch.gguf", "general.architecture", core::gguf::Value::make_u32(1));
    expect_error_with(run_t({"run", "-m", wrong, "--prompt-ids", "1"}), 1,
                      "metadata key 'general.architecture' has type u32, expected string");
}

}  // namespace
}  // namespace ts::cli_test
