# Dear ImGui with its GLFW and OpenGL3 backends: the explorer's user interface.
# Origin: Debian 12 libimgui-dev 1.86 (https://github.com/ocornut/imgui); licence: MIT. Debian's static libimgui.a
# already holds the GLFW and OpenGL3 backends (imgui_impl_glfw, imgui_impl_opengl3, whose GL loader uses dlopen), so
# we link them from there and compile none of the backend sources. Its headers, backends/ included, come in as SYSTEM
# (an imported target's include directories are system ones), so our -Werror does not apply to them.
# Target: ts::imgui (brings ts::glfw and ts::stb, which imgui.pc requires)
if(TARGET ts::imgui)
    return()
endif()
include(${CMAKE_CURRENT_LIST_DIR}/glfw.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/stb.cmake)
find_package(PkgConfig REQUIRED)
pkg_check_modules(IMGUI REQUIRED IMPORTED_TARGET GLOBAL imgui)
target_include_directories(PkgConfig::IMGUI INTERFACE ${IMGUI_INCLUDEDIR}/backends)
target_link_libraries(PkgConfig::IMGUI INTERFACE ts::glfw ts::stb ${CMAKE_DL_LIBS})
add_library(ts::imgui ALIAS PkgConfig::IMGUI)
