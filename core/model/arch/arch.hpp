// What the architecture files (arch/*.cpp) share and hand to the rest of core/model: each family's descriptions
// (arch_desc() in stage.cpp picks one by Arch) and the product every block function calls.
#pragma once

#include <cstring>

#include "core/model/layers.hpp"
#include "core/model/model.hpp"
#include "core/model/stage.hpp"
#include "core/tensor/ops.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::core {

// arch/llama.cpp: llama, qwen2, qwen3, phi3, qwen3moe, olmoe (llama2.c checkpoints load as llama).
const ArchDesc& llama_family_desc(Arch arch);
// arch/gpt2.cpp.
const ArchDesc& gpt2_desc();
// arch/gemma.cpp: gemma2, gemma3.
const ArchDesc& gemma_desc(Arch arch);
// arch/gemma4.cpp: gemma4 (its block function is arch/gemma.cpp's).
const ArchDesc& gemma4_desc();
// gemma4 with experts beside its MLP (the 26B-A4B shape; arch/moe.cpp runs the experts).
const ArchDesc& gemma4_moe_desc();
// arch/qwen35.cpp.
const ArchDesc& qwen35_desc();

// out[t] = W · in[t] for the n tokens of a batch: matvec for one token, matmul (each weight row read once) for more.
inline void linear(const Tensor& w, const float* in, int n, float* out, ThreadPool& pool) {
    if (n == 1) {
        matvec(w, in, out, pool);
    } else {
        matmul(w, in, n, out, pool);
    }
}

// One fused matrix for Q, K and V (gpt2, phi3): qkv = Wqkv · in (+ bqkv) for the n tokens into `scratch` ([n][q_dim
// + 2 kv_dim]), then each token's row split into q | k | v.
inline void fused_qkv(const LayerWeights& L, const Hparams& hp, const float* in, int n, float* scratch, float* q,
                      float* k, float* v, ThreadPool& pool) {
    const size_t q_dim = size_t(hp.q_dim()), kv_dim = size_t(hp.kv_dim()), qkv_dim = q_dim + 2 * kv_dim;
    linear(L.wqkv, in, n, scratch, pool);
    add_bias(L.bqkv, n, int(qkv_dim), scratch);
    for (size_t t = 0; t < size_t(n); ++t) {
        const float* src = scratch + t * qkv_dim;
        std::memcpy(q + t * q_dim, src, q_dim * sizeof(float));
        std::memcpy(k + t * kv_dim, src + q_dim, kv_dim * sizeof(float));
        std::memcpy(v + t * kv_dim, src + q_dim + kv_dim, kv_dim * sizeof(float));
    }
}

}  // namespace ts::core
