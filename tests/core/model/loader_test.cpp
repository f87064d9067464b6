// load_model() on GGUF files: hyper-parameters and weights of both architectures, and an explained error for every
// kind of wrong file (unknown architecture, missing tensor, wrong shape or type, inconsistent sizes).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/model/forward.hpp"
#include "core/model/model.hpp"
#include "tests/core/model/tiny_model.hpp"

namespace ts::core {
namespace {

using tiny::TinySpec;

Result<std::shared_ptr<const Model>> load_with(const gguf::GgufWriter& w, const std::string& name = "m.gguf") {
    const std::string path = tiny::temp_path(name);
    const Status st        = w.write(path);
    EXPECT_TRUE(st.ok()) << st.error().message;
    return load_model(path);
}

// Expects the load to fail with `code` and a message containing every one of `parts`.
void expect_error(const Result<std::shared_ptr<const Model>>& r, Code code, std::initializer_list<std::string> parts) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(int(r.error().code), int(code)) << r.error().message;
    for (const auto& p : parts) EXPECT_NE(r.error().message.find(p), std::string::npos) << r.error().message;
}

TEST(LoadGguf, ReadsLlamaHyperParameters) {
    TinySpec s;
    s.rope_base   = 5000.0f;
    s.rope_factor = 2.0f;
    const auto r  = load_with(tiny::gguf_writer_for(tiny::make_tiny_model(s)));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Model& m = **r;
    EXPECT_EQ(m.format, "gguf v3");
    EXPECT_EQ(m.hp.arch, Arch::Llama);
    EXPECT_EQ(m.hp.arch_name, "llama");
    EXPECT_EQ(m.hp.name, "tiny llama");
    EXPECT_EQ(m.hp.n_vocab, 37);
    EXPECT_EQ(m.hp.n_embd, 16);
    EXPECT_EQ(m.hp.n_layer, 2);
    EXPECT_EQ(m.hp.n_head, 4);
    EXPECT_EQ(m.hp.n_head_kv, 2);
    EXPECT_EQ(m.hp.head_dim, 4);
    EXPECT_EQ(m.hp.kv_dim(), 8);
    EXPECT_EQ(m.hp.n_ff, 24);
    EXPECT_EQ(m.hp.n_ctx_train, 64);
    EXPECT_EQ(m.hp.n_rot, 4);
    EXPECT_FLOAT_EQ(m.hp.norm_eps, 1e-5f);
    EXPECT_FLOAT_EQ(m.hp.rope_freq_base, 5000.0f);
    EXPECT_FLOAT_EQ(m.hp.rope_freq_scale, 0.5f);
    EXPECT_EQ(m.hp.rope_style, RopeStyle::Normal);
    EXPECT_FALSE(m.hp.tied_output);
    ASSERT_EQ(m.w.layers.size(), 2u);
    EXPECT_EQ(m.w.layers[1].wk.name, "blk.1.attn_k.weight");
    EXPECT_EQ(m.w.layers[0].bq.data, nullptr);
    // 37·16 embd + 16 norm + 37·16 output + per layer (16 + 256 + 128 + 128 + 256 + 16 + 3·384)
    EXPECT_EQ(m.n_params, 37 * 16 * 2 + 16 + 2 * (16 + 256 + 128 + 128 + 256 + 16 + 3 * 384));
    EXPECT_EQ(m.weight_bytes, size_t(m.n_params) * 4);
}

TEST(LoadGguf, Qwen2UsesNeoxRopeAndBiases) {
    TinySpec s;
    s.arch       = "qwen2";
    s.tied       = true;
    const auto r = load_with(tiny::gguf_writer_for(tiny::make_tiny_model(s)));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Model& m = **r;
    EXPECT_EQ(m.hp.arch, Arch::Qwen2);
    EXPECT_EQ(m.hp.rope_style, RopeStyle::NeoX);
    EXPECT_TRUE(m.hp.tied_output);
    EXPECT_EQ(m.w.output.data, m.w.token_embd.data);
    EXPECT_NE(m.w.layers[1].bv.data, nullptr);
    EXPECT_EQ(m.n_params, 37 * 16 + 16 + 2 * (16 + 256 + 128 + 128 + 256 + 16 + 3 * 384 + 16 + 8 + 8));
}

TEST(LoadGguf, QuantisedMatricesKeepTheirType) {
    TinySpec s;
    s.n_embd      = 32;
    s.n_ff        = 64;
    s.matrix_type = DType::Q8_0;
    const auto r  = load_with(tiny::gguf_writer_for(tiny::make_tiny_model(s)));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)->w.layers[0].w_down.type, DType::Q8_0);
    EXPECT_EQ((*r)->w.layers[0].ffn_norm.type, DType::F32);
    EXPECT_LT((*r)->weight_bytes, size_t((*r)->n_params) * 2);
}

