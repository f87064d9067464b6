#!/usr/bin/env bash
# Installs every build, run and test dependency of TokenScope from Debian 12 packages.
# Idempotent: does nothing (no apt-get update, no install) when every package is already present.
set -euo pipefail

PACKAGES=(
    # build
    build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
    # GUI: Dear ImGui 1.86 (with GLFW/OpenGL3 backend sources), GLFW, glad 2 generator, stb (PNG writer)
    libimgui-dev libglfw3-dev libgl-dev python3-glad libstb-dev
    # tokenizers: Unicode-aware regular expressions for the pre-tokenizers
    libpcre2-dev
    # JSON written by a library: the trace file's document and `run --json` (header-only)
    nlohmann-json3-dev
    # install and package: the icon's PNG sizes (rsvg-convert), the .deb's dependencies (dpkg-shlibdeps)
    librsvg2-bin dpkg-dev
    # tests: GoogleTest, a virtual X server with Mesa's software OpenGL, fonts with wide Unicode coverage
    libgtest-dev libgmock-dev xvfb xauth libgl1-mesa-dri fonts-dejavu-core
    # tests: keys typed into the real window (tests/gui/gui_window_test.cpp)
    xdotool
    # tests: the package's desktop entry, MIME type and man page checked with Debian's tools (tests/package)
    desktop-file-utils shared-mime-info man-db
    # the default model's corpus and the trainer's plot
    bible-kjv python3-numpy
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#PACKAGES[@]} packages present"
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
