// The verbs' shared flag parser (see args.hpp): declaration, parsing with range checks, --help text.
#include "app/cli/args.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/base/check.hpp"
#include "core/base/mmap.hpp"

namespace ts::app {
namespace {

std::optional<int64_t> parse_i64(std::string_view v) {
    const std::string s(v);
    if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
    errno             = 0;
    char* end         = nullptr;
    const long long x = std::strtoll(s.c_str(), &end, 10);
    if (errno == ERANGE || end != s.c_str() + s.size()) return std::nullopt;
    return int64_t(x);
}

std::optional<uint64_t> parse_u64(std::string_view v) {
    const std::string s(v);
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0]))) return std::nullopt;
    errno                      = 0;
    char* end                  = nullptr;
    const unsigned long long x = std::strtoull(s.c_str(), &end, 10);
    if (errno == ERANGE || end != s.c_str() + s.size()) return std::nullopt;
    return uint64_t(x);
}

std::optional<float> parse_float(std::string_view v) {
    const std::string s(v);
    if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
    errno         = 0;
    char* end     = nullptr;
    const float x = std::strtof(s.c_str(), &end);
    if (errno == ERANGE || end != s.c_str() + s.size() || !std::isfinite(x)) return std::nullopt;
    return x;
}

std::string fmt_float(float f) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", double(f));
    return buf;
}

std::string names_of(const std::string& short_name, const std::string& long_name) {
    if (short_name.empty()) return long_name;
    if (long_name.empty()) return short_name;
    return short_name + ", " + long_name;
}

}  // namespace

ArgParser::Spec ArgParser::make_spec(Kind kind, std::string short_name, std::string long_name, std::string metavar,
                                     std::string help, std::string default_text, void* out) {
    Spec s;
    s.kind         = kind;
    s.short_name   = std::move(short_name);
    s.long_name    = std::move(long_name);
    s.metavar      = std::move(metavar);
    s.help         = std::move(help);
    s.default_text = std::move(default_text);
    s.out          = out;
    return s;
}

ArgParser::ArgParser(std::string verb, std::string usage, std::string summary)
    : verb_(std::move(verb)), usage_(std::move(usage)), summary_(std::move(summary)) {}

void ArgParser::add(Spec s) {
    TS_CHECK(!s.short_name.empty() || !s.long_name.empty(), "a flag needs a name");
    specs_.push_back(std::move(s));
}

void ArgParser::add_string(std::string_view sn, std::string_view ln, std::string_view metavar, std::string* out,
                           std::string_view help) {
    add(make_spec(Kind::String, std::string(sn), std::string(ln), std::string(metavar), std::string(help),
                  out->empty() ? "" : *out, out));
}

void ArgParser::add_int(std::string_view sn, std::string_view ln, std::string_view metavar, int32_t* out, int64_t min,
                        int64_t max, std::string_view help) {
    Spec s = make_spec(Kind::Int, std::string(sn), std::string(ln), std::string(metavar), std::string(help),
                       std::to_string(*out), out);
    s.imin = std::max<int64_t>(min, INT32_MIN);
    s.imax = std::min<int64_t>(max, INT32_MAX);
    add(std::move(s));
}

void ArgParser::add_u64(std::string_view sn, std::string_view ln, std::string_view metavar, uint64_t* out,
                        std::string_view help) {
    add(make_spec(Kind::U64, std::string(sn), std::string(ln), std::string(metavar), std::string(help),
                  std::to_string(*out), out));
}

void ArgParser::add_float(std::string_view sn, std::string_view ln, std::string_view metavar, float* out, float min,
                          float max, std::string_view help) {
    Spec s = make_spec(Kind::Float, std::string(sn), std::string(ln), std::string(metavar), std::string(help),
                       fmt_float(*out), out);
    s.fmin = min;
    s.fmax = max;
    add(std::move(s));
}

void ArgParser::add_flag(std::string_view sn, std::string_view ln, bool* out, std::string_view help) {
    add(make_spec(Kind::Flag, std::string(sn), std::string(ln), "", std::string(help), "", out));
}

void ArgParser::add_choice(std::string_view sn, std::string_view ln, std::vector<std::string> choices, std::string* out,
                           std::string_view help) {
    std::string metavar;
    for (const auto& c : choices) metavar += (metavar.empty() ? "" : "|") + c;
    Spec s    = make_spec(Kind::Choice, std::string(sn), std::string(ln), metavar, std::string(help), *out, out);
    s.choices = std::move(choices);
    add(std::move(s));
}

