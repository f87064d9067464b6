// RoPE scaling: Llama 3's per-pair frequency factors (rope_freqs.weight) computed by hand, loaded from a file (and
// refused when malformed), applied by the forward pass; and the rope.scaling.* keys read as llama.cpp reads them,
// with every scaling we do not implement refused by name.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/model/forward.hpp"
#include "core/model/layers.hpp"
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

void expect_error(const Result<std::shared_ptr<const Model>>& r, Code code, std::initializer_list<std::string> parts) {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(int(r.error().code), int(code)) << r.error().message;
    for (const auto& p : parts) EXPECT_NE(r.error().message.find(p), std::string::npos) << r.error().message;
}

// A tiny llama model (head_dim 4: two rotated pairs) with llama3 frequency factors large enough to move every angle.
TinySpec llama3_spec() {
    TinySpec s;
    s.rope_freqs = {2.0f, 8.0f};
    s.seed       = 5;
    return s;
}

// Logits of every position from one batched evaluation.
std::vector<float> prefill_all(const Model& model, const std::vector<int32_t>& tokens) {
    ThreadPool pool(1);
    Forward fwd(model, int(tokens.size()) + 4);
    auto cache = fwd.make_cache(DType::F32);
    EXPECT_TRUE(cache.ok());
    std::vector<float> logits(tokens.size() * size_t(model.hp.n_vocab));
    const Status st = fwd.eval(*cache, tokens.data(), int(tokens.size()), 0, logits.data(), LogitRows::All, pool);
    EXPECT_TRUE(st.ok()) << st.error().message;
    return logits;
}

float max_abs_diff(const float* a, const float* b, size_t n) {
    float d = 0.0f;
    for (size_t i = 0; i < n; ++i) d = std::max(d, std::fabs(a[i] - b[i]));
    return d;
}

TEST(RopeFreqFactors, DivideTheAngleOfTheirPair) {
    Hparams hp;
    hp.n_rot             = 4;
    hp.rope_freq_base    = 100.0f;
    hp.rope_freq_scale   = 0.5f;
    hp.rope_freq_factors = {1.0f, 4.0f};
    // pair 0: 3 · 0.5 · 100^0 / 1 = 1.5;  pair 1: 3 · 0.5 · 100^(-2/4) / 4 = 1.5 · 0.1 / 4 = 0.0375
    // (in float, as ggml computes the angles: within a float's rounding of the exact value)
    EXPECT_NEAR(rope_theta(hp, 3, 0), 1.5, 1e-12);
    EXPECT_NEAR(rope_theta(hp, 3, 1), 0.0375, 0.0375 * 1e-6);
    hp.rope_freq_factors.clear();  // no factors: every factor is 1
    EXPECT_NEAR(rope_theta(hp, 3, 1), 0.15, 0.15 * 1e-6);
}

// The angles are ggml's, bit for bit: pos · s · s · … (i times) in float with s = powf(base, -2/n_rot), not the
// closed form in double, which differs by up to i ulps — enough, over gemma's 128 pairs, to move llama.cpp's Q8_0
// logits by 1e-3 (the activations' rounding to int8 flips). Their cosine and sine are cosf / sinf of that float, as
// ggml's rope_yarn: the double functions rounded to float differ here (the sines of pairs 31 and 38).
TEST(RopeAngles, AreGgmlsFloatRecurrence) {
    Hparams hp;
    hp.n_rot          = 256;
    hp.rope_freq_base = 1000000.0f;
    const float step  = std::pow(1000000.0f, -2.0f / 256.0f);
    float theta       = 15.0f;
    std::vector<float> c(128), s(128);
    rope_angles(hp, 15, c.data(), s.data());
    for (int i = 0; i < 128; ++i, theta *= step) {
        EXPECT_EQ(float(rope_theta(hp, 15, i)), theta) << i;
        EXPECT_EQ(c[size_t(i)], std::cos(theta)) << i;
        EXPECT_EQ(s[size_t(i)], std::sin(theta)) << i;
    }
}

