# Run 6: two NICs, configured from OpenStack's network_data.json: the first
# static (address, default gateway, a static route, MTU 1400, DNS), the second
# DHCP. The metadata comes on a config drive (a `config-2` ISO, as Nova
# attaches it with force_config_drive), not from the metadata service: a cloud
# that gives static addresses has no DHCP for the guest to reach
# 169.254.169.254 with, so the network config must be read from local media
# and rendered in init-local, before systemd-networkd starts. That is the
# path this case shows (init-local's ephemeral DHCP for the metadata service
# is another story, and needs dhclient, which this image lacks).
#
# slirp (one -netdev user per NIC): NIC 1 is the harness's n0 (its hostfwd
# goes to slirp's first DHCP address, 10.0.2.15, so that is the static
# address network_data.json gives it); NIC 2 is n1 on 10.0.3.0/24 with a
# hostfwd of its own, so SSH is checked over each NIC. The MACs are fixed
# (-global for n0, mac= for n1) and match network_data.json's links.
#
# The image's own catch-all 50-dhcp.network (lib/build-base.sh) would DHCP
# the same 10.0.2.15 on NIC 1 if nubo rendered nothing, so reaching SSH on
# NIC 1 proves little alone: the checks ask networkd which file each link
# uses (10-cloud-init-<nic>.network sorts first), that NIC 1's address is
# not dynamic and has no lease, and for what only nubo's file says (MTU 1400,
# the route to 192.0.2.0/24).
#
# In this image virtio_net is not in the initramfs: init-local starts before
# udevd has loaded it, so the NICs network_data.json names by MAC are not
# there yet (cloud-init 22.4 fails the conversion then, "Unable to find a
# system nic", and renders nothing). nubo settles udev first (agent/net/
# apply.cc, WaitForLinkNics), so the files name the NICs as udev named them.
GUEST_USER=debian
MAC1=52:54:00:e2:e6:01
MAC2=52:54:00:e2:e6:02

prepare() {
  make_disk two-nics
  DISK=${disks[two-nics]}
  local cd=$work/configdrive-two-nics v
  rm -rf "$cd"
  for v in latest 2012-08-10 2015-10-15 2016-06-30; do
    mkdir -p "$cd/openstack/$v"
    sed "s|@PUBKEY@|$PUBKEY|g" "$cdir/meta_data.json" >"$cd/openstack/$v/meta_data.json"
    cp "$cdir/user_data" "$cdir/network_data.json" "$cd/openstack/$v/"
  done
  # This host's kernel may lack iso9660: genisoimage builds it from the tree.
  genisoimage -quiet -output "$work/configdrive-two-nics.iso" -volid config-2 -joliet -rock "$cd"
  SSH_PORT2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  QEMU_EXTRA=(-global "virtio-net-pci.mac=$MAC1"
              -netdev "user,id=n1,restrict=on,net=10.0.3.0/24,hostfwd=tcp:127.0.0.1:$SSH_PORT2-:22"
              -device "virtio-net-pci,netdev=n1,mac=$MAC2"
              -drive "file=$work/configdrive-two-nics.iso,if=virtio,format=raw,readonly=on")
}

# nic_by_mac MAC: the guest's interface name with that MAC.
nic_by_mac() {
  guest sh -c 'for d in /sys/class/net/*; do [ "$(cat $d/address)" = "$1" ] && echo "${d##*/}"; done; true' sh "$1"
}

