# stb (stb_image_write for PNG capture, stb_image for the screenshot tests): Sean Barrett's single-file libraries.
# Origin: Debian 12 libstb-dev 0.0~git20220908 (https://github.com/nothings/stb), which compiles the implementations
# into libstb.so, so no translation unit of ours defines STB_*_IMPLEMENTATION; licence: MIT or public domain
# (Unlicense), at the user's choice. Found with pkg-config.
# Target: ts::stb
if(TARGET ts::stb)
    return()
endif()
find_package(PkgConfig REQUIRED)
pkg_check_modules(STB REQUIRED IMPORTED_TARGET GLOBAL stb)
add_library(ts::stb ALIAS PkgConfig::STB)
