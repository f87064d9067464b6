// tokenscope_core: the engine as one static library (it links every core module; see CMakeLists.txt). The version
// lives in the app (app/version), generated from CMake's PROJECT_VERSION.
