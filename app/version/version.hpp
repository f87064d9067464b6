// What `tokenscope --version` (and `tokenscope version`) prints and the explorer's About box shows: the version
// (CMake's PROJECT_VERSION), the git commit the binary was built from, the compiler, and the SIMD levels — which
// ones have kernels in this build, which one is in use and why. Not the model or the GL driver: those belong to
// `info` and to the About box's own line.
#pragma once

#include <string>

namespace ts::app {

// The compiler this file was compiled with, from its own predefined macros (so it cannot disagree with the build).
#if defined(__clang__)
inline constexpr const char* kCompiler = "clang " __clang_version__;
#elif defined(__GNUC__)
inline constexpr const char* kCompiler = "g++ " __VERSION__;
#else
inline constexpr const char* kCompiler = "unknown compiler";
#endif

struct BuildInfo {
    const char* version;     // "0.1.0": CMake's PROJECT_VERSION
    const char* commit;      // "146ead8c1d2e", "…-dirty" with uncommitted changes, "unknown" outside git
    const char* compiler;    // kCompiler
    const char* build_type;  // "Release", "RelWithDebInfo" … ("" when CMake had none)
};

// Defined in the file app/version/build_info.cmake generates at every build.
const BuildInfo& build_info();

// The SIMD levels this build has kernels for, lowest first: "scalar avx2 avx512 avx512vnni".
std::string simd_levels_built();

// The lines of the version text, without a trailing newline after the last:
//   tokenscope 0.1.0
//   commit    146ead8c1d2e
//   compiler  g++ 12.2.0 (Release)
//   simd      built: scalar avx2 avx512 avx512vnni
//             in use: <simd_in_use>
// `simd_in_use` is the level in use and why (the CLI's simd_summary(); the explorer says less).
std::string version_text(const std::string& simd_in_use);

}  // namespace ts::app
