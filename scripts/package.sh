#!/usr/bin/env bash
# Installs dependencies, builds (Release) and makes the Debian package build/package/tokenscope_<version>_<arch>.deb
# with CPack (packaging/CMakeLists.txt says what goes where). Install it with
#   sudo apt-get install ./build/package/tokenscope_<version>_<arch>.deb
# and remove it with `sudo apt-get remove tokenscope`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
rm -f build/package/tokenscope_*.deb
cpack --config build/release/CPackConfig.cmake -G DEB -B build/package
ls -l build/package/tokenscope_*.deb
