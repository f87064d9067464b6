// Tensor: a typed, shaped view of bytes it does not own (weights live in the model file's memory map).
// Shapes use ggml's order: ne[0] is the innermost (contiguous) dimension, so a weight matrix of a linear layer
// y = W x with x of n_in and y of n_out has ne = {n_in, n_out} and rows of n_in elements.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/base/check.hpp"
#include "core/tensor/dtype.hpp"

namespace ts::core {

struct Tensor {
    std::string name;
    DType type = DType::F32;
    int n_dims = 0;
    std::array<int64_t, 4> ne{1, 1, 1, 1};
    const void* data = nullptr;
    size_t nbytes    = 0;

    int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
    size_t row_size() const { return row_bytes(type, ne[0]); }
    const uint8_t* row(int64_t i) const { return static_cast<const uint8_t*>(data) + size_t(i) * row_size(); }
    // The elements of an F32 tensor (norm weights, biases); the loader checked the type, so another is a bug.
    const float* f32() const {
        TS_CHECK(type == DType::F32 || data == nullptr, "Tensor::f32 on a tensor of another type");
        return static_cast<const float*>(data);
    }
};

}  // namespace ts::core