TEST(LoadGguf, UnknownArchitectureIsUnsupportedAndTheSupportedOnesAreListed) {
    TinySpec s;
    s.arch = "mamba";
    expect_error(load_with(tiny::gguf_writer_for(tiny::make_tiny_model(s))), Code::kUnsupported,
                 {"m.gguf", "architecture 'mamba' is not supported",
                  "llama, qwen2, qwen3, qwen3moe, qwen35, gpt2, phi3, gemma2, gemma3, gemma4, olmoe"});
}

// olmoe's q/k norms and output matrix are n_embd wide and llama.cpp asserts RoPE over the whole head: a file whose
// heads do not fill n_embd, with fewer kv heads, a partial RoPE or grouped routing is refused before any tensor.
TEST(LoadGguf, OlmoeRefusesShapesItsNormsCannotSpan) {
    auto olmoe = [](TinySpec s, std::vector<std::pair<std::string, gguf::Value>> extra) {
        s.arch             = "olmoe";
        gguf::GgufWriter w = tiny::gguf_writer_for(tiny::make_tiny_model(s));
        w.add("olmoe.expert_count", gguf::Value::make_u32(4));
        w.add("olmoe.expert_used_count", gguf::Value::make_u32(2));
        for (auto& [k, v] : extra) w.add(k, v);
        return load_with(w);
    };
    TinySpec s;  // 4 heads, 2 kv heads
    expect_error(olmoe(s, {}), Code::kUnsupported, {"olmoe.attention.head_count_kv 2 must equal head_count 4"});
    s.n_head_kv  = s.n_head;
    s.key_length = 8;
    expect_error(olmoe(s, {}), Code::kUnsupported, {"olmoe heads of 4 x 8", "must fill embedding_length 16"});
    s.key_length = 0;
    s.n_rot      = 2;
    expect_error(olmoe(s, {}), Code::kUnsupported, {"olmoe.rope.dimension_count 2 must be olmoe's head size 4"});
    s.n_rot = 0;
    expect_error(olmoe(s, {{"olmoe.expert_group_count", gguf::Value::make_u32(4)}}), Code::kUnsupported,
                 {"olmoe.expert_group_count' is 4", "grouped expert routing"});
}

TinySpec gpt2_spec() {
    TinySpec s;
    s.arch      = "gpt2";
    s.n_head_kv = s.n_head;
    return s;
}

TEST(LoadGguf, Gpt2HasLearnedPositionsLayerNormBiasesAndNoRope) {
    const auto r = load_with(tiny::gguf_writer_for(tiny::make_tiny_model(gpt2_spec())));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Model& m = **r;
    EXPECT_EQ(m.hp.arch, Arch::Gpt2);
    EXPECT_EQ(m.hp.n_rot, 0);
    EXPECT_EQ(m.hp.head_dim, 4);
    EXPECT_EQ(m.hp.n_ctx_train, 64);
    EXPECT_NE(m.w.pos_embd.data, nullptr);
    EXPECT_NE(m.w.output_norm_b.data, nullptr);
    EXPECT_NE(m.w.layers[1].wqkv.data, nullptr);
    EXPECT_EQ(m.w.layers[1].wq.data, nullptr);
    EXPECT_EQ(m.w.layers[1].w_gate.data, nullptr);
    EXPECT_NE(m.w.layers[1].b_down.data, nullptr);
}

