// hostname.h — the hostname and fqdn cloud-init would pick, and the file
// formats set_hostname, update_hostname and update_etc_hosts edit.
//
//   auto names = ResolveHostnameFqdn(ctx.config, ctx.instance, ctx.sys);
//   if (!names) return names.error();             // e.g. "fqdn: expected str"
//   std::string name = SelectHostname(*names, PreferFqdn(ctx.config));
//   Status s = ApplyRunningHostname(ctx.sys, name, name);
//
// Resolution follows cloud-init 22.4's util.get_hostname_fqdn and
// DataSource.get_hostname: `fqdn`, then a dotted `hostname`, then the
// datasource's local-hostname (an IPv4 address becomes ip-a-b-c-d), then the
// running hostname (the target root's /etc/hostname when the root is not
// "/") and /etc/hosts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "nubo/instance.h"
#include "nubo/result.h"
#include "nubo/system.h"
#include "nubo/value.h"

namespace nubo {

struct HostnameFqdn {
  std::string hostname;
  std::string fqdn;
  // The name is "localhost" only because the system had no other: the
  // modules then leave the hostname to other services.
  bool is_default = false;
};

// What resolution needs besides the config (pure, for table tests).
struct HostnameFacts {
  std::optional<std::string> local_hostname;  // meta-data local-hostname
  std::string system_hostname;                // gethostname(), or /etc/hostname
  std::string etc_hosts;                      // content of /etc/hosts
};

Result<HostnameFqdn> GetHostnameFqdn(const Value& config, const HostnameFacts& facts);
// Gathers the facts from the instance and the system, then resolves.
Result<HostnameFqdn> ResolveHostnameFqdn(const Value& config, const InstanceData& instance,
                                         System& sys);

// prefer_fqdn_over_hostname, defaulting to the distro's preference (true
// for the RHEL family, false for Debian).
bool PreferFqdn(const Value& config);
// Distro._select_hostname: the fqdn when preferred (and set), else the
// hostname, else the fqdn.
std::string SelectHostname(const HostnameFqdn& names, bool prefer_fqdn);
// The name set_hostname and update_hostname give the system for `names`
// under `config` (SelectHostname, PreferFqdn); nullopt when the only name
// known is the default "localhost", which they leave to other services.
std::optional<std::string> HostnameToSet(const HostnameFqdn& names, const Value& config);

// create_hostname_file (cloud-init 23.4; default true).
bool CreateHostnameFile(const Value& config);

// /etc/hostname as cloud-init's HostnameConf reads it: the first line that
// is not blank or a comment, with any trailing comment cut. An error when
// it names more than one host.
Result<std::optional<std::string>> ParseHostnameFile(std::string_view text);
// The file with its hostname line(s) replaced (comments and blank lines
// kept), or `name` alone for an unreadable one.
std::string SetHostnameInFile(std::string_view text, const std::string& name);

// manage_etc_hosts: localhost — cloud-init's Distro.update_etc_hosts with
// its HostsConf: adds "IP fqdn hostname" for `ip` unless such an entry is
// there; nullopt when nothing changes. `header` goes first when the file
// did not exist.
std::optional<std::string> UpdateHostsLocalhost(const std::optional<std::string>& existing,
                                                const std::string& ip,
                                                const std::string& hostname,
                                                const std::string& fqdn,
                                                const std::string& header);

// The osfamily cloud-init uses for template names ("debian", "redhat",
// ...), from system_info.distro (default debian).
std::string OsFamily(const Value& config);
// 127.0.1.1 on Debian, 127.0.0.1 elsewhere (Distro._get_localhost_ip).
std::string LocalhostIp(const std::string& os_family);
// system_info.paths.templates_dir, default /etc/cloud/templates.
std::string TemplatesDir(const Value& config);
// Renders the subset of Jinja the hosts templates use: an optional first
// line "## template:jinja", {# comments #} ("-#}" also eats the newline),
// and {{hostname}} / {{fqdn}}.
std::string RenderHostsTemplate(std::string_view tmpl, const std::string& hostname,
                                const std::string& fqdn);

// Sets the running hostname: through systemd-hostnamed (static name when
// `static_name` is not empty, then the transient one) when it is reachable,
// else sethostname(2) with `transient_name` — `*used_hostnamed` says which.
// Only on the host root; elsewhere nothing and Ok.
Status ApplyRunningHostname(System& sys, const std::string& static_name,
                            const std::string& transient_name, bool* used_hostnamed);

}  // namespace nubo
