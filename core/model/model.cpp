// load_model(): opens the file and picks the format from its first bytes ("GGUF" magic, else a llama2.c checkpoint).
#include <cstring>

#include "core/model/loader.hpp"

namespace ts::core {

Result<std::shared_ptr<const Model>> load_model(const std::string& path, const std::string& tokenizer_path,
                                                const LoadOptions& opt) {
    auto map = MappedFile::open(path, opt.no_mmap ? FileAccess::Read : FileAccess::Map);
    if (!map) return map.error();
    const bool is_gguf = (*map)->size() >= 4 && std::memcmp((*map)->data(), "GGUF", 4) == 0;
    auto model         = is_gguf ? model_detail::load_gguf(*map) : model_detail::load_llama2c(*map, tokenizer_path);
    if (model && opt.check_tensors) TS_TRY(check_tensors_finite(**model));
    return model;
}

}  // namespace ts::core