check() {
  common_checks e2e-two-nics e2e-two-nics.example.test
  expect "generator's datasource_list" "datasource_list: [ ConfigDrive, None ]" \
    "$(guest cat /run/cloud-init/cloud.cfg)"
  expect "instance-id" 7e2e0a5b-0000-4000-8000-00000000e2e6 "$(guest cat /var/lib/cloud/data/instance-id)"
  local nic1 nic2
  nic1=$(nic_by_mac $MAC1)
  nic2=$(nic_by_mac $MAC2)
  if [ -z "$nic1" ] || [ -z "$nic2" ]; then
    fail "NICs by MAC: $MAC1 -> '$nic1', $MAC2 -> '$nic2'"
    return 0
  fi
  pass "NICs by MAC: $MAC1 -> $nic1, $MAC2 -> $nic2"

  # The rendered files, and that networkd uses them (not 50-dhcp.network).
  local f1=/etc/systemd/network/10-cloud-init-$nic1.network f2=/etc/systemd/network/10-cloud-init-$nic2.network
  local net1 net2 f
  for f in "$f1" "$f2"; do
    if guest test -f "$f"; then pass "$f rendered"; else fail "$f not rendered"; fi
  done
  net1=$(guest cat "$f1" 2>/dev/null)
  net2=$(guest cat "$f2" 2>/dev/null)
  local line
  for line in "MACAddress=$MAC1" "Name=$nic1" "MTUBytes=1400" "Address=10.0.2.15/24" "Gateway=10.0.2.2" \
              "Destination=192.0.2.0/24" "DNS=10.0.2.3"; do
    if grep -qxF "$line" <<<"$net1"; then pass "$f1 has $line"; else fail "$f1 lacks $line: $(tr '\n' '|' <<<"$net1")"; fi
  done
  for line in "MACAddress=$MAC2" "Name=$nic2" "DHCP=ipv4"; do
    if grep -qxF "$line" <<<"$net2"; then pass "$f2 has $line"; else fail "$f2 lacks $line: $(tr '\n' '|' <<<"$net2")"; fi
  done
  if [ -n "$net1" ] && ! grep -qE '^DHCP=(yes|true|ipv4|ipv6)$' <<<"$net1"; then
    pass "$f1 asks for no DHCP"
  else
    fail "$f1 absent or asks for DHCP"
  fi
  expect "networkd's file for $nic1" "$f1" \
    "$(guest networkctl status "$nic1" 2>/dev/null | sed -n 's/^ *Network File: //p')"
  expect "networkd's file for $nic2" "$f2" \
    "$(guest networkctl status "$nic2" 2>/dev/null | sed -n 's/^ *Network File: //p')"
  expect "$nic1 configured" configured \
    "$(guest networkctl list --no-legend "$nic1" 2>/dev/null | awk '{print $5}')"
  expect "$nic2 configured" configured \
    "$(guest networkctl list --no-legend "$nic2" 2>/dev/null | awk '{print $5}')"

  # What the kernel has: NIC 1 static (no "dynamic", no lease), NIC 2 from DHCP.
  local a1 a2
  a1=$(guest ip -4 -o addr show dev "$nic1")
  a2=$(guest ip -4 -o addr show dev "$nic2")
  if grep -q ' inet 10\.0\.2\.15/24 ' <<<"$a1" && ! grep -q dynamic <<<"$a1"; then
    pass "$nic1 has the static 10.0.2.15/24"
  else
    fail "$nic1: not the static 10.0.2.15/24: $a1"
  fi
  if grep -q ' inet 10\.0\.3\.15/24 .*dynamic' <<<"$a2"; then
    pass "$nic2 has 10.0.3.15/24 from DHCP"
  else
    fail "$nic2: no DHCP address 10.0.3.15/24: $a2"
  fi
  local i1 i2
  i1=$(guest cat "/sys/class/net/$nic1/ifindex")
  i2=$(guest cat "/sys/class/net/$nic2/ifindex")
  expect "no DHCP lease on $nic1" absent \
    "$(guest sh -c 'test -e /run/systemd/netif/leases/$1 && echo present || echo absent' sh "$i1")"
  expect "a DHCP lease on $nic2" present \
    "$(guest sh -c 'test -e /run/systemd/netif/leases/$1 && echo present || echo absent' sh "$i2")"
  expect "$nic1 MTU" 1400 "$(guest cat "/sys/class/net/$nic1/mtu")"
  expect "route to 192.0.2.0/24" "192.0.2.0/24 via 10.0.2.2 dev $nic1" \
    "$(guest ip -4 route show 192.0.2.0/24 | awk '{print $1, $2, $3, $4, $5}')"

  # Rendered before the network came up: init-local ended before networkd began.
  local done_local start_networkd
  done_local=$(guest systemctl show -P ExecMainExitTimestampMonotonic cloud-init-local.service)
  start_networkd=$(guest systemctl show -P ExecMainStartTimestampMonotonic systemd-networkd.service)
  if [ -n "$done_local" ] && [ -n "$start_networkd" ] && [ "$done_local" -gt 0 ] \
     && [ "$done_local" -lt "$start_networkd" ]; then
    pass "init-local ended (${done_local}us) before systemd-networkd started (${start_networkd}us)"
  else
    fail "init-local ended at '${done_local}'us, systemd-networkd started at '${start_networkd}'us"
  fi
  if guest sudo -n grep -q 'Applying network configuration from ds' /var/log/cloud-init.log; then
    pass "cloud-init.log: network config applied from the datasource"
  else
    fail "cloud-init.log does not say the datasource's network config was applied"
  fi

  # SSH over each NIC: the server address the connection came to.
  expect "ssh over $nic1 (n0)" "10.0.2.15 22" \
    "$(guest sh -c 'echo $SSH_CONNECTION' | awk '{print $3, $4}')"
  expect "ssh over $nic2 (n1)" "10.0.3.15 22" \
    "$(SSH_PORT=$SSH_PORT2 guest sh -c 'echo $SSH_CONNECTION' | awk '{print $3, $4}')"

  # Kept with the run's logs: the rendered files and what networkd made of them.
  local d=$logs/$CASE
  guest sh -c 'for f in /etc/systemd/network/10-cloud-init-*; do echo "== $f"; cat "$f"; done' \
    >"$d/rendered-etc-systemd-network.txt" 2>&1 || true
  guest sh -c 'ls -la /run/systemd/network; for f in /run/systemd/network/*; do [ -f "$f" ] && { echo "== $f"; cat "$f"; }; done; true' \
    >"$d/run-systemd-network.txt" 2>&1 || true
  guest ip -d addr >"$d/ip-d-addr.txt" 2>&1 || true
  guest ip route >"$d/ip-route.txt" 2>&1 || true
  guest sh -c 'networkctl list; echo; networkctl status --no-pager -a' >"$d/networkctl.txt" 2>&1 || true
}
