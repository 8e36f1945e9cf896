# Run 4: run 1's disk booted again with the same seed: per-instance work
# (users, write_files, runcmd, host keys) is not repeated, per-boot work
# (bootcmd, scripts/per-boot) is.
GUEST_USER=alice
BOOT_SUFFIX=""

prepare() {
  DISK=${disks[nocloud]:?run 1 (1-nocloud) did not make its disk}
  SEED=$work/seed-nocloud
  QEMU_EXTRA=(-drive "file=$SEED/seed.iso,if=virtio,format=raw,readonly=on")
}

check() {
  common_checks e2e-nocloud e2e-nocloud.example.test
  expect "runcmd not repeated" 1 "$(guest grep -c runcmd /var/tmp/e2e-runcmd.log)"
  expect "bootcmd repeated" 2 "$(guest grep -c bootcmd /var/tmp/e2e-bootcmd.log)"
  expect "per-boot script repeated" 2 "$(guest grep -c per-boot /var/tmp/e2e-per-boot.log)"
  expect "write_files not repeated" "hello from nubo|edited-after-boot-1|" \
    "$(guest sudo -n cat /etc/e2e/hello.txt | tr '\n' '|')"
  expect "ssh host key kept" "$(cat "$work/nocloud-hostkey.pub" 2>/dev/null)" \
    "$(guest cat /etc/ssh/ssh_host_ed25519_key.pub)"
}
