// Fallbacks for the explorer's verbs in builds without the GUI (TS_BUILD_GUI=OFF, e.g. the asan and tsan presets).
// The real cmd_gui / cmd_shot (app/ui/verbs.cpp) are compiled into the executable and replace these weak ones.
#include <cstdio>

#include "app/cli/commands.hpp"

namespace ts::app {
namespace {
int not_in_this_build(const char* verb) {
    std::fprintf(stderr, "error: '%s' needs the explorer, and this build has none (configured with TS_BUILD_GUI=OFF)\n",
                 verb);
    return 1;
}
}  // namespace

__attribute__((weak)) int cmd_gui(int, char**) {
    return not_in_this_build("gui");
}
__attribute__((weak)) int cmd_shot(int, char**) {
    return not_in_this_build("shot");
}

}  // namespace ts::app
