// Weak placeholders for verbs whose implementation has not landed yet; a real definition in its own file
// replaces each one at link time. Each says so plainly and exits 1 rather than pretending to work.
#include <cstdio>

#include "app/cli/commands.hpp"

namespace ts::app {
namespace {
int not_yet(const char* verb) {
    std::fprintf(stderr, "error: '%s' is not available in this build yet\n", verb);
    return 1;
}
}  // namespace

__attribute__((weak)) int cmd_gui(int, char**) { return not_yet("gui"); }
__attribute__((weak)) int cmd_shot(int, char**) { return not_yet("shot"); }

}  // namespace ts::app