TEST(LoadGguf, Gpt2MissingOrIllShapedTensorsAreNamed) {
    const auto m = tiny::make_tiny_model(gpt2_spec());
    for (const char* name : {"position_embd.weight", "output_norm.bias", "blk.1.attn_qkv.bias", "blk.0.attn_norm.bias",
                             "blk.0.ffn_up.bias", "blk.1.attn_output.bias"}) {
        SCOPED_TRACE(name);
        expect_error(load_with(tiny::gguf_writer_for(m, {name})), Code::kFormat,
                     {"tensor '" + std::string(name) + "' is missing"});
    }
    tiny::Lcg rng(9);
    auto bad                             = m;
    bad.tensors["blk.0.attn_qkv.weight"] = tiny::make_tensor(DType::F32, {16, 16}, rng, 1.0f);  // only Q's rows
    expect_error(load_with(tiny::gguf_writer_for(bad)), Code::kFormat,
                 {"tensor 'blk.0.attn_qkv.weight': expected [16, 48], got F32 [16, 16]"});
    bad                                 = m;
    bad.tensors["position_embd.weight"] = tiny::make_tensor(DType::F32, {16, 32}, rng, 1.0f);  // fewer than 64 rows
    expect_error(load_with(tiny::gguf_writer_for(bad)), Code::kFormat,
                 {"tensor 'position_embd.weight': expected [16, 64], got F32 [16, 32]"});
    bad                                  = m;
    bad.tensors["blk.0.ffn_gate.weight"] = tiny::make_tensor(DType::F32, {16, 24}, rng, 1.0f);  // a llama tensor
    expect_error(load_with(tiny::gguf_writer_for(bad)), Code::kFormat,
                 {"tensor 'blk.0.ffn_gate.weight' is not used by this architecture"});
}

TEST(LoadGguf, Gpt2StopsAtItsLastLearnedPosition) {
    const auto r = load_with(tiny::gguf_writer_for(tiny::make_tiny_model(gpt2_spec())));
    ASSERT_TRUE(r.ok()) << r.error().message;
    Forward fwd(**r, 128);
    auto cache = fwd.make_cache();
    ASSERT_TRUE(cache.ok());
    ThreadPool pool(1);
    std::vector<int32_t> tokens(65, 1);
    std::vector<float> logits(37);
    const Status st = fwd.eval(*cache, tokens.data(), 65, 0, logits.data(), LogitRows::Last, pool);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("position 64 is past the 64 positions gpt2 learned"), std::string::npos)
        << st.error().message;
    EXPECT_TRUE(fwd.eval(*cache, tokens.data(), 64, 0, logits.data(), LogitRows::Last, pool).ok());
}

TEST(LoadGguf, Qwen3ReadsItsHeadSizeAndNeedsItsHeadNorms) {
    TinySpec s;
    s.arch       = "qwen3";
    s.key_length = 8;
    const auto m = tiny::make_tiny_model(s);
    const auto r = load_with(tiny::gguf_writer_for(m));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)->hp.head_dim, 8);
    EXPECT_EQ((*r)->hp.q_dim(), 32);
    EXPECT_EQ((*r)->hp.kv_dim(), 16);
    EXPECT_EQ((*r)->hp.rope_style, RopeStyle::NeoX);
    expect_error(load_with(tiny::gguf_writer_for(m, {"blk.1.attn_k_norm.weight"}), "n.gguf"), Code::kFormat,
                 {"tensor 'blk.1.attn_k_norm.weight' is missing (expected F32 [8])"});
    auto bad = m;
    tiny::Lcg rng(3);
    bad.tensors["blk.0.attn_output.weight"] = tiny::make_tensor(DType::F32, {16, 16}, rng, 1.0f);
    expect_error(load_with(tiny::gguf_writer_for(bad), "o.gguf"), Code::kFormat,
                 {"tensor 'blk.0.attn_output.weight': expected [32, 16], got F32 [16, 16]"});
}

TEST(LoadGguf, MissingTensorIsNamed) {
    const auto m = tiny::make_tiny_model(TinySpec{});
    expect_error(load_with(tiny::gguf_writer_for(m, {"blk.1.ffn_up.weight"})), Code::kFormat,
                 {"m.gguf: tensor 'blk.1.ffn_up.weight' is missing"});
    expect_error(load_with(tiny::gguf_writer_for(m, {"output_norm.weight"})), Code::kFormat,
                 {"tensor 'output_norm.weight' is missing"});
}

TEST(LoadGguf, Qwen2WithoutBiasesIsAnError) {
    TinySpec s;
    s.arch = "qwen2";
    expect_error(load_with(tiny::gguf_writer_for(tiny::make_tiny_model(s), {"blk.0.attn_k.bias"})), Code::kFormat,
                 {"'blk.0.attn_k.bias' is missing"});
}

TEST(LoadGguf, WrongShapeIsExplained) {
    auto m = tiny::make_tiny_model(TinySpec{});
    tiny::Lcg rng(9);
    m.tensors["blk.1.attn_q.weight"] = tiny::make_tensor(DType::F32, {16, 8}, rng, 1.0f);
    expect_error(load_with(tiny::gguf_writer_for(m)), Code::kFormat,
                 {"m.gguf: tensor 'blk.1.attn_q.weight': expected [16, 16], got F32 [16, 8]"});
}

