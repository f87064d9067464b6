// Internal to core/model: the pieces load_model() is made of (not a public interface; include model.hpp instead).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/base/mmap.hpp"
#include "core/base/result.hpp"
#include "core/model/model.hpp"

namespace ts::core {
namespace gguf {
class GgufFile;
}

namespace model_detail {

// hparams.cpp: `general.architecture` and `<arch>.*` keys (n_vocab is filled later from token_embd's shape).
[[nodiscard]] Result<Hparams> read_hparams(const gguf::GgufFile& f);
// Consistency checks shared by every format: positive sizes, heads divide the width, RoPE dims even and in range.
[[nodiscard]] Status validate_hparams(const std::string& path, const Hparams& hp);

// weights.cpp: binds every tensor by name with its type and shape checked; sets hp.n_vocab and hp.tied_output.
[[nodiscard]] Status bind_weights(const gguf::GgufFile& f, Hparams& hp, Weights& w);
// n_params and weight_bytes of a bound model (a tied output counted once).
void count_params(Model& m);
// "Q8_0 [2048, 256]": the type in capitals and the shape in ggml order, as error messages show them.
std::string describe_tensor(const Tensor& t);

// load_gguf.cpp / load_llama2c.cpp: the two formats (the map holds the whole file).
[[nodiscard]] Result<std::shared_ptr<const Model>> load_gguf(std::shared_ptr<const MappedFile> map);
[[nodiscard]] Result<std::shared_ptr<const Model>> load_llama2c(std::shared_ptr<const MappedFile> map,
                                                                const std::string& tokenizer_path);

}  // namespace model_detail
}  // namespace ts::core
