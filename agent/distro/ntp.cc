// cc_ntp's per-distro client tables and the resolv.conf path (22.4.2). See
// include/nubo/distro.h.

#include "nubo/distro.h"

namespace nubo::distro {

namespace {

Value Client(std::string check_exe, std::string confpath, std::vector<std::string> packages,
             std::string service_name, std::string template_name) {
  return Value{{"check_exe", check_exe},       {"confpath", confpath},
               {"packages", packages},         {"service_name", service_name},
               {"template_name", template_name}, {"template", nullptr}};
}

// DISTRO_CLIENT_CONFIG: distro name -> client -> keys replaced.
Value DistroOverrides(const std::string& name) {
  if (name == "alpine") {
    return Value::parse(R"({"chrony": {"confpath": "/etc/chrony/chrony.conf", "service_name": "chronyd"},
      "ntp": {"confpath": "/etc/ntp.conf", "packages": [], "service_name": "ntpd"}})");
  }
  if (name == "centos" || name == "rhel") {
    return Value::parse(R"({"ntp": {"service_name": "ntpd"}, "chrony": {"service_name": "chronyd"}})");
  }
  if (name == "cos") {
    return Value::parse(
        R"({"chrony": {"service_name": "chronyd", "confpath": "/etc/chrony/chrony.conf"}})");
  }
  if (name == "debian" || name == "ubuntu") {
    return Value::parse(R"({"chrony": {"confpath": "/etc/chrony/chrony.conf"}})");
  }
  if (name == "freebsd") {
    return Value::parse(R"({"ntp": {"confpath": "/etc/ntp.conf", "service_name": "ntpd",
        "template_name": "ntp.conf.{distro}"},
      "chrony": {"confpath": "/usr/local/etc/chrony.conf", "packages": ["chrony"],
        "service_name": "chronyd", "template_name": "chrony.conf.{distro}"},
      "openntpd": {"check_exe": "/usr/local/sbin/ntpd", "confpath": "/usr/local/etc/ntp.conf",
        "packages": ["openntpd"], "service_name": "openntpd",
        "template_name": "ntpd.conf.openbsd"}})");
  }
  if (name == "mariner" || name == "photon") {
    Value v = Value::parse(R"({"chrony": {"service_name": "chronyd"},
      "systemd-timesyncd": {"check_exe": "/usr/lib/systemd/systemd-timesyncd",
        "confpath": "/etc/systemd/timesyncd.conf"}})");
    if (name == "photon") v["ntp"] = {{"service_name", "ntpd"}, {"confpath", "/etc/ntp.conf"}};
    return v;
  }
  if (name == "openmandriva" || name == "opensuse" || name == "sles") {
    Value v = Value::parse(R"({"chrony": {"service_name": "chronyd"},
      "ntp": {"confpath": "/etc/ntp.conf", "service_name": "ntpd"},
      "systemd-timesyncd": {"check_exe": "/usr/lib/systemd/systemd-timesyncd"}})");
    if (name == "openmandriva") v["systemd-timesyncd"]["check_exe"] = "/lib/systemd/systemd-timesyncd";
    return v;
  }
  return Value::object();
}

}  // namespace

Value NtpClientConfigs(const Distro& d) {
  Value cfg = {
      {"chrony", Client("chronyd", "/etc/chrony.conf", {"chrony"}, "chrony", "chrony.conf.{distro}")},
      {"ntp", Client("ntpd", "/etc/ntp.conf", {"ntp"}, "ntp", "ntp.conf.{distro}")},
      {"ntpdate", Client("ntpdate", "/etc/ntp.conf", {"ntpdate"}, "ntpdate", "ntp.conf.{distro}")},
      {"openntpd", Client("ntpd", "/etc/ntpd.conf", {}, "ntpd", "ntpd.conf.{distro}")},
      {"systemd-timesyncd", Client("/lib/systemd/systemd-timesyncd",
                                   "/etc/systemd/timesyncd.conf.d/cloud-init.conf", {},
                                   "systemd-timesyncd", "timesyncd.conf")},
  };
  Value over = DistroOverrides(d.name);
  for (auto& [client, keys] : over.items()) {
    for (auto& [k, v] : keys.items()) cfg[client][k] = v;
  }
  return cfg;
}

std::vector<std::string> PreferredNtpClients(const Distro& d) {
  if (d.name == "alpine") return {"chrony", "ntp"};
  return {"chrony", "systemd-timesyncd", "ntp", "ntpdate"};
}

std::vector<std::string> DefaultNtpNames(const Distro& d) {
  std::string pool = d.name;
  if (pool == "sles") pool = "opensuse";
  if (pool == "alpine" || pool == "eurolinux") pool = "";
  std::vector<std::string> names;
  for (int i = 0; i < 4; ++i) {
    names.push_back(std::to_string(i) + (pool.empty() ? "" : "." + pool) + ".pool.ntp.org");
  }
  return names;
}

NtpDefault NtpDefaultFor(const Distro& d, std::string_view service_name) {
  if (d.name == "cos") return NtpDefault::kNothing;
  if (d.name == "alpine" && service_name == "ntpd") return NtpDefault::kServers;
  return NtpDefault::kPools;
}

std::string ResolvConfFile(const Distro& d) {
  if (d.name == "photon" || d.name == "mariner") return "/etc/systemd/resolved.conf";
  return "/etc/resolv.conf";
}

bool CanInstallPackages(System& sys, const Distro& d) {
  switch (d->package_manager) {
    case PackageManager::kApt:
      return Which(sys, "apt-get").has_value();
    case PackageManager::kDnfOrYum:
      return Which(sys, "dnf").has_value() || Which(sys, "yum").has_value();
    case PackageManager::kNone:
      return false;
  }
  return false;
}

}  // namespace nubo::distro
