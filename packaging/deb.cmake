# The Debian package, built with CPack from the build tree that ran the tests
# (packaging/build-deb.sh; see the README for why CPack). Included by the
# top-level CMakeLists.txt.
install(FILES packaging/cloud.cfg.d/README DESTINATION /etc/cloud/cloud.cfg.d)
install(FILES packaging/lintian-overrides DESTINATION share/lintian/overrides RENAME nubo)
install(FILES packaging/debian/copyright DESTINATION share/doc/nubo)
# changelog.gz (a native package's) is made by build-deb.sh (dated, gzip -n9).
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/changelog.gz DESTINATION share/doc/nubo OPTIONAL)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/nubo.1.gz DESTINATION share/man/man1 OPTIONAL)
foreach(alias cloud-init cloud-init-per)
  install(CODE "file(MAKE_DIRECTORY \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/share/man/man1)
    execute_process(COMMAND ${CMAKE_COMMAND} -E create_symlink nubo.1.gz
    \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/share/man/man1/${alias}.1.gz)")
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nubo)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT "nubo developers <dev@nubo.invalid>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # nubo_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/nubo-agent/nubo")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "cloud-init-compatible guest agent, in C++")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "nubo configures a virtual machine on its first boot from a datasource
(NoCloud seeds, OpenStack metadata service or config drive): default user,
SSH keys, hostname, root partition growth, user commands. It reads
cloud-init's /etc/cloud/cloud.cfg and user-data formats and provides the
cloud-init and cloud-init-per commands and cloud-init's systemd units, without
a Python interpreter.")
# Real shared-library dependencies, computed by dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Tools nubo runs: useradd/usermod/chpasswd (passwd), resize2fs (e2fsprogs,
# essential), ssh-keygen (openssh-client, only when the ssh module runs),
# deb-systemd-helper in the maintainer scripts (init-system-helpers, essential).
# dhclient (isc-dhcp-client) only for the OpenStack/EC2 ephemeral DHCP lease in
# init --local (agent/dhcp.cc); without it the metadata service is read in
# init, after the image's own network is up. cloud-init depends on it.
# The libraries nubo opens on first use (include/nubo/dlopen.h), which
# dpkg-shlibdeps cannot see; the versions are those of the newest symbol or
# option used (CURLOPT_PROTOCOLS_STR: curl 7.85).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd, libcurl4 (>= 7.85.0), libfdisk1 (>= 2.26.2), libblkid1 (>= 2.16), libnettle8 (>= 3.4), libsystemd0 (>= 247)")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "openssh-server, sudo, isc-dhcp-client")
# disk_setup runs sfdisk (fdisk), sgdisk (gdisk) and partprobe (parted), as
# cloud-init 22.4 does (its package depends on fdisk and gdisk).
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "xfsprogs, fdisk, gdisk, parted")
set(CPACK_DEBIAN_PACKAGE_PROVIDES cloud-init)
set(CPACK_DEBIAN_PACKAGE_CONFLICTS cloud-init)
set(CPACK_DEBIAN_PACKAGE_REPLACES cloud-init)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/postinst
  ${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/postrm
  ${CMAKE_CURRENT_SOURCE_DIR}/packaging/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Absolute destinations (/etc/cloud, /lib/systemd) need DESTDIR staging.
set(CPACK_SET_DESTDIR ON)
include(CPack)
