// Hostname resolution and the hostname/hosts file formats
// (include/nubo/hostname.h).

#include "nubo/hostname.h"
#include "nubo/distro.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <set>
#include <sstream>
#include <vector>

#include "nubo/log.h"
#include "nubo/text.h"

namespace nubo {

namespace {

constexpr char kDefaultHost[] = "localhost";
constexpr char kDefaultDomain[] = "localdomain";

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  std::stringstream ss{std::string(s)};
  std::string w;
  while (ss >> w) out.push_back(w);
  return out;
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> out;
  std::stringstream ss{std::string(text)};
  std::string line;
  while (std::getline(ss, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(line);
  }
  return out;
}

// net.is_ipv4_address: four decimal parts 0-255, no leading zeros.
bool IsIpv4(const std::string& s) {
  auto parts = PySplit(s, '.');
  if (parts.size() != 4) return false;
  for (const auto& p : parts) {
    if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0')) return false;
    for (char c : p) {
      if (c < '0' || c > '9') return false;
    }
    if (std::stoi(p) > 255) return false;
  }
  return true;
}

// util.get_fqdn_from_hosts: the canonical name of the first line listing
// `hostname` among its aliases.
std::string FqdnFromHosts(const std::string& hostname, std::string_view hosts) {
  for (std::string line : Lines(hosts)) {
    size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    auto toks = Words(line);
    if (toks.size() < 3) continue;
    for (size_t i = 2; i < toks.size(); ++i) {
      if (toks[i] == hostname) return toks[1];
    }
  }
  return "";
}

// DataSource.get_hostname(fqdn=...).
std::pair<std::string, bool> DatasourceHostname(const HostnameFacts& facts, bool fqdn) {
  std::vector<std::string> toks;
  bool is_default = false;
  if (!facts.local_hostname || facts.local_hostname->empty()) {
    const std::string& hostname = facts.system_hostname;
    if (hostname == kDefaultHost) is_default = true;
    std::string hosts_fqdn = FqdnFromHosts(hostname, facts.etc_hosts);
    if (!hosts_fqdn.empty() && hosts_fqdn.find('.') != 0 &&
        hosts_fqdn.find('.') != std::string::npos) {
      toks = PySplit(hosts_fqdn, '.');
    } else if (!hostname.empty() && hostname.find('.') != 0 &&
               hostname.find('.') != std::string::npos) {
      toks = PySplit(hostname, '.');
    } else if (!hostname.empty()) {
      toks = {hostname, kDefaultDomain};
    } else {
      toks = {kDefaultHost, kDefaultDomain};
    }
  } else if (IsIpv4(*facts.local_hostname)) {
    std::string dashed = *facts.local_hostname;
    for (char& c : dashed) {
      if (c == '.') c = '-';
    }
    toks = {"ip-" + dashed};
  } else {
    toks = PySplit(*facts.local_hostname, '.');
  }
  std::string hostname = toks[0];
  std::string domain = kDefaultDomain;
  if (toks.size() > 1) {
    domain.clear();
    for (size_t i = 1; i < toks.size(); ++i) domain += (i > 1 ? "." : "") + toks[i];
  }
  if (fqdn && domain != kDefaultDomain) hostname += "." + domain;
  return {hostname, is_default};
}

// Python's str.split(".")[0] and str.find(".") on a config value.
Result<std::string> ConfigString(const Value& config, const char* key) {
  const Value& v = config[key];
  if (!v.is_string()) return MakeError("expected str, got " + TypeName(v), key);
  return v.get<std::string>();
}

}  // namespace

Result<HostnameFqdn> GetHostnameFqdn(const Value& config, const HostnameFacts& facts) {
  HostnameFqdn out;
  bool has = config.is_object();
  if (has && config.contains("fqdn")) {
    auto fqdn = ConfigString(config, "fqdn");
    if (!fqdn) return fqdn.error();
    out.fqdn = *fqdn;
    // get_cfg_option_str: any value becomes its str().
    out.hostname = config.contains("hostname") ? PyStr(config["hostname"])
                                               : out.fqdn.substr(0, out.fqdn.find('.'));
    return out;
  }
  if (has && config.contains("hostname")) {
    auto hostname = ConfigString(config, "hostname");
    if (!hostname) return hostname.error();
    size_t dot = hostname->find('.');
    if (dot != std::string::npos && dot > 0) {
      out.fqdn = *hostname;
      out.hostname = hostname->substr(0, dot);
      return out;
    }
    out.fqdn = DatasourceHostname(facts, true).first;
    out.hostname = *hostname;
    return out;
  }
  out.fqdn = DatasourceHostname(facts, true).first;
  auto [hostname, is_default] = DatasourceHostname(facts, false);
  out.hostname = hostname;
  out.is_default = is_default;
  return out;
}

Result<HostnameFqdn> ResolveHostnameFqdn(const Value& config, const InstanceData& instance,
                                         System& sys) {
  HostnameFacts facts;
  if (!instance.local_hostname.empty()) {
    facts.local_hostname = instance.local_hostname;
  } else {
    const Value& lh = Get(instance.meta_data, "local-hostname");
    if (!lh.is_null() && !(lh.is_boolean() && !lh.get<bool>())) {
      std::string s = PyStr(lh);
      if (!s.empty()) facts.local_hostname = s;
    }
  }
  if (sys.IsHostRoot()) {
    auto running = sys.RunningHostname();
    if (running) facts.system_hostname = *running;
  } else {
    // Not the running system: the target's own name, as it would boot.
    auto text = sys.ReadFile("/etc/hostname");
    if (text) {
      auto parsed = ParseHostnameFile(*text);
      if (parsed && *parsed) facts.system_hostname = **parsed;
    }
    if (facts.system_hostname.empty()) facts.system_hostname = kDefaultHost;
  }
  auto hosts = sys.ReadFile("/etc/hosts");
  if (hosts) facts.etc_hosts = *hosts;
  return GetHostnameFqdn(config, facts);
}

std::string OsFamily(const Value& config) { return distro::OsFamily(config); }

bool PreferFqdn(const Value& config) { return distro::PreferFqdn(config); }

std::string SelectHostname(const HostnameFqdn& names, bool prefer_fqdn) {
  if (prefer_fqdn && !names.fqdn.empty()) return names.fqdn;
  if (names.hostname.empty()) return names.fqdn;
  return names.hostname;
}

std::optional<std::string> HostnameToSet(const HostnameFqdn& names, const Value& config) {
  if (names.is_default && names.hostname == "localhost") return std::nullopt;
  return SelectHostname(names, PreferFqdn(config));
}

bool CreateHostnameFile(const Value& config) {
  if (config.is_object() && config.contains("create_hostname_file")) {
    return TranslateBool(config["create_hostname_file"]);
  }
  return true;
}

Result<std::optional<std::string>> ParseHostnameFile(std::string_view text) {
  std::set<std::string> found;
  std::optional<std::string> first;
  for (const std::string& line : Lines(text)) {
    std::string head = PyStrip(line);
    size_t hash = head.find('#');
    if (hash != std::string::npos) head = PyStrip(head.substr(0, hash));
    if (head.empty()) continue;
    if (!first) first = head;
    found.insert(head);
  }
  if (found.size() > 1) {
    std::string names;
    for (const auto& n : found) names += (names.empty() ? "" : ", ") + Quote(n);
    return MakeError("Multiple hostnames (" + names + ") found");
  }
  return first;
}

std::string SetHostnameInFile(std::string_view text, const std::string& name) {
  std::string wanted = PyStrip(name);
  auto parsed = ParseHostnameFile(text);
  if (!parsed) text = "";  // cloud-init starts over on an unreadable file
  std::string out;
  bool replaced = false;
  for (const std::string& line : Lines(text)) {
    std::string stripped = PyStrip(line);
    size_t hash = stripped.find('#');
    std::string head = hash == std::string::npos ? stripped : stripped.substr(0, hash);
    if (head.empty()) {
      out += line + "\n";
      continue;
    }
    // A hostname line keeps its trailing comment.
    out += wanted + (hash == std::string::npos ? "" : stripped.substr(hash)) + "\n";
    replaced = true;
  }
  if (!replaced && !wanted.empty()) out += wanted + "\n";
  if (out.empty() || out.back() != '\n') out += "\n";
  return out;
}

std::optional<std::string> UpdateHostsLocalhost(const std::optional<std::string>& existing,
                                                const std::string& ip,
                                                const std::string& hostname,
                                                const std::string& fqdn,
                                                const std::string& header) {
  // HostsConf: ("blank"|"comment", line) or ("option", words, comment tail).
  struct Entry {
    bool option = false;
    std::string raw;
    std::vector<std::string> words;
    std::string tail;
  };
  std::vector<Entry> entries;
  for (const std::string& line : Lines(existing.value_or(""))) {
    std::string stripped = PyStrip(line);
    size_t hash = stripped.find('#');
    std::string head = hash == std::string::npos ? stripped : stripped.substr(0, hash);
    if (PyStrip(head).empty()) {
      entries.push_back({false, line, {}, {}});
      continue;
    }
    entries.push_back(
        {true, "", Words(head), hash == std::string::npos ? "" : stripped.substr(hash)});
  }
  std::vector<std::vector<std::string>> prev;  // the names of each `ip` line
  for (const auto& e : entries) {
    if (e.option && !e.words.empty() && e.words[0] == ip) {
      prev.emplace_back(e.words.begin() + 1, e.words.end());
    }
  }
  if (prev.empty()) {
    entries.push_back({true, "", {ip, fqdn, hostname}, ""});
  } else {
    for (const auto& names : prev) {
      if (!names.empty() && names[0] == fqdn &&
          std::find(names.begin() + 1, names.end(), hostname) != names.end()) {
        return std::nullopt;  // exists already
      }
    }
    std::vector<Entry> kept;
    for (auto& e : entries) {
      if (e.option && !e.words.empty() && e.words[0] == ip) continue;
      kept.push_back(std::move(e));
    }
    entries = std::move(kept);
    prev.push_back({fqdn, hostname});
    for (const auto& names : prev) {
      if (names.empty()) continue;
      std::vector<std::string> words = {ip};
      words.insert(words.end(), names.begin(), names.end());
      entries.push_back({true, "", words, ""});
    }
  }
  std::string body;
  for (const auto& e : entries) {
    if (!e.option) {
      body += e.raw + "\n";
      continue;
    }
    std::string joined;
    for (size_t i = 0; i < e.words.size(); ++i) joined += (i ? "\t" : "") + e.words[i];
    body += joined + e.tail + "\n";
  }
  std::string out = existing ? "" : header + "\n";
  return out + body + "\n";
}

std::string LocalhostIp(const std::string& os_family) {
  return std::string(distro::FamilyByOsFamily(os_family)->localhost_ip);
}

std::string TemplatesDir(const Value& config) {
  const Value& dir = Get(Get(Get(config, "system_info"), "paths"), "templates_dir");
  std::string d = dir.is_string() ? dir.get<std::string>() : "/etc/cloud/templates";
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return d;
}

std::string RenderHostsTemplate(std::string_view tmpl, const std::string& hostname,
                                const std::string& fqdn) {
  std::string_view body = tmpl;
  if (body.rfind("## template:", 0) == 0) {
    size_t nl = body.find('\n');
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
  }
  std::string out;
  size_t i = 0;
  while (i < body.size()) {
    if (body.compare(i, 2, "{#") == 0) {
      size_t end = body.find("#}", i + 2);
      if (end == std::string_view::npos) break;
      bool strip = end > 0 && body[end - 1] == '-';
      i = end + 2;
      if (strip) {
        while (i < body.size() && std::isspace(static_cast<unsigned char>(body[i]))) ++i;
      } else if (i < body.size() && body[i] == '\n') {
        ++i;  // trim_blocks
      }
      continue;
    }
    if (body.compare(i, 2, "{{") == 0) {
      size_t end = body.find("}}", i + 2);
      if (end != std::string_view::npos) {
        std::string name = PyStrip(body.substr(i + 2, end - i - 2));
        if (name == "hostname") {
          out += hostname;
        } else if (name == "fqdn") {
          out += fqdn;
        }
        i = end + 2;
        continue;
      }
    }
    out += body[i++];
  }
  return out;
}

Status ApplyRunningHostname(System& sys, const std::string& static_name,
                            const std::string& transient_name, bool* used_hostnamed) {
  *used_hostnamed = false;
  if (!sys.IsHostRoot()) return Status::Ok();
  Status s = sys.SetHostnameViaHostnamed(static_name, transient_name);
  if (s.ok()) {
    *used_hostnamed = true;
    return s;
  }
  if (s.error().errno_value != ENOTCONN) return s;  // hostnamed said no
  return sys.SetTransientHostname(transient_name);
}

}  // namespace nubo
