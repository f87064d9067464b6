// Where TokenScope keeps files for the user between runs: the cache folder of the XDG base-directory spec
// ($XDG_CACHE_HOME/tokenscope, else ~/.cache/tokenscope). What is cached there can always be made again (the SIMD
// level measured for this CPU, head atlases of model files); nothing breaks when the folder cannot be written.
#pragma once

#include <string>

namespace ts::core {

// The folder's path (not created); "" when neither XDG_CACHE_HOME nor HOME is set.
std::string user_cache_dir();

// Creates `dir` and its missing parents (mode 0755); false when it is not a folder afterwards.
bool make_dirs(const std::string& dir);

}  // namespace ts::core
