// Training checkpoints: a TrainState (config, options, step, sampler RNG, weights, Adam moments, loss history,
// vocabulary) in one little-endian binary file, so `tokenscope train --resume FILE` continues exactly where the
// run stopped. Layout: "TSCKPT01", u32 version, then the fields in the order of write_checkpoint; strings and
// arrays carry a u64 count. The reader checks every count against the bytes left before allocating.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/result.hpp"
#include "core/train/trainer.hpp"

namespace ts::core::train {

[[nodiscard]] std::vector<uint8_t> checkpoint_bytes(const TrainState& st);
[[nodiscard]] Result<TrainState> parse_checkpoint(const uint8_t* data, size_t size, const std::string& name);

// Written to path + ".tmp" and renamed, so a crash never leaves half a checkpoint under the real name.
[[nodiscard]] Status write_checkpoint(const std::string& path, const TrainState& st);
[[nodiscard]] Result<TrainState> read_checkpoint(const std::string& path);

}  // namespace ts::core::train
