# Run 1: a NoCloud cidata ISO (on virtio, as cloud-localds(1) shows) with a
# user, key and sudo, hostname/fqdn with manage_etc_hosts, growpart and
# resizefs, bootcmd, runcmd, write_files and a per-boot script.
GUEST_USER=alice

prepare() {
  make_disk nocloud
  DISK=${disks[nocloud]}
  SEED=$work/seed-nocloud
  mkdir -p "$SEED"
  sed "s|@PUBKEY@|$PUBKEY|" "$cdir/user-data" >"$SEED/user-data"
  cp "$cdir/meta-data" "$SEED/meta-data"
  seed_nocloud "$SEED"
  QEMU_EXTRA=(-drive "file=$SEED/seed.iso,if=virtio,format=raw,readonly=on")
}

check() {
  common_checks e2e-nocloud e2e-nocloud.example.test
  expect "generator's datasource_list" "datasource_list: [ NoCloud, None ]" \
    "$(guest cat /run/cloud-init/cloud.cfg)"
  expect "cloud-init.target active" active "$(guest systemctl is-active cloud-init.target)"
  expect "write_files content" "hello from nubo" "$(guest sudo -n cat /etc/e2e/hello.txt)"
  expect "write_files mode" "640 root:root" "$(guest stat -c '%a %U:%G' /etc/e2e/hello.txt)"
  expect "runcmd ran once" 1 "$(guest grep -c runcmd /var/tmp/e2e-runcmd.log)"
  expect_cmd "runcmd string form" test -f /var/tmp/e2e-runcmd-string-form
  expect "bootcmd ran once" 1 "$(guest grep -c bootcmd /var/tmp/e2e-bootcmd.log)"
  expect "per-boot script ran" 1 "$(guest grep -c per-boot /var/tmp/e2e-per-boot.log)"
  expect "alice's shell" /bin/bash "$(guest getent passwd alice | cut -d: -f7)"
  expect "instance-id" e2e-nocloud-0001 "$(guest cat /var/lib/cloud/data/instance-id)"
  # Kept for run 4: the host key must survive the reboot.
  guest cat /etc/ssh/ssh_host_ed25519_key.pub >"$work/nocloud-hostkey.pub" 2>/dev/null || true
  if [ -s "$work/nocloud-hostkey.pub" ]; then pass "ssh host key generated"; else fail "no ed25519 host key"; fi
  # Started in init-local, installed by init's ssh module (modules/ssh.cc).
  expect "host keys started in init-local" 1 \
    "$(guest sudo -n grep -c 'generating host keys (rsa, ecdsa, ed25519) in the background' /var/log/cloud-init.log)"
  expect "... and taken by the ssh module" 3 \
    "$(guest sudo -n grep -c 'took the .* host key run started in init-local' /var/log/cloud-init.log)"
  expect "host keys: private 600, public 644" "600 600 600 644 644 644" \
    "$(guest sudo -n stat -c %a /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ecdsa_key /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_rsa_key.pub /etc/ssh/ssh_host_ecdsa_key.pub /etc/ssh/ssh_host_ed25519_key.pub | tr '\n' ' ' | sed 's/ $//')"
  expect_cmd "staged keys gone from /run" test ! -e /run/cloud-init/ssh-hostkeys
  # ssh-keygen's comment is root@ the hostname at the ssh module: the
  # user-data's, not the meta-data's that init-local set. init-local gave
  # it to the staged runs, so init ran no ssh-keygen -c.
  expect "host key comments: root@ the hostname" "root@e2e-nocloud root@e2e-nocloud root@e2e-nocloud" \
    "$(guest sh -c 'cut -d" " -f3 /etc/ssh/ssh_host_rsa_key.pub /etc/ssh/ssh_host_ecdsa_key.pub /etc/ssh/ssh_host_ed25519_key.pub' | tr '\n' ' ' | sed 's/ $//')"
  expect "no ssh-keygen -c in init" 0 \
    "$(guest sudo -n grep -c 'setting the comment of' /var/log/cloud-init.log)"
  # keys_to_console computes ssh-keygen -l's line itself: the console has
  # the guest's own ssh-keygen's line for the key.
  local fp
  fp=$(guest ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub)
  expect "keys_to_console: ssh-keygen -l's line on the console" 1 \
    "$(grep -c -F -- "cloud-init: $fp" "$logs/$CASE/console.log")"
  # An edit the second boot must not undo (write_files is per instance).
  guest sudo -n sh -c 'echo edited-after-boot-1 >> /etc/e2e/hello.txt'
}
