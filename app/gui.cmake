# The explorer's libraries (included by app/CMakeLists.txt): the embedded GLSL sources and ts_ui = app/gl (window,
# shaders, colour maps, PNG capture) + app/ui (shell, panels), linked to Dear ImGui, GLFW and glad (third_party/).
# cmd_gui / cmd_shot (app/ui/verbs.cpp) parse flags with ts_cli, so app/CMakeLists.txt compiles them into the
# tokenscope executable only; the GUI tests link ts_ui without them.
if(NOT TS_BUILD_GUI)
    return()
endif()

include(${PROJECT_SOURCE_DIR}/third_party/imgui.cmake)  # ts::imgui, with ts::glfw and ts::stb
include(${PROJECT_SOURCE_DIR}/third_party/glad.cmake)   # ts::glad

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
# An OBJECT library: its object files are linked directly into each consumer (tokenscope, the GUI tests).
file(GLOB TS_UI_SRCS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/gl/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/ui/*.cpp)
list(REMOVE_ITEM TS_UI_SRCS ${CMAKE_CURRENT_SOURCE_DIR}/ui/verbs.cpp)
add_library(ts_ui OBJECT ${TS_UI_SRCS} ${TS_SHADERS_CPP})
target_include_directories(ts_ui PUBLIC ${PROJECT_SOURCE_DIR})
target_compile_options(ts_ui PRIVATE ${TS_WARNINGS})
target_compile_definitions(ts_ui PRIVATE TS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
target_link_libraries(ts_ui PUBLIC ts_session ts_lesson ts_cli ts_model ts_gguf ts_version ts::glad ts::imgui Threads::Threads)
