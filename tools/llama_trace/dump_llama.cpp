// dump_llama: llama.cpp's own tensors for a prompt evaluated in one batch, through its eval callback, as raw float32
// files named as its graph names them (l_out-3, ffn_norm-0, kq_soft_max-1, ...), with index.txt beside them (name,
// ne0..ne3, op). A developer tool for tracing where TokenScope and llama.cpp part (README.md here); it links the
// reference package's libllama, never the product.
//
//   dump_llama MODEL.gguf IDS OUTDIR [libggml-cpu-VARIANT.so]
//
// Without a variant it loads every CPU backend in $LLAMA_BIN_DIR and llama.cpp picks the best for this CPU.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ggml-backend.h"
#include "ggml.h"
#include "llama.h"

namespace {

std::string g_dir;
FILE* g_index = nullptr;

// The graph's per-layer tensors worth comparing (llama.cpp's cb() names, the layer appended as -N).
bool wanted(const char* n) {
    static const char* const kPrefixes[] = {
        "inpL",        "attn_norm-", "Qcur-",    "Kcur-",     "Vcur-",   "kq-",         "kq_soft_max-", "kqv-",
        "kqv_out-",    "attn_out-",  "ffn_inp-", "ffn_norm-", "ffn_up-", "ffn_up_b-",   "ffn_gate-",    "ffn_gelu-",
        "ffn_swiglu-", "ffn_geglu-", "ffn_out-", "ffn_down-", "l_out-",  "result_norm", "result_output"};
    for (const char* p : kPrefixes)
        if (std::strncmp(n, p, std::strlen(p)) == 0) return true;
    return false;
}

bool on_tensor(ggml_tensor* t, bool ask, void*) {
    if (ask) return wanted(t->name);
    if (!wanted(t->name) || t->type != GGML_TYPE_F32 || !ggml_is_contiguous(t)) return true;
    std::string name = t->name;
    if (const size_t sp = name.find(' '); sp != std::string::npos) name.resize(sp);  // "Vcur-0 (cont)" -> "Vcur-0"
    const size_t n = size_t(ggml_nelements(t));
    std::vector<float> buf(n);
    ggml_backend_tensor_get(t, buf.data(), 0, n * sizeof(float));
    if (FILE* f = std::fopen((g_dir + "/" + name + ".bin").c_str(), "wb")) {
        std::fwrite(buf.data(), sizeof(float), n, f);
        std::fclose(f);
        std::fprintf(g_index, "%s %lld %lld %lld %lld %s\n", name.c_str(), (long long)t->ne[0], (long long)t->ne[1],
                     (long long)t->ne[2], (long long)t->ne[3], ggml_op_desc(t));
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4 || argc > 5) {
        std::fprintf(stderr, "usage: dump_llama MODEL.gguf IDS OUTDIR [libggml-cpu-VARIANT.so]\n");
        return 2;
    }
    g_dir   = argv[3];
    g_index = std::fopen((g_dir + "/index.txt").c_str(), "w");
    if (!g_index) {
        std::fprintf(stderr, "error: cannot write %s/index.txt\n", argv[3]);
        return 1;
    }
    if (argc == 5) {
        if (!ggml_backend_load(argv[4])) {
            std::fprintf(stderr, "error: cannot load %s\n", argv[4]);
            return 1;
        }
    } else {
        const char* dir = std::getenv("LLAMA_BIN_DIR");
        ggml_backend_load_all_from_path(dir);
    }
    llama_backend_init();
    std::vector<llama_token> ids;
    for (char* s = std::strtok(argv[2], ","); s; s = std::strtok(nullptr, ",")) {
        char* end    = nullptr;
        const long v = std::strtol(s, &end, 10);
        if (end == s || *end != '\0' || v < 0) {
            std::fprintf(stderr, "error: not a token id: '%s'\n", s);
            return 2;
        }
        ids.push_back(llama_token(v));
    }
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers       = 0;
    llama_model* model    = llama_model_load_from_file(argv[1], mp);
    if (!model) {
        std::fprintf(stderr, "error: llama.cpp cannot load %s\n", argv[1]);
        return 1;
    }
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = cp.n_batch = cp.n_ubatch = uint32_t(std::max<size_t>(256, ids.size()));
    cp.n_threads = cp.n_threads_batch = 2;
    cp.type_k = cp.type_v = GGML_TYPE_F32;  // as TokenScope's default cache: no f16 rounding of K and V
    cp.flash_attn_type    = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.cb_eval            = on_tensor;
    llama_context* ctx    = llama_init_from_model(model, cp);
    if (!ctx || llama_decode(ctx, llama_batch_get_one(ids.data(), int32_t(ids.size()))) != 0) {
        std::fprintf(stderr, "error: llama.cpp could not evaluate the prompt\n");
        return 1;
    }
    std::fclose(g_index);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
