// Resident memory of the test process, for tests that check that something does not allocate (or commit) memory.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdio>

namespace ts::core::testing {

// Linux /proc/self/statm, second field (resident pages), in bytes; 0 if it cannot be read.
inline size_t resident_bytes() {
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long long total = 0, resident = 0;
    const int n = std::fscanf(f, "%llu %llu", &total, &resident);
    std::fclose(f);
    return n == 2 ? size_t(resident) * size_t(sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace ts::core::testing
