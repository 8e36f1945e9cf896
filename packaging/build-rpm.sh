#!/usr/bin/env bash
# Builds the RPM of this tree with rpmbuild (Debian's `rpm` package works):
#
#   packaging/build-rpm.sh OUTDIR     -> OUTDIR/nubo-<version>-1.<arch>.rpm
#
# Packs the binaries of build/ (NUBO_BUILD_DIR), the tree the tests ran on.
# On a Red Hat system, `rpmbuild -bb packaging/rpm/nubo.spec --define
# "_sourcedir $PWD"` compiles from source instead.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: packaging/build-rpm.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
build=${NUBO_BUILD_DIR:-$here/build}
cd "$here"
source scripts/deps
nubo_install_deps rpm
[ -x "$build/nubo" ] && [ -x "$build/cloud-init-generator" ] \
  || { echo "build-rpm: build $build first (cmake --build)" >&2; exit 1; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT
# --nodeps: the BuildRequires are RPM names, absent from a Debian rpm db.
rpmbuild -bb --nodeps packaging/rpm/nubo.spec \
  --define "_topdir $top" --define "_sourcedir $here" --define "_rpmdir $out" \
  --define "nubo_builddir $build" --define "nubo_version_override $version" \
  --define "_build_id_links none" >"$top/rpmbuild.log" 2>&1 \
  || { tail -30 "$top/rpmbuild.log" >&2; exit 1; }
rpm=$(find "$out" -name "nubo-$version-1*.rpm" | head -1)
echo "built $rpm"
rpm -qp --requires --provides --conflicts "$rpm" 2>/dev/null | grep -Ev "^(lib|rpmlib|rtld|/bin/sh)" | sort -u | sed "s/^/  /"
