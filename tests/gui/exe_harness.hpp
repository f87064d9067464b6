// Running the built `tokenscope` from a GUI test and judging the pictures it writes: run() through the shell,
// PNG loading, and the checks "not blank" and "how much differs". Shared by gui_shot_test and gui_window_test.
#pragma once

#include <gtest/gtest.h>
#include <stb_image.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

namespace ts::test::exe {

struct RunResult {
    int code = -1;
    std::string output;  // stdout and stderr
};

// Runs a shell command line, stdout and stderr together.
inline RunResult run_shell(const std::string& command) {
    const std::string cmd = command + " 2>&1";
    RunResult r;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf;
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    const int status = pclose(p);
    r.code           = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return r;
}

// Runs `tokenscope ARGS` through the shell (after `prefix`, e.g. "env -u DISPLAY").
inline RunResult run(const std::string& args, const std::string& prefix = "") {
    return run_shell(prefix + " '" + TOKENSCOPE_EXE + "' " + args);
}

struct Png {
    int w = 0, h = 0;
    std::vector<uint8_t> rgba;
};

inline Png load_png(const std::string& path) {
    Png img;
    int n             = 0;
    unsigned char* px = stbi_load(path.c_str(), &img.w, &img.h, &n, 4);
    if (!px) return img;
    img.rgba.assign(px, px + size_t(img.w) * size_t(img.h) * 4);
    stbi_image_free(px);
    return img;
}

inline size_t distinct_colours(const Png& img) {
    std::set<uint32_t> colours;
    for (size_t i = 0; i + 3 < img.rgba.size(); i += 4)
        colours.insert(uint32_t(img.rgba[i]) | uint32_t(img.rgba[i + 1]) << 8 | uint32_t(img.rgba[i + 2]) << 16);
    return colours.size();
}

// Share of pixels whose colour differs by more than a few levels in any channel (leaving out the bottom rows).
inline double differing_share(const Png& a, const Png& b, int skip_bottom_rows = 0) {
    if (a.rgba.size() != b.rgba.size() || a.rgba.empty()) return 1.0;
    const size_t end = size_t(std::max(0, a.h - skip_bottom_rows)) * size_t(a.w) * 4;
    size_t diff      = 0;
    for (size_t i = 0; i < end; i += 4)
        for (size_t c = 0; c < 3; ++c)
            if (std::abs(int(a.rgba[i + c]) - int(b.rgba[i + c])) > 8) {
                ++diff;
                break;
            }
    return end ? double(diff) / double(end / 4) : 0.0;
}

// A picture that shows something: many colours, and not one colour nearly everywhere.
inline void expect_not_blank(const Png& img) {
    EXPECT_GT(distinct_colours(img), 50u) << "the image looks blank (too few colours)";
    // Not one dominant colour everywhere: count pixels that differ from the top-left pixel's colour.
    size_t other = 0;
    for (size_t i = 0; i < img.rgba.size(); i += 4)
        if (std::abs(int(img.rgba[i]) - int(img.rgba[0])) + std::abs(int(img.rgba[i + 1]) - int(img.rgba[1])) +
                std::abs(int(img.rgba[i + 2]) - int(img.rgba[2])) >
            24)
            ++other;
    EXPECT_GT(double(other) / double(img.rgba.size() / 4), 0.01) << "the image is nearly uniform";
}

}  // namespace ts::test::exe
