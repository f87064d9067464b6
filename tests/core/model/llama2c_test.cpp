// llama2.c checkpoints: a checkpoint written by the test loads as the same model as the equivalent GGUF (same
// logits), and hostile headers are refused with an explanation, without crashing or allocating from them.
#include <gtest/gtest.h>

#include <climits>
#include <filesystem>

#include "core/model/forward.hpp"
#include "core/model/model.hpp"
#include "tests/core/model/tiny_model.hpp"

namespace ts::core {
namespace {

using tiny::TinySpec;

const std::vector<int32_t> kTokens = {1, 5, 36, 0, 17, 17, 2, 30, 11};

std::vector<float> all_logits(const Model& model) {
    ThreadPool pool(1);
    Forward fwd(model, 16);
    auto cache = fwd.make_cache();
    EXPECT_TRUE(cache.ok());
    std::vector<float> logits(kTokens.size() * size_t(model.hp.n_vocab));
    const Status st = fwd.eval(*cache, kTokens.data(), int(kTokens.size()), 0, logits.data(), LogitRows::All, pool);
    EXPECT_TRUE(st.ok()) << st.error().message;
    return logits;
}

// A fresh folder for this test, so that no tokenizer.bin lies beside the checkpoints written there.
std::string test_dir() {
    const std::string dir = tiny::temp_path("dir");
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir + "/";
}

Result<std::shared_ptr<const Model>> load_bytes(const std::vector<uint8_t>& bytes, const std::string& name) {
    const std::string path = test_dir() + name;
    EXPECT_TRUE(tiny::write_bytes(path, bytes));
    return load_model(path);
}

void expect_same_as_gguf(bool tied) {
    TinySpec s;
    s.tied                = tied;
    s.n_head_kv           = 2;
    const auto m          = tiny::make_tiny_model(s);
    const std::string bin = test_dir() + "model.bin";
    ASSERT_TRUE(tiny::write_bytes(bin, tiny::llama2c_bytes(m)));
    const auto from_bin = load_model(bin);
    ASSERT_TRUE(from_bin.ok()) << from_bin.error().message;
    const std::string gg = tiny::temp_path("model.gguf");
    ASSERT_TRUE(tiny::gguf_writer_for(m).write(gg).ok());
    const auto from_gguf = load_model(gg);
    ASSERT_TRUE(from_gguf.ok()) << from_gguf.error().message;

    const Model& a = **from_bin;
    EXPECT_EQ(a.format, "llama2.c");
    EXPECT_EQ(a.hp.n_vocab, 37);
    EXPECT_EQ(a.hp.n_ctx_train, s.n_ctx);
    EXPECT_EQ(a.hp.n_head_kv, 2);
    EXPECT_EQ(a.hp.rope_style, RopeStyle::Normal);
    EXPECT_EQ(a.hp.tied_output, tied);
    EXPECT_EQ(a.n_params, (*from_gguf)->n_params);
    EXPECT_EQ(a.w.layers[1].w_down.name, "blk.1.ffn_down.weight");
    EXPECT_EQ(a.tokenizer, nullptr);  // no tokenizer.bin beside it: a note, not an error
    EXPECT_FALSE(a.notes.empty());

    const auto logits = all_logits(a);
    EXPECT_EQ(logits, all_logits(**from_gguf));
    const auto ref = tiny::reference_logits(m, kTokens);
    for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(logits[i], ref[i], 1e-4f) << i;
}

TEST(LoadLlama2c, UntiedCheckpointGivesTheSameLogitsAsGguf) {
    expect_same_as_gguf(false);
}
TEST(LoadLlama2c, TiedCheckpointGivesTheSameLogitsAsGguf) {
    expect_same_as_gguf(true);
}

std::vector<uint8_t> with_header(std::vector<uint8_t> bytes, int field, int32_t value) {
    std::memcpy(bytes.data() + 4 * field, &value, 4);
    return bytes;
}

TEST(LoadLlama2c, HostileHeadersAreRefused) {
    const auto good = tiny::llama2c_bytes(tiny::make_tiny_model(TinySpec{}));
    ASSERT_TRUE(load_bytes(good, "good.bin").ok());
    const struct {
        int field;
        int32_t value;
        const char* says;
    } cases[] = {
        {0, -16, "dim -16"},
        {0, 0, "dim 0"},
        {1, 1 << 30, "implies"},
        {2, 0x7fffffff, "implies"},
        {3, 5, "n_heads 5"},
        {4, 3, "n_kv_heads 3"},
        {5, 0, "vocab_size 0"},
        {5, INT32_MIN, "vocab_size -2147483648"},
        {5, 0x7fffffff, "implies"},
        {6, -1, "seq_len -1"},
        {0, 0x7fffffff, "dim 2147483647"},
        {5, 37, "the file has"},  // tied: the classifier bytes are extra
    };
    for (const auto& c : cases) {
        const auto r = load_bytes(with_header(good, c.field, c.value), "bad.bin");
        ASSERT_FALSE(r.ok()) << c.says;
        EXPECT_EQ(r.error().code, Code::kFormat) << r.error().message;
        EXPECT_NE(r.error().message.find(c.says), std::string::npos) << r.error().message;
    }
}

TEST(LoadLlama2c, TruncatedOrPaddedFilesAreRefused) {
    const auto good = tiny::llama2c_bytes(tiny::make_tiny_model(TinySpec{}));
    const std::vector<uint8_t> shorter(good.begin(), good.end() - 1);
    EXPECT_FALSE(load_bytes(shorter, "short.bin").ok());
    std::vector<uint8_t> longer(good.size() + 1, 0);
    std::copy(good.begin(), good.end(), longer.begin());
    EXPECT_FALSE(load_bytes(longer, "long.bin").ok());
    const auto tiny_file = load_bytes({1, 2, 3}, "three.bin");
    ASSERT_FALSE(tiny_file.ok());
    EXPECT_NE(tiny_file.error().message.find("too short"), std::string::npos) << tiny_file.error().message;
    const auto empty = load_bytes({}, "empty.bin");
    EXPECT_FALSE(empty.ok());
}

TEST(LoadLlama2c, AnExplicitTokenizerPathMustExist) {
    const std::string bin = tiny::temp_path("model.bin");
    ASSERT_TRUE(tiny::write_bytes(bin, tiny::llama2c_bytes(tiny::make_tiny_model(TinySpec{}))));
    const auto r = load_model(bin, tiny::temp_path("missing-tokenizer.bin"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("missing-tokenizer.bin"), std::string::npos) << r.error().message;
}

TEST(LoadLlama2c, TokenizerBinBesideTheCheckpointIsAttached) {
    const std::string dir = test_dir();
    ASSERT_TRUE(tiny::write_bytes(dir + "model.bin", tiny::llama2c_bytes(tiny::make_tiny_model(TinySpec{}))));
    std::vector<std::string> pieces;
    for (int i = 0; i < 37; ++i) {
        std::string piece(1, 'p');  // += rather than +: g++ 12 reports a false -Wrestrict for "p" + std::string
        piece += std::to_string(i);
        pieces.push_back(piece);
    }
    ASSERT_TRUE(tiny::write_bytes(dir + "tokenizer.bin", tiny::tokenizer_bin_bytes(pieces)));
    const auto r = load_model(dir + "model.bin");
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_NE((*r)->tokenizer, nullptr);
    EXPECT_EQ((*r)->tokenizer->n_vocab(), 37);
    EXPECT_TRUE((*r)->notes.empty());
}

}  // namespace
}  // namespace ts::core
