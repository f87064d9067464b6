// `tokenscope heads [-m FILE] [--json] [--half N] [--ablate]`: the head atlas (core/trace/head_atlas.hpp) — every
// attention head of the model scored on a repeated random sequence (previous-token, first-token, self, duplicate,
// induction, entropy, window, and the share of attention on its sink columns) and tagged with its strongest behaviour.
// The text form is one line per head and the strongest head per behaviour; --json prints one JSON object per head per
// line. A linear-attention layer (qwen35's DeltaNet) has no attention pattern: one line for it, its tag only.
// --ablate adds, for the strongest head of each behaviour, the loss on the repeated half with that head zeroed
// against without.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "app/cli/args.hpp"
#include "app/cli/commands.hpp"
#include "core/base/json.hpp"
#include "core/model/model.hpp"
#include "core/tensor/thread_pool.hpp"
#include "core/trace/head_atlas.hpp"

namespace ts::app {
namespace {

using core::HeadScores;
using core::json_number;
using core::json_string;

std::string head_json(const HeadScores& s) {
    std::string sinks = "[";
    for (size_t i = 0; i < s.sink_cols.size(); ++i) {
        if (i) sinks += ',';
        sinks += std::to_string(s.sink_cols[i]);
    }
    sinks += "]";
    return "{\"layer\":" + std::to_string(s.layer) + ",\"head\":" + std::to_string(s.head) +
           ",\"prev_token\":" + json_number(s.prev_token, 4) + ",\"first_token\":" + json_number(s.first_token, 4) +
           ",\"self\":" + json_number(s.self, 4) + ",\"duplicate\":" + json_number(s.duplicate, 4) +
           ",\"induction\":" + json_number(s.induction, 4) + ",\"entropy\":" + json_number(s.entropy_bits, 4) +
           ",\"window\":" + json_number(s.window, 3) + ",\"sink\":" + json_number(s.sink, 4) + ",\"sinks\":" + sinks +
           ",\"tag\":" + json_string(std::string(s.tag)) + "}\n";
}

struct Best {
    const char* tag;
    float HeadScores::*score;
};
constexpr Best kBest[] = {{"previous-token", &HeadScores::prev_token},
                          {"first-token", &HeadScores::first_token},
                          {"self", &HeadScores::self},
                          {"duplicate-token", &HeadScores::duplicate},
                          {"induction", &HeadScores::induction}};

}  // namespace

int cmd_heads(int argc, char** argv) {
    std::string model_path = default_model_path();
    int32_t half           = core::AtlasOptions{}.half;
    int32_t n_threads      = core::default_thread_count();
    bool json = false, ablate = false;
    ArgParser ap("heads", "[-m FILE] [--json] [--half N] [--ablate]",
                 "score every attention head on a repeated random sequence and tag what it does");
    ap.add_string("-m", "--model", "FILE", &model_path, "model file (GGUF or llama2.c .bin)");
    ap.add_int("", "--half", "N", &half, 2, 4096, "length of the random run that the probe repeats once");
    ap.add_int("-t", "--threads", "N", &n_threads, 1, kMaxThreads, "worker threads");
    ap.add_flag("", "--ablate", &ablate, "loss on the repeated half with the strongest head of each kind zeroed");
    ap.add_flag("", "--json", &json,
                "one JSON object per head per line (one per layer, with its tag only, for a linear-attention layer)");
    if (auto code = ap.parse(argc, argv)) return *code;

    auto loaded = core::load_model(model_path);
    if (!loaded) return print_error(loaded.error().message);
    const core::Model& model = **loaded;
    core::ThreadPool pool(n_threads);
    core::AtlasOptions opt;
    opt.half      = half;
    const auto t0 = std::chrono::steady_clock::now();
    auto atlas    = core::build_head_atlas(model, pool, opt);
    if (!atlas) return print_error(atlas.error().message);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // A linear-attention layer (qwen35's DeltaNet) has no attention pattern: one line for the layer, no numbers.
    auto linear_row = [&](const HeadScores& s) { return atlas->is_linear(s.layer); };
    if (json) {
        for (const HeadScores& s : atlas->heads)
            if (!linear_row(s))
                std::fputs(head_json(s).c_str(), stdout);
            else if (s.head == 0)
                std::printf("{\"layer\":%d,\"tag\":%s}\n", s.layer, json_string(std::string(s.tag)).c_str());
    } else {
        std::printf("model %s: %d layers x %d heads, probe of %d tokens ([BOS] + %d random + the same again), %.2f s\n",
                    model_path.c_str(), atlas->n_layer, atlas->n_head, int(atlas->probe.size()), half, seconds);
        std::printf("layer head  tag              prev  first  self   dup    ind    entropy  window  sink\n");
        for (const HeadScores& s : atlas->heads)
            if (linear_row(s)) {
                if (s.head == 0)
                    std::printf("%5d    -  %.*s\n", s.layer, int(core::kLinearAttentionNote.size()),
                                core::kLinearAttentionNote.data());
            } else {
                std::printf("%5d %4d  %-15.*s %5.2f  %5.2f  %5.2f  %5.2f  %5.2f  %5.2f b  %6.1f  %4.2f\n", s.layer,
                            s.head, int(s.tag.size()), s.tag.data(), double(s.prev_token), double(s.first_token),
                            double(s.self), double(s.duplicate), double(s.induction), double(s.entropy_bits),
                            double(s.window), double(s.sink));
            }
        std::printf("strongest:\n");
    }
    const int second = atlas->first_copy + half;
    double base      = 0;
    if (ablate) {
        auto b = core::probe_loss(model, atlas->probe, second, pool);
        if (!b) return print_error(b.error().message);
        base = *b;
    }
    for (const Best& b : kBest) {
        const HeadScores& s = *std::max_element(atlas->heads.begin(), atlas->heads.end(),
                                                [&](const auto& x, const auto& y) { return x.*b.score < y.*b.score; });
        double with         = 0;
        if (ablate) {
            core::Intervention zero;
            zero.kind  = core::InterventionKind::ZeroHead;
            zero.layer = s.layer;
            zero.head  = s.head;
            auto r     = core::probe_loss(model, atlas->probe, second, pool, {zero});
            if (!r) return print_error(r.error().message);
            with = *r;
        }
        if (json && ablate) {
            std::printf(
                "{\"ablation\":{\"behaviour\":%s,\"layer\":%d,\"head\":%d,\"score\":%s,\"loss\":%s,"
                "\"loss_zeroed\":%s}}\n",
                json_string(b.tag).c_str(), s.layer, s.head, json_number(s.*b.score, 4).c_str(),
                json_number(base, 5).c_str(), json_number(with, 5).c_str());
        } else if (!json) {
            std::printf("  %-16s layer %d head %d (%.2f)", b.tag, s.layer, s.head, double(s.*b.score));
            if (ablate)
                std::printf("   loss on the repeated half %.4f nats, with it zeroed %.4f (%+.4f)", base, with,
                            with - base);
            std::printf("\n");
        }
    }
    return 0;
}

}  // namespace ts::app
