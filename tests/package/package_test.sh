#!/usr/bin/env bash
# The Debian package from the build tree as it stands: cpack -G DEB into a temporary folder (CPack first brings the
# build up to date: its preinstall step), then dpkg-deb must accept it and list the FHS layout of
# packaging/CMakeLists.txt, its Depends must come from dpkg-shlibdeps, and the unpacked executable must run. The
# desktop entry, the MIME XML and the man page are checked with Debian's own tools when they are installed.
# Exit 77 (ctest: skipped) without cpack or dpkg-deb.      usage: package_test.sh BUILD_DIR VERSION
set -euo pipefail
build=$1 version=$2
for tool in cpack dpkg-deb; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cpack --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
    { cat "$tmp/cpack.log"; fail "cpack -G DEB failed"; }
debs=("$tmp"/out/tokenscope_"$version"_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "expected one tokenscope_${version}_ARCH.deb in: $(ls "$tmp/out")"
deb=${debs[0]}

dpkg-deb --info "$deb" >"$tmp/info" || fail "dpkg-deb --info rejects $deb"
dpkg-deb --contents "$deb" >"$tmp/contents" || fail "dpkg-deb --contents rejects $deb"
grep -q "^ Package: tokenscope$" "$tmp/info" || fail "no 'Package: tokenscope' in: $(cat "$tmp/info")"
grep -q "^ Version: $version$" "$tmp/info" || fail "no 'Version: $version'"
depends=$(sed -n 's/^ Depends: //p' "$tmp/info")
# Linked libraries (from dpkg-shlibdeps) and the two things the program opens without linking them.
for dep in libc6 libstdc++6 libpcre2-8-0 libgl1 fonts-dejavu-core; do
    [[ ", $depends," == *", $dep "* || ", $depends," == *", $dep,"* ]] || fail "Depends lacks $dep: $depends"
done
if grep -q "TS_BUILD_GUI:BOOL=ON" "$build/CMakeCache.txt"; then
    [[ "$depends" == *libglfw3* ]] || fail "Depends lacks libglfw3 (dpkg-shlibdeps): $depends"
fi
[[ "$depends" != *gtest* && "$depends" != *-dev* ]] || fail "Depends names a build-only package: $depends"

for path in usr/bin/tokenscope usr/share/applications/tokenscope.desktop usr/share/mime/packages/tokenscope.xml \
    usr/share/man/man1/tokenscope.1.gz usr/share/icons/hicolor/scalable/apps/tokenscope.svg \
    usr/share/icons/hicolor/48x48/apps/tokenscope.png usr/share/icons/hicolor/128x128/apps/tokenscope.png \
    usr/share/icons/hicolor/256x256/apps/tokenscope.png usr/share/doc/tokenscope/examples/read_trace.py \
    usr/share/tokenscope/lessons/01-first-contact.json usr/share/tokenscope/lessons/README.md; do
    grep -q " \./$path$" "$tmp/contents" || fail "the package lacks /$path"
done
! grep -E " \./usr/(lib|include)/| \./usr/local/|_test$" "$tmp/contents" || fail "the package holds files it should not"

# The unpacked executable runs from its FHS place (the default model is inside it).
dpkg-deb -x "$deb" "$tmp/root"
exe=$tmp/root/usr/bin/tokenscope
[ "$("$exe" --version | head -1)" = "tokenscope $version" ] || fail "--version: $("$exe" --version)"
(cd "$tmp" && TS_SIMD=scalar "$exe" run -n 2 -p "And God said" -t 1 >"$tmp/run.out" 2>&1) ||
    fail "tokenscope run: $(cat "$tmp/run.out")"
# It finds the installed lessons (<exe>/../share/tokenscope/lessons) from any folder.
(cd "$tmp" && TS_SIMD=scalar "$exe" lesson --list >"$tmp/lessons.out" 2>&1 && grep -q "01-first-contact" "$tmp/lessons.out") ||
    fail "tokenscope lesson --list: $(cat "$tmp/lessons.out")"

share=$tmp/root/usr/share
if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$share/applications/tokenscope.desktop" || fail "desktop-file-validate"
fi
if command -v update-mime-database >/dev/null; then
    mkdir -p "$tmp/mime/packages"
    cp "$share/mime/packages/tokenscope.xml" "$tmp/mime/packages/"
    update-mime-database "$tmp/mime" || fail "update-mime-database rejects tokenscope.xml"
    grep -q "application/x-gguf:\*\.gguf" "$tmp/mime/globs2" || fail "no *.gguf glob in the MIME database"
    grep -q "GGUF" "$tmp/mime/magic" || fail "no GGUF magic in the MIME database"
fi
zcat "$share/man/man1/tokenscope.1.gz" >"$tmp/tokenscope.1"
for verb in gui run tokenize info bench shot train eval lesson version; do
    grep -q "^\.SS \"tokenscope $verb" "$tmp/tokenscope.1" || fail "the man page has no section for '$verb'"
done
if command -v man >/dev/null; then
    LC_ALL=C.UTF-8 man --warnings -l "$tmp/tokenscope.1" 2>"$tmp/man.err" >/dev/null || fail "man cannot format it"
    [ ! -s "$tmp/man.err" ] || fail "man page warnings: $(cat "$tmp/man.err")"
fi
echo "OK: $(basename "$deb"), $(grep -c '' "$tmp/contents") entries; Depends: $depends"
