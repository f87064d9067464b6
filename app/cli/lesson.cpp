// `tokenscope lesson --check [FILE...]` runs every step of guided lessons headless and verifies each stated fact
// against the model (core/lesson/lesson.hpp); `tokenscope lesson --list [FILE...]` names them. Without FILEs: every
// *.json in the shipped lessons folder (assets/lessons, found as the default model is: find_asset()).
#include "core/lesson/lesson.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "app/cli/args.hpp"
#include "app/cli/commands.hpp"
#include "core/model/model.hpp"
#include "core/session/session.hpp"
#include "core/tensor/thread_pool.hpp"

namespace ts::app {
namespace {

namespace fs = std::filesystem;

// argv split into the flags (for ArgParser) and the lesson files (the arguments that are no flag and no flag's
// value).
void split_args(int argc, char** argv, std::vector<char*>* flags, std::vector<std::string>* files) {
    flags->push_back(argv[0]);
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (!a.empty() && a[0] == '-') {
            flags->push_back(argv[i]);
            const bool takes_value = a == "-m" || a == "--model" || a == "-t" || a == "--threads";
            if (takes_value && i + 1 < argc) flags->push_back(argv[++i]);
        } else {
            files->push_back(std::string(a));
        }
    }
}

// The shipped lessons, sorted by name; error when the folder is missing or empty.
core::Result<std::vector<std::string>> shipped_lessons() {
    const std::string dir = find_asset("lessons");
    if (dir.empty())
        return core::Error{core::Code::kIo,
                           "no lessons folder found (assets/lessons here, beside the executable, or "
                           "<prefix>/share/tokenscope/lessons); name the lesson files"};
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == ".json") files.push_back(e.path().string());
    if (ec) return core::Error{core::Code::kIo, dir + ": " + ec.message()};
    if (files.empty()) return core::Error{core::Code::kIo, dir + ": no *.json lessons"};
    std::sort(files.begin(), files.end());
    return files;
}

std::string base_name(const std::string& path) {
    return fs::path(path).filename().string();
}

}  // namespace

int cmd_lesson(int argc, char** argv) {
    std::string model_path = default_model_path();
    int32_t n_threads      = core::default_thread_count();
    bool check = false, list = false, verbose = false;
    ArgParser ap("lesson", "--check|--list [FILE...] [-m FILE] [-v]",
                 "check guided lessons against the model (every stated fact), or list them; FILE: a lesson .json "
                 "(default: every shipped lesson)");
    ap.add_flag("", "--check", &check, "run every step headless and verify its facts; exit 1 if any fails");
    ap.add_flag("", "--list", &list, "one line per lesson: file, steps, title");
    ap.add_flag("-v", "--verbose", &verbose, "with --check: every fact's measured value, not only failures");
    ap.add_string("-m", "--model", "FILE", &model_path, "model the lessons run on (written for the default model)");
    ap.add_int("-t", "--threads", "N", &n_threads, 1, kMaxThreads, "worker threads");
    std::vector<char*> flags;
    std::vector<std::string> files;
    split_args(argc, argv, &flags, &files);
    if (auto code = ap.parse(int(flags.size()), flags.data())) return *code;
    if (check == list) return ap.usage_error("say --check or --list");
    if (files.empty()) {
        auto shipped = shipped_lessons();
        if (!shipped) return print_error(shipped.error().message);
        files = std::move(*shipped);
    }

    // Every file is read first: a malformed lesson is reported (one error line) and the others still run.
    std::vector<core::lesson::Lesson> lessons;
    int bad_files = 0;
    for (const std::string& f : files) {
        auto l = core::lesson::load_lesson(f);
        if (!l) {
            std::fprintf(stderr, "error: %s\n", l.error().message.c_str());
            ++bad_files;
            continue;
        }
        l->file = base_name(f);
        lessons.push_back(std::move(*l));
    }
    if (list) {
        for (const auto& l : lessons)
            std::printf("%-28s %2zu steps  %s\n", l.file.c_str(), l.steps.size(), l.title.c_str());
        return bad_files ? 1 : 0;
    }

    auto loaded = core::load_model(model_path);
    if (!loaded) return print_error(loaded.error().message);
    core::SessionOptions opt;
    opt.n_threads = n_threads;
    const auto t0 = std::chrono::steady_clock::now();
    int n_steps = 0, n_facts = 0, n_failed = 0, failed_lessons = 0;
    for (const auto& l : lessons) {
        auto session = core::Session::create(*loaded, opt);
        if (!session) return print_error(session.error().message);
        const core::lesson::LessonReport r = core::lesson::check_lesson(l, **session);
        std::printf("%s: %s (%zu steps)\n", l.file.c_str(), l.title.c_str(), l.steps.size());
        for (const auto& s : r.steps) {
            std::vector<std::string> problems;
            if (!s.error.empty()) problems.push_back(s.error);
            for (const auto& f : s.facts)
                if (!f.ok) problems.push_back(f.message);
            if (problems.empty())
                std::printf("  step %-2d ok    %zu fact%s\n", s.step, s.facts.size(), s.facts.size() == 1 ? "" : "s");
            else
                std::printf("  step %-2d FAIL  step %d: %s\n", s.step, s.step, problems[0].c_str());
            for (size_t i = 1; i < problems.size(); ++i) std::printf("                also: %s\n", problems[i].c_str());
            if (verbose)
                for (const auto& f : s.facts) std::printf("      %s %s\n", f.ok ? "✓" : "✗", f.message.c_str());
        }
        n_steps += int(r.steps.size());
        n_facts += r.n_facts();
        n_failed += r.n_failed();
        failed_lessons += !r.ok();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (n_failed == 0 && bad_files == 0) {
        std::printf("%zu lessons, %d steps, %d facts: all hold (%.2f s)\n", lessons.size(), n_steps, n_facts, seconds);
        return 0;
    }
    std::printf("%zu lessons, %d steps, %d facts: %d failed in %d lesson%s", lessons.size(), n_steps, n_facts, n_failed,
                failed_lessons, failed_lessons == 1 ? "" : "s");
    if (bad_files) std::printf("; %d lesson file%s could not be read", bad_files, bad_files == 1 ? "" : "s");
    std::printf(" (%.2f s)\n", seconds);
    return 1;
}

}  // namespace ts::app