// The rotation rounds as ggml's rotate_pairs built for x86 with FMA (llama.cpp's AVX2 and AVX-512 builds; GCC
// contracts x0*cos - x1*sin): x·cos fused with the rounded y·sin. Rounding both products apart differs in the last
// bit for about 1 value in 4 (checked: the rotated heads of a gemma4 file then equal llama.cpp's bit for bit).
TEST(RopeRotation, FusesTheFirstProductAsGgmlsX86Build) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-2.0f, 2.0f);
    int differs_unfused = 0;
    for (int k = 0; k < 200; ++k) {
        const float x = u(rng), y = u(rng), angle = u(rng);
        const float c = std::cos(angle), s = std::sin(angle);
        float head[2] = {x, y};
        apply_rope(head, 2, RopeStyle::Normal, &c, &s);
        EXPECT_EQ(head[0], std::fma(x, c, -(y * s))) << k;
        EXPECT_EQ(head[1], std::fma(x, s, y * c)) << k;
        const volatile float xc = x * c, ys = y * s;  // rounded apart (volatile: no contraction)
        differs_unfused += head[0] != xc - ys;
    }
    EXPECT_GT(differs_unfused, 10);  // the two roundings do differ, so the checks above see which one is used
}

TEST(RopeFreqFactors, AnglesAndRotationUseTheFactors) {
    Hparams hp;
    hp.n_rot             = 4;
    hp.rope_freq_base    = 10000.0f;
    hp.rope_freq_factors = {2.0f, 1.0f};
    float c[2], s[2];
    rope_angles(hp, 1, c, s);
    EXPECT_FLOAT_EQ(c[0], std::cos(0.5f));  // 1 · 10000^0 / 2
    EXPECT_FLOAT_EQ(s[0], std::sin(0.5f));
    EXPECT_FLOAT_EQ(c[1], std::cos(0.01f));  // 1 · 10000^(-1/2) / 1
    float head[4] = {1.0f, 0.0f, 0.0f, 1.0f};
    apply_rope(head, hp.n_rot, RopeStyle::Normal, c, s);
    // (1, 0) rotated by 0.5 rad; (0, 1) rotated by 0.01 rad
    EXPECT_NEAR(head[0], std::cos(0.5), 1e-6);
    EXPECT_NEAR(head[1], std::sin(0.5), 1e-6);
    EXPECT_NEAR(head[2], -std::sin(0.01), 1e-6);
    EXPECT_NEAR(head[3], std::cos(0.01), 1e-6);
}

TEST(RopeFreqFactors, AreLoadedFromRopeFreqsWeight) {
    const auto r = load_with(tiny::gguf_writer_for(tiny::make_tiny_model(llama3_spec())));
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Model& m = **r;
    EXPECT_EQ(m.hp.rope_freq_factors, (std::vector<float>{2.0f, 8.0f}));
    EXPECT_EQ(m.w.rope_freqs.name, "rope_freqs.weight");
    EXPECT_NE(describe_rope_scaling(m.hp).find("2 pairs divided by 2 to 8"), std::string::npos)
        << describe_rope_scaling(m.hp);

    const auto plain = load_with(tiny::gguf_writer_for(tiny::make_tiny_model(TinySpec{})), "plain.gguf");
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    EXPECT_TRUE((*plain)->hp.rope_freq_factors.empty());
    EXPECT_EQ((*plain)->w.rope_freqs.data, nullptr);
    EXPECT_EQ(m.n_params, (*plain)->n_params + 2);  // the two factors are counted like any tensor
}

