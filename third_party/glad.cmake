# glad: the OpenGL 3.3 core loader, generated into the build tree at build time (no generated file is committed).
# Origin: the glad 2 generator from Debian 12 python3-glad 2.0.2 (https://github.com/Dav1dde/glad); licence: MIT
# for the generator; the generated loader comes from Khronos' gl.xml (Apache-2.0) and khrplatform.h (MIT-style
# Khronos licence).
# Target: ts::glad (a static library of the generated src/gl.c, headers as SYSTEM)
if(TARGET ts::glad)
    return()
endif()
find_program(TS_GLAD glad REQUIRED)
set(TS_GLAD_DIR ${CMAKE_BINARY_DIR}/third_party/glad)
add_custom_command(
    OUTPUT ${TS_GLAD_DIR}/src/gl.c ${TS_GLAD_DIR}/include/glad/gl.h ${TS_GLAD_DIR}/include/KHR/khrplatform.h
    COMMAND ${TS_GLAD} --quiet --reproducible --api gl:core=3.3 --extensions= --out-path ${TS_GLAD_DIR} c
    COMMENT "Generating the OpenGL 3.3 core loader (glad)"
    VERBATIM)
add_library(ts_glad STATIC ${TS_GLAD_DIR}/src/gl.c)
target_include_directories(ts_glad SYSTEM PUBLIC ${TS_GLAD_DIR}/include)
set_target_properties(ts_glad PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_link_libraries(ts_glad PUBLIC ${CMAKE_DL_LIBS})
add_library(ts::glad ALIAS ts_glad)
