// ts_stage_dump: every stage the forward pass shows (core/model/stage.hpp), of every layer and position, for a prompt
// evaluated in one batch, written as raw float32 files for comparing with another engine stage by stage
// (tools/llama_trace/README.md does that with llama.cpp). A developer tool, not part of tokenscope.
//
//   [TS_SIMD=scalar|avx2|avx512|vnni] ts_stage_dump -m MODEL.gguf --prompt-ids IDS -o OUTDIR
//
// OUTDIR/STAGE-LAYER.bin holds [positions][width] floats (layer -1: stages outside the layers); OUTDIR/index.txt one
// line per file: name, width, positions (a stage whose rows grow with the position, the attention scores and
// probabilities, has each position's row as it is, and its widest as the width). TS_SIMD as for tokenscope (without
// it, the best level this CPU has). Exit 1 with an error: line on failure, 2 on a usage error.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "app/cli/args.hpp"
#include "app/cli/simd_choice.hpp"
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
    std::string model_path, dir;
    std::vector<int32_t> ids;
    ts::app::ArgParser ap("", "-m MODEL.gguf --prompt-ids IDS -o OUTDIR",
                          "every forward-pass stage of a prompt, per layer and position, as float32 files");
    ap.set_program("ts_stage_dump");
    ap.add_string("-m", "--model", "FILE", &model_path, "the model (GGUF or llama.c checkpoint)");
    ap.add_int_list("", "--prompt-ids", "IDS", &ids, 0, INT32_MAX, "the prompt as token ids, e.g. 1,2,3");
    ap.add_string("-o", "--out", "DIR", &dir, "an existing folder for the files");
    if (auto code = ap.parse(argc, argv)) return *code;
    if (model_path.empty() || ids.empty() || dir.empty()) return ap.usage_error("-m, --prompt-ids and -o are required");
    auto level = ts::app::choose_simd(std::getenv("TS_SIMD"), detected_simd(), {detected_simd(), ""});
    if (!level) return fail(level.error().message);
    set_simd_level(level->level);
    auto model = load_model(model_path, "", LoadOptions{});
    if (!model) return fail(model.error().message);
    for (const int32_t id : ids)
        if (id >= (*model)->hp.n_vocab)
            return fail("token id " + std::to_string(id) + " is outside the vocabulary (" +
                        std::to_string((*model)->hp.n_vocab) + ")");
    Forward fwd(**model, int(ids.size()));
    auto cache = fwd.make_cache();
    if (!cache) return fail(cache.error().message);
    ThreadPool pool(2);
    Rows rows;
    if (auto st = fwd.eval(*cache, ids.data(), int(ids.size()), 0, nullptr, LogitRows::None, pool, &rows); !st)
        return fail(st.error().message);
    FILE* index = std::fopen((dir + "/index.txt").c_str(), "w");
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
