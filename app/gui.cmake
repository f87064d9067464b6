# The explorer's libraries (included by app/CMakeLists.txt): glad (GL 3.3 core loader generated at build time),
# the embedded GLSL sources, and ts_ui = app/gl (window, shaders, colour maps, PNG capture) + app/ui (shell, panels).
# cmd_gui / cmd_shot (app/ui/verbs.cpp) are compiled into the tokenscope executable as an INTERFACE source: the weak
# placeholders in ts_cli's archive would otherwise satisfy the linker first and an archive member holding the real
# verbs would never be pulled in.
if(NOT TS_BUILD_GUI)
    return()
endif()

pkg_check_modules(IMGUI REQUIRED IMPORTED_TARGET imgui)
pkg_check_modules(GLFW3 REQUIRED IMPORTED_TARGET glfw3)
find_program(TS_GLAD glad REQUIRED)  # python3-glad (glad 2)

# --- glad: an OpenGL 3.3 core loader generated into the build tree ------------------------------------------------
set(TS_GLAD_DIR ${CMAKE_CURRENT_BINARY_DIR}/glad)
add_custom_command(
    OUTPUT ${TS_GLAD_DIR}/src/gl.c ${TS_GLAD_DIR}/include/glad/gl.h ${TS_GLAD_DIR}/include/KHR/khrplatform.h
    COMMAND ${TS_GLAD} --quiet --reproducible --api gl:core=3.3 --extensions= --out-path ${TS_GLAD_DIR} c
    COMMENT "Generating the OpenGL 3.3 core loader (glad)"
    VERBATIM)
add_library(ts_glad STATIC ${TS_GLAD_DIR}/src/gl.c)
target_include_directories(ts_glad SYSTEM PUBLIC ${TS_GLAD_DIR}/include)
set_target_properties(ts_glad PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_link_libraries(ts_glad PUBLIC ${CMAKE_DL_LIBS})

# --- shaders/*.vert|frag embedded as C++ string constants (app/gl/shaders.hpp) -------------------------------------
file(GLOB TS_SHADER_SRCS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/shaders/*.vert ${PROJECT_SOURCE_DIR}/shaders/*.frag)
set(TS_SHADERS_CPP ${CMAKE_CURRENT_BINARY_DIR}/shaders_embedded.cpp)
add_custom_command(
    OUTPUT ${TS_SHADERS_CPP}
    COMMAND ${CMAKE_COMMAND} -DOUT=${TS_SHADERS_CPP} -DSHADER_DIR=${PROJECT_SOURCE_DIR}/shaders
            -P ${CMAKE_CURRENT_SOURCE_DIR}/gl/embed_shaders.cmake
    DEPENDS ${TS_SHADER_SRCS} ${CMAKE_CURRENT_SOURCE_DIR}/gl/embed_shaders.cmake
    COMMENT "Embedding GLSL shaders"
    VERBATIM)

# --- ts_ui ----------------------------------------------------------------------------------------------------------
# An OBJECT library: its object files are linked directly into each consumer (tokenscope, the GUI tests), never
# through an archive. app/ui/panels_pending.cpp holds weak placeholders of panels still being written; with an
# archive, the linker could take a weak placeholder's member first and never pull in the member holding the strong
# definition. With every object on the command line, the strong definition always wins.
file(GLOB TS_UI_SRCS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/gl/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/ui/*.cpp)
list(REMOVE_ITEM TS_UI_SRCS ${CMAKE_CURRENT_SOURCE_DIR}/ui/verbs.cpp)
add_library(ts_ui OBJECT ${TS_UI_SRCS} ${TS_SHADERS_CPP})
target_include_directories(ts_ui PUBLIC ${PROJECT_SOURCE_DIR})
target_include_directories(ts_ui SYSTEM PUBLIC ${IMGUI_INCLUDE_DIRS} /usr/include/imgui/backends)
target_compile_options(ts_ui PRIVATE ${TS_WARNINGS})
target_compile_definitions(ts_ui PRIVATE TS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
# libimgui.a already holds the GLFW and OpenGL3 backends (its OpenGL3 backend loads GL itself with dlopen).
target_link_libraries(ts_ui PUBLIC ts_session ts_model ts_gguf ts_glad PkgConfig::IMGUI PkgConfig::GLFW3 Threads::Threads
                                   ${CMAKE_DL_LIBS})
# Only the tokenscope executable gets the verbs (tests that link ts_ui do not need them, nor ts_cli).
target_sources(ts_ui INTERFACE $<$<STREQUAL:$<TARGET_PROPERTY:NAME>,tokenscope>:${CMAKE_CURRENT_SOURCE_DIR}/ui/verbs.cpp>)
