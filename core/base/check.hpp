// TS_CHECK: invariants of our own code (not user input), on in every build, like GGML_ASSERT.
// A failed check prints file, line and reason and aborts: it is a bug, never a way to report bad input.
#pragma once

#include <cstdio>
#include <cstdlib>

#define TS_CHECK(cond, why)                                                                                  \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            std::fprintf(stderr, "%s:%d: internal check failed: %s (%s)\n", __FILE__, __LINE__, #cond, why); \
            std::abort();                                                                                    \
        }                                                                                                    \
    } while (0)