TEST(LoadGguf, WrongShapeOfAQuantisedMatrixNamesItsType) {
    TinySpec s;
    s.n_embd      = 32;
    s.n_ff        = 64;
    s.matrix_type = DType::Q8_0;
    auto m        = tiny::make_tiny_model(s);
    tiny::Lcg rng(9);
    m.tensors["blk.0.ffn_down.weight"] = tiny::make_tensor(DType::Q8_0, {32, 64}, rng, 1.0f);
    expect_error(load_with(tiny::gguf_writer_for(m)), Code::kFormat,
                 {"tensor 'blk.0.ffn_down.weight': expected [64, 32], got Q8_0 [32, 64]"});
}

TEST(LoadGguf, NormsMustBeF32) {
    auto m = tiny::make_tiny_model(TinySpec{});
    tiny::Lcg rng(9);
    m.tensors["blk.0.attn_norm.weight"] = tiny::make_tensor(DType::F16, {16}, rng, 1.0f);
    expect_error(load_with(tiny::gguf_writer_for(m)), Code::kFormat,
                 {"tensor 'blk.0.attn_norm.weight': expected F32 [16], got F16 [16]"});
}

TEST(LoadGguf, EmbeddingWidthMustMatchTheMetadata) {
    auto m = tiny::make_tiny_model(TinySpec{});
    tiny::Lcg rng(9);
    m.tensors["token_embd.weight"] = tiny::make_tensor(DType::F32, {8, 37}, rng, 1.0f);
    expect_error(load_with(tiny::gguf_writer_for(m)), Code::kFormat,
                 {"tensor 'token_embd.weight': expected [16, n_vocab], got F32 [8, 37]"});
}

TEST(LoadGguf, InconsistentHeadCountsAreErrors) {
    auto m           = tiny::make_tiny_model(TinySpec{});
    m.spec.n_head_kv = 3;  // 4 heads are not a multiple of 3 kv heads
    expect_error(load_with(tiny::gguf_writer_for(m)), Code::kFormat, {"multiple of n_head_kv 3"});
    m.spec.n_head = 5;  // 16 is not a multiple of 5
    expect_error(load_with(tiny::gguf_writer_for(m), "b.gguf"), Code::kFormat,
                 {"embedding_length 16 is not a multiple of head_count 5"});
}

TEST(LoadGguf, MissingMetadataIsNamed) {
    gguf::GgufWriter w;
    w.add("general.architecture", gguf::Value::make_string("llama"));
    expect_error(load_with(w), Code::kFormat, {"'llama.embedding_length' is missing"});
    gguf::GgufWriter none;
    expect_error(load_with(none, "none.gguf"), Code::kFormat, {"general.architecture"});
}

TEST(LoadGguf, UnsupportedRopeScalingIsNamed) {
    auto w = tiny::gguf_writer_for(tiny::make_tiny_model(TinySpec{}));
    w.add("llama.rope.scaling.type", gguf::Value::make_string("yarn"));
    expect_error(load_with(w), Code::kUnsupported, {"rope scaling 'yarn'"});
}

TEST(LoadGguf, MissingFileIsAnIoError) {
    const auto r = load_model(tiny::temp_path("does-not-exist.gguf"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Code::kIo);
}

TEST(LoadGguf, AGgufWithoutTokenizerLoadsWithANote) {
    const auto r = load_with(tiny::gguf_writer_for(tiny::make_tiny_model(TinySpec{})));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)->tokenizer, nullptr);
    ASSERT_FALSE((*r)->notes.empty());
    EXPECT_NE((*r)->notes[0].find("tokenizer"), std::string::npos);
}

TEST(LoadGguf, ATokenizerInTheFileIsAttached) {
    auto w = tiny::gguf_writer_for(tiny::make_tiny_model(TinySpec{}));
    std::vector<std::string> pieces;
    for (int i = 0; i < 37; ++i) {
        std::string piece(1, char('a' + i % 26));  // "a" .. "z", then "a1" ...
        if (i >= 26) piece += std::to_string(i);
        pieces.push_back(piece);
    }
    w.add("tokenizer.ggml.model", gguf::Value::make_string("llama"));
    w.add("tokenizer.ggml.tokens", gguf::Value::make_string_array(pieces));
    w.add("tokenizer.ggml.scores", gguf::Value::make_f32_array(std::vector<float>(37, 0.0f)));
    const auto r = load_with(w);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_NE((*r)->tokenizer, nullptr) << ((*r)->notes.empty() ? "" : (*r)->notes[0]);
    EXPECT_EQ((*r)->tokenizer->n_vocab(), 37);
}

