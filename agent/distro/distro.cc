// The family table and the facts every family answers. See
// include/nubo/distro.h.

#include <cctype>
#include <ctime>

#include "nubo/distro.h"
#include "nubo/text.h"

namespace nubo::distro {

namespace {

// Families other than Debian and RHEL have no package manager in nubo yet
// and otherwise keep Debian's answers.
const Family kDebian{
    .name = "debian",
    .os_family = "debian",
    .package_manager = PackageManager::kApt,
    .ssh_service = "ssh",
    .admin_group = "sudo",
    .sudoers_includedir = "/etc/sudoers.d",
    .hostname_file = "/etc/hostname",
    .locale_file = "/etc/default/locale",
    .locale_file_no_systemd = "/etc/default/locale",
    .default_locale = "en_US.UTF-8",
    .timezone_file = "/etc/timezone",
    .clock_file_no_systemd = "",
    .localhost_ip = "127.0.1.1",
    .prefer_fqdn = false,
    // cloud.cfg.tmpl for debian and ubuntu.
    .renderers = {"netplan", "eni", "sysconfig"},
};

const Family kRhel{
    .name = "rhel",
    .os_family = "redhat",
    .package_manager = PackageManager::kDnfOrYum,
    .ssh_service = "sshd",
    .admin_group = "wheel",
    .sudoers_includedir = "/etc/sudoers.d",
    .hostname_file = "/etc/hostname",
    .locale_file = "/etc/locale.conf",
    .locale_file_no_systemd = "/etc/sysconfig/i18n",
    .default_locale = "en_US.UTF-8",
    .timezone_file = "",
    .clock_file_no_systemd = "/etc/sysconfig/clock",
    .localhost_ip = "127.0.0.1",
    .prefer_fqdn = true,
    // cloud.cfg.tmpl for fedora and the RHEL variants.
    .renderers = {"netplan", "network-manager", "networkd", "sysconfig", "eni"},
};

Family Other(std::string_view name, std::string_view os_family) {
  Family f = kDebian;
  f.name = name;
  f.os_family = os_family;
  f.package_manager = PackageManager::kNone;
  f.localhost_ip = "127.0.0.1";
  // net/renderers.py DEFAULT_PRIORITY: no cloud.cfg.tmpl list for these.
  f.renderers = {"eni", "sysconfig", "netplan", "network-manager", "freebsd", "netbsd",
                 "openbsd", "networkd"};
  return f;
}

const Family kSuse = Other("opensuse", "suse");
const Family kArch = Other("arch", "arch");
const Family kAlpine = Other("alpine", "alpine");
const Family kGentoo = Other("gentoo", "gentoo");
const Family kFreebsd = Other("freebsd", "freebsd");

struct NameEntry {
  std::string_view name;
  const Family* family;
};

// cloud-init's OSFAMILIES, spelled as system_info.distro names them.
const NameEntry kNames[] = {
    {"debian", &kDebian},         {"ubuntu", &kDebian},
    {"almalinux", &kRhel},        {"amazon", &kRhel},
    {"centos", &kRhel},           {"cloudlinux", &kRhel},
    {"eurolinux", &kRhel},        {"fedora", &kRhel},
    {"mariner", &kRhel},          {"miraclelinux", &kRhel},
    {"openEuler", &kRhel},        {"openmandriva", &kRhel},
    {"photon", &kRhel},           {"rhel", &kRhel},
    {"rocky", &kRhel},            {"virtuozzo", &kRhel},
    {"opensuse", &kSuse},         {"opensuse-leap", &kSuse},
    {"opensuse-microos", &kSuse}, {"opensuse-tumbleweed", &kSuse},
    {"sle_hpc", &kSuse},          {"sle-micro", &kSuse},
    {"sles", &kSuse},             {"arch", &kArch},
    {"alpine", &kAlpine},         {"gentoo", &kGentoo},
    {"freebsd", &kFreebsd},       {"dragonfly", &kFreebsd},
};

// Spellings nubo has accepted for the RHEL family besides OSFAMILIES'.
const std::string_view kRhelAliases[] = {"alma", "openeuler"};

// The distro classes that set prefer_fqdn = True in 22.4.
const std::string_view kPreferFqdn[] = {"rhel",        "centos",   "fedora",       "almalinux",
                                        "rocky",       "cloudlinux", "eurolinux",  "miraclelinux",
                                        "virtuozzo",   "openEuler", "freebsd",     "mariner",
                                        "photon"};

std::string DistroName(const Value& config) {
  const Value& name = Get(Get(config, "system_info"), "distro");
  return name.is_string() ? name.get<std::string>() : "debian";
}

}  // namespace

Distro DistroFor(const Value& config) {
  std::string name = DistroName(config);
  const Value& si = Get(config, "system_info");
  Distro d{name, &kDebian, si.is_object() ? &si : nullptr};
  std::string lower = AsciiLower(name);
  for (const auto& e : kNames) {
    if (AsciiLower(std::string(e.name)) == lower) {
      d.family = e.family;
      return d;
    }
  }
  for (auto alias : kRhelAliases) {
    if (lower == alias) d.family = &kRhel;
  }
  return d;
}

std::string OsFamily(const Value& config) {
  std::string name = DistroName(config);
  for (const auto& e : kNames) {
    if (e.name == name) return std::string(e.family->os_family);
  }
  return name;
}

const Family* FamilyByOsFamily(std::string_view os_family) {
  for (const Family* f : {&kDebian, &kRhel, &kSuse, &kArch, &kAlpine, &kGentoo, &kFreebsd}) {
    if (f->os_family == os_family) return f;
  }
  static const Family kUnknown = Other("unknown", "unknown");
  return &kUnknown;
}

std::string SshServiceName(const Value& config) {
  const Value& v = Get(Get(config, "system_info"), "ssh_svcname");
  if (v.is_string() && !v.get<std::string>().empty()) return v.get<std::string>();
  return std::string(DistroFor(config)->ssh_service);
}

std::vector<std::string> DefaultRenderers(const Value& config) {
  const Value& v = Get(Get(Get(config, "system_info"), "network"), "renderers");
  std::vector<std::string> out;
  if (v.is_array() && !v.empty()) {
    for (const auto& r : v) {
      if (!r.is_string()) {
        out.clear();
        break;
      }
      out.push_back(r.get<std::string>());
    }
    if (!out.empty()) return out;
  }
  for (auto r : DistroFor(config)->renderers) out.emplace_back(r);
  return out;
}

bool PreferFqdn(const Value& config) {
  if (config.is_object() && config.contains("prefer_fqdn_over_hostname")) {
    return TranslateBool(config["prefer_fqdn_over_hostname"]);
  }
  std::string d = DistroName(config);
  for (auto p : kPreferFqdn) {
    if (d == p) return true;
  }
  return false;
}

CaCertsPaths CaCerts(const Distro& d) {
  if (d.name == "rhel") {
    return {"/usr/share/pki/ca-trust-source/", "anchors/cloud-init-ca-certs.crt", "",
            "/etc/pki/ca-trust/", {"update-ca-trust"}, false};
  }
  return {"/usr/share/ca-certificates/", "cloud-init-ca-certs.crt", "/etc/ca-certificates.conf",
          "/etc/ssl/certs/", {"update-ca-certificates"}, d.name == "debian" || d.name == "ubuntu"};
}

bool UsesSystemd(System& sys) {
  auto st = sys.Stat("/run/systemd/system");
  return st && st->is_dir;
}

std::optional<std::string> Which(System& sys, std::string_view name) {
  if (!name.empty() && name[0] == '/') {
    // A path is checked as it is (subp.which does not search PATH for it).
    auto st = sys.Stat(std::string(name));
    if (st && (st->is_symlink || (st->is_regular && (st->mode & 0111)))) return std::string(name);
    return std::nullopt;
  }
  for (const char* dir :
       {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
    std::string path = std::string(dir) + "/" + std::string(name);
    // Stat does not follow symlinks; a link (alternatives) counts as found.
    auto st = sys.Stat(path);
    if (st && (st->is_symlink || (st->is_regular && (st->mode & 0111)))) return path;
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> ReadShellVars(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& raw : PySplit(text, '\n')) {
    std::string line = PyStrip(raw);
    if (line.empty() || line[0] == '#') continue;
    if (line.starts_with("export ")) line = PyStrip(line.substr(7));
    size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') && value.back() == value[0]) {
      value = value.substr(1, value.size() - 2);
    }
    bool replaced = false;
    for (auto& [k, v] : out) {
      if (k == key) {
        v = value;
        replaced = true;
      }
    }
    if (!replaced) out.emplace_back(key, value);
  }
  return out;
}

std::string UpdateSysconfig(std::string_view text,
                            const std::vector<std::pair<std::string, std::string>>& vars) {
  std::vector<std::string> lines = PySplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (const auto& [key, value] : vars) {
    // SysConf._quote: a value with whitespace is shell-quoted ('...'),
    // anything else written as it is.
    bool space = value.find_first_of(" \t\r\n") != std::string::npos;
    std::string quoted = value;
    if (space) {
      quoted = "'";
      for (char c : value) quoted += c == '\'' ? std::string("'\"'\"'") : std::string(1, c);
      quoted += "'";
    }
    std::string line = key + "=" + quoted;
    bool found = false;
    for (auto& l : lines) {
      std::string s = PyStrip(l);
      if (s.starts_with(key + "=")) {
        l = line;
        found = true;
      }
    }
    if (!found) lines.push_back(line);
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string MakeHeader(System& sys, std::string_view base) {
  std::time_t t = static_cast<std::time_t>(sys.Now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string b(base);
  if (!b.empty()) b[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(b[0])));
  return b + " by nubo v. " NUBO_VERSION " (cloud-init 22.4.2 compatible) on " + date;
}

}  // namespace nubo::distro