TEST(RopeFreqFactors, OfTheWrongLengthOrTypeAreExplained) {
    TinySpec s   = llama3_spec();
    s.rope_freqs = {1.0f, 2.0f, 4.0f};  // n_rot 4 has 2 pairs
    expect_error(load_with(tiny::gguf_writer_for(tiny::make_tiny_model(s))), Code::kFormat,
                 {"m.gguf: tensor 'rope_freqs.weight'", "expected F32 [2] (n_rot 4 / 2), got F32 [3]"});

    auto m              = tiny::make_tiny_model(llama3_spec());
    tiny::TinyTensor& t = m.tensors["rope_freqs.weight"];
    t.type              = DType::F16;
    t.bytes             = std::vector<uint8_t>(4, 0x3c);
    expect_error(load_with(tiny::gguf_writer_for(m), "f16.gguf"), Code::kFormat, {"expected F32 [2]", "got F16 [2]"});
}

TEST(RopeFreqFactors, ThatAreNotPositiveAreRefused) {
    TinySpec s   = llama3_spec();
    s.rope_freqs = {1.0f, 0.0f};  // would divide by zero
    expect_error(load_with(tiny::gguf_writer_for(tiny::make_tiny_model(s))), Code::kFormat,
                 {"'rope_freqs.weight': factor 1 is 0"});
}

TEST(RopeFreqFactors, InAQwen2FileAreRefused) {
    TinySpec s = llama3_spec();
    s.arch     = "qwen2";
    expect_error(load_with(tiny::gguf_writer_for(tiny::make_tiny_model(s))), Code::kUnsupported,
                 {"'rope_freqs.weight'", "not used by architecture 'qwen2'"});
}

TEST(RopeFreqFactors, ChangeTheForwardPassAfterPositionZeroAndMatchTheReference) {
    const std::vector<int32_t> tokens = {1, 5, 36, 0, 17, 17, 2, 30};
    const auto with_m                 = tiny::make_tiny_model(llama3_spec());
    TinySpec plain_spec               = llama3_spec();
    plain_spec.rope_freqs.clear();
    const auto without_m = tiny::make_tiny_model(plain_spec);  // same seed: the same weights, no factors

    auto with    = load_with(tiny::gguf_writer_for(with_m), "with.gguf");
    auto without = load_with(tiny::gguf_writer_for(without_m), "without.gguf");
    ASSERT_TRUE(with.ok() && without.ok());
    const std::vector<float> got = prefill_all(**with, tokens), plain = prefill_all(**without, tokens);
    const std::vector<float> want = tiny::reference_logits(with_m, tokens);
    const size_t V                = size_t((*with)->hp.n_vocab);

    // Position 0 has angle 0 whatever the factors; every later position must differ, and match the reference.
    EXPECT_EQ(max_abs_diff(got.data(), plain.data(), V), 0.0f);
    for (size_t t = 1; t < tokens.size(); ++t)
        EXPECT_GT(max_abs_diff(got.data() + t * V, plain.data() + t * V, V), 1e-3f) << "position " << t;
    for (size_t t = 0; t < tokens.size(); ++t)
        EXPECT_LE(max_abs_diff(got.data() + t * V, want.data() + t * V, V), 1e-4f) << "position " << t;
}

// ---- rope.scaling.* keys --------------------------------------------------------------------------------------

// A tiny llama file with extra metadata keys added after the spec's own.
Result<std::shared_ptr<const Model>> load_with_keys(const std::vector<std::pair<std::string, gguf::Value>>& keys,
                                                    const std::string& name = "keys.gguf") {
    auto w = tiny::gguf_writer_for(tiny::make_tiny_model(TinySpec{}));
    for (const auto& [k, v] : keys) w.add(k, v);
    return load_with(w, name);
}

TEST(RopeScaling, UnsupportedTypesAreRefusedByName) {
    for (const char* type : {"yarn", "longrope", "llama3", "dynamic"}) {
        SCOPED_TRACE(type);
        expect_error(load_with_keys({{"llama.rope.scaling.type", gguf::Value::make_string(type)}}), Code::kUnsupported,
                     {std::string("rope scaling '") + type + "'", "llama.rope.scaling.type", "not supported"});
    }
}

