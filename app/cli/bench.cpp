// `tokenscope bench`: prefill and decode speed of a model (ARCHITECTURE §5), measured through core/session's Session —
// what the explorer pays per token. The prompt is N ids of its own (cycling over 1 .. n_vocab-1), so no tokenizer is
// needed; prefill is the session's batched prefill, decode is greedy, one step (forward pass + sampler with its
// stage views) per token. `--trace on` records every position as the explorer does (queries + residual stream,
// SessionOptions::record); `off` keeps only what a session always keeps (norms, sampler views, timings).
// One warm-up token first touches every weight page, so the prefill figure does not measure the disk.
// Decode reads every weight once per token, so its ceiling is the machine's read bandwidth: bench measures it (a
// 1 GiB buffer summed by the same number of threads, --membw) and prints decode as a fraction of bandwidth ÷
// bytes of weights read per token.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "app/cli/args.hpp"
#include "app/cli/commands.hpp"
#include "app/cli/simd_choice.hpp"
#include "core/base/json.hpp"
#include "core/model/model.hpp"
#include "core/session/session.hpp"
#include "core/tensor/bandwidth.hpp"
#include "core/tensor/simd.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::app {
namespace {

using core::json_number;
using core::json_string;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int cmd_bench(int argc, char** argv) {
    std::string model_path = default_model_path();
    int32_t n_prompt       = 128;
    int32_t n_gen          = 32;
    int32_t n_threads      = core::default_thread_count();
    std::string trace      = "off";
    bool json              = false;
    int32_t membw_mib      = 1024;

    ArgParser ap("bench", "-m FILE [-p N_PROMPT] [-n N_GEN] [-t THREADS] [--trace on|off] [--json]",
                 "measure prefill (batched) and decode (one token at a time) speed through a session");
    ap.add_string("-m", "--model", "FILE", &model_path, "model file (GGUF or llama2.c .bin)");
    ap.add_int("-p", "--n-prompt", "N", &n_prompt, 1, 1 << 20, "prompt length in tokens");
    ap.add_int("-n", "--n-gen", "N", &n_gen, 0, 1 << 20, "tokens to generate (greedy)");
    ap.add_int("-t", "--threads", "N", &n_threads, 1, kMaxThreads, "worker threads");
    ap.add_choice("", "--trace", {"on", "off"}, &trace,
                  "on: record queries + residual stream of every position, as the explorer does; off: norms and "
                  "sampler views only");
    ap.add_flag("", "--json", &json, "one JSON line instead of a table");
    ap.add_int("", "--membw", "MIB", &membw_mib, 0, 1 << 16,
               "measure the read bandwidth on a buffer of MIB MiB (0: skip) and show decode as a fraction of it");
    core::LoadOptions load;
    add_load_flags(ap, &load);
    if (auto code = ap.parse(argc, argv)) return *code;

    auto loaded = core::load_model(model_path, "", load);
    if (!loaded) return print_error(loaded.error().message);
    const core::Model& m = **loaded;

    const int64_t n_ctx = int64_t(n_prompt) + n_gen;
    if (m.hp.n_ctx_train > 0 && n_ctx > m.hp.n_ctx_train)
        return ap.usage_error("-p " + std::to_string(n_prompt) + " + -n " + std::to_string(n_gen) +
                              " exceeds the model's context of " + std::to_string(m.hp.n_ctx_train) + " tokens");
    if (m.hp.n_vocab < 2) return print_error(model_path + ": the vocabulary is too small to benchmark");

    std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
    for (int32_t i = 0; i < n_prompt; ++i) prompt[size_t(i)] = 1 + i % (m.hp.n_vocab - 1);

    core::SessionOptions opt;
    opt.n_ctx        = int(n_ctx);
    opt.n_threads    = n_threads;
    opt.record       = trace == "on";
    opt.sampler.temp = 0;  // greedy
    auto created     = core::Session::create(*loaded, opt);
    if (!created) return print_error(created.error().message);
    core::Session& s = **created;

    // warm-up: one token, then forget it (set_prompt_ids starts again from position 0)
    if (auto st = s.set_prompt_ids({prompt[0]}); !st.ok()) return print_error(st.error().message);
    if (auto st = s.prefill(); !st.ok()) return print_error(st.error().message);
    if (auto st = s.set_prompt_ids(prompt); !st.ok()) return print_error(st.error().message);

    const auto t0 = Clock::now();
    if (auto st = s.prefill(); !st.ok()) return print_error(st.error().message);
    const double t_prefill = seconds_since(t0);

    const auto t1 = Clock::now();
    for (int32_t i = 0; i < n_gen; ++i)
        if (auto st = s.step(); !st) return print_error(st.error().message);
    const double t_decode = seconds_since(t1);

    const double prefill_tok_s = t_prefill > 0 ? n_prompt / t_prefill : 0;
    const double decode_tok_s  = t_decode > 0 ? n_gen / t_decode : 0;

    // Bytes of weights one decode step reads: every matrix once; of the embedding table only a row, unless it is
    // also the output matrix (tied).
    const size_t embd_bytes = m.w.token_embd.row_size() * size_t(m.w.token_embd.n_rows());
    const bool tied         = m.w.output.data == m.w.token_embd.data;
    const double per_token  = double(m.weight_bytes - (tied ? 0 : embd_bytes));
    double bandwidth        = 0;  // bytes/s, 0: not measured
    if (membw_mib > 0) {
        core::ThreadPool pool(n_threads);
        auto bw = core::measure_read_bandwidth(size_t(membw_mib) << 20, 5, pool);
        if (!bw) return print_error(bw.error().message);
        bandwidth = bw->bytes_per_s;
    }
    const double ceiling  = bandwidth > 0 && per_token > 0 ? bandwidth / per_token : 0;  // tok/s at full bandwidth
    const double fraction = ceiling > 0 ? decode_tok_s / ceiling : 0;
    if (json) {
        std::printf(
            "{\"model\":%s,\"threads\":%d,\"trace\":\"%s\",\"simd\":\"%s\",\"prompt_tokens\":%d,"
            "\"prefill_tok_s\":%s,\"generated\":%d,\"decode_tok_s\":%s,\"weight_bytes_per_token\":%s,"
            "\"read_bandwidth_gb_s\":%s,\"decode_bandwidth_fraction\":%s,\"kv_positions\":%d,\"kv_bytes\":%zu}\n",
            json_string(model_path).c_str(), n_threads, trace.c_str(), core::simd_name(core::active_simd()), n_prompt,
            json_number(prefill_tok_s, 4).c_str(), n_gen, json_number(decode_tok_s, 4).c_str(),
            std::to_string(uint64_t(per_token)).c_str(), json_number(bandwidth / 1e9, 4).c_str(),
            json_number(fraction, 4).c_str(), s.cache().n_pos(), s.cache().bytes_used());
        return 0;
    }
    std::printf("model    %s\n", model_path.c_str());
    std::printf("shape    %s, %d layers, n_embd %d, n_head %d/%d kv, n_ff %d, n_vocab %d, %.2f GB of weights\n",
                m.hp.arch_name.c_str(), m.hp.n_layer, m.hp.n_embd, m.hp.n_head, m.hp.n_head_kv, m.hp.n_ff, m.hp.n_vocab,
                double(m.weight_bytes) / 1e9);
    std::printf("threads  %d, trace %s: %.1f MB of records for %d positions\n", n_threads, trace.c_str(),
                double(s.trace_bytes()) / 1e6, s.n_pos());
    // The cache as stored: each layer at its own size, none for a layer that reads another's (gemma4).
    std::printf("kv cache %.2f MB for %d positions (%s; %d of %d layers store K and V)\n",
                double(s.cache().bytes_used()) / 1e6, s.cache().n_pos(),
                std::string(core::dtype_name(s.cache().type())).c_str(), s.cache().n_layers_stored(), m.hp.n_layer);
    std::printf("simd     %s\n\n", simd_summary().c_str());
    std::printf("%-8s %8s %10s %10s\n", "test", "tokens", "seconds", "tok/s");
    std::printf("%-8s %8d %10.3f %10.2f\n", "prefill", n_prompt, t_prefill, prefill_tok_s);
    std::printf("%-8s %8d %10.3f %10.2f\n", "decode", n_gen, t_decode, decode_tok_s);
    if (ceiling > 0)
        std::printf(
            "\ndecode reads %.1f MB of weights per token; memory reads %.2f GB/s with %d threads, so at most "
            "%.1f tok/s:\ndecode runs at %.0f%% of the memory bandwidth\n",
            per_token / 1e6, bandwidth / 1e9, n_threads, ceiling, 100.0 * fraction);
    return 0;
}

}  // namespace ts::app
