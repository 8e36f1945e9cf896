// systemd-networkd's /etc/systemd/network/10-cloud-init-<name>.network, as
// Debian's cloud-init 22.4.2 writes them (cloudinit/net/networkd.py with
// Debian's patch: one [Route] section per route, keyed r<n>/a<n>/c<n> and
// written in that key's string order, each entry followed by a blank line;
// the other sections sorted by name, entries sorted and de-duplicated, one
// [Address] per address), with one deviation so that the config works
// (listed in tests/compat/known-differences.yaml): bonds, VLANs and bridges
// get a 10-cloud-init-<name>.netdev, and their members' .network files name
// them (Bond=, VLAN=, Bridge=). 22.4 writes neither, so those devices never
// come up.
#include <algorithm>
#include <map>
#include <set>

#include "agent/net/renderer.h"

namespace nubo::net {
namespace {

std::string PyBool(bool b) { return b ? "True" : "False"; }

class Conf {
 public:
  void Add(const std::string& section, const std::string& key, const std::string& value) {
    sections_[section].insert(key + "=" + value);
  }
  // update_route_section: the route with key `rid`.
  void AddRoute(const std::string& rid, const std::string& key, const std::string& value) {
    routes_[rid].insert(key + "=" + value);
  }
  void AddRoute(const std::string& rid, const Route& r) {
    if (!r.gateway.empty()) AddRoute(rid, "Gateway", r.gateway);
    AddRoute(rid, "Destination", r.network + "/" + std::to_string(r.prefix));
    if (r.metric) AddRoute(rid, "Metric", std::to_string(*r.metric));
  }
  std::string Final() const {
    std::string out;
    std::map<std::string, std::set<std::string>> all = sections_;
    all["Route"];
    for (const auto& [name, entries] : all) {
      if (name == "Route") {
        for (const auto& [rid, r] : routes_) {
          out += "[Route]\n";
          for (const auto& e : r) out += e + "\n\n";
        }
        continue;
      }
      if (entries.empty()) continue;
      if (name == "Address") {
        for (const auto& e : entries) out += "[Address]\n" + e + "\n\n";
      } else {
        out += "[" + name + "]\n";
        for (const auto& e : entries) out += e + "\n";
        out += "\n";
      }
    }
    return out;
  }

