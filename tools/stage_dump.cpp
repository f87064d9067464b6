// ts_stage_dump: every stage the forward pass shows (core/model/stage.hpp), of every layer and position, for a prompt
// evaluated in one batch, written as raw float32 files for comparing with another engine stage by stage
// (tools/llama_trace/README.md does that with llama.cpp). A developer tool, not part of tokenscope.
//
//   ts_stage_dump MODEL.gguf IDS OUTDIR [scalar|avx2|avx512|vnni]
//
// IDS: comma-separated token ids. OUTDIR/STAGE-LAYER.bin holds [positions][width] floats (layer -1: stages outside
// the layers); OUTDIR/index.txt one line per file: name, width, positions (a stage whose rows grow with the position,
// the attention scores and probabilities, has each position's row as it is, and its widest as the width). Exit 1
// with an error: line on failure.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "core/model/forward.hpp"
#include "core/model/model.hpp"
#include "core/tensor/ops.hpp"

namespace {

using namespace ts::core;

struct Rows : Observer {  // every row shown, per (stage key, layer) and position
    std::map<std::pair<std::string, int>, std::map<int, std::vector<float>>> data;
    StageMask wants(int) const override { return StageMask::all(); }
    void observe(Stage s, int layer, int pos, TensorView v) override {
        data[{std::string(stage_key(s)), layer}][pos].assign(v.data, v.data + size_t(v.rows) * size_t(v.cols));
    }
};

int fail(const std::string& why) {
    std::fprintf(stderr, "error: %s\n", why.c_str());
    return 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4 || argc > 5) {
        std::fprintf(stderr, "usage: ts_stage_dump MODEL.gguf IDS OUTDIR [scalar|avx2|avx512|vnni]\n");
        return 2;
    }
    if (argc == 5) {
        const std::string l                           = argv[4];
        const std::map<std::string, SimdLevel> levels = {{"scalar", SimdLevel::Scalar},
                                                         {"avx2", SimdLevel::Avx2},
                                                         {"avx512", SimdLevel::Avx512},
                                                         {"vnni", SimdLevel::Avx512Vnni}};
        const auto it                                 = levels.find(l);
        if (it == levels.end()) return fail("unknown SIMD level '" + l + "' (scalar, avx2, avx512 or vnni)");
        if (int(it->second) > int(detected_simd())) return fail("this CPU lacks " + l);
        set_simd_level(it->second);
    }
    auto model = load_model(argv[1], "", LoadOptions{});
    if (!model) return fail(model.error().message);
    std::vector<int32_t> ids;
    for (const char* p = argv[2]; *p;) {
        char* end    = nullptr;
        const long v = std::strtol(p, &end, 10);
        if (end == p || v < 0 || v >= (*model)->hp.n_vocab) return fail(std::string("bad token id list: ") + argv[2]);
        ids.push_back(int32_t(v));
        p = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0') return fail(std::string("bad token id list: ") + argv[2]);
    }
    if (ids.empty()) return fail("no token ids");
    Forward fwd(**model, int(ids.size()));
    auto cache = fwd.make_cache();
    if (!cache) return fail(cache.error().message);
    ThreadPool pool(2);
    Rows rows;
    if (auto st = fwd.eval(*cache, ids.data(), int(ids.size()), 0, nullptr, LogitRows::None, pool, &rows); !st)
        return fail(st.error().message);
    const std::string dir = argv[3];
    FILE* index           = std::fopen((dir + "/index.txt").c_str(), "w");
    if (!index) return fail("cannot write " + dir + "/index.txt");
    for (const auto& [key, by_pos] : rows.data) {
        const std::string name = key.first + "-" + std::to_string(key.second);
        FILE* f                = std::fopen((dir + "/" + name + ".bin").c_str(), "wb");
        if (!f) return fail("cannot write " + dir + "/" + name + ".bin");
        size_t width = 0;
        for (const auto& [pos, values] : by_pos) {
            width = std::max(width, values.size());  // rows that grow with the position (scores) keep their own size
            if (std::fwrite(values.data(), sizeof(float), values.size(), f) != values.size())
                return fail("cannot write " + dir + "/" + name + ".bin");
        }
        std::fclose(f);
        std::fprintf(index, "%s %zu %zu\n", name.c_str(), width, by_pos.size());
    }
    std::fclose(index);
    return 0;
}