// A block_count far beyond the layers a small file holds is an error before anything is sized from it (it was an
// uncaught std::bad_alloc for 2^31-1 and a gigabyte of empty layers for 10^6).
TEST(LoadGguf, BlockCountBeyondTheLayersPresentIsAnError) {
    auto m = tiny::make_tiny_model(TinySpec{});  // tensors for layers 0 and 1
    for (const int n : {2147483647, 10000000, 1000000}) {
        m.spec.n_layer = n;
        expect_error(load_with(tiny::gguf_writer_for(m)), Code::kFormat,
                     {"n_layer " + std::to_string(n) + " is more than the 512 layers a model may have"});
    }
    m.spec.n_layer = 3;
    expect_error(load_with(tiny::gguf_writer_for(m)), Code::kFormat,
                 {"m.gguf: llama.block_count is 3, but the file has tensors for 2 layers (none for blk.2)"});
}

TEST(LoadGguf, TensorsForLayersPastBlockCountAreAnError) {
    auto m         = tiny::make_tiny_model(TinySpec{});
    m.spec.n_layer = 1;
    expect_error(load_with(tiny::gguf_writer_for(m)), Code::kFormat,
                 {"m.gguf: tensor 'blk.1.", "is for layer 1, but llama.block_count is 1 (layers 0..0)"});
}

// As in llama.cpp, the tokenizer and token_embd must agree on n_vocab: ids of the one index rows of the other.
TEST(LoadGguf, ATokenizerOfAnotherSizeThanTheEmbeddingIsAnError) {
    for (const int n_tokens : {30, 40}) {
        auto w = tiny::gguf_writer_for(tiny::make_tiny_model(TinySpec{}));  // 37 rows
        std::vector<std::string> pieces;
        for (int i = 0; i < n_tokens; ++i) pieces.push_back(std::string(1, char('a' + i % 26)) + std::to_string(i));
        w.add("tokenizer.ggml.model", gguf::Value::make_string("llama"));
        w.add("tokenizer.ggml.tokens", gguf::Value::make_string_array(pieces));
        expect_error(load_with(w), Code::kFormat,
                     {"the tokenizer has " + std::to_string(n_tokens) +
                      " tokens but tensor 'token_embd.weight' has 37 rows (n_vocab)"});
    }
}

// A key of the wrong type is not "missing": the message names the key, the expected and the actual type.
TEST(LoadGguf, AKeyOfTheWrongTypeIsNamedWithBothTypes) {
    gguf::GgufWriter w;
    w.add("general.architecture", gguf::Value::make_u32(7));
    expect_error(load_with(w), Code::kFormat, {"metadata key 'general.architecture' has type u32, expected string"});

    gguf::GgufWriter v;
    v.add("general.architecture", gguf::Value::make_string("llama"));
    v.add("llama.embedding_length", gguf::Value::make_string("sixteen"));
    expect_error(load_with(v), Code::kFormat,
                 {"metadata key 'llama.embedding_length' has type string, expected an integer"});

    gguf::GgufWriter neg;
    neg.add("general.architecture", gguf::Value::make_string("llama"));
    neg.add("llama.embedding_length", gguf::Value::make_i32(-16));
    expect_error(load_with(neg), Code::kFormat,
                 {"metadata key 'llama.embedding_length' is -16, expected a positive integer"});
}

// Without a tokenizer the model says why, so `run -p` can pass the reason on.
TEST(LoadGguf, AMissingTokenizerKeepsItsReason) {
    const auto r = load_with(tiny::gguf_writer_for(tiny::make_tiny_model(TinySpec{})));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_NE((*r)->tokenizer_error.find("tokenizer.ggml.model is missing"), std::string::npos)
        << (*r)->tokenizer_error;
}

// A FIFO is refused before open(), which would wait for a writer forever.
TEST(LoadModel, AFifoIsRefusedWithoutBlocking) {
    const std::string path = tiny::temp_path("fifo.gguf");
    std::remove(path.c_str());
    ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
    const auto r = load_model(path);
    expect_error(r, Code::kIo, {"is a FIFO (named pipe), not a regular file"});
    std::remove(path.c_str());
    expect_error(load_model("/"), Code::kIo, {"/: is a directory, not a regular file"});
    expect_error(load_model("/dev/zero"), Code::kIo, {"is a character device, not a regular file"});
}

}  // namespace
}  // namespace ts::core
