# Build-time script (cmake -P), run on every build: writes OUT, a C++ file defining ts::app::build_info()'s strings
# (declared in app/version/version.hpp). The git commit is read now, not at configure time, so a build after a new
# commit names that commit; OUT is rewritten only when its text changes, so an unchanged tree recompiles nothing.
# Inputs: OUT, SOURCE_DIR, VERSION (CMake's PROJECT_VERSION), BUILD_TYPE, GIT (the git executable, may be empty).
set(commit "unknown")
if(GIT)
    # Only this source tree's own repository: a tarball unpacked inside some other checkout is "unknown".
    execute_process(COMMAND ${GIT} -C ${SOURCE_DIR} rev-parse --show-toplevel
                    OUTPUT_VARIABLE top OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
    if(rc EQUAL 0)
        file(REAL_PATH "${top}" top)
        file(REAL_PATH "${SOURCE_DIR}" src)
        if(NOT top STREQUAL src)
            set(rc 1)
        endif()
    endif()
    if(rc EQUAL 0)
        execute_process(COMMAND ${GIT} -C ${SOURCE_DIR} rev-parse --short=12 HEAD
                        OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
    endif()
    if(rc EQUAL 0 AND head)
        set(commit "${head}")
        # Tracked files that differ from the commit: say so, the binary is not that commit.
        execute_process(COMMAND ${GIT} -C ${SOURCE_DIR} status --porcelain --untracked-files=no
                        OUTPUT_VARIABLE changes RESULT_VARIABLE rc ERROR_QUIET)
        if(rc EQUAL 0 AND NOT changes STREQUAL "")
            string(APPEND commit "-dirty")
        endif()
    endif()
endif()

set(text "// Generated at build time by app/version/build_info.cmake: do not edit.
#include \"app/version/version.hpp\"

namespace ts::app {
const BuildInfo& build_info() {
    static const BuildInfo info{\"${VERSION}\", \"${commit}\", kCompiler, \"${BUILD_TYPE}\"};
    return info;
}
}  // namespace ts::app
")
set(old "")
if(EXISTS ${OUT})
    file(READ ${OUT} old)
endif()
if(NOT old STREQUAL text)
    file(WRITE ${OUT} "${text}")
endif()
