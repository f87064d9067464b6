// The default model compiled into the executable: the assembler's .incbin copies assets/models/default.gguf into a
// read-only section at build time, and register_builtin_model() makes those bytes openable as kBuiltinModelName, so
// `tokenscope` opens its model from any folder, with no file beside it. Built without TS_BUILTIN_MODEL (the file was
// missing at configure time, or -DTS_EMBED_DEFAULT_MODEL=OFF), it registers nothing and the file on disk is used.
#include "app/cli/args.hpp"
#include "core/base/mmap.hpp"

#ifdef TS_BUILTIN_MODEL
// 4096-byte alignment: tensor data sits at the same offsets from a page boundary as in a memory-mapped file.
__asm__(
    ".pushsection .rodata.ts_builtin_model, \"a\", @progbits\n"
    ".balign 4096\n"
    ".globl ts_builtin_model_begin\n"
    "ts_builtin_model_begin:\n"
    ".incbin \"" TS_BUILTIN_MODEL
    "\"\n"
    ".globl ts_builtin_model_end\n"
    "ts_builtin_model_end:\n"
    ".byte 0\n"
    ".popsection\n");
extern "C" const unsigned char ts_builtin_model_begin[];
extern "C" const unsigned char ts_builtin_model_end[];
#endif

namespace ts::app {

void register_builtin_model() {
#ifdef TS_BUILTIN_MODEL
    core::register_builtin_file(kBuiltinModelName, ts_builtin_model_begin,
                                size_t(ts_builtin_model_end - ts_builtin_model_begin));
#endif
}

}  // namespace ts::app
