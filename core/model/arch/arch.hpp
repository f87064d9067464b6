// What the architecture files (arch/*.cpp) share and hand to the rest of core/model: each family's descriptions
// (arch_desc() in stage.cpp picks one by Arch) and the product every block function calls.
#pragma once

#include "core/model/model.hpp"
#include "core/model/stage.hpp"
#include "core/tensor/ops.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::core {

// arch/llama.cpp: llama, qwen2, qwen3 (llama2.c checkpoints load as llama).
const ArchDesc& llama_family_desc(Arch arch);
// arch/gpt2.cpp.
const ArchDesc& gpt2_desc();

// out[t] = W · in[t] for the n tokens of a batch: matvec for one token, matmul (each weight row read once) for more.
inline void linear(const Tensor& w, const float* in, int n, float* out, ThreadPool& pool) {
    if (n == 1) {
        matvec(w, in, out, pool);
    } else {
        matmul(w, in, n, out, pool);
    }
}

}  // namespace ts::core
