// `tokenscope version` (also `tokenscope --version`): the version text of app/version/version.hpp, with the SIMD
// level in use and why (simd_choice.hpp).
#include "app/version/version.hpp"

#include <cstdio>

#include "app/cli/args.hpp"
#include "app/cli/commands.hpp"
#include "app/cli/simd_choice.hpp"

namespace ts::app {

int cmd_version(int argc, char** argv) {
    ArgParser ap("version", "(or: tokenscope --version)",
                 "print the version, the git commit, the compiler and the SIMD levels");
    if (auto code = ap.parse(argc, argv)) return *code;
    std::printf("%s\n", version_text(simd_summary()).c_str());
    return 0;
}

}  // namespace ts::app
