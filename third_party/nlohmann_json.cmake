# nlohmann/json: JSON values built and written by a library (the trace file's document, `run --json` lines).
# Origin: Debian 12 nlohmann-json3-dev 3.11.2 (https://github.com/nlohmann/json), header-only; licence: MIT.
# Found with its CMake package config; nothing is built here.
# Target: ts::json
if(TARGET ts::json)
    return()
endif()
find_package(nlohmann_json 3.11 REQUIRED)
add_library(ts::json ALIAS nlohmann_json::nlohmann_json)
