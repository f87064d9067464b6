#include "app/cli/simd_choice.hpp"

#include <cstdlib>

namespace ts::app {
namespace {

// The reason given by the last apply_simd_env() (process-wide like the level itself).
std::string& last_reason() {
    static std::string why = "the best level this CPU has";
    return why;
}

}  // namespace

core::Result<SimdChoice> choose_simd(const char* ts_simd, core::SimdLevel detected, core::SimdLevel preferred) {
    if (ts_simd == nullptr || *ts_simd == '\0') return SimdChoice{preferred, "the best level this CPU has"};
    const auto level = core::simd_level_from_name(ts_simd);
    if (!level)
        return core::make_error(core::Code::kInvalidArgument,
                                "TS_SIMD=%s: unknown SIMD level (use scalar, avx2, avx512 or vnni)", ts_simd);
    if (int(*level) > int(detected))
        return core::make_error(core::Code::kUnsupported, "TS_SIMD=%s: this CPU supports up to %s", ts_simd,
                                core::simd_name(detected));
    return SimdChoice{*level, std::string("TS_SIMD=") + ts_simd};
}

core::Status apply_simd_env() {
    auto choice = choose_simd(std::getenv("TS_SIMD"), core::detected_simd(), core::preferred_simd());
    if (!choice) return choice.error();
    core::set_simd_level(choice->level);
    last_reason() = choice->why;
    return {};
}

std::string simd_summary() {
    return std::string(core::simd_name(core::active_simd())) + " (" + last_reason() + "; this CPU has up to " +
           core::simd_name(core::detected_simd()) + ")";
}

}  // namespace ts::app
