// libFuzzer target for saved explorations (core/session/exploration.hpp): any bytes are read as a .tscope file.
// Checks: no crash or sanitizer report; what reads is well formed (a path, every token id >= 0, current within the
// paths, a view of plain values), and writing it again and reading that back gives the same text.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/session/exploration.hpp"

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_exploration: %s\n", what);
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto e = ts::core::parse_exploration(text, "fuzz.tscope");
    if (!e) {
        check(!e.error().message.empty(), "an error without a message");
        return 0;
    }
    check(!e->paths.empty() && !e->prompt_ids.empty(), "an exploration without a path or a prompt");
    check(e->current_path >= 0 && e->current_path < int(e->paths.size()), "current.path outside the paths");
    for (const auto& path : e->paths) {
        check(!path.empty(), "an empty path");
        for (const auto& t : path) check(t.id >= 0, "a negative token id");
    }
    const std::string again = ts::core::exploration_json(*e);
    auto back               = ts::core::parse_exploration(again, "again.tscope");
    check(back.ok(), "what was written does not read back");
    check(ts::core::exploration_json(*back) == again, "writing, reading and writing again changed the text");
    return 0;
}
