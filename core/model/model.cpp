// load_model(): opens the file and picks the format from its first bytes ("GGUF" magic, else a llama2.c checkpoint).
// Every count is checked against the file before anything is sized from it; should an allocation still fail (a
// model larger than memory), the failure comes back as an Error, never as an exception across this header.
#include <cstring>
#include <new>

#include "core/model/loader.hpp"

namespace ts::core {

Result<std::shared_ptr<const Model>> load_model(const std::string& path, const std::string& tokenizer_path,
                                                const LoadOptions& opt) {
    try {
        auto map = MappedFile::open(path, opt.no_mmap ? FileAccess::Read : FileAccess::Map);
        if (!map) return map.error();
        const bool is_gguf = (*map)->size() >= 4 && std::memcmp((*map)->data(), "GGUF", 4) == 0;
        auto model         = is_gguf ? model_detail::load_gguf(*map) : model_detail::load_llama2c(*map, tokenizer_path);
        if (model && opt.check_tensors) TS_TRY(check_tensors_finite(**model));
        return model;
    } catch (const std::bad_alloc&) {
        return make_error(Code::kOutOfMemory, "%s: out of memory while loading the model", path.c_str());
    }
}

}  // namespace ts::core
