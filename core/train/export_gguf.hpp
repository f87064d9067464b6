// Writes a trained model as a GGUF v3 file the engine (core/model) and llama.cpp load: general.architecture
// "llama", llama.* hyper-parameters, every tensor F32 under its llama.cpp name, and the byte-level BPE tokenizer
// (tokenizer.ggml.model "gpt2"). The training record (recipe, losses, time) goes into tokenscope.train.* keys.
#pragma once

#include <string>
#include <vector>

#include "core/base/result.hpp"
#include "core/gguf/gguf.hpp"
#include "core/tokenizer/tokenizer.hpp"
#include "core/train/trainer.hpp"

namespace ts::core::train {

// What the file says about how it was made.
struct TrainRecord {
    std::string name = "tokenscope-default";  // general.name
    std::string corpus;                       // corpus file name (tokenscope.train.corpus)
    std::string command;                      // the command line that made it
    double wall_s = 0;
};

// Metadata for the model: hyper-parameters, tokenizer, training record (state's options, losses).
std::vector<gguf::KeyValue> model_metadata(const TrainState& st, const TrainRecord& rec);

// The whole file: metadata as above plus the weights of st (st.w, TrainModel's layout).
[[nodiscard]] Status write_model_gguf(const std::string& path, const TrainState& st, const TrainRecord& rec);

}  // namespace ts::core::train
