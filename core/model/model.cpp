// load_model(): opens the file and picks the format from its first bytes ("GGUF" magic, else a llama2.c checkpoint).
#include <cstring>

#include "core/model/loader.hpp"

namespace ts::core {

Result<std::shared_ptr<const Model>> load_model(const std::string& path, const std::string& tokenizer_path) {
    auto map = MappedFile::open(path);
    if (!map) return map.error();
    if ((*map)->size() >= 4 && std::memcmp((*map)->data(), "GGUF", 4) == 0) return model_detail::load_gguf(*map);
    return model_detail::load_llama2c(*map, tokenizer_path);
}

}  // namespace ts::core
