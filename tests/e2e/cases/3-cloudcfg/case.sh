# Run 3: a cloud.cfg from the field (../shared/seeds-cloudcfg/, a CentOS 7
# image's) as the image's /etc/cloud/cloud.cfg, unchanged, with a NoCloud
# seed. Its default user 'centos' (sudo, locked password) gets the key;
# modules nubo does not implement (puppet, chef, ...) are skipped.
GUEST_USER=centos
CLOUDCFG=${NUBO_E2E_CLOUDCFG:-$top/../shared/seeds-cloudcfg/centos7-cookbook.cfg}
[ -f "$CLOUDCFG" ] || SKIP="no field cloud.cfg at $CLOUDCFG"

install_field_cfg() {
  install -m 0644 "$CLOUDCFG" "$1/etc/cloud/cloud.cfg"
}

prepare() {
  make_disk cloudcfg install_field_cfg
  DISK=${disks[cloudcfg]}
  SEED=$work/seed-cloudcfg
  mkdir -p "$SEED"
  sed "s|@PUBKEY@|$PUBKEY|" "$cdir/user-data" >"$SEED/user-data"
  cp "$cdir/meta-data" "$SEED/meta-data"
  seed_nocloud "$SEED"
  QEMU_EXTRA=(-drive "file=$SEED/seed.iso,if=virtio,format=raw,readonly=on")
}

check() {
  # The field file lists no growpart (resizefs only): the partition stays,
  # so the shared disk checks are not all expected to hold; check the rest.
  expect "whoami" centos "$(guest whoami)"
  expect_cmd "passwordless sudo" sudo -n true
  # distro: rhel prefers the fqdn as the hostname (cloud-init 22.4.2's
  # distros/rhel.py: prefer_fqdn = True), so hostname prints the fqdn.
  expect "hostname (rhel: the fqdn)" e2e-centos.example.test "$(guest hostname)"
  expect "hostname --fqdn" e2e-centos.example.test "$(guest hostname --fqdn)"
  if guest grep -E '^127\.0\.[01]\.1[[:space:]]+e2e-centos\.example\.test[[:space:]]+e2e-centos$' /etc/hosts >/dev/null; then
    pass "/etc/hosts has the fqdn"; else fail "/etc/hosts: $(guest cat /etc/hosts | tr '\n' '|')"; fi
  expect "cloud.cfg unchanged" "$(sha256sum <"$CLOUDCFG")" "$(guest sh -c 'sha256sum </etc/cloud/cloud.cfg')"
  expect "write_files" "field cloud.cfg" "$(guest cat /etc/e2e/cloudcfg.txt)"
  expect "runcmd" 1 "$(guest grep -c 'runcmd cloudcfg' /var/tmp/e2e-runcmd.log)"
  local st
  st=$(guest cloud-init status --long 2>&1 || true)
  echo "$st" >"$logs/$CASE/status-long.txt"
  if grep -q '^status: done' <<<"$st"; then pass "cloud-init status: done"; else fail "status: $st"; fi
  expect "failed units" "" "$(guest systemctl --failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')"
  if guest sudo -n grep -q "puppet" /var/log/cloud-init.log; then
    pass "unimplemented module 'puppet' logged as skipped"
  else
    fail "no log line for the 'puppet' module"
  fi
  # The root filesystem is resized to its partition (resizefs is listed).
  local part fs
  part=$(guest cat /sys/block/vda/vda1/size)
  fs=$(guest df -B512 --output=size / | tail -1 | tr -d ' ')
  if [ $((fs * 10)) -ge $((part * 9)) ]; then pass "root filesystem fills its partition"
  else fail "root filesystem $fs of $part sectors"; fi
}
