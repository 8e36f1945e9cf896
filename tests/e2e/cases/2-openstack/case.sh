# Run 2: the OpenStack metadata service, no seed ISO. A metadata server on
# the host answers the guest at 169.254.169.254:80 through slirp's guestfwd
# (lib/mdserver.py, one process per connection); DMI says "OpenStack Nova"
# (-smbios), so the generator picks OpenStack. Key pair and hostname come
# from meta_data.json; the key goes to the image's default user, 'debian'.
# This image gets nubo through the diskimage-builder element
# (packaging/dib/nubo, its phases run as disk-image-create runs them) with
# DIB_CLOUD_INIT_DATASOURCES=OpenStack, not through dpkg -i.
GUEST_USER=debian
if [ ! -f "$top/datasources/openstack.cc" ]; then
  SKIP="no OpenStack datasource in this tree (datasources/openstack.cc)"
fi

prepare() {
  DIB_CLOUD_INIT_DATASOURCES=OpenStack make_disk openstack "" dib
  DISK=${disks[openstack]}
  MD=$work/metadata
  local v
  for v in latest 2012-08-10 2013-10-17 2015-10-15 2016-06-30; do
    mkdir -p "$MD/openstack/$v"
    sed "s|@PUBKEY@|$PUBKEY|g" "$cdir/meta_data.json" >"$MD/openstack/$v/meta_data.json"
    cp "$cdir/user_data" "$MD/openstack/$v/user_data"
    cp "$cdir/network_data.json" "$cdir/vendor_data.json" "$MD/openstack/$v/"
  done
  # Nova's EC2-style tree too (cloud-init reads it beside openstack/): leaves only.
  for v in latest 2009-04-04; do
    mkdir -p "$MD/$v/meta-data"
    printf '%s' i-0000e2e2 >"$MD/$v/meta-data/instance-id"
    printf '%s' e2e-openstack.example.test >"$MD/$v/meta-data/hostname"
    printf '%s' e2e-openstack.example.test >"$MD/$v/meta-data/local-hostname"
    printf '%s' ami-0000e2e2 >"$MD/$v/meta-data/ami-id"
    printf '%s' m1.small >"$MD/$v/meta-data/instance-type"
  done
  : >"$logs/$CASE/metadata-requests.log"
  QEMU_EXTRA=(-smbios "type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova")
  GUESTFWD="tcp:169.254.169.254:80-cmd:python3 $here/lib/mdserver.py $MD $logs/$CASE/metadata-requests.log"
}

check() {
  common_checks e2e-openstack e2e-openstack.example.test
  expect "generator's datasource_list" "datasource_list: [ OpenStack, None ]" \
    "$(guest cat /run/cloud-init/cloud.cfg)"
  expect "dib element's datasource_list" "datasource_list: [ OpenStack, None ]" \
    "$(guest cat /etc/cloud/cloud.cfg.d/91-dib-cloud-init-datasources.cfg)"
  expect "dib element enabled the stage units" "enabled enabled enabled enabled" \
    "$(guest systemctl is-enabled cloud-init-local cloud-init cloud-config cloud-final | tr '\n' ' ' | sed 's/ $//')"
  expect "DMI product" "OpenStack Nova" "$(guest cat /sys/class/dmi/id/product_name)"
  expect "write_files from user_data" "from the metadata service" \
    "$(guest cat /etc/e2e/openstack.txt)"
  expect "runcmd from user_data" 1 "$(guest grep -c 'runcmd openstack' /var/tmp/e2e-runcmd.log)"
  expect "instance-id" 7e2e0a5b-0000-4000-8000-00000000e2e2 \
    "$(guest cat /var/lib/cloud/data/instance-id)"
  if grep -q 'meta_data.json 200' "$logs/$CASE/metadata-requests.log"; then
    pass "meta_data.json fetched from 169.254.169.254"
  else
    fail "the metadata server saw no meta_data.json request"
  fi
}
