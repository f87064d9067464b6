// libFuzzer target for the whole GGUF loading path: any bytes go through load_model() (the reader, hyper-parameters,
// block_count against the tensors present, weight binding with shapes and types, the tokenizer from the metadata),
// and an accepted model must pass fuzz_model_check.hpp (tensors inside the input, shapes consistent, a forward
// step). The bytes are opened as a built-in file, so nothing touches the file system.
#include <cstddef>
#include <cstdint>

#include "core/base/mmap.hpp"
#include "core/model/model.hpp"
#include "tests/fuzz/fuzz_model_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // The registration names this call's bytes; the model (and its views of them) is gone before the call returns.
    ts::core::register_builtin_file("fuzz.gguf", data, size);
    ts::fuzz::check_model(ts::core::load_model("fuzz.gguf"), data, size);
    return 0;
}
