// One position, three ways to reach it, the same bits: at every SIMD level, for every weight type and both KV cache
// types, the logits of a position are bit-identical whether the position was evaluated in a batch of the prompt,
// alone as a decode step, in batches of another size, on more threads, or again after a rewind. This is the
// promise of Session::rewind ("step() then reproduces what was forgotten, bit for bit"); the kernels keep it by
// doing the same operations per (row, token) in every path (core/tensor/kernels.hpp), not by a tolerance here.
#include <gtest/gtest.h>

#include <cstring>
#include <tuple>

#include "core/model/forward.hpp"
#include "core/model/model.hpp"
#include "tests/core/at_every_level.hpp"
#include "tests/core/model/tiny_model.hpp"

namespace ts::core {
namespace {

using Param = std::tuple<SimdLevel, DType, DType>;  // level, weight type, KV cache type

const std::vector<int32_t> kTokens = {1, 5, 36, 0, 17, 17, 2, 30, 11, 8, 17, 5};

class PathsAgree : public testing::AtLevelBase<Param> {
protected:
    SimdLevel level() const override { return std::get<0>(GetParam()); }
    DType weights() const { return std::get<1>(GetParam()); }
    DType kv() const { return std::get<2>(GetParam()); }

    void SetUp() override {
        testing::AtLevelBase<Param>::SetUp();
        if (IsSkipped()) return;
        tiny::TinySpec s;
        s.matrix_type          = weights();
        const int64_t block    = dtype_info(weights()).block_size;
        s.n_embd               = block >= 256 ? 256 : 64;  // whole blocks; 2 groups of 8 rows and more per matrix
        s.n_ff                 = block >= 256 ? 256 : 96;
        s.n_vocab              = 45;       // not a multiple of 8: a ragged last group of rows
        s.arch                 = "qwen2";  // biases too
        const auto m           = tiny::make_tiny_model(s);
        const std::string path = tiny::temp_path("paths_" + std::string(dtype_name(weights())) + ".gguf");
        ASSERT_TRUE(tiny::gguf_writer_for(m).write(path).ok());
        auto r = load_model(path);
        ASSERT_TRUE(r.ok()) << r.error().message;
        model_ = *r;
    }

    // Logits of every position, the prompt evaluated in batches of n_batch on n_threads.
    std::vector<float> batched(int n_batch, int n_threads) const {
        ThreadPool pool(n_threads);
        Forward fwd(*model_, 32, n_batch);
        auto cache = fwd.make_cache(kv());
        EXPECT_TRUE(cache.ok());
        std::vector<float> logits(kTokens.size() * size_t(model_->hp.n_vocab));
        EXPECT_TRUE(fwd.eval(*cache, kTokens.data(), int(kTokens.size()), 0, logits.data(), LogitRows::All, pool).ok());
        return logits;
    }

    std::shared_ptr<const Model> model_;
};

// Bitwise, so that -0.0 vs 0.0 or a NaN pattern would count as different too.
void expect_same_bits(const std::vector<float>& got, const std::vector<float>& want, const char* what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i)
        if (std::memcmp(&got[i], &want[i], sizeof(float)) != 0) {
            ADD_FAILURE() << what << ": index " << i << " got " << got[i] << ", want " << want[i];
            return;
        }
}

TEST_P(PathsAgree, BatchDecodeBatchSizesThreadsAndRewindGiveTheSameBits) {
    const size_t V          = size_t(model_->hp.n_vocab);
    const auto whole_prompt = batched(Forward::kDefaultBatch, 1);

    // Decode: one position per eval.
    ThreadPool pool(1);
    Forward fwd(*model_, 32);
    auto cache = fwd.make_cache(kv());
    ASSERT_TRUE(cache.ok());
    std::vector<float> decoded, logits(V);
    for (size_t t = 0; t < kTokens.size(); ++t) {
        ASSERT_TRUE(fwd.eval(*cache, &kTokens[t], 1, int(t), logits.data(), LogitRows::Last, pool).ok());
        decoded.insert(decoded.end(), logits.begin(), logits.end());
    }
    expect_same_bits(decoded, whole_prompt, "decode vs batch");
    expect_same_bits(batched(5, 1), whole_prompt, "batches of 5 vs one batch");
    expect_same_bits(batched(3, 2), whole_prompt, "batches of 3 on 2 threads vs one batch");

    // Rewind to position 6 after a batch ran past it, then evaluate position 6 again, alone.
    cache->truncate(6);
    ASSERT_TRUE(fwd.eval(*cache, &kTokens[6], 1, 6, logits.data(), LogitRows::Last, pool).ok());
    expect_same_bits(logits, std::vector<float>(whole_prompt.begin() + 6 * V, whole_prompt.begin() + 7 * V),
                     "after a rewind vs batch");
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
    return std::string(simd_name(std::get<0>(info.param))) + "_" + std::string(dtype_name(std::get<1>(info.param))) +
           "_kv" + std::string(dtype_name(std::get<2>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(Simd, PathsAgree,
                         ::testing::Combine(::testing::ValuesIn(testing::kAllLevels),
                                            ::testing::Values(DType::F32, DType::F16, DType::BF16, DType::Q8_0,
                                                              DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                                                              DType::Q4_K, DType::Q5_K, DType::Q6_K),
                                            ::testing::Values(DType::F32, DType::F16)),
                         param_name);

}  // namespace
}  // namespace ts::core
