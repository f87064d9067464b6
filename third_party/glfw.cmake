# GLFW: the window, the OpenGL context and input of the explorer.
# Origin: Debian 12 libglfw3-dev 3.3.8 (https://www.glfw.org); licence: zlib. Found with pkg-config.
# Target: ts::glfw
if(TARGET ts::glfw)
    return()
endif()
find_package(PkgConfig REQUIRED)
pkg_check_modules(GLFW3 REQUIRED IMPORTED_TARGET GLOBAL glfw3)
add_library(ts::glfw ALIAS PkgConfig::GLFW3)
