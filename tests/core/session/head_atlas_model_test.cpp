// The head atlas on a model built by hand to have a previous-token head and a first-token head in layer 0: the atlas
// must find and tag them, and tag the heads with nothing to do as diffuse.
//
// Construction (head_dim 10, RoPE on the first 8 dims with base 16, so pair k turns by 2^-k rad per position):
// every ordinary token embeds as ≈ 10·e0 and BOS as 10·e0 + 10·e1, so after the (unit) attention norm every
// ordinary position sees the same x ≈ √40·e0. Keys of kv head 0: (1, 0) in each rotated pair; queries of head 0:
// A·(cos 2^-k, −sin 2^-k) in pair k, so q·k after RoPE is A·Σ_k cos(2^-k·(j − i + 1)): largest at j = i − 1.
// Kv head 1's key is the BOS flag (dim 8, not rotated) and head 2's query a constant there: head 2 looks at BOS.
// Heads 1 and 3 have zero queries: uniform attention.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/trace/head_atlas.hpp"
#include "tests/core/session/tiny_session.hpp"

namespace ts::core {
namespace {

void set(tiny::TinyTensor& t, int64_t row, int64_t col, float v) {
    ASSERT_EQ(t.type, DType::F32);
    const size_t at = size_t(row) * size_t(t.ne[0]) + size_t(col);
    t.ref[at]       = v;
    std::memcpy(t.bytes.data() + at * sizeof(float), &v, sizeof v);
}

void fill(tiny::TinyTensor& t, float v) {
    const int64_t rows = t.ne.size() > 1 ? t.ne[1] : 1;
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < t.ne[0]; ++c) set(t, r, c, v);
}

TEST(HeadAtlasOnABuiltModel, FindsThePreviousTokenAndFirstTokenHeads) {
    tiny::TinySpec s;
    s.n_embd = 40, s.n_head = 4, s.n_head_kv = 2, s.n_rot = 8, s.rope_base = 16.0f, s.n_ff = 24;
    tiny::TinyModel m = tiny::make_tiny_model(s);
    const int hd = s.head_dim(), E = s.n_embd;
    ASSERT_EQ(hd, 10);

    tiny::TinyTensor& emb = m.tensors.at("token_embd.weight");
    for (int64_t t = 0; t < s.n_vocab; ++t)
        for (int64_t c = 0; c < E; ++c) {
            float v = c == 0 ? 10.0f : 0.0f;
            if (t == 1 && c == 1) v = 10.0f;  // BOS
            set(emb, t, c, v);
        }
    fill(m.tensors.at("blk.0.attn_norm.weight"), 1.0f);
    tiny::TinyTensor& wq = m.tensors.at("blk.0.attn_q.weight");
    tiny::TinyTensor& wk = m.tensors.at("blk.0.attn_k.weight");
    fill(wq, 0.0f);
    fill(wk, 0.0f);
    const float x0 = std::sqrt(float(E));  // x[0] of an ordinary position after the norm
    const float A = 40.0f, B = 20.0f;
    for (int k = 0; k < 4; ++k) {
        const float theta = std::pow(2.0f, -float(k));
        set(wq, 0 * hd + 2 * k, 0, A * std::cos(theta) / x0);  // head 0, pair k
        set(wq, 0 * hd + 2 * k + 1, 0, -A * std::sin(theta) / x0);
        set(wk, 0 * hd + 2 * k, 0, 1.0f / x0);  // kv head 0: (1, 0) in every pair
    }
    set(wq, 2 * hd + 8, 0, B / x0);  // head 2: a constant query on the unrotated dim 8
    set(wk, 1 * hd + 8, 1, 1.0f);    // kv head 1: the BOS flag

    const auto model = tiny::load_with_vocab(m, "built.gguf");
    ASSERT_TRUE(model);
    ThreadPool pool(1);
    AtlasOptions opt;
    opt.half   = 12;
    auto atlas = build_head_atlas(*model, pool, opt);
    ASSERT_TRUE(atlas.ok()) << atlas.error().message;
    EXPECT_EQ(atlas->first_copy, 1);  // BOS first
    EXPECT_EQ(atlas->probe.size(), 25u);

    const HeadScores& prev = atlas->at(0, 0);
    EXPECT_EQ(prev.tag, "previous-token") << prev.prev_token;
    EXPECT_GT(prev.prev_token, 0.9f);
    EXPECT_LT(prev.window, 1.2f);
    const HeadScores& sink = atlas->at(0, 2);
    EXPECT_EQ(sink.tag, "first-token") << sink.first_token;
    EXPECT_GT(sink.first_token, 0.9f);
    EXPECT_EQ(sink.sink_cols, std::vector<int>{0});  // BOS is its sink
    EXPECT_FLOAT_EQ(sink.sink, sink.first_token);
    EXPECT_TRUE(prev.sink_cols.empty());
    for (int h : {1, 3}) {
        EXPECT_EQ(atlas->at(0, h).tag, "diffuse") << "head " << h;
        EXPECT_GT(atlas->at(0, h).entropy_bits, 3.0f) << "head " << h;
    }
}

}  // namespace
}  // namespace ts::core
