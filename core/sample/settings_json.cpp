#include "core/sample/settings_json.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace ts::core::sample {
namespace {

constexpr std::array<std::string_view, 7> kFields = {"temp",           "top_k",         "top_p", "min_p",
                                                     "repeat_penalty", "repeat_last_n", "seed"};

}  // namespace

Json settings_json(const SamplerSettings& s) {
    return Json{{"temp", s.temp},
                {"top_k", s.top_k},
                {"top_p", s.top_p},
                {"min_p", s.min_p},
                {"repeat_penalty", s.repeat_penalty},
                {"repeat_last_n", s.repeat_last_n},
                {"seed", s.seed}};
}

Result<SamplerSettings> settings_from_json(const Json& j, const std::string& where) {
    auto bad = [&](const std::string& why) { return make_error(Code::kFormat, "%s: %s", where.c_str(), why.c_str()); };
    // "'key' why" (built with +=: g++ 12 reports a false -Wrestrict for "'" + std::string)
    auto field = [&](std::string_view key, const char* why) {
        std::string m = "'";
        m += key;
        m += "' ";
        m += why;
        return bad(m);
    };
    if (!j.is_object()) return bad("expected an object of sampler settings");
    for (const auto& [k, v] : j.items()) {
        (void)v;
        if (std::find(kFields.begin(), kFields.end(), k) == kFields.end()) return field(k, "is not a sampler setting");
    }
    for (std::string_view f : kFields)
        if (!j.contains(f)) return field(f, "is missing");
    SamplerSettings s;
    auto number = [&](const char* key, float& out) -> Status {
        const Json& v = j.at(key);
        if (!v.is_number()) return field(key, "must be a number");
        out = v.get<float>();
        return {};
    };
    auto integer = [&](const char* key, int32_t& out) -> Status {
        const Json& v = j.at(key);
        if (!v.is_number_integer()) return field(key, "must be an integer");
        const int64_t x = v.is_number_unsigned() ? int64_t(std::min<uint64_t>(v.get<uint64_t>(), uint64_t(INT32_MAX)))
                                                 : v.get<int64_t>();
        if (x < INT32_MIN || x > INT32_MAX) return field(key, "is out of range");
        out = int32_t(x);
        return {};
    };
    TS_TRY(number("temp", s.temp));
    TS_TRY(integer("top_k", s.top_k));
    TS_TRY(number("top_p", s.top_p));
    TS_TRY(number("min_p", s.min_p));
    TS_TRY(number("repeat_penalty", s.repeat_penalty));
    TS_TRY(integer("repeat_last_n", s.repeat_last_n));
    const Json& seed = j.at("seed");
    if (!seed.is_number_unsigned()) return bad("'seed' must be a whole number >= 0");
    s.seed = seed.get<uint64_t>();
    if (auto st = validate_settings(s); !st) return bad(st.error().message);
    return s;
}

bool same_settings(const SamplerSettings& a, const SamplerSettings& b) {
    return a.temp == b.temp && a.top_k == b.top_k && a.top_p == b.top_p && a.min_p == b.min_p &&
           a.repeat_penalty == b.repeat_penalty && a.repeat_last_n == b.repeat_last_n && a.seed == b.seed;
}

}  // namespace ts::core::sample
