// The head atlas of a model file, kept on disk so that the explorer shows it at once the second time. One small text
// file per model file and probe, in the user's cache folder (core/base/user_dirs.hpp):
//
//   tokenscope head atlas 1
//   key <the key below>
//   shape <n_layer> <n_head> <first_copy> <half> <probe tokens>
//   probe <id> <id> …
//   head <layer> <head> <prev> <first> <self> <dup> <ind> <entropy> <window> <sink> <n sinks> <sink col> …
//   … one head line per head, layer by layer
//
// The key names the file as it was loaded — path, size, modification time and inode (a built-in model: its
// bytes' hash instead) — and the probe's options, so a rewritten model file or another probe misses the cache. The
// file name is a hash of the key and the key is stored in full, so two keys never share an entry. Numbers are
// written with 9 significant digits: a float read back is the float written (the atlas from the cache equals the
// one computed). A file that does not parse is a miss, never a crash.
#pragma once

#include <string>

#include "core/base/result.hpp"
#include "core/model/model.hpp"
#include "core/trace/head_atlas.hpp"

namespace ts::core {

// The cache key of `model`'s file with these atlas options (one line, no newline).
std::string atlas_cache_key(const Model& model, const AtlasOptions& opt);

// The cache file for `key` in folder `dir`: dir/atlas-<16 hex digits>.txt.
std::string atlas_cache_path(const std::string& dir, const std::string& key);

// Writes the atlas under `key` (replacing the file atomically; the folder must exist).
[[nodiscard]] Status save_atlas(const std::string& path, const std::string& key, const HeadAtlas& atlas);

// Reads an atlas saved under `key` for a model of hp's shape. Errors (a miss): no file, another key, another
// shape, a malformed or truncated file.
[[nodiscard]] Result<HeadAtlas> load_atlas(const std::string& path, const std::string& key, const Hparams& hp);

}  // namespace ts::core
