// The SIGBUS handler: only async-signal-safe calls (find_mapped_file's atomic loads, write(2), _exit(2)).
#include "app/cli/model_fault.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "core/base/mmap.hpp"

namespace ts::app {
namespace {

void write_all(const char* s, size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(STDERR_FILENO, s, n);
        if (w <= 0) return;
        s += w;
        n -= size_t(w);
    }
}

void on_sigbus(int sig, siginfo_t* info, void* /*context*/) {
    const char* path = info ? core::find_mapped_file(info->si_addr) : nullptr;
    if (!path) {
        // Not a model mapping: the default action (the fault repeats when the handler returns).
        signal(sig, SIG_DFL);
        return;
    }
    constexpr char kHead[] = "error: model file changed on disk while in use: ";
    write_all(kHead, sizeof kHead - 1);
    write_all(path, std::strlen(path));
    constexpr char kTail[] = " (it was truncated or rewritten in place; --no-mmap reads it into memory instead)\n";
    write_all(kTail, sizeof kTail - 1);
    _exit(1);
}

}  // namespace

void install_model_fault_handler() {
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags     = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, nullptr);
}

}  // namespace ts::app
