#!/bin/bash
# Builds the cached root tree of the e2e guest: Debian bookworm minbase, the
# Debian cloud kernel, systemd, openssh-server and nubo's runtime libraries,
# but no cloud-init and no nubo (the package under test is added per run by
# tests/e2e/run, so a rebuild of nubo never invalidates this cache).
#
#   lib/build-base.sh OUTDIR
#
# Leaves (atomically, via OUTDIR.tmp then rename):
#   OUTDIR/root/     the tree (made to look like a cloud image before first boot)
#   OUTDIR/vmlinuz   OUTDIR/initrd.img   the kernel and initramfs, for qemu -kernel/-initrd
#   OUTDIR/versions  dpkg -l of the tree
# The cache key is the sha256 of this file: any change here rebuilds.
set -euo pipefail

RECIPE_VERSION=1
SUITE=bookworm
MIRROR=${NUBO_E2E_MIRROR:-http://deb.debian.org/debian}
# The guest: init, kernel, sshd, sudo, DHCP (systemd-networkd), D-Bus for
# hostnamed, and the shared libraries nubo's package depends on, so the .deb
# installs offline with dpkg -i (a missing one fails the run, as it should).
PACKAGES=(systemd systemd-sysv udev dbus linux-image-cloud-amd64 initramfs-tools
          openssh-server sudo iproute2 procps e2fsprogs
          libyaml-0-2 libcurl4 libsystemd0 libblkid1 libfdisk1 zlib1g libssl3)

out=$1
tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
log() { printf 'e2e build-base: %s\n' "$*" >&2; }

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
log "debootstrap --variant=minbase $SUITE ($MIRROR)"
debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$tmp/debootstrap.log" 2>&1 \
  || { tail -50 "$tmp/debootstrap.log" >&2; exit 1; }
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The initramfs finds the root by PARTUUID on virtio; keep it small.
mkdir -p "$root/etc/initramfs-tools/conf.d"
cat >"$root/etc/initramfs-tools/modules" <<'MODS'
virtio_pci
virtio_blk
ext4
MODS
echo 'MODULES=list' >"$root/etc/initramfs-tools/conf.d/nubo-e2e"

log "apt-get install ${PACKAGES[*]}"
in_chroot "$root" apt-get update -q >"$tmp/apt.log" 2>&1
in_chroot "$root" apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >>"$tmp/apt.log" 2>&1 \
  || { tail -50 "$tmp/apt.log" >&2; exit 1; }
in_chroot "$root" apt-get clean
in_chroot "$root" dpkg -l >"$tmp/versions"

cp -L "$root/vmlinuz" "$tmp/vmlinuz"
cp -L "$root/initrd.img" "$tmp/initrd.img"
chmod 644 "$tmp/vmlinuz" "$tmp/initrd.img"

# A cloud image before its first boot: no host keys, no machine-id, no
# hostname of its own, DHCP on every Ethernet link, the root by PARTUUID.
rm -f "$root"/etc/ssh/ssh_host_* "$root/usr/sbin/policy-rc.d"
rm -rf "$root"/var/lib/apt/lists/* "$root/etc/cloud" "$root/var/lib/cloud"
echo localhost >"$root/etc/hostname"
cat >"$root/etc/hosts" <<'HOSTS'
127.0.0.1	localhost
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
HOSTS
: >"$root/etc/resolv.conf"
: >"$root/etc/machine-id"
echo 'LANG=C.UTF-8' >"$root/etc/default/locale"
cat >"$root/etc/systemd/network/50-dhcp.network" <<'NET'
[Match]
Type=ether
[Network]
DHCP=ipv4
NET
cat >"$root/etc/fstab" <<'FSTAB'
# The e2e disk: one GPT partition, PARTUUID fixed by tests/e2e/run.
PARTUUID=6e756230-0000-4000-8000-000000000001 / ext4 defaults 0 1
FSTAB
ln -sf /lib/systemd/system/systemd-networkd.service \
  "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
# Nothing a TCG guest should spend its boot on: scrubbing, apt timers.
for u in e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer \
         fstrim.timer dpkg-db-backup.timer; do
  ln -sf /dev/null "$root/etc/systemd/system/$u"
done
# networkd's Also= units, as "systemctl enable systemd-networkd" makes them.
mkdir -p "$root/etc/systemd/system/sockets.target.wants" \
  "$root/etc/systemd/system/network-online.target.wants"
ln -sf /lib/systemd/system/systemd-networkd.socket \
  "$root/etc/systemd/system/sockets.target.wants/systemd-networkd.socket"
ln -sf /lib/systemd/system/systemd-networkd-wait-online.service \
  "$root/etc/systemd/system/network-online.target.wants/systemd-networkd-wait-online.service"
# ssh host keys are generated at first boot by nubo's ssh module; without it
# (run 5, agent off) sshd would have none: Debian's ssh unit does not make them.
mkdir -p "$root/etc/systemd/system/ssh.service.d"
cat >"$root/etc/systemd/system/ssh.service.d/e2e-hostkeys.conf" <<'DROP'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
DROP

rm -rf "$out"
mv "$tmp" "$out"
log "done: $out"
