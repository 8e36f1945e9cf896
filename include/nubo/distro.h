// distro.h — what differs by OS family, in one table, as cloud-init 22.4's
// cloudinit/distros/: the package manager, the service manager, the files
// for hostname, locale and timezone, the default network renderers, the
// sudo group and the ssh service name. Modules ask this layer and never
// branch on the distro name.
//
//   Distro d = DistroFor(ctx.config);                 // system_info.distro
//   Status s = InstallPackages(ctx, d, Value::array({"nginx"}));
//   Status t = SetTimezone(ctx.sys, d, "Asia/Shanghai");
//   auto cmd = ServiceCommand(ctx.sys, "restart", d.family->ssh_service);
//   for (auto r : DefaultRenderers(ctx.config)) ...   // "netplan", "eni", ...
//
// Families: debian (debian, ubuntu), redhat (rhel, centos, fedora, rocky,
// almalinux, ...), suse, arch, alpine, gentoo, freebsd; an unknown or absent
// system_info.distro gets Debian's answers, as nubo always has.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nubo/log.h"
#include "nubo/module.h"
#include "nubo/result.h"
#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo::distro {

enum class PackageManager { kApt, kDnfOrYum, kNone };

// One OS family's answers (cloud-init's Distro subclass attributes).
struct Family {
  std::string_view name;          // "debian", "rhel" (the distro class)
  std::string_view os_family;     // "debian", "redhat" (templates, OSFAMILIES)
  PackageManager package_manager;
  std::string_view ssh_service;   // default system_info.ssh_svcname
  std::string_view admin_group;   // the group granting sudo: "sudo" or "wheel"
  std::string_view sudoers_includedir;
  std::string_view hostname_file;  // hostname_conf_fn (systemd)
  // Locale: Debian's update-locale file, RHEL's /etc/locale.conf (systemd)
  // or /etc/sysconfig/i18n (without systemd).
  std::string_view locale_file;
  std::string_view locale_file_no_systemd;
  std::string_view default_locale;  // get_locale() when the system has none
  // Timezone: Debian writes /etc/timezone; RHEL without systemd writes
  // ZONE= to /etc/sysconfig/clock.
  std::string_view timezone_file;
  std::string_view clock_file_no_systemd;
  std::string_view localhost_ip;   // _get_localhost_ip
  bool prefer_fqdn;                // Distro.prefer_fqdn
  // The renderers cloud-init's cloud.cfg lists for the family
  // (system_info.network.renderers), in priority order.
  std::vector<std::string_view> renderers;
};

struct Distro {
  std::string name;  // system_info.distro as given, "debian" when absent
  const Family* family;
  const Value* system_info;  // the merged config's system_info (may be null)
  const Family* operator->() const { return family; }
};

// system_info.distro -> its family; absent or unknown: Debian's.
Distro DistroFor(const Value& config);
// cloud-init's OSFAMILIES lookup: "debian", "redhat", "suse", ...; an
// unknown name is returned as it is (as templates see it).
std::string OsFamily(const Value& config);
// The family whose os_family is `os_family` ("debian", "redhat"); an
// unknown one gets Debian's answers but for localhost_ip (127.0.0.1).
const Family* FamilyByOsFamily(std::string_view os_family);
// system_info.ssh_svcname, else the family's.
std::string SshServiceName(const Value& config);
// system_info.network.renderers when it is a list of strings, else the
// family's default order (what agent/net/ picks a renderer from).
std::vector<std::string> DefaultRenderers(const Value& config);
// prefer_fqdn_over_hostname, else the distro's default.
bool PreferFqdn(const Value& config);

// /run/systemd/system is a directory (util.uses_systemd). In a target root
// that is not "/", the target's own /run is asked.
bool UsesSystemd(System& sys);
// subp.which inside the target root: the first of PATH's directories
// (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin) holding
// an executable `name`; nullopt when none does. An absolute path is
// checked as it is.
std::optional<std::string> Which(System& sys, std::string_view name);

