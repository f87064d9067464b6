// Must NOT compile: make_error checks its arguments against the format string (result.hpp). tests/CMakeLists.txt
// compiles this file and expects the compiler's format error; if it ever compiles, the check is gone.
#include "core/base/result.hpp"

ts::core::Error wrong_argument_type() {
    return ts::core::make_error(ts::core::Code::kFormat, "%s: %d tensors", 42, "model.gguf");
}