TEST(RopeScaling, AFactorWithoutATypeIsLinearAsInLlamaCpp) {
    const auto r = load_with_keys({{"llama.rope.scaling.factor", gguf::Value::make_f32(4.0f)}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)->hp.rope_scaling, RopeScaling::Linear);
    EXPECT_FLOAT_EQ((*r)->hp.rope_freq_scale, 0.25f);
    EXPECT_EQ(describe_rope_scaling((*r)->hp), "linear, factor 4 (positions x 0.25)");
}

TEST(RopeScaling, TypeNoneNeverScales) {
    const auto r = load_with_keys({{"llama.rope.scaling.type", gguf::Value::make_string("none")},
                                   {"llama.rope.scaling.factor", gguf::Value::make_f32(4.0f)}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)->hp.rope_scaling, RopeScaling::None);
    EXPECT_FLOAT_EQ((*r)->hp.rope_freq_scale, 1.0f);
}

TEST(RopeScaling, AZeroFactorMeansNoScalingAndANegativeOneIsAnError) {
    const auto zero = load_with_keys({{"llama.rope.scaling.factor", gguf::Value::make_f32(0.0f)}});
    ASSERT_TRUE(zero.ok()) << zero.error().message;
    EXPECT_FLOAT_EQ((*zero)->hp.rope_freq_scale, 1.0f);
    expect_error(load_with_keys({{"llama.rope.scale_linear", gguf::Value::make_f32(-2.0f)}}, "neg.gguf"), Code::kFormat,
                 {"rope scaling factor -2", "llama.rope.scale_linear"});
}

TEST(RopeScaling, OriginalContextLengthIsReadAndShown) {
    const auto r = load_with_keys({{"llama.rope.scaling.original_context_length", gguf::Value::make_u32(8192)}});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)->hp.n_ctx_orig, 8192);
    EXPECT_NE(describe_rope_scaling((*r)->hp).find("original context 8192"), std::string::npos);
}

TEST(RopeScaling, AnAttentionFactorOtherThanOneIsRefused) {
    expect_error(load_with_keys({{"llama.rope.scaling.attn_factor", gguf::Value::make_f32(1.5f)}}), Code::kUnsupported,
                 {"llama.rope.scaling.attn_factor 1.5", "not supported"});
    EXPECT_TRUE(load_with_keys({{"llama.rope.scaling.attn_factor", gguf::Value::make_f32(1.0f)}}, "one.gguf").ok());
}

TEST(LlamaKeys, AKeyLengthSizesTheHeadsAndTheProjectionsMustFollow) {
    // The tiny model: n_embd 16, 4 heads → head size 4. A key_length of 8 makes Q 4 × 8 = 32 wide, which the file's
    // 16-wide attn_q does not have: the shape check explains it.
    expect_error(load_with_keys({{"llama.attention.key_length", gguf::Value::make_u32(8)},
                                 {"llama.attention.value_length", gguf::Value::make_u32(8)}}),
                 Code::kFormat, {"blk.0.attn_q.weight", "expected [16, 32]"});
    EXPECT_TRUE(load_with_keys({{"llama.attention.value_length", gguf::Value::make_u32(4)}}, "same.gguf").ok());
}

TEST(LlamaKeys, ValuesOfAnotherLengthThanKeysAreRefused) {
    expect_error(load_with_keys({{"llama.attention.value_length", gguf::Value::make_u32(8)}}), Code::kUnsupported,
                 {"llama.attention.value_length 8", "key length 4"});
}

TEST(LlamaKeys, VocabSizeMustMatchTheEmbeddingRows) {
    EXPECT_TRUE(load_with_keys({{"llama.vocab_size", gguf::Value::make_u32(37)}}).ok());
    expect_error(load_with_keys({{"llama.vocab_size", gguf::Value::make_u32(40)}}, "bad.gguf"), Code::kFormat,
                 {"'llama.vocab_size' is 40", "'token_embd.weight' has 37 rows"});
}

}  // namespace
}  // namespace ts::core
