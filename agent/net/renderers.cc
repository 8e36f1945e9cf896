// Renderer table, availability checks and selection (cloudinit/net/renderers.py
// and each renderer module's available()), and the distros' renderer_configs.
#include <algorithm>

#include "agent/net/renderer.h"
#include "nubo/text.h"

namespace nubo::net {
namespace {

// subp.which(p, search=dirs, target): an executable regular file in one of `dirs`.
bool Which(System& sys, const std::string& program, const std::vector<std::string>& dirs) {
  for (const auto& d : dirs) {
    // Stat is lstat: follow one level of symlink the way the tools are
    // installed (/usr/sbin/ifup -> ../../sbin/ifup is rare; /bin -> usr/bin
    // is resolved by the root's path walk).
    std::string p = d + "/" + program;
    auto st = sys.Stat(p);
    if (!st) continue;
    if (st->is_regular && (st->mode & 0111)) return true;
    if (st->is_symlink) {
      auto target = sys.ReadLink(p);
      if (!target) continue;
      std::string t = target->front() == '/' ? *target : d + "/" + *target;
      auto ts = sys.Stat(t);
      if (ts && ts->is_regular && (ts->mode & 0111)) return true;
    }
  }
  return false;
}

bool IsFile(System& sys, const std::string& path) {
  auto st = sys.Stat(path);
  return st && st->is_regular;
}

const std::vector<std::string> kPath = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};

bool EniAvailable(System& sys) {
  for (const char* p : {"ifquery", "ifup", "ifdown"}) {
    if (!Which(sys, p, {"/sbin", "/usr/sbin"})) return false;
  }
  return IsFile(sys, "/etc/network/interfaces");
}

bool NetplanAvailable(System& sys) { return Which(sys, "netplan", {"/usr/sbin", "/sbin"}); }

bool NetworkdAvailable(System& sys) {
  return Which(sys, "ip", {"/usr/sbin", "/bin"}) && Which(sys, "systemctl", {"/usr/sbin", "/bin"});
}

bool NetworkManagerAvailable(System& sys) {
  if (!IsFile(sys, "/etc/NetworkManager/NetworkManager.conf") || !Which(sys, "nmcli", kPath)) return false;
  // uses_systemd(): /run/systemd/system exists; then the service must be enabled.
  if (sys.Stat("/run/systemd/system").ok()) {
    auto r = sys.Run({.argv = {"systemctl", "is-enabled", "NetworkManager.service"}});
    if (!r || r->exit_code != 0) return false;
  }
  return true;
}

bool SysconfigAvailable(System& sys) {
  static const std::vector<std::string> kDistros = {"almalinux", "centos",       "cloudlinux", "eurolinux",
                                                    "fedora",    "miraclelinux", "openEuler",  "openmandriva",
                                                    "rhel",      "rocky",        "suse",       "virtuozzo"};
  // util.system_info()["variant"]: os-release ID (rhel-likes keep their own id).
  std::string id;
  if (auto text = sys.ReadFile("/etc/os-release")) {
    for (const std::string& line : PySplit(*text, '\n')) {
      if (line.rfind("ID=", 0) == 0) {
        id = PyStrip(line.substr(3));
        if (id.size() >= 2 && (id.front() == '"' || id.front() == '\'')) id = id.substr(1, id.size() - 2);
      }
    }
  }
  if (id == "redhat") id = "rhel";
  if (id.rfind("opensuse", 0) == 0 || id == "sles" || id == "sle_hpc") id = "suse";
  if (std::find(kDistros.begin(), kDistros.end(), id) == kDistros.end()) return false;
  for (const char* p : {"ifup", "ifdown"}) {
    if (!Which(sys, p, {"/sbin", "/usr/sbin"})) return false;
  }
  return IsFile(sys, "/etc/sysconfig/network-scripts/network-functions") || IsFile(sys, "/etc/sysconfig/config");
}

const RendererSpec kEni{"eni", &RenderEni, &EniAvailable};
const RendererSpec kSysconfig{"sysconfig", &RenderSysconfig, &SysconfigAvailable};
const RendererSpec kNetplan{"netplan", &RenderNetplan, &NetplanAvailable};
const RendererSpec kNetworkManager{"network-manager", &RenderNetworkManager, &NetworkManagerAvailable};
const RendererSpec kNetworkd{"networkd", &RenderNetworkd, &NetworkdAvailable};

const RendererSpec* const kRenderers[] = {&kEni, &kSysconfig, &kNetplan, &kNetworkManager, &kNetworkd};

// cloud-init's DEFAULT_PRIORITY; the BSD renderers are known names that
// nubo does not have (never available).
const std::vector<std::string> kDefaultPriority = {"eni",     "sysconfig", "netplan", "network-manager",
                                                   "freebsd", "netbsd",    "openbsd", "networkd"};

const char kDebianHeader[] =
    "# This file is generated from information provided by the datasource.  Changes\n"
    "# to it will not persist across an instance reboot.  To disable cloud-init's\n"
    "# network configuration capabilities, write a file\n"
    "# /etc/cloud/cloud.cfg.d/99-disable-network-config.cfg with the following:\n"
    "# network: {config: disabled}\n";

}  // namespace

const RendererSpec* FindRenderer(const std::string& name) {
  for (const RendererSpec* r : kRenderers) {
    if (name == r->name) return r;
  }
  return nullptr;
}

Result<const RendererSpec*> SelectRenderer(System& sys, const Value& configured,
                                           const std::vector<std::string>& distro_default) {
  std::vector<std::string> priority = distro_default.empty() ? kDefaultPriority : distro_default;
  if (configured.is_array()) {
    priority.clear();
    for (const auto& v : configured) priority.push_back(ValueStr(v));
  } else if (configured.is_string()) {
    priority = {configured.get<std::string>()};
  }
  std::string unknown, list;
  for (const auto& n : priority) {
    list += (list.empty() ? "" : ", ") + Quote(n);
    if (FindRenderer(n) == nullptr && std::find(kDefaultPriority.begin(), kDefaultPriority.end(), n) == kDefaultPriority.end()) {
      unknown += (unknown.empty() ? "" : ", ") + Quote(n);
    }
  }
  if (!unknown.empty()) {
    return MakeError("Unknown renderers provided in priority list: [" + unknown + "]", "system_info.network.renderers");
  }
  for (const auto& n : priority) {
    const RendererSpec* r = FindRenderer(n);
    if (r != nullptr && r->available(sys)) return r;
  }
  return MakeError("No available network renderers found. Searched through list: [" + list + "]");
}

RenderOptions RenderOptionsForDistro(const std::string& distro) {
  RenderOptions o;
  static const std::vector<std::string> kDebian = {"debian", "ubuntu"};
  static const std::vector<std::string> kRhel = {"rhel",       "centos", "fedora",       "almalinux", "rocky",
                                                 "cloudlinux", "eurolinux", "miraclelinux", "virtuozzo", "openEuler",
                                                 "openmandriva"};
  if (std::find(kDebian.begin(), kDebian.end(), distro) != kDebian.end()) {
    o.eni_path = "/etc/network/interfaces.d/50-cloud-init";
    o.eni_header = kDebianHeader;
    o.netplan_header = kDebianHeader;
  } else if (std::find(kRhel.begin(), kRhel.end(), distro) != kRhel.end()) {
    o.sysconfig_control = "/etc/sysconfig/network";
  }
  return o;
}

}  // namespace nubo::net
