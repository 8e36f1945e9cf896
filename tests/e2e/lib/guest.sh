# tests/e2e/lib/guest.sh — building, booting and checking a guest; sourced by
# tests/e2e/run and bench/boot. The caller sets: base (the cached guest tree,
# see build-base.sh), work (scratch dir, holds id_e2e), logs, deb (the
# package), PARTUUID, DISK_SIZE, ROOTFS_MB, smp, boot_timeout; and per boot
# CASE (names the log dir), GUESTFWD, KERNEL_ARGS, BOOT_SUFFIX, GUEST_USER;
# top (the source tree) for the dib element.
# log() must exist.

in_chroot() {
  local root=$1; shift
  unshare --mount --uts --ipc --pid --fork /bin/sh -euc '
    root=$1; shift
    mount -t proc proc "$root/proc"
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
      DEBIAN_FRONTEND=noninteractive HOME=/root "$@"
  ' sh "$root" "$@"
}

# make_disk NAME [SETUP_FN] [HOW]: the base tree + the package (+ SETUP_FN
# TREE), as an ext4 filesystem in partition 1 of a GPT disk larger than it.
# HOW installs the package: dpkg (default: dpkg -i, so a missing dependency
# fails), dib (the diskimage-builder element's phases, see install_dib), or
# none (the image without an agent).
declare -A disks=()
make_disk() {
  local name=$1 setup=${2:-} how=${3:-dpkg}
  local tree=$work/tree-$name img=$work/$name.disk fs=$work/$name.ext4
  local t=$(date +%s)
  rm -rf "$tree"
  cp -a "$base/root" "$tree"
  case "$how" in
    dpkg)
      cp "$deb" "$tree/tmp/nubo.deb"
      in_chroot "$tree" dpkg -i /tmp/nubo.deb >"$logs/dpkg-$name.log" 2>&1 \
        || { cat "$logs/dpkg-$name.log" >&2; log "dpkg -i failed"; return 1; }
      rm -f "$tree/tmp/nubo.deb" ;;
    dib)
      install_dib "$tree" >"$logs/dib-$name.log" 2>&1 \
        || { cat "$logs/dib-$name.log" >&2; log "the dib element failed"; return 1; }
      ;;
    none) ;;
    *) log "make_disk: unknown install mode '$how'"; return 1 ;;
  esac
  [ -z "$setup" ] || "$setup" "$tree"
  rm -f "$fs"
  mkfs.ext4 -q -F -L rootfs -d "$tree" "$fs" "${ROOTFS_MB}M"
  rm -rf "$tree"
  truncate -s "$DISK_SIZE" "$img"
  sfdisk -q "$img" <<EOF
label: gpt
label-id: 6E756230-0000-4000-8000-0000000000D0
start=2048, size=$((ROOTFS_MB * 2048)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=$PARTUUID
EOF
  dd if="$fs" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none
  rm -f "$fs"
  disks[$name]=$img
  log "disk $name: $img ($(( $(date +%s) - t ))s)"
}

# install_dib TREE: packaging/dib/nubo's phases run as disk-image-create runs
# them (diskimage-builder is not in Debian): environment.d sourced;
# extra-data.d outside the image with TMP_HOOKS_PATH (which the image sees as
# /tmp/in_target.d); install.d and post-install.d inside it, from
# /tmp/in_target.d, in lexical order. The caller's DIB_* variables pass
# through (DIB_CLOUD_INIT_DATASOURCES, DIB_NUBO_CLOUD_CFG).
install_dib() {
  local tree=$1 el=$top/packaging/dib/nubo phase f
  local hooks=$tree/tmp/in_target.d
  mkdir -p "$hooks"
  # Each step checked by hand: set -e does not hold in a caller's "||".
  (
    export DIB_NUBO_PACKAGE=$deb TMP_HOOKS_PATH=$hooks
    for f in "$el"/environment.d/*; do source "$f" || exit 1; done
    for f in "$el"/extra-data.d/*; do echo "extra-data.d/${f##*/}"; "$f" || exit 1; done
    for phase in install.d post-install.d; do
      cp -r "$el/$phase" "$hooks/" || exit 1
      for f in "$hooks/$phase"/*; do
        echo "$phase/${f##*/}"
        in_chroot "$tree" env DIB_CLOUD_INIT_DATASOURCES="$DIB_CLOUD_INIT_DATASOURCES" \
          "/tmp/in_target.d/$phase/${f##*/}" || exit 1
      done
    done
  )
  local rc=$?
  rm -rf "$hooks"
  return $rc
}