// --- packages ------------------------------------------------------------

// util.expand_package_list: "pkg", ["pkg", "1.2"] (-> pkg=1.2 on apt,
// pkg-1.2 on dnf/yum) or ["pkg"]; errors name the key ("packages[2]").
Result<std::vector<std::string>> ExpandPackageList(const Distro& d, const Value& pkgs,
                                                  const std::string& key = "packages");

// Distro.package_command: the argv and environment cloud-init 22.4 uses.
//   apt:  [eatmydata] apt-get --option=Dpkg::Options::=--force-confold
//         --option=Dpkg::options::=--force-unsafe-io --assume-yes --quiet
//         ARGS COMMAND PKGS   (env DEBIAN_FRONTEND=noninteractive; upgrade
//         is system_info.apt_get_upgrade_subcommand, default dist-upgrade;
//         system_info.apt_get_command / apt_get_wrapper override)
//   dnf:  dnf -y ARGS COMMAND PKGS ; without dnf: yum -t -y ARGS COMMAND PKGS
// An error for a family without a package manager.
Result<Command> PackageCommand(System& sys, const Distro& d, std::string_view command,
                               const std::vector<std::string>& args = {},
                               const std::vector<std::string>& pkgs = {});
// Runs PackageCommand with its output in cloud-init-output.log; an error
// naming the command when it exits non-zero.
Status RunPackageCommand(ModuleContext& ctx, const Distro& d, std::string_view command,
                         const std::vector<std::string>& args = {},
                         const std::vector<std::string>& pkgs = {});
// update_package_sources: apt-get update / dnf makecache, once per instance
// (the semaphore sem/update_sources, as helpers.Runners keeps it).
Status UpdatePackageSources(ModuleContext& ctx, const Distro& d);
// install_packages: Debian refreshes the sources first, RHEL does not.
Status InstallPackages(ModuleContext& ctx, const Distro& d, const Value& pkgs,
                       const std::string& key = "packages");

// --- services -------------------------------------------------------------

// Distro.manage_service: "systemctl ACTION SERVICE" under systemd (reload
// is reload-or-restart, try-reload reload-or-try-restart), else
// "service SERVICE ACTION" (enable -> start, reload -> restart).
Result<Command> ServiceCommand(System& sys, std::string_view action, const std::string& service);

// Distro.shutdown_command: shutdown -H|-P|-r (halt, poweroff, reboot)
// now|+MINUTES [MESSAGE]. Errors name power_state.mode / power_state.delay.
Result<std::vector<std::string>> ShutdownCommand(const Distro& d, const std::string& mode,
                                                 const Value& delay, const std::string& message);

// --- time, locale, keyboard ----------------------------------------------

// Distro.set_timezone. Debian: /etc/timezone gets "TZ\n" and /etc/localtime
// becomes a symlink to the zone file (a copy when it is a regular file);
// RHEL: the symlink under systemd, else ZONE="TZ" in /etc/sysconfig/clock
// and a copy. An error when /usr/share/zoneinfo/TZ is not a file.
Status SetTimezone(System& sys, const Distro& d, const std::string& tz);

// Distro.get_locale: LANG from the family's locale file, else its
// default_locale (en_US.UTF-8).
std::string SystemLocale(System& sys, const Distro& d);
// The locale file a family reads and writes (Debian's LOCALE_CONF_FN,
// RHEL's by systemd), given `configfile` (locale_configfile) when set.
std::string LocaleFile(System& sys, const Distro& d, const std::string& configfile = "");

// Distro.apply_locale. Debian: locale-gen LOCALE (not for C, C.UTF-8,
// POSIX) and update-locale --locale-file=FILE LANG=LOCALE, unless FILE
// already says so; RHEL: LANG="LOCALE" set in the sysconfig-style file.
Status ApplyLocale(ModuleContext& ctx, const Distro& d, const std::string& locale,
                   const std::string& out_file);

