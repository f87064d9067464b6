// load_model(): opens the file and picks the format from its first bytes ("GGUF" magic, else a llama2.c checkpoint).
// Every count is checked against the file before anything is sized from it; should an allocation still fail (a
// model larger than memory), the failure comes back as an Error, never as an exception across this header.
#include <cstdio>
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

std::string describe_kv_layer(const Hparams& hp, int il) {
    char buf[160];
    if (hp.is_recurrent(il)) return "linear attention: a recurrent state of its own, no KV cache";
    const char* kind = hp.n_swa > 0 ? (hp.is_swa(il) ? "local, " : "global, ") : "";
    if (!hp.has_own_kv(il)) {
        std::snprintf(buf, sizeof buf, "%sreads layer %d's cache (no storage of its own)", kind, hp.kv_source(il));
        return buf;
    }
    const int n_kv = hp.n_head_kv_of(il);
    std::snprintf(buf, sizeof buf, "%s%d kv head%s x %d = %d values per K and per V row", kind, n_kv,
                  n_kv == 1 ? "" : "s", hp.head_dim_of(il), hp.kv_cache_dim(il));
    return buf;
}

bool kv_layers_differ(const Hparams& hp) {
    for (int il = 1; il < hp.n_layer; ++il)
        if (hp.kv_cache_dim(il) != hp.kv_cache_dim(0)) return true;
    return false;
}

}  // namespace ts::core