# seed_nocloud DIR -> DIR/seed.iso (cidata) from DIR/{user-data,meta-data}
seed_nocloud() {
  genisoimage -quiet -output "$1/seed.iso" -volid cidata -joliet -rock \
    "$1/user-data" "$1/meta-data"
}

QEMU_PID=""
SSH_PORT=""
# boot CASE DISK [qemu args...]: starts the guest in the background.
boot() {
  local case=$1 disk=$2; shift 2
  local d=$logs/$case
  SSH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local netdev="user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22"
  # PROBE_PORT (bench/boot): a second forward, to the guest's closed port 9,
  # whose reset tells the host that the guest's network is up.
  PROBE_PORT=""
  if [ -n "${WANT_NET_PROBE:-}" ]; then
    PROBE_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    netdev="$netdev,hostfwd=tcp:127.0.0.1:$PROBE_PORT-:9"
  fi
  # slirp forwards only addresses inside its own network: with a guestfwd to
  # 169.254.169.254 the guest's network is 169.254.169.0/24 (DHCP from slirp).
  [ -z "${GUESTFWD:-}" ] || netdev="$netdev,net=169.254.169.0/24,host=169.254.169.2,dhcpstart=169.254.169.15,dns=169.254.169.3,guestfwd=$GUESTFWD"
  log "[$case] booting (ssh on 127.0.0.1:$SSH_PORT)"
  qemu-system-x86_64 -accel tcg -machine pc -m 1024 -smp "$smp" \
    -display none -monitor none -serial "file:$d/console${BOOT_SUFFIX:-}.log" \
    -kernel "$base/vmlinuz" -initrd "$base/initrd.img" \
    -append "root=PARTUUID=$PARTUUID rw console=ttyS0,115200 no_timer_check ${KERNEL_ARGS:-}" \
    -drive "file=$disk,if=virtio,format=raw,cache=unsafe" \
    -netdev "$netdev" -device virtio-net-pci,netdev=n0 \
    -device virtio-rng-pci "$@" \
    >"$d/qemu${BOOT_SUFFIX:-}.log" 2>&1 &
  QEMU_PID=$!
  BOOT_START=$(date +%s)
}

GUEST_USER=""
# guest ARGV...: runs ARGV in the guest as GUEST_USER, each word quoted, so
# the guest sees exactly this argv (shell syntax needs an explicit sh -c).
guest() {
  ssh -q -i "$work/id_e2e" -p "$SSH_PORT" -o BatchMode=yes -o ConnectTimeout=10 \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
    "$GUEST_USER@127.0.0.1" "$(printf '%q ' "$@")"
}

