#!/bin/bash
# Builds the cached sandbox trees for the compat suite.
#
#   lib/build-trees.sh OUTDIR
#
# Produces (atomically, via OUTDIR.tmp then rename):
#   OUTDIR/base/             Debian bookworm minbase + common packages + cloud-init's dependencies
#                            (but not cloud-init itself); the nubo tree is this plus the nubo binary.
#   OUTDIR/cloud-init/       base + `dpkg -i cloud-init.deb`
#   OUTDIR/cloud-init.deb    the package that was installed
#   OUTDIR/default-config/   /etc/cloud/cloud.cfg and cloud.cfg.d/05_logging.cfg from that package
#   OUTDIR/versions          dpkg -l of both trees' agent-relevant packages
#
# The cache key is the sha256 of this file, so any change here (packages, steps) rebuilds.
# Package installs run in a chroot inside a private mount/pid/uts/ipc namespace, with a
# policy-rc.d that forbids starting services.
set -euo pipefail

RECIPE_VERSION=1
SUITE=bookworm
MIRROR=${NUBO_COMPAT_MIRROR:-http://deb.debian.org/debian}
# What both trees get. The nubo runtime libraries are listed explicitly.
PACKAGES=(systemd openssh-server sudo passwd login hostname procps iproute2
          libyaml-0-2 libcurl4 libsystemd0 libblkid1 libfdisk1 zlib1g)

out=$1
tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp"

log() { printf 'build-trees: %s\n' "$*" >&2; }

# Run a command chrooted in $1 inside fresh namespaces, with /proc mounted. Network is shared
# (apt needs it); services cannot start because of policy-rc.d.
in_chroot() {
  local root=$1; shift
  unshare --mount --uts --ipc --pid --fork /bin/sh -euc '
    root=$1; shift
    mount -t proc proc "$root/proc"
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
      DEBIAN_FRONTEND=noninteractive HOME=/root "$@"
  ' sh "$root" "$@"
}

log "debootstrap --variant=minbase $SUITE ($MIRROR)"
debootstrap --variant=minbase "$SUITE" "$tmp/base" "$MIRROR" >"$tmp/debootstrap.log" 2>&1 \
  || { tail -50 "$tmp/debootstrap.log" >&2; exit 1; }

base=$tmp/base
printf '#!/bin/sh\nexit 101\n' >"$base/usr/sbin/policy-rc.d"
chmod 755 "$base/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$base/etc/resolv.conf"

log "apt-get install ${PACKAGES[*]}"
in_chroot "$base" apt-get update -q >"$tmp/apt.log" 2>&1
in_chroot "$base" apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >>"$tmp/apt.log" 2>&1 \
  || { tail -50 "$tmp/apt.log" >&2; exit 1; }
log "apt-get install cloud-init (for its dependencies), then purge cloud-init from base"
in_chroot "$base" apt-get install -y -q --no-install-recommends cloud-init >>"$tmp/apt.log" 2>&1 \
  || { tail -50 "$tmp/apt.log" >&2; exit 1; }
cp "$base"/var/cache/apt/archives/cloud-init_*.deb "$tmp/cloud-init.deb"
in_chroot "$base" dpkg --purge cloud-init >>"$tmp/apt.log" 2>&1
in_chroot "$base" apt-get clean

# Make the base look like a cloud image before first boot, deterministically.
rm -rf "$base/etc/cloud" "$base/var/lib/cloud" "$base"/var/log/cloud-init*
rm -f "$base"/etc/ssh/ssh_host_*
rm -rf "$base"/var/lib/apt/lists/*
echo localhost >"$base/etc/hostname"
cat >"$base/etc/hosts" <<'HOSTS'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
HOSTS
: >"$base/etc/resolv.conf"
chmod 644 "$base/etc/resolv.conf" "$base/etc/hostname" "$base/etc/hosts"
: >"$base/etc/machine-id"
# As Debian's cloud images: the system locale is C.UTF-8 (cc_locale then has nothing to do).
echo 'LANG=C.UTF-8' >"$base/etc/default/locale"

log "building the cloud-init tree"
cp -a "$base" "$tmp/cloud-init"
cp "$tmp/cloud-init.deb" "$tmp/cloud-init/tmp/cloud-init.deb"
in_chroot "$tmp/cloud-init" dpkg -i /tmp/cloud-init.deb >>"$tmp/apt.log" 2>&1 \
  || { tail -50 "$tmp/apt.log" >&2; exit 1; }
rm -f "$tmp/cloud-init/tmp/cloud-init.deb"
rm -rf "$tmp/cloud-init/var/lib/cloud"/* "$tmp/cloud-init"/var/log/cloud-init*

mkdir -p "$tmp/default-config/cloud.cfg.d"
cp "$tmp/cloud-init/etc/cloud/cloud.cfg" "$tmp/default-config/cloud.cfg"
cp "$tmp/cloud-init/etc/cloud/cloud.cfg.d/05_logging.cfg" "$tmp/default-config/cloud.cfg.d/"
in_chroot "$tmp/cloud-init" dpkg-query -W cloud-init openssh-server passwd sudo systemd >"$tmp/versions"

rm -rf "$out"
mv "$tmp" "$out"
log "done: $out"
