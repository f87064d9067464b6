// The explorer's verbs in builds without the GUI (TS_BUILD_GUI=OFF, e.g. the asan preset): they say so and fail.
// With the GUI, app/ui/verbs.cpp defines cmd_gui / cmd_shot instead and this file is empty.
#include "app/cli/commands.hpp"

#ifndef TS_HAVE_GUI
#include <cstdio>

namespace ts::app {
namespace {
int not_in_this_build(const char* verb) {
    std::fprintf(stderr, "error: '%s' needs the explorer, and this build has none (configured with TS_BUILD_GUI=OFF)\n",
                 verb);
    return 1;
}
}  // namespace

int cmd_gui(int, char**) {
    return not_in_this_build("gui");
}
int cmd_shot(int, char**) {
    return not_in_this_build("shot");
}

}  // namespace ts::app
#endif