wait_ssh() {
  local deadline=$(( $(date +%s) + boot_timeout ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    kill -0 "$QEMU_PID" 2>/dev/null || { log "qemu exited"; return 1; }
    if guest true 2>/dev/null; then
      SSH_AFTER=$(( $(date +%s) - BOOT_START ))
      return 0
    fi
    sleep 1
  done
  return 1
}

# collect CASE: journal, cloud-init logs, generator logs, into the case's logs.
collect() {
  local d=$logs/$1 s=${BOOT_SUFFIX:-}
  guest sudo -n journalctl -b --no-pager -o short-monotonic >"$d/journal$s.log" 2>&1 || true
  guest sudo -n cat /var/log/cloud-init.log >"$d/cloud-init$s.log" 2>&1 || true
  guest sudo -n cat /var/log/cloud-init-output.log >"$d/cloud-init-output$s.log" 2>&1 || true
  guest sudo -n sh -c 'for f in /run/cloud-init/cloud-init-generator.log /run/cloud-init/ds-identify.log /run/cloud-init/cloud.cfg; do echo "== $f"; cat $f; done' \
    >"$d/generator$s.log" 2>&1 || true
  guest systemd-analyze >"$d/systemd-analyze$s.txt" 2>&1 || true
}

shutdown_guest() {
  guest sudo -n systemctl poweroff >/dev/null 2>&1 || true
  local i
  for i in $(seq 60); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 1; done
  kill "$QEMU_PID" 2>/dev/null || true
  wait "$QEMU_PID" 2>/dev/null || true
  QEMU_PID=""
}

FAILS=0
CHECK_LOG=""
pass() { echo "ok   $*" >>"$CHECK_LOG"; }
fail() { echo "FAIL $*" >>"$CHECK_LOG"; FAILS=$((FAILS + 1)); }
# expect DESCRIPTION EXPECTED ACTUAL
expect() {
  if [ "$2" = "$3" ]; then pass "$1: '$3'"; else fail "$1: expected '$2', got '$3'"; fi
}
# expect_cmd DESCRIPTION CMD...: the command succeeds in the guest.
expect_cmd() {
  local what=$1; shift
  if guest "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what ($*)"; fi
}

# Checks every provisioning run shares: sudo, hostname, /etc/hosts, root
# partition and filesystem filling the disk, status, failed units, warnings.
common_checks() {
  local host=$1 fqdn=$2
  expect "whoami" "$GUEST_USER" "$(guest whoami)"
  expect_cmd "passwordless sudo" sudo -n true
  expect "hostname" "$host" "$(guest hostname)"
  expect "hostname --fqdn" "$fqdn" "$(guest hostname --fqdn)"
  if guest grep -E "^127\\.0\\.1\\.1[[:space:]]+${fqdn//./\\.}[[:space:]]+$host\$" /etc/hosts >/dev/null; then
    pass "/etc/hosts has '127.0.1.1 $fqdn $host'"
  else
    fail "/etc/hosts lacks '127.0.1.1 $fqdn $host': $(guest cat /etc/hosts | tr '\n' '|')"
  fi
  local disk part fs
  disk=$(guest cat /sys/block/vda/size)
  part=$(guest cat /sys/block/vda/vda1/size)
  fs=$(guest df -B512 --output=size / | tail -1 | tr -d ' ')
  # GPT keeps 33 sectors at the end; the partition starts at 2048.
  if [ $((disk - 2048 - 33 - part)) -le 2048 ]; then
    pass "root partition fills the disk ($part of $disk sectors)"
  else
    fail "root partition not grown: $part of $disk sectors"
  fi
  # df excludes the journal and metadata: ask for 90% of the partition.
  if [ $((fs * 10)) -ge $((part * 9)) ]; then
    pass "root filesystem fills the partition (df: $fs sectors)"
  else
    fail "root filesystem not resized: df $fs of $part sectors"
  fi
  local st
  st=$(guest cloud-init status --long 2>&1 || true)
  echo "$st" >"$logs/$CASE/status-long${BOOT_SUFFIX:-}.txt"
  if grep -q '^status: done' <<<"$st"; then pass "cloud-init status: done"; else fail "cloud-init status: $st"; fi
  if guest cloud-init status --format json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
errs = d.get("errors", [])
sys.exit(1 if errs else 0)'; then
    pass "cloud-init status: no errors"
  else
    fail "cloud-init status --format json lists errors"
  fi
  local failed
  failed=$(guest systemctl --failed --no-legend --plain 2>&1 | awk '{print $1}' | tr '\n' ' ')
  expect "failed units" "" "${failed% }"
  # Warnings and errors the case did not expect (EXPECTED_WARNINGS: a regex).
  local bad
  bad=$(guest sudo -n cat /var/log/cloud-init.log | grep -E ' (WARNING|ERROR|CRITICAL)' \
        | grep -Ev "${EXPECTED_WARNINGS:-^\$}" || true)
  if [ -z "$bad" ]; then pass "no unexpected warnings in cloud-init.log"
  else fail "unexpected warnings in cloud-init.log: $(head -5 <<<"$bad" | tr '\n' '|')"; fi
}

