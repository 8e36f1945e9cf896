#!/bin/bash
# Builds the cached cloud-init twin of the e2e guest tree: a copy of
# tests/e2e's base tree (lib/build-base.sh's output) with Debian bookworm's
# cloud-init 22.4.2 installed by apt, its first-boot state cleaned.
#
#   bench/boot/build-cloudinit-tree.sh BASE OUTDIR
#
# BASE is /var/cache/nubo-e2e/<hash>; leaves OUTDIR/root (atomically, via
# OUTDIR.tmp) and OUTDIR/versions (dpkg -l). bench/boot/run keys OUTDIR by
# the sha256 of this file and of build-base.sh: any change here rebuilds.
#
# Packages: cloud-init with --no-install-recommends, plus cloud-guest-utils
# (a Recommends of cloud-init: its `growpart`, without which cloud-init's
# growpart module does nothing and the comparison would favour it; nubo
# grows the partition in-process).
set -euo pipefail

RECIPE_VERSION=1
PACKAGES=(cloud-init cloud-guest-utils)

base=$1 out=$2
tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
log() { printf 'bench build-cloudinit-tree: %s\n' "$*" >&2; }

in_chroot() {
  local root=$1; shift
  unshare --mount --uts --ipc --pid --fork /bin/sh -euc '
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --bind /dev "$root/dev"
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
      DEBIAN_FRONTEND=noninteractive HOME=/root "$@"
  ' sh "$root" "$@"
}

root=$tmp/root
log "copying $base/root"
cp -a "$base/root" "$root"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
log "apt-get install --no-install-recommends ${PACKAGES[*]}"
in_chroot "$root" apt-get update -q >"$tmp/apt.log" 2>&1 \
  || { tail -30 "$tmp/apt.log" >&2; exit 1; }
in_chroot "$root" apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >>"$tmp/apt.log" 2>&1 \
  || { tail -50 "$tmp/apt.log" >&2; exit 1; }
in_chroot "$root" apt-get clean
in_chroot "$root" dpkg -l >"$tmp/versions"
grep -E '^ii +cloud-init ' "$tmp/versions" >&2

# First boot must be a first boot: no cloud-init state or logs, no host
# keys, no machine-id, the base tree's hostname and resolv.conf.
rm -f "$root/usr/sbin/policy-rc.d" "$root"/etc/ssh/ssh_host_*
rm -rf "$root"/var/lib/apt/lists/* "$root/var/lib/cloud" "$root/run/cloud-init"
rm -f "$root"/var/log/cloud-init*.log
: >"$root/etc/resolv.conf"
: >"$root/etc/machine-id"
echo localhost >"$root/etc/hostname"

rm -rf "$out"
mv "$tmp" "$out"
log "done: $out"
