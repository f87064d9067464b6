// The version text (version.hpp); the build's own facts come from the generated build_info().
#include "app/version/version.hpp"

#include "core/tensor/simd.hpp"

namespace ts::app {

std::string simd_levels_built() {
    // Every level of the enum has its kernels compiled into ts_tensor (ops_avx2.cpp, ops_avx512*.cpp); which one
    // runs is chosen at start-up from what the CPU has.
    std::string out;
    for (int l = int(core::SimdLevel::Scalar); l <= int(core::SimdLevel::Avx512Vnni); ++l) {
        if (!out.empty()) out += ' ';
        out += core::simd_name(core::SimdLevel(l));
    }
    return out;
}

std::string version_text(const std::string& simd_in_use) {
    const BuildInfo& b = build_info();
    std::string out    = std::string("tokenscope ") + b.version + "\n";
    out += std::string("commit    ") + b.commit + "\n";
    out += std::string("compiler  ") + b.compiler;
    if (*b.build_type) out += std::string(" (") + b.build_type + ")";
    out += "\nsimd      built: " + simd_levels_built() + "\n";
    out += "          in use: " + simd_in_use;
    return out;
}

}  // namespace ts::app
