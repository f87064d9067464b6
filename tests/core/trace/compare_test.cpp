// Two models on the same tokens (compare.hpp): a file against itself differs nowhere; against its Q8_0 copy (the
// same random values quantised) it differs a little everywhere; the KL and the top-1 are checked against the
// forward pass's own logits; greedy continuation; vocabularies that differ are errors.
#include "core/trace/compare.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/model/forward.hpp"
#include "tests/core/model/tiny_model.hpp"

namespace ts::core {
namespace {

const std::vector<int32_t> kPrompt = {1, 5, 36, 0, 17, 17, 2, 30, 11, 8};

tiny::TinySpec spec_of(DType type) {
    tiny::TinySpec s;
    s.n_embd      = 64;  // Q8_0 blocks are 32 wide
    s.n_head      = 4;
    s.n_head_kv   = 2;
    s.n_ff        = 96;
    s.n_vocab     = 37;
    s.matrix_type = type;
    return s;
}

std::shared_ptr<const Model> write_and_load(const tiny::TinySpec& s, const std::string& name) {
    const std::string path = tiny::temp_path(name);
    EXPECT_TRUE(tiny::gguf_writer_for(tiny::make_tiny_model(s)).write(path).ok());
    auto m = load_model(path);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.ok() ? *m : nullptr;
}

TEST(Compare, AFileAgainstItselfDiffersNowhere) {
    const auto a = write_and_load(spec_of(DType::F32), "a.gguf");
    ThreadPool pool(2);
    auto c = compare_models(*a, *a, kPrompt, pool);
    ASSERT_TRUE(c.ok()) << c.error().message;
    ASSERT_EQ(c->positions.size(), kPrompt.size());
    for (const PositionDiff& d : c->positions) {
        EXPECT_EQ(d.kl, 0.0) << d.pos;
        EXPECT_TRUE(d.agree);
        EXPECT_EQ(d.part_layer, -1);
    }
    EXPECT_EQ(c->mean_kl, 0.0);
    EXPECT_EQ(c->agreement, 1.0);
    EXPECT_EQ(c->first_part_layer, -1);
    EXPECT_EQ(c->positions_parted, 0);
    ASSERT_EQ(c->n_layer, 2);
    for (double cs : c->layer_cosine) EXPECT_NEAR(cs, 1.0, 1e-12);
    ASSERT_FALSE(c->tensors.empty());
    for (const TensorDiff& t : c->tensors) {
        EXPECT_TRUE(t.same_shape) << t.name;
        EXPECT_EQ(t.mean_abs_diff, 0.0) << t.name;
    }
}

TEST(Compare, AgainstItsQ8CopyTheKlIsSmallAndPositive) {
    const auto a = write_and_load(spec_of(DType::F32), "f32.gguf");
    const auto b = write_and_load(spec_of(DType::Q8_0), "q8_0.gguf");
    ThreadPool pool(2);
    auto c = compare_models(*a, *b, kPrompt, pool);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_GT(c->mean_kl, 0.0);
    EXPECT_LT(c->mean_kl, 0.01);
    EXPECT_GT(c->agreement, 0.5);
    for (double cs : c->layer_cosine) {
        EXPECT_GT(cs, 0.99);
        EXPECT_LT(cs, 1.0);
    }
    for (const PositionDiff& d : c->positions) {
        EXPECT_GT(d.kl, 0.0) << d.pos;
        if (!d.agree) {
            EXPECT_GE(d.part_layer, 0) << d.pos;  // the last layer's lens is the model's prediction
        }
        EXPECT_LT(d.part_layer, 2);
    }
    // Matrices: Q8_0 in B, a small difference; norms: f32 in both, none.
    int quantised = 0;
    for (const TensorDiff& t : c->tensors) {
        ASSERT_TRUE(t.same_shape) << t.name;
        if (t.type_b == DType::Q8_0) {
            ++quantised;
            EXPECT_GT(t.mean_abs_diff, 0.0) << t.name;
            EXPECT_LT(t.mean_abs_diff, 0.01 * t.mean_abs_a) << t.name;  // 8 bits: well under 1 % of the values
        } else {
            EXPECT_EQ(t.mean_abs_diff, 0.0) << t.name;
        }
    }
    EXPECT_EQ(quantised, 2 + 2 * 7);  // token_embd, output, 7 matrices per layer
}

// The KL and top-1 of each position from the two forward passes' own logits, computed here independently.
TEST(Compare, NumbersAreTheForwardPassesOwn) {
    const auto a = write_and_load(spec_of(DType::F32), "f32.gguf");
    const auto b = write_and_load(spec_of(DType::Q8_0), "q8_0.gguf");
    ThreadPool pool(2);
    auto c = compare_models(*a, *b, kPrompt, pool, {.n_generate = 0, .tensors = false});
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_TRUE(c->tensors.empty());
    const int n = int(kPrompt.size()), V = a->hp.n_vocab;
    std::vector<float> la(size_t(n * V)), lb(size_t(n * V));
    for (auto [m, out] : {std::pair{a.get(), &la}, std::pair{b.get(), &lb}}) {
        Forward fwd(*m, n, 3);  // batches of 3: the batching must not matter
        auto cache = fwd.make_cache();
        ASSERT_TRUE(fwd.eval(*cache, kPrompt.data(), n, 0, out->data(), LogitRows::All, pool).ok());
    }
    for (int p = 0; p < n; ++p) {
        double za = 0, zb = 0;
        for (int i = 0; i < V; ++i) {
            za += std::exp(double(la[size_t(p * V + i)]));
            zb += std::exp(double(lb[size_t(p * V + i)]));
        }
        double kl = 0;
        int ta = 0, tb = 0;
        for (int i = 0; i < V; ++i) {
            const double pa = std::exp(double(la[size_t(p * V + i)])) / za;
            const double pb = std::exp(double(lb[size_t(p * V + i)])) / zb;
            kl += pa * std::log(pa / pb);
            if (la[size_t(p * V + i)] > la[size_t(p * V + ta)]) ta = i;
            if (lb[size_t(p * V + i)] > lb[size_t(p * V + tb)]) tb = i;
        }
        const PositionDiff& d = c->positions[size_t(p)];
        EXPECT_NEAR(d.kl, kl, 1e-9 + 1e-6 * kl) << p;
        EXPECT_EQ(d.top1_a, ta) << p;
        EXPECT_EQ(d.top1_b, tb) << p;
    }
}

TEST(Compare, GeneratesGreedilyWithAAndComparesThoseToo) {
    const auto a = write_and_load(spec_of(DType::F32), "f32.gguf");
    const auto b = write_and_load(spec_of(DType::Q8_0), "q8_0.gguf");
    ThreadPool pool(2);
    auto c = compare_models(*a, *b, kPrompt, pool, {.n_generate = 6, .tensors = false});
    ASSERT_TRUE(c.ok()) << c.error().message;
    ASSERT_EQ(c->tokens.size(), kPrompt.size() + 6);
    ASSERT_EQ(c->positions.size(), c->tokens.size());
    EXPECT_EQ(c->n_prompt, int(kPrompt.size()));
    for (size_t p = kPrompt.size(); p < c->tokens.size(); ++p) {
        EXPECT_TRUE(c->positions[p].generated);
        EXPECT_EQ(c->tokens[p], c->positions[p - 1].top1_a) << p;  // A's greedy choice at the position before
    }
    EXPECT_FALSE(c->positions[kPrompt.size() - 1].generated);

    // The same tokens given as a prompt compare the same (the one-token decode equals the batched prefill).
    auto again = compare_models(*a, *b, c->tokens, pool, {.n_generate = 0, .tensors = false});
    ASSERT_TRUE(again.ok());
    for (size_t p = 0; p < c->tokens.size(); ++p) EXPECT_EQ(again->positions[p].kl, c->positions[p].kl) << p;
}

TEST(Compare, ModelsOfOtherShapesCompareByPositionOnly) {
    auto deeper    = spec_of(DType::F32);
    deeper.n_layer = 3;
    const auto a   = write_and_load(spec_of(DType::F32), "a.gguf");
    const auto b   = write_and_load(deeper, "b.gguf");
    ThreadPool pool(2);
    auto c = compare_models(*a, *b, kPrompt, pool);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->n_layer, 0);
    EXPECT_TRUE(c->layer_cosine.empty());
    EXPECT_EQ(c->positions[0].part_layer, -2);
    EXPECT_GT(c->mean_kl, 0.0);
    bool missing = false;  // blk.2.* is not in A; A's tensors are all in B
    for (const TensorDiff& t : c->tensors) missing = missing || !t.in_b;
    EXPECT_FALSE(missing);
}

TEST(Compare, BadInputIsAnError) {
    auto other_vocab    = spec_of(DType::F32);
    other_vocab.n_vocab = 41;
    const auto a        = write_and_load(spec_of(DType::F32), "a.gguf");
    const auto b        = write_and_load(other_vocab, "b.gguf");
    ThreadPool pool(2);
    auto c = compare_models(*a, *b, kPrompt, pool);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.error().message.find("vocabularies differ"), std::string::npos) << c.error().message;
    EXPECT_FALSE(compare_models(*a, *a, {}, pool).ok());
    EXPECT_FALSE(compare_models(*a, *a, {1, 37}, pool).ok());
    EXPECT_FALSE(compare_models(*a, *a, std::vector<int32_t>(65, 1), pool).ok());  // the context is 64
}

}  // namespace
}  // namespace ts::core
