#include "app/cli/simd_choice.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "app/version/version.hpp"
#include "core/base/mmap.hpp"
#include "core/base/replace_file.hpp"
#include "core/base/user_dirs.hpp"
#include "core/tensor/calibrate.hpp"

namespace ts::app {
namespace {

// The reason given by the last apply_simd_env() (process-wide like the level itself).
std::string& last_reason() {
    static std::string why = "the best level this CPU has";
    return why;
}

// The CPU's model name as the kernel reports it ("Intel(R) Xeon(R) Processor", "AMD EPYC 9R14 ..."), or "unknown".
std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            const size_t colon = line.find(':');
            if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
        }
    return "unknown";
}

// The build whose kernels a cached level was measured with: version and commit.
std::string this_build() {
    const BuildInfo& b = build_info();
    return std::string(b.version) + " " + b.commit;
}

// The measured choice: a cached level for this CPU, or (with `measure`) a new measurement, cached when possible.
std::optional<SimdChoice> measured_choice(bool measure) {
    const std::string dir = core::user_cache_dir(), cpu = cpu_model();
    const std::string path = dir.empty() ? "" : dir + "/simd-level";
    if (!path.empty())
        if (auto text = core::read_file(path, 4096))
            if (auto level = parse_simd_cache(*text, cpu, this_build()))
                return SimdChoice{*level, "measured fastest on this CPU, cached in " + path};
    if (!measure || core::detected_simd() < core::SimdLevel::Avx2) return std::nullopt;

    core::ThreadPool pool(2);  // decode's usual thread count here; the level's relative speed is what matters
    const auto timings = core::time_simd_levels(pool);
    const auto level   = core::fastest_level(timings);
    std::string why    = "measured fastest on this CPU just now (";
    for (size_t i = 0; i < timings.size(); ++i) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s%s %.2f ms", i ? ", " : "", core::simd_name(timings[i].level),
                      timings[i].seconds * 1e3);
        why += buf;
    }
    why += ")";
    if (!path.empty()) {  // best effort: a read-only home only means measuring again next time
        core::make_dirs(dir);
        const std::string text = format_simd_cache(cpu, this_build(), level);
        if (core::replace_file(path, text.data(), text.size()).ok()) why += ", cached in " + path;
    }
    return SimdChoice{level, why};
}

}  // namespace

core::Result<SimdChoice> choose_simd(const char* ts_simd, core::SimdLevel detected, const SimdChoice& fallback) {
    if (ts_simd == nullptr || *ts_simd == '\0') return fallback;
    const auto level = core::simd_level_from_name(ts_simd);
    if (!level)
        return core::make_error(core::Code::kInvalidArgument,
                                "TS_SIMD=%s: unknown SIMD level (use scalar, avx2, avx512 or vnni)", ts_simd);
    if (int(*level) > int(detected))
        return core::make_error(core::Code::kUnsupported, "TS_SIMD=%s: this CPU supports up to %s", ts_simd,
                                core::simd_name(detected));
    return SimdChoice{*level, std::string("TS_SIMD=") + ts_simd};
}

std::string format_simd_cache(const std::string& cpu, const std::string& build, core::SimdLevel level) {
    return "# tokenscope: the SIMD level measured fastest on this CPU (delete to measure again)\ncpu=" + cpu +
           "\nbuild=" + build + "\nlevel=" + core::simd_name(level) + "\n";
}

std::optional<core::SimdLevel> parse_simd_cache(const std::string& text, const std::string& cpu,
                                                const std::string& build) {
    std::istringstream in(text);
    std::string line, file_cpu, file_build, level;
    while (std::getline(in, line)) {
        if (line.rfind("cpu=", 0) == 0) file_cpu = line.substr(4);
        if (line.rfind("build=", 0) == 0) file_build = line.substr(6);
        if (line.rfind("level=", 0) == 0) level = line.substr(6);
    }
    const auto l = core::simd_level_from_name(level);
    if (file_cpu != cpu || file_build != build || !l || int(*l) > int(core::detected_simd())) return std::nullopt;
    return l;
}

core::Status apply_simd_env(bool measure) {
    const char* env = std::getenv("TS_SIMD");
    SimdChoice fallback{core::preferred_simd(), "the best level this CPU has"};
    if (env == nullptr || *env == '\0')
        if (auto m = measured_choice(measure)) fallback = *m;
    auto choice = choose_simd(env, core::detected_simd(), fallback);
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