// Distro.set_keymap: under systemd "localectl set-x11-keymap LAYOUT MODEL
// VARIANT OPTIONS" (localed writes /etc/default/keyboard or
// /etc/X11/xorg.conf.d/00-keyboard.conf); Debian then restarts
// console-setup (ServiceCommand "restart"), as localectl does not apply the
// console keymap at once. Without systemd an error, as 22.4's
// NotImplementedError.
Result<std::vector<Command>> KeymapCommands(System& sys, const Distro& d, const std::string& layout,
                                            const std::string& model, const std::string& variant,
                                            const std::string& options);

// --- CA certificates --------------------------------------------------------

// cc_ca_certs' per-distro paths. 22.4 keys them on the distro class name:
// only "rhel" gets the ca-trust layout; every other distro (centos too)
// gets Debian's.
struct CaCertsPaths {
  std::string cert_dir;       // /usr/share/ca-certificates/
  std::string cert_filename;  // cloud-init-ca-certs.crt
  std::string config;         // /etc/ca-certificates.conf; empty: none
  std::string system_dir;     // /etc/ssl/certs/
  std::vector<std::string> update_command;  // update-ca-certificates
  bool debconf = true;        // remove_defaults also tells debconf (debian, ubuntu)
};
CaCertsPaths CaCerts(const Distro& d);

// --- NTP (cc_ntp's client tables) ------------------------------------------

// cc_ntp's NTP_CLIENT_CONFIG with DISTRO_CLIENT_CONFIG[d.name] laid over it
// (22.4 keys the overrides on the distro name: centos and rhel get
// chronyd/ntpd, debian and ubuntu /etc/chrony/chrony.conf, rocky none):
// {"chrony": {"check_exe": "chronyd", "confpath": ..., "packages": [...],
// "service_name": ..., "template_name": "chrony.conf.{distro}",
// "template": null}, "ntp", "ntpdate", "openntpd", "systemd-timesyncd"}.
Value NtpClientConfigs(const Distro& d);
// Distro.preferred_ntp_clients: chrony, systemd-timesyncd, ntp, ntpdate
// (alpine: chrony, ntp; opensuse/sles as 22.4 picks by version: the
// default list).
std::vector<std::string> PreferredNtpClients(const Distro& d);
// generate_server_names: 0-3.<distro>.pool.ntp.org (sles uses opensuse's
// pools, alpine and eurolinux the bare pool.ntp.org).
std::vector<std::string> DefaultNtpNames(const Distro& d);
// What write_ntp_config_template does with neither servers nor pools:
// kPools (the default names as pools), kServers (alpine's busybox ntpd),
// kNothing (cos: no file is written).
enum class NtpDefault { kPools, kServers, kNothing };
NtpDefault NtpDefaultFor(const Distro& d, std::string_view service_name);

// Distro.resolve_conf_fn: /etc/resolv.conf; photon and mariner manage
// /etc/systemd/resolved.conf instead.
std::string ResolvConfFile(const Distro& d);

// True when the family's package manager can be run here (apt-get, dnf or
// yum found in the target), i.e. InstallPackages has a chance.
bool CanInstallPackages(System& sys, const Distro& d);

// --- files ------------------------------------------------------------------

// util.load_shell_content for KEY=value files (/etc/default/locale,
// /etc/sysconfig/*): quotes removed, comments skipped.
std::vector<std::pair<std::string, std::string>> ReadShellVars(std::string_view text);
// rhel_util.update_sysconfig_file: sets each KEY=value (shell-quoted when
// it holds whitespace, as SysConf does), keeping the other lines.
std::string UpdateSysconfig(std::string_view text,
                            const std::vector<std::pair<std::string, std::string>>& vars);

// "Created by cloud-init v. 22.4.2 on Sun, 22 Nov 2026 01:50:00 +0000",
// util.make_header's text after "# ".
std::string MakeHeader(System& sys, std::string_view base = "created");

}  // namespace nubo::distro
