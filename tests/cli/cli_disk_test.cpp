// A disk that changes underneath and numbers that are not numbers, end to end through the built `tokenscope`:
// a model truncated while `run` has it mapped is an error (exit 1, the file named), not SIGBUS; --no-mmap and our
// own writer (temporary file + rename) make the same change harmless; NaN weights are named, never sampled from.
#include <poll.h>
#include <signal.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "core/gguf/gguf_reader.hpp"
#include "tests/cli/cli_harness.hpp"

namespace ts::cli_test {
namespace {

// A child `tokenscope` whose stdout is a pipe the test reads line by line, so the test knows the child is inside
// its generation loop (pipe back-pressure keeps it there: it cannot finish while the test does not read).
class Child {
public:
    explicit Child(const std::vector<std::string>& args) {
        err_path_ = (fs::temp_directory_path() / ("ts_cli_disk_" + std::to_string(getpid()) + ".err")).string();
        int fds[2];
        EXPECT_EQ(pipe(fds), 0);
        std::vector<std::string> full{TS_TOKENSCOPE_EXE};
        full.insert(full.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : full) argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = fork();
        if (pid_ == 0) {
            const int e = open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fds[1], 1);
            dup2(e, 2);
            close(fds[0]);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(fds[1]);
        out_ = fds[0];
    }
    ~Child() {
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        if (out_ >= 0) close(out_);
        fs::remove(err_path_);
    }

    // Reads stdout until a newline (true) or EOF / `timeout_ms` without data (false).
    bool read_line(int timeout_ms = 30000) {
        for (char c = 0;;) {
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, timeout_ms) <= 0) return false;
            if (::read(out_, &c, 1) != 1) return false;
            if (c == '\n') return true;
        }
    }
    // Drains stdout to EOF and waits (at most ~timeout_s; then the child is killed and the outcome says signal 9).
    Outcome finish(int timeout_s = 60) {
        char buf[4096];
        for (int waited = 0; waited < timeout_s * 10;) {
            pollfd p{out_, POLLIN, 0};
            const int n = ::poll(&p, 1, 100);
            if (n == 0) {
                ++waited;
                continue;
            }
            if (::read(out_, buf, sizeof buf) <= 0) break;
        }
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
        }
        pid_ = -1;
        Outcome r;
        if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
        r.err = slurp(err_path_);
        return r;
    }

private:
    pid_t pid_ = -1;
    int out_   = -1;
    std::string err_path_;
};

class CliDiskTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("ts_cli_disk_" + std::to_string(getpid()));
        fs::create_directories(dir_);
        path_       = (dir_ / "model.gguf").string();
        spec_.n_ctx = 2048;
        ASSERT_TRUE(tools::write_random_model(spec_, path_).ok());
    }
    void TearDown() override { fs::remove_all(dir_); }

    // A long generation, one JSON line per token (~400 bytes), so the child stays in its loop while the test
    // holds back reading.
    std::vector<std::string> long_run(std::vector<std::string> extra = {}) const {
        std::vector<std::string> a = {"run", "-m", path_, "--prompt-ids", "1,2,3", "-n", "100000", "--json"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }

    fs::path dir_;
    std::string path_;
    tools::RandomModelSpec spec_;
};

TEST_F(CliDiskTest, ModelTruncatedWhileRunningIsAnErrorNotSigbus) {
    Child c(long_run());
    ASSERT_TRUE(c.read_line()) << "no first token";
    fs::resize_file(path_, 100);  // every weight page is gone from under the mapping
    const Outcome r = c.finish();
    EXPECT_EQ(r.signal, 0) << "killed by signal " << r.signal << "\nstderr: " << r.err;
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("error: model file changed on disk while in use: " + path_), std::string::npos) << r.err;
}

TEST_F(CliDiskTest, NoMmapIgnoresTheSameTruncation) {
    Child c(long_run({"--no-mmap"}));
    ASSERT_TRUE(c.read_line());
    fs::resize_file(path_, 100);
    const Outcome r = c.finish();
    EXPECT_EQ(r.signal, 0) << r.err;
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CliDiskTest, OurWriterReplacingTheModelLeavesARunningProcessAlone) {
    Child c(long_run());
    ASSERT_TRUE(c.read_line());
    tools::RandomModelSpec other = spec_;
    other.seed                   = 99;
    ASSERT_TRUE(tools::write_random_model(other, path_).ok());  // ts_mkmodel / train -o onto an open model
    const Outcome r = c.finish();
    EXPECT_EQ(r.signal, 0) << r.err;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // and the file is the new one, complete, with the usual mode
    EXPECT_TRUE(run_tokenscope({"info", "-m", path_}).exit_code == 0);
    EXPECT_EQ(fs::status(path_).permissions() & fs::perms::owner_read, fs::perms::owner_read);
    int leftovers = 0;
    for (const auto& e : fs::directory_iterator(dir_)) leftovers += e.path().filename() != "model.gguf";
    EXPECT_EQ(leftovers, 0) << "a temporary file was left beside the model";
}

// Writes a float into tensor `name` of the GGUF at `path` (an F32 model), element `index`.
void poke_f32(const std::string& path, const std::string& name, size_t index, float value) {
    std::string bytes = slurp(path);
    auto f            = core::gguf::GgufFile::parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path);
    ASSERT_TRUE(f.ok()) << f.error().message;
    const core::Tensor* t = f->find_tensor(name);
    ASSERT_NE(t, nullptr);
    ASSERT_EQ(t->type, core::DType::F32);
    const size_t at = size_t(static_cast<const char*>(t->data) - bytes.data()) + index * sizeof(float);
    std::memcpy(bytes.data() + at, &value, sizeof value);
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}

TEST_F(CliDiskTest, NaNWeightsAreNamedAndNeverSampled) {
    tools::RandomModelSpec s = spec_;
    s.type                   = core::DType::F32;
    ASSERT_TRUE(tools::write_random_model(s, path_).ok());
    poke_f32(path_, "blk.1.ffn_down.weight", 70, std::numeric_limits<float>::quiet_NaN());

    Outcome r = run_tokenscope({"run", "-m", path_, "--prompt-ids", "1,2,3", "-n", "4", "--json"});
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("non-finite values (NaN/Inf) first at layer 1, MLP output, position 0"), std::string::npos)
        << r.err;
    EXPECT_EQ(r.out.find("\"id\""), std::string::npos) << "a token was printed: " << r.out;

    for (const char* verb : {"run", "info"}) {
        std::vector<std::string> args = {verb, "-m", path_, "--check-tensors"};
        if (std::string(verb) == "run") args.insert(args.end(), {"--prompt-ids", "1", "-n", "1"});
        r = run_tokenscope(args);
        EXPECT_EQ(r.exit_code, 1) << verb << ": " << r.err;
        EXPECT_NE(r.err.find("tensor 'blk.1.ffn_down.weight' (F32 [128, 64]) holds NaN at row 0, column 70"),
                  std::string::npos)
            << verb << ": " << r.err;
    }
}

}  // namespace
}  // namespace ts::cli_test
