#!/usr/bin/env bash
# Builds the Debian package of this tree:
#
#   packaging/build-deb.sh OUTDIR     -> OUTDIR/nubo_<version>_<arch>.deb
#
# CPack (packaging/deb.cmake) packs the build tree `build/` (the one
# scripts/test built and tested; configured here if absent, or with
# NUBO_BUILD_DIR=DIR), with dpkg-shlibdeps for the library dependencies.
# Then lintian checks it (NUBO_LINTIAN=0 skips); any tag not overridden in
# packaging/lintian-overrides fails the build.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: packaging/build-deb.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
build=${NUBO_BUILD_DIR:-$here/build}
cd "$here"
source scripts/deps
nubo_install_deps dpkg-dev file lintian

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake -S . -B "$build" >/dev/null  # pick up packaging changes
cmake --build "$build" -j"$(nproc)" --target nubo cloud-init-generator

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
date=$(date -R -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date/" packaging/debian/changelog \
  | gzip -n9 >"$build/changelog.gz"
gzip -n9 <packaging/nubo.1 >"$build/nubo.1.gz"

rm -rf "$build/_CPack_Packages"
(cd "$build" && cpack -G DEB -B "$build/deb-out" >/dev/null)
deb=$(ls "$build"/deb-out/nubo_"$version"_*.deb)
cp "$deb" "$out/"
deb=$out/$(basename "$deb")
# CPack's Installed-Size counts the files before CPACK_STRIP_FILES strips
# them (10 MB for 3.5 MB of files): set it from what the package holds, as
# dpkg-gencontrol would (du -k of the tree), and pack it again.
repack=$(mktemp -d)
dpkg-deb -R "$deb" "$repack/pkg"
size=$(du -sk --exclude=DEBIAN "$repack/pkg" | cut -f1)
sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$repack/pkg/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz --build "$repack/pkg" "$deb" >/dev/null
rm -rf "$repack"
echo "built $deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'

if [ "${NUBO_LINTIAN:-1}" != 0 ]; then
  # --fail-on warning: errors and warnings fail; info/pedantic are shown.
  lintian --fail-on error,warning --info "$deb"
fi
