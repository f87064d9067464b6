// `tokenscope train`: trains a byte-level BPE vocabulary and a small llama-architecture model on a text corpus and
// writes it as GGUF (ARCHITECTURE §7). Prints a progress line every few steps, validates on the held-out tail, and
// keeps a checkpoint beside the output that `--resume` continues from.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "app/cli/commands.hpp"
#include "core/tensor/thread_pool.hpp"
#include "core/train/bpe.hpp"
#include "core/train/checkpoint.hpp"
#include "core/train/export_gguf.hpp"
#include "core/train/trainer.hpp"

namespace ts::app {
namespace {

using namespace ts::core;
using namespace ts::core::train;

constexpr const char* kUsage =
    "usage: tokenscope train --corpus FILE -o FILE.gguf [flags]\n"
    "  --vocab N        BPE vocabulary size incl. the special token (default 4096)\n"
    "  --layers L       transformer blocks (default 4)\n"
    "  --dim D          embedding width (default 256)\n"
    "  --heads H        attention heads (default 8)\n"
    "  --kv-heads K     key/value heads, divides H (default 2)\n"
    "  --ffn F          MLP hidden width (default 2.75*dim rounded to 32)\n"
    "  --ctx C          context length trained on (default 256)\n"
    "  --untied         separate output matrix (default: tied to token_embd)\n"
    "  --steps S        optimiser steps (default 2000)\n"
    "  --batch B        sequences per step (default 8)\n"
    "  --lr LR          peak learning rate (default 1e-3; warm-up then cosine to lr/10)\n"
    "  --warmup N       warm-up steps (default min(100, steps/10))\n"
    "  --seed S         seed of initialisation and batches (default 1)\n"
    "  --val-frac X     held-out tail for validation (default 0.05)\n"
    "  --eval-every N   validation every N steps (default 200)\n"
    "  --save-every N   checkpoint every N steps (default 250; 0: only at the end)\n"
    "  --ckpt FILE      checkpoint path (default: output + .ckpt)\n"
    "  --resume CKPT    continue a checkpoint (its model and vocabulary; --steps may extend it)\n"
    "  --log-every N    progress line every N steps (default 10)\n"
    "  --name NAME      general.name of the model (default tokenscope-default)\n"
    "  -t THREADS       threads (default: the hardware's, at most 8)\n";

struct Args {
    std::string corpus, out, ckpt, resume, name = "tokenscope-default";
    ModelConfig cfg;
    TrainOptions opt;
    int vocab = 4096, threads = 0, log_every = 10;
    int64_t save_every = 250;
    bool steps_given   = false;
};

int usage_error(const char* fmt, const char* a, const char* b = "") {
    std::fprintf(stderr, "error: ");
    std::fprintf(stderr, fmt, a, b);
    std::fprintf(stderr, "\n%s", kUsage);
    return 2;
}

bool parse_i64(const char* s, int64_t lo, int64_t& out) {
    char* end         = nullptr;
    const long long v = std::strtoll(s, &end, 10);
    if (!*s || *end || v < lo) return false;
    out = v;
    return true;
}

bool parse_f32(const char* s, float& out) {
    char* end = nullptr;
    out       = std::strtof(s, &end);
    return *s && !*end && std::isfinite(out);
}

// Returns -1 when parsing succeeded, else the exit code.
int parse_args(int argc, char** argv, Args& a) {
    a.cfg.n_embd = 256, a.cfg.n_layer = 4, a.cfg.n_head = 8, a.cfg.n_head_kv = 2, a.cfg.n_ctx = 256, a.cfg.n_ff = 0;
    a.opt.steps = 2000, a.opt.batch = 8, a.opt.lr = 1e-3f;
    for (int i = 1; i < argc; ++i) {
        const std::string f = argv[i];
        if (f == "-h" || f == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (f == "--untied") {
            a.cfg.tied = false;
            continue;
        }
        if (i + 1 >= argc) return usage_error("flag %s needs a value", f.c_str());
        const char* v = argv[++i];
        int64_t n     = 0;
        float x       = 0;
        auto int_flag = [&](int64_t lo, auto& dst) {
            if (!parse_i64(v, lo, n)) return false;
            dst = static_cast<std::remove_reference_t<decltype(dst)>>(n);
            return true;
        };
        bool ok = true;
        if (f == "--corpus")
            a.corpus = v;
        else if (f == "-o" || f == "--output")
            a.out = v;
        else if (f == "--ckpt")
            a.ckpt = v;
        else if (f == "--resume")
            a.resume = v;
        else if (f == "--name")
            a.name = v;
        else if (f == "--vocab")
            ok = int_flag(257, a.vocab);
        else if (f == "--layers")
            ok = int_flag(1, a.cfg.n_layer);
        else if (f == "--dim")
            ok = int_flag(2, a.cfg.n_embd);
        else if (f == "--heads")
            ok = int_flag(1, a.cfg.n_head);
        else if (f == "--kv-heads")
            ok = int_flag(1, a.cfg.n_head_kv);
        else if (f == "--ffn")
            ok = int_flag(1, a.cfg.n_ff);
        else if (f == "--ctx")
            ok = int_flag(2, a.cfg.n_ctx);
        else if (f == "--steps")
            ok = int_flag(1, a.opt.steps), a.steps_given = true;
        else if (f == "--batch")
            ok = int_flag(1, a.opt.batch);
        else if (f == "--warmup")
            ok = int_flag(0, a.opt.warmup);
        else if (f == "--seed")
            ok = int_flag(0, a.opt.seed);
        else if (f == "--eval-every")
            ok = int_flag(0, a.opt.eval_every);
        else if (f == "--save-every")
            ok = int_flag(0, a.save_every);
        else if (f == "--log-every")
            ok = int_flag(1, a.log_every);
        else if (f == "-t" || f == "--threads")
            ok = int_flag(1, a.threads);
        else if (f == "--lr")
            ok = parse_f32(v, a.opt.lr) && a.opt.lr > 0;
        else if (f == "--val-frac")
            ok = parse_f32(v, a.opt.val_frac) && a.opt.val_frac >= 0 && a.opt.val_frac < 0.9f;
        else
            return usage_error("unknown flag %s", f.c_str());
        (void)x;
        if (!ok) return usage_error("bad value '%s' for %s", v, f.c_str());
    }
    if (a.corpus.empty() || a.out.empty()) return usage_error("%s", "--corpus FILE and -o FILE.gguf are required");
    if (a.cfg.n_ff == 0) a.cfg.n_ff = (a.cfg.n_embd * 11 / 4 + 31) / 32 * 32;
    if (a.ckpt.empty()) a.ckpt = a.out + ".ckpt";
    if (a.threads == 0) a.threads = default_thread_count();
    return -1;
}

std::string format_duration(double s) {
    char buf[32];
    const long t = long(std::max(0.0, s));
    if (t >= 3600)
        std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else
        std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
    return buf;
}

double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int fail(const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.message.c_str());
    return 1;
}

}  // namespace

int cmd_train(int argc, char** argv) {
    Args a;
    if (const int rc = parse_args(argc, argv, a); rc >= 0) return rc;
    std::string command = "tokenscope";
    for (int i = 0; i < argc; ++i) command += std::string(" ") + argv[i];

    if (a.resume.empty()) {  // bad model flags are reported before minutes of BPE training, as usage errors
        ModelConfig probe = a.cfg;
        probe.n_vocab     = a.vocab;
        if (Status st = probe.validate(); !st.ok()) {
            std::fprintf(stderr, "error: %s\n", st.error().message.c_str());
            return 2;
        }
    }
    std::ifstream in(a.corpus, std::ios::binary);
    if (!in) return fail(make_error(Code::kIo, "%s: cannot open the corpus", a.corpus.c_str()));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ThreadPool pool(a.threads);
    const auto t_start = std::chrono::steady_clock::now();

    // The vocabulary: trained now, or the checkpoint's.
    TrainState resumed;
    Vocab vocab;
    if (!a.resume.empty()) {
        auto st = read_checkpoint(a.resume);
        if (!st.ok()) return fail(st.error());
        resumed = std::move(*st);
        vocab   = resumed.vocab;
        std::printf("resuming %s at step %lld of %lld\n", a.resume.c_str(), (long long)resumed.step,
                    (long long)resumed.opt.steps);
    } else {
        BpeOptions bo;
        bo.n_vocab = a.vocab;
        auto v     = train_bpe(text, bo);
        if (!v.ok()) return fail(v.error());
        vocab = std::move(*v);
        std::printf("bpe: %zu tokens (%zu merges) from %zu bytes in %.1f s\n", vocab.tokens.size(), vocab.merges.size(),
                    text.size(), since(t_start));
    }
    auto enc = BpeEncoder::create(vocab);
    if (!enc.ok()) return fail(enc.error());
    auto ids = enc->encode(text);
    if (!ids.ok()) return fail(ids.error());
    const float val_frac = a.resume.empty() ? a.opt.val_frac : resumed.opt.val_frac;
    TrainData data       = split_tokens(*ids, val_frac, vocab.bos);
    std::printf("corpus: %zu tokens (%.2f bytes/token), %zu for training, %zu for validation\n", ids->size(),
                double(text.size()) / double(std::max<size_t>(1, ids->size())), data.train.size(), data.val.size());

    Result<Trainer> made = Error{};
    if (!a.resume.empty()) {
        made = Trainer::resume(std::move(resumed), std::move(data), &pool);
    } else {
        a.cfg.n_vocab = int(vocab.tokens.size());
        made          = Trainer::create(a.cfg, a.opt, vocab, std::move(data), &pool);
    }
    if (!made.ok()) return fail(made.error());
    Trainer& tr = *made;
    if (!a.resume.empty() && a.steps_given) tr.set_total_steps(a.opt.steps);
    const ModelConfig& c  = tr.model().config();
    const TrainOptions& o = tr.options();
    std::printf(
        "model: llama, %d layers, dim %d, %d heads (%d kv), ffn %d, ctx %d, vocab %d, %s output: %.2fM params\n",
        c.n_layer, c.n_embd, c.n_head, c.n_head_kv, c.n_ff, c.n_ctx, c.n_vocab, c.tied ? "tied" : "separate",
        double(tr.model().n_params()) / 1e6);
    std::printf("train: %lld steps x %d sequences x %d tokens, lr %g, seed %llu, %d threads\n", (long long)o.steps,
                o.batch, c.n_ctx, double(o.lr), (unsigned long long)o.seed, a.threads);
    std::fflush(stdout);

    const auto t_loop   = std::chrono::steady_clock::now();
    const int64_t step0 = tr.step();
    double loss_acc     = 0;
    int n_acc           = 0;
    while (!tr.done()) {
        loss_acc += tr.train_step();
        ++n_acc;
        const int64_t s = tr.step();
        if (s % a.log_every == 0 || tr.done()) {
            const double el  = since(t_loop);
            const double tps = double((s - step0) * int64_t(o.batch) * c.n_ctx) / el;
            const double eta = el / double(s - step0) * double(tr.options().steps - s);
            std::printf("step %6lld/%lld  loss %.4f  lr %.2e  |g| %.2f  tok/s %.0f  elapsed %s  eta %s\n", (long long)s,
                        (long long)tr.options().steps, loss_acc / n_acc, double(tr.current_lr()), tr.last_grad_norm(),
                        tps, format_duration(el).c_str(), format_duration(eta).c_str());
            std::fflush(stdout);
            loss_acc = 0, n_acc = 0;
        }
        if (o.eval_every > 0 && s % o.eval_every == 0 && !tr.done()) {
            std::printf("step %6lld  val loss %.4f\n", (long long)s, tr.validation_loss());
            std::fflush(stdout);
        }
        if (a.save_every > 0 && s % a.save_every == 0 && !tr.done())
            if (Status st = write_checkpoint(a.ckpt, tr.state()); !st.ok()) return fail(st.error());
    }
    const double val = tr.validation_loss();
    std::printf("final val loss %.4f\n", val);
    if (Status st = write_checkpoint(a.ckpt, tr.state()); !st.ok()) return fail(st.error());
    TrainRecord rec;
    rec.name    = a.name;
    rec.corpus  = a.corpus.substr(a.corpus.find_last_of('/') + 1);
    rec.command = command;
    if (Status st = write_model_gguf(a.out, tr.state(), rec); !st.ok()) return fail(st.error());
    std::printf("wrote %s (checkpoint %s) in %s\n", a.out.c_str(), a.ckpt.c_str(),
                format_duration(since(t_start)).c_str());
    return 0;
}

}  // namespace ts::app