void ArgParser::add_int_list(std::string_view sn, std::string_view ln, std::string_view metavar,
                             std::vector<int32_t>* out, int64_t min, int64_t max, std::string_view help) {
    Spec s =
        make_spec(Kind::IntList, std::string(sn), std::string(ln), std::string(metavar), std::string(help), "", out);
    s.imin = std::max<int64_t>(min, INT32_MIN);
    s.imax = std::min<int64_t>(max, INT32_MAX);
    add(std::move(s));
}

void ArgParser::add_string_list(std::string_view sn, std::string_view ln, std::string_view metavar,
                                std::vector<std::string>* out, std::string_view help) {
    add(make_spec(Kind::StringList, std::string(sn), std::string(ln), std::string(metavar),
                  std::string(help) + " (repeatable)", "", out));
}

ArgParser::Spec* ArgParser::find(std::string_view name) {
    for (Spec& s : specs_)
        if (name == s.short_name || name == s.long_name) return &s;
    return nullptr;
}

bool ArgParser::was_set(std::string_view name) const {
    for (const Spec& s : specs_)
        if (name == s.short_name || name == s.long_name) return s.seen;
    return false;
}

std::optional<std::string> ArgParser::store(Spec& s, std::string_view name, std::string_view value) {
    const std::string n(name), v(value);
    switch (s.kind) {
        case Kind::String:
            *static_cast<std::string*>(s.out) = v;
            return std::nullopt;
        case Kind::StringList:
            static_cast<std::vector<std::string>*>(s.out)->push_back(v);
            return std::nullopt;
        case Kind::Int: {
            const auto x = parse_i64(value);
            if (!x) return n + ": expected an integer, got '" + v + "'";
            if (*x < s.imin || *x > s.imax)
                return n + " must be in [" + std::to_string(s.imin) + ", " + std::to_string(s.imax) + "], got " + v;
            *static_cast<int32_t*>(s.out) = int32_t(*x);
            return std::nullopt;
        }
        case Kind::U64: {
            const auto x = parse_u64(value);
            if (!x) return n + ": expected a non-negative integer, got '" + v + "'";
            *static_cast<uint64_t*>(s.out) = *x;
            return std::nullopt;
        }
        case Kind::Float: {
            const auto x = parse_float(value);
            if (!x) return n + ": expected a finite number, got '" + v + "'";
            if (*x < s.fmin || *x > s.fmax)
                return n + " must be in [" + fmt_float(s.fmin) + ", " + fmt_float(s.fmax) + "], got " + v;
            *static_cast<float*>(s.out) = *x;
            return std::nullopt;
        }
        case Kind::Flag:
            *static_cast<bool*>(s.out) = true;
            return std::nullopt;
        case Kind::Choice:
            for (const auto& c : s.choices)
                if (c == v) {
                    *static_cast<std::string*>(s.out) = v;
                    return std::nullopt;
                }
            return n + " must be one of " + s.metavar + ", got '" + v + "'";
        case Kind::IntList: {
            std::vector<int32_t> ids;
            size_t start = 0;
            while (true) {
                const size_t comma = v.find(',', start);
                const std::string item =
                    v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                const auto x = parse_i64(item);
                if (!x) return n + ": expected comma-separated integers, got '" + item + "' in '" + v + "'";
                if (*x < s.imin || *x > s.imax)
                    return n + ": " + item + " is out of range [" + std::to_string(s.imin) + ", " +
                           std::to_string(s.imax) + "]";
                ids.push_back(int32_t(*x));
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
            *static_cast<std::vector<int32_t>*>(s.out) = std::move(ids);
            return std::nullopt;
        }
    }
    return std::nullopt;
}

std::optional<int> ArgParser::parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            print_help(stdout);
            return 0;
        }
        std::string_view name = arg;
        std::optional<std::string_view> inline_value;
        if (arg.size() > 2 && arg.substr(0, 2) == "--") {
            if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
                name         = arg.substr(0, eq);
                inline_value = arg.substr(eq + 1);
            }
        }
        Spec* s = (arg.size() >= 2 && arg[0] == '-') ? find(name) : nullptr;
        if (!s) {
            if (!arg.empty() && arg[0] == '-') return usage_error("unknown flag '" + std::string(name) + "'");
            return usage_error("unexpected argument '" + std::string(arg) + "'");
        }
        s->seen = true;
        if (s->kind == Kind::Flag) {
            if (inline_value) return usage_error(std::string(name) + " takes no value");
            (void)store(*s, name, "");
            continue;
        }
        std::string_view value;
        if (inline_value) {
            value = *inline_value;
        } else {
            if (i + 1 >= argc) return usage_error(std::string(name) + " needs a value (" + s->metavar + ")");
            value = argv[++i];
        }
        if (auto err = store(*s, name, value)) return usage_error(*err);
    }
    return std::nullopt;
}

