// NaN/Inf never pass silently: a non-finite weight is named by --check-tensors (check_tensors_finite), the forward
// pass's first non-finite stage is reported by the session (and nothing of that call is kept), the sampler refuses
// non-finite logits, and hyper-parameters that make a scale non-finite are refused at load.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "core/model/model.hpp"
#include "core/sample/sampler.hpp"
#include "core/session/session.hpp"
#include "tests/core/model/tiny_model.hpp"

namespace ts::core {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The tiny model with one f32 value of `tensor` replaced by `value` at (row, col).
std::string write_poisoned(const std::string& name, const std::string& tensor, int64_t row, int64_t col, float value,
                           const tiny::TinySpec& spec = {}) {
    tiny::TinyModel m   = tiny::make_tiny_model(spec);
    tiny::TinyTensor& t = m.tensors.at(tensor);
    const size_t at     = size_t(row * t.ne[0] + col);
    std::memcpy(t.bytes.data() + at * sizeof(float), &value, sizeof value);
    const std::string path = tiny::temp_path(name);
    EXPECT_TRUE(tiny::gguf_writer_for(m).write(path).ok());
    return path;
}

TEST(CheckTensors, NamesTheTensorRowAndColumnOfANaN) {
    const std::string path = write_poisoned("nan.gguf", "blk.1.ffn_up.weight", 5, 3, kNaN);
    auto plain             = load_model(path);  // without the scan the model loads
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    const Status st = check_tensors_finite(**plain);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("'blk.1.ffn_up.weight'"), std::string::npos) << st.error().message;
    EXPECT_NE(st.error().message.find("NaN at row 5, column 3"), std::string::npos) << st.error().message;
    LoadOptions opt;
    opt.check_tensors = true;
    auto scanned      = load_model(path, "", opt);
    ASSERT_FALSE(scanned.ok());
    EXPECT_EQ(scanned.error().message, st.error().message);
}

TEST(CheckTensors, FindsAnInfInsideAQuantisedBlockScale) {
    tiny::TinySpec spec;
    spec.matrix_type       = DType::Q8_0;
    spec.n_embd            = 32;  // rows must be whole 32-element blocks
    spec.n_ff              = 64;
    tiny::TinyModel m      = tiny::make_tiny_model(spec);
    tiny::TinyTensor& t    = m.tensors.at("blk.0.attn_k.weight");
    const uint16_t inf_f16 = 0x7c00;  // block 0 of row 0: its f16 scale d
    std::memcpy(t.bytes.data(), &inf_f16, sizeof inf_f16);
    const std::string path = tiny::temp_path("q8.gguf");
    ASSERT_TRUE(tiny::gguf_writer_for(m).write(path).ok());
    LoadOptions opt;
    opt.check_tensors = true;
    auto r            = load_model(path, "", opt);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("'blk.0.attn_k.weight' (Q8_0"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("at row 0"), std::string::npos) << r.error().message;
    opt.check_tensors = false;
    EXPECT_TRUE(load_model(path, "", opt).ok());
}

TEST(NonFinite, SessionNamesTheFirstStageLayerAndPositionAndKeepsNothing) {
    // A NaN in layer 1's output projection: layer 0 is fine, layer 1's attention output is the first NaN.
    const std::string path = write_poisoned("wo.gguf", "blk.1.attn_output.weight", 2, 7, kNaN);
    auto model             = load_model(path);
    ASSERT_TRUE(model.ok()) << model.error().message;
    SessionOptions opt;
    opt.n_ctx = 16;
    auto s    = Session::create(*model, opt);
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_TRUE((*s)->set_prompt_ids({1, 5, 6}).ok());
    const Status st = (*s)->prefill();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("non-finite values (NaN/Inf) first at layer 1, attention output, position 0"),
              std::string::npos)
        << st.error().message;
    EXPECT_EQ((*s)->n_pos(), 0) << "positions of the failed call were kept";
    EXPECT_EQ((*s)->cache().n_pos(), 0);
    EXPECT_EQ((*s)->logits(), nullptr);
}

TEST(NonFinite, AnInfEmbeddingRowIsNamedAtItsPosition) {
    const std::string path =
        write_poisoned("embd.gguf", "token_embd.weight", 6, 0, std::numeric_limits<float>::infinity());
    auto model = load_model(path);
    ASSERT_TRUE(model.ok());
    auto s = Session::create(*model, SessionOptions{});
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->set_prompt_ids({1, 5, 6}).ok());  // token 6 at position 2
    const Status st = (*s)->prefill();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("first at the token embedding, position 2"), std::string::npos)
        << st.error().message;
}

TEST(NonFinite, NaNOutputWeightsAreCaughtAtTheLogits) {
    const std::string path = write_poisoned("out.gguf", "output.weight", 9, 1, kNaN);
    auto model             = load_model(path);
    ASSERT_TRUE(model.ok());
    auto s = Session::create(*model, SessionOptions{});
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->set_prompt_ids({1, 5}).ok());
    const Status st = (*s)->prefill();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("first at the logits (output projection), position 1"), std::string::npos)
        << st.error().message;
}

TEST(NonFinite, SamplerRefusesNaNAndPlusInfLogits) {
    sample::SamplerSettings ss;
    sample::Rng rng(1);
    for (float bad : {kNaN, std::numeric_limits<float>::infinity()}) {
        const std::vector<float> logits = {0.1f, bad, 0.3f};
        for (float temp : {0.0f, 0.8f}) {
            ss.temp = temp;
            auto r  = sample::run_chain(logits, ss, {}, rng, nullptr);
            ASSERT_FALSE(r.ok()) << "a token was sampled from a non-finite logit at T=" << temp;
            EXPECT_NE(r.error().message.find("logit 1 is"), std::string::npos) << r.error().message;
        }
    }
    const float ninf = -std::numeric_limits<float>::infinity();
    EXPECT_TRUE(sample::run_chain(std::vector<float>{ninf, 0.5f}, ss, {}, rng, nullptr).ok());  // a masked token
    EXPECT_FALSE(sample::run_chain(std::vector<float>{ninf, ninf}, ss, {}, rng, nullptr).ok());
}

TEST(NonFinite, RopeScalingFactorThatMakesTheScaleInfiniteIsRefusedAtLoad) {
    tiny::TinySpec spec;
    spec.rope_factor       = 1e-45f;  // a denormal: 1/factor is +Inf
    const std::string path = tiny::temp_path("rope.gguf");
    ASSERT_TRUE(tiny::gguf_writer_for(tiny::make_tiny_model(spec)).write(path).ok());
    auto r = load_model(path);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("rope scaling factor"), std::string::npos) << r.error().message;
}

TEST(NonFinite, EpsilonAndFrequencyBaseMustBeFinite) {
    for (int which = 0; which < 2; ++which) {
        tiny::TinySpec spec;
        const float inf = std::numeric_limits<float>::infinity();
        if (which == 0) spec.eps = inf;
        if (which == 1) spec.rope_base = inf;
        const std::string key  = which == 0 ? "layer_norm_rms_epsilon" : "rope.freq_base";
        const std::string path = tiny::temp_path("hp" + std::to_string(which) + ".gguf");
        ASSERT_TRUE(tiny::gguf_writer_for(tiny::make_tiny_model(spec)).write(path).ok());
        auto r = load_model(path);
        ASSERT_FALSE(r.ok()) << key;
        EXPECT_NE(r.error().message.find(key), std::string::npos) << r.error().message;
    }
}

}  // namespace
}  // namespace ts::core
