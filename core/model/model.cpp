// load_model(): opens the file and picks the format from its first bytes ("GGUF" magic, else a llama2.c checkpoint).
// Every count is checked against the file before anything is sized from it; should an allocation still fail (a
// model larger than memory), the failure comes back as an Error, never as an exception across this header.
#include <cstring>
#include <new>

#include "core/model/loader.hpp"

namespace ts::core {

Result<std::shared_ptr<const Model>> load_model(const std::string& path, const std::string& tokenizer_path) {
    try {
        auto map = MappedFile::open(path);
        if (!map) return map.error();
        if ((*map)->size() >= 4 && std::memcmp((*map)->data(), "GGUF", 4) == 0) return model_detail::load_gguf(*map);
        return model_detail::load_llama2c(*map, tokenizer_path);
    } catch (const std::bad_alloc&) {
        return make_error(Code::kOutOfMemory, "%s: out of memory while loading the model", path.c_str());
    }
}

}  // namespace ts::core