void ArgParser::print_usage(FILE* out) const {
    const std::string cmd = command();
    std::fprintf(out, "usage: %s %s\n(`%s --help` lists the flags)\n", cmd.c_str(), usage_.c_str(), cmd.c_str());
}

void ArgParser::print_help(FILE* out) const {
    std::fprintf(out, "usage: %s %s\n%s\n\nflags:\n", command().c_str(), usage_.c_str(), summary_.c_str());
    for (const Spec& s : specs_) {
        std::string left = names_of(s.short_name, s.long_name);
        if (!s.metavar.empty()) left += " " + s.metavar;
        std::string help = s.help;
        // A flag whose help says its default in words ("the model's") does not also show the placeholder value.
        if (!s.default_text.empty() && help.find("(default:") == std::string::npos)
            help += " (default: " + s.default_text + ")";
        std::fprintf(out, "  %-26s %s\n", left.c_str(), help.c_str());
    }
    std::fprintf(out, "  %-26s %s\n", "-h, --help", "show this help");
}

int ArgParser::usage_error(const std::string& message) const {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    print_usage(stderr);
    return 2;
}

std::string find_asset(const std::string& rel) {
    namespace fs         = std::filesystem;
    const fs::path asset = fs::path("assets") / rel;
    std::error_code ec;
    if (fs::exists(asset, ec)) return asset.string();
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path dir       = exe.parent_path();
        const fs::path installed = dir.parent_path() / "share" / "tokenscope" / rel;
        for (const fs::path& p : {installed, dir / asset, dir.parent_path().parent_path() / asset})
            if (fs::exists(p, ec)) return p.string();
    }
    return {};
}

std::string default_model_path() {
    if (core::is_builtin_file(kBuiltinModelName)) return kBuiltinModelName;
    const std::string found = find_asset("models/default.gguf");
    return found.empty() ? "assets/models/default.gguf" : found;
}

std::optional<uint64_t> parse_byte_size(std::string_view text) {
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    if (digits == 0) return std::nullopt;
    const auto value = parse_u64(text.substr(0, digits));
    if (!value) return std::nullopt;
    std::string unit;
    for (char c : text.substr(digits)) unit += char(std::toupper(static_cast<unsigned char>(c)));
    int shift = 0;
    if (!unit.empty() && unit[0] != 'B') {
        const std::string_view kUnits = "KMGTP";
        const size_t k                = kUnits.find(unit[0]);
        if (k == std::string_view::npos) return std::nullopt;
        shift = 10 * int(k + 1);
        unit.erase(0, 1);
    }
    if (!(unit.empty() || unit == "B" || (shift > 0 && unit == "IB"))) return std::nullopt;
    if (shift > 0 && *value > (UINT64_MAX >> shift)) return std::nullopt;
    return *value << shift;
}

int print_error(const std::string& message) {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    return 1;
}

int flush_stdout() {
    errno          = 0;
    const bool bad = std::fflush(stdout) != 0 || std::ferror(stdout);
    if (!bad) return 0;
    const int e = errno;  // from the failing write; an earlier failure may have left none
    return print_error(std::string("writing output: ") + (e ? std::strerror(e) : "write error"));
}

void add_load_flags(ArgParser& ap, core::LoadOptions* out) {
    ap.add_flag("", "--no-mmap", &out->no_mmap,
                "read the whole model into memory instead of mapping it (immune to the file changing on disk)");
    ap.add_flag("", "--check-tensors", &out->check_tensors,
                "scan every weight for NaN/Inf at load (dequantising each block); names the tensor and row");
}

}  // namespace ts::app