 private:
  std::map<std::string, std::set<std::string>> sections_;
  std::map<std::string, std::set<std::string>> routes_;
};

std::string Str(const Value& v) {
  if (v.is_boolean()) return PyBool(v.get<bool>());
  return ValueStr(v);
}

// dhcp{4,6}-overrides of the v2 device behind `iface` (v2 only).
void DhcpOverrides(const NetworkState& ns, const Interface& iface, const std::string& dhcp, Conf& cfg) {
  const Value& eths = Get(ns.config, "ethernets");
  if (!eths.is_object()) return;
  std::string name = iface.name;
  for (const std::string& dev : ns.SectionKeys("ethernets")) {
    const Value& c = eths[dev];
    if (c.is_object() && c.contains("set-name") && ValueStr(c["set-name"]) == name) {
      name = dev;
      break;
    }
  }
  if (!eths.contains(name)) return;
  const Value& device = eths[name];
  for (const std::string version : {"4", "6"}) {
    std::vector<std::pair<std::string, std::string>> map = {
        {"UseDNS", "use-dns"}, {"UseDomains", "use-domains"}, {"UseHostname", "use-hostname"}, {"UseNTP", "use-ntp"}};
    if (version == "4") {
      for (auto p : std::vector<std::pair<std::string, std::string>>{{"SendHostname", "send-hostname"},
                                                                     {"Hostname", "hostname"},
                                                                     {"RouteMetric", "route-metric"},
                                                                     {"UseMTU", "use-mtu"},
                                                                     {"UseRoutes", "use-routes"}}) {
        map.push_back(p);
      }
    }
    const Value& o = Get(device, "dhcp" + version + "-overrides");
    if (!o.is_object() || (dhcp != "yes" && dhcp != "ipv" + version)) continue;
    for (const auto& [key, v2key] : map) {
      if (o.contains(v2key)) cfg.Add("DHCPv" + version, key, Str(o[v2key]));
    }
  }
}

std::string Ms(const Value& v) { return ValueStr(v) + "ms"; }

// The .netdev of a bond, VLAN or bridge (nubo's addition, see above).
std::string Netdev(const Interface& i) {
  std::string kind = i.type;
  std::string out = "[NetDev]\nName=" + i.name + "\nKind=" + kind + "\n";
  if (!i.mac_address.empty() && i.type != "vlan") out += "MACAddress=" + i.mac_address + "\n";
  if (i.mtu) out += "MTUBytes=" + std::to_string(*i.mtu) + "\n";
  out += "\n";
  auto param = [&](const std::string& dashed) -> const Value* {
    std::string under = dashed;
    std::replace(under.begin(), under.end(), '-', '_');
    const Value* v = i.Param(dashed);
    if (v == nullptr) v = i.Param(under);
    return v != nullptr && !v->is_null() ? v : nullptr;
  };
  if (i.type == "bond") {
    struct Opt {
      const char* key;
      const char* netdev;
      bool ms;
    };
    static const Opt kOpts[] = {
        {"bond-mode", "Mode", false},
        {"bond-xmit-hash-policy", "TransmitHashPolicy", false},
        {"bond-lacp-rate", "LACPTransmitRate", false},
        {"bond-miimon", "MIIMonitorSec", true},
        {"bond-updelay", "UpDelaySec", true},
        {"bond-downdelay", "DownDelaySec", true},
        {"bond-ad-select", "AdSelect", false},
        {"bond-fail-over-mac", "FailOverMACPolicy", false},
        {"bond-arp-validate", "ARPValidate", false},
        {"bond-arp-interval", "ARPIntervalSec", true},
        {"bond-arp-ip-target", "ARPIPTargets", false},
        {"bond-primary-reselect", "PrimaryReselectPolicy", false},
        {"bond-num-grat-arp", "GratuitousARP", false},
        {"bond-min-links", "MinLinks", false},
    };
    std::string body;
    for (const Opt& o : kOpts) {
      if (const Value* v = param(o.key)) {
        std::string s = v->is_array() ? "" : ValueStr(*v);
        if (v->is_array()) {
          for (const auto& e : *v) s += (s.empty() ? "" : " ") + ValueStr(e);
        }
        body += std::string(o.netdev) + "=" + (o.ms ? s + "ms" : s) + "\n";
      }
    }
    if (!body.empty()) out += "[Bond]\n" + body + "\n";
  } else if (i.type == "vlan") {
    out += "[VLAN]\nId=" + ValueStr(i.vlan_id) + "\n\n";
  } else if (i.type == "bridge") {
    std::string body;
    if (const Value* v = param("bridge_stp")) body += std::string("STP=") + (IsTrue(*v) ? "yes" : "no") + "\n";
    if (const Value* v = param("bridge_fd")) body += "ForwardDelaySec=" + ValueStr(*v) + "\n";
    if (const Value* v = param("bridge_hello")) body += "HelloTimeSec=" + ValueStr(*v) + "\n";
    if (const Value* v = param("bridge_maxage")) body += "MaxAgeSec=" + ValueStr(*v) + "\n";
    if (const Value* v = param("bridge_ageing")) body += "AgeingTimeSec=" + ValueStr(*v) + "\n";
    if (const Value* v = param("bridge_bridgeprio")) body += "Priority=" + ValueStr(*v) + "\n";
    if (!body.empty()) out += "[Bridge]\n" + body + "\n";
  }
  (void)Ms;
  return out;
}

}  // namespace

Result<std::vector<RenderedFile>> RenderNetworkd(const NetworkState& ns, const RenderOptions& o) {
  std::vector<RenderedFile> files;
  std::string dir = o.networkd_dir;
  if (dir.empty() || dir.back() != '/') dir += "/";
  for (const Interface& iface : ns.interfaces) {
    Conf cfg;
    cfg.Add("Match", "Name", iface.name);
    if (const Value* d = iface.Param("driver"); d != nullptr && !d->is_null() && !ValueStr(*d).empty()) {
      cfg.Add("Match", "Driver", ValueStr(*d));
    }
    if (!iface.mac_address.empty()) cfg.Add("Match", "MACAddress", iface.mac_address);
    if (iface.mtu && *iface.mtu != 0) cfg.Add("Link", "MTUBytes", std::to_string(*iface.mtu));
    std::string dhcp = "no";
    int rid = 0;
    for (const Subnet& s : iface.subnets) {
      if (s.type == "dhcp4" || s.type == "dhcp") {
        if (dhcp == "no") dhcp = "ipv4";
        else if (dhcp == "ipv6") dhcp = "yes";
      } else if (s.type == "dhcp6") {
        if (dhcp == "no") dhcp = "ipv6";
        else if (dhcp == "ipv4") dhcp = "yes";
      }
      for (const Route& r : s.routes) cfg.AddRoute("r" + std::to_string(rid++), r);
      if (!s.address.empty()) {
        cfg.Add("Address", "Address", s.address + (s.prefix ? "/" + std::to_string(*s.prefix) : ""));
        if (!s.gateway.empty()) cfg.AddRoute("a" + std::to_string(rid++), "Gateway", s.gateway);
        if (!s.dns_nameservers.empty()) {
          std::string j;
          for (const auto& n : s.dns_nameservers) j += (j.empty() ? "" : " ") + n;
          cfg.Add("Network", "DNS", j);
        }
        if (!s.dns_search.empty()) {
          std::string j;
          for (const auto& n : s.dns_search) j += (j.empty() ? "" : " ") + n;
          cfg.Add("Network", "Domains", j);
        }
      }
    }
    cfg.Add("Network", "DHCP", dhcp);
    if ((dhcp == "ipv6" || dhcp == "yes") && iface.accept_ra) cfg.Add("Network", "IPv6AcceptRA", PyBool(*iface.accept_ra));
    // parse_dns: the interface's own DNS, else (v1) the global one.
    std::vector<std::string> dns, search;
    bool have = false;
    if (iface.dns) {
      dns = iface.dns->addresses;
      search = iface.dns->search;
      have = true;
    } else if (ns.version == 1) {
      dns = ns.dns_nameservers;
      search = ns.dns_search;
      have = true;
    }
    if (have) {
      auto join = [](const std::vector<std::string>& v) {
        std::string j;
        for (const auto& n : v) j += (j.empty() ? "" : " ") + n;
        return j;
      };
      if (!search.empty()) cfg.Add("Network", "Domains", join(search));
      if (!dns.empty()) cfg.Add("Network", "DNS", join(dns));
    }
    int crid = 0;
    for (const Route& r : ns.routes) cfg.AddRoute("c" + std::to_string(crid++), r);
    if (ns.version == 2) DhcpOverrides(ns, iface, dhcp, cfg);
    // nubo: membership of bonds, bridges and VLANs (see the top of the file).
    if (!iface.bond_master.empty()) cfg.Add("Network", "Bond", iface.bond_master);
    for (const Interface& other : ns.interfaces) {
      if (other.type == "bridge" && other.bridge_ports &&
          std::count(other.bridge_ports->begin(), other.bridge_ports->end(), iface.name)) {
        cfg.Add("Network", "Bridge", other.name);
      }
      if (other.type == "vlan" && other.vlan_raw_device == iface.name) cfg.Add("Network", "VLAN", other.name);
    }
    files.push_back({dir + "10-cloud-init-" + iface.name + ".network", cfg.Final(), 0644, "systemd-network"});
    if (iface.type == "bond" || iface.type == "vlan" || iface.type == "bridge") {
      files.push_back({dir + "10-cloud-init-" + iface.name + ".netdev", Netdev(iface), 0644, "systemd-network"});
    }
  }
  return files;
}

}  // namespace nubo::net
