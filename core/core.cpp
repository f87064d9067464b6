// tokenscope_core: the engine as one static library (it links every core module; see CMakeLists.txt).
namespace ts::core {
const char* version() {
    return "0.1.0";
}
}  // namespace ts::core
