// The SIMD levels of the kernels: what the CPU supports, which one the kernels use, and their names. Split from
// ops.hpp so that code that only reports or chooses a level (the CLI, the About box) does not see the kernels.
#pragma once

#include <optional>
#include <string_view>

namespace ts::core {

// Each level includes the ones before it. Avx512Vnni adds the int8 matmul of batched prefill (vpdpbusd on 256-bit
// registers) to the Avx512 table.
enum class SimdLevel { Scalar, Avx2, Avx512, Avx512Vnni };
SimdLevel detected_simd();         // what the CPU supports
SimdLevel preferred_simd();        // the default of active_simd: the best level the CPU has (see calibrate.hpp)
SimdLevel active_simd();           // what the kernels use now
void set_simd_level(SimdLevel l);  // tests force a level (clamped to detected)
const char* simd_name(SimdLevel l);
// Floats per vector register of llama.cpp's CPU build for the same instruction set (16 for AVX-512, 8 for AVX2; 1 at
// the scalar level): the group size of its float reductions, for code that sums in its order (layer_norm).
int float_lanes(SimdLevel l);
// The level called `name`: "scalar", "avx2", "avx512", "vnni" (or "avx512vnni", simd_name's spelling); nullopt for
// any other text. Pure: the app decides where names come from (TS_SIMD).
std::optional<SimdLevel> simd_level_from_name(std::string_view name);

}  // namespace ts::core
