// RHEL's network-scripts (/etc/sysconfig/network-scripts/ifcfg-<name>,
// route-<name>, route6-<name>, /etc/sysconfig/network), as cloud-init 22.4's
// cloudinit/net/sysconfig.py Renderer writes them for the "rhel" flavor.
#include <algorithm>
#include <map>
#include <regex>
#include <sstream>

#include "agent/net/renderer.h"

namespace nubo::net {
namespace {

const char kHeader[] = "# Created by cloud-init on instance boot automatically, do not edit.\n#";

std::string QuoteValue(const std::string& v) {
  static const std::regex kSpace(R"(\s)");
  if (!std::regex_search(v, kSpace)) return v;
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v;
  return "\"" + v + "\"";
}

std::string Str(const Value& v) {
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return ValueStr(v);
}

// A ConfigMap: KEY=value pairs written sorted.
struct ConfigMap {
  std::map<std::string, Value> conf;
  bool Has(const std::string& k) const { return conf.count(k) != 0; }
  std::string Text(bool skip_vlan_type) const {
    std::string out = kHeader;
    if (!conf.empty()) out += "\n";
    for (const auto& [k, v] : conf) {
      if (skip_vlan_type && k == "TYPE" && v == "Vlan") continue;
      out += k + "=" + QuoteValue(Str(v)) + "\n";
    }
    return out;
  }
};

struct RouteCfg {
  ConfigMap map;
  int last_idx = 1;
  bool default4 = false, default6 = false;
  std::string Text(const std::string& proto, const std::string& name) const {
    std::string out = kHeader;
    if (!map.conf.empty()) out += "\n";
    int reindex = -1;
    for (const auto& [key, value] : map.conf) {
      if (key.find("ADDRESS") == std::string::npos) continue;
      std::string index = key.substr(7);
      std::string address = Str(value);
      auto get = [&](const std::string& k) {
        auto it = map.conf.find(k + index);
        return it == map.conf.end() ? std::string() : Str(it->second);
      };
      bool v6 = address.find(':') != std::string::npos;
      if (proto == "ipv4" && !v6) {
        ++reindex;
        std::string r = std::to_string(reindex);
        out += "ADDRESS" + r + "=" + QuoteValue(address) + "\n";
        out += "GATEWAY" + r + "=" + QuoteValue(get("GATEWAY")) + "\n";
        out += "NETMASK" + r + "=" + QuoteValue(get("NETMASK")) + "\n";
        if (map.Has("METRIC" + index)) out += "METRIC" + r + "=" + QuoteValue(get("METRIC")) + "\n";
      } else if (proto == "ipv6" && v6) {
        std::string metric = map.Has("METRIC" + index) ? "metric " + get("METRIC") : "";
        out += address + "/" + get("PREFIX") + " via " + get("GATEWAY") + " " + metric + " dev " + name + "\n";
      }
    }
    return out;
  }
};

struct Iface {
  std::string name;
  ConfigMap cfg;
  RouteCfg routes;
  std::string Bootproto() const {
    auto it = cfg.conf.find("BOOTPROTO");
    return it == cfg.conf.end() ? "" : Str(it->second);
  }
};

void SetKind(Iface& c, const std::string& kind) {
  static const std::map<std::string, std::string> kTypes = {
      {"ethernet", "Ethernet"}, {"bond", "Bond"}, {"bridge", "Bridge"}, {"infiniband", "InfiniBand"}, {"vlan", "Vlan"}};
  c.cfg.conf["TYPE"] = kTypes.at(kind);
}

Status RenderSubnets(Iface& c, const std::vector<Subnet>& subnets, bool has_default_route) {
  auto& cfg = c.cfg.conf;
  cfg["BOOTPROTO"] = "none";
  for (const Subnet& s : subnets) {
    std::string mtu_key = "MTU";
    const std::string& t = s.type;
    bool v6 = SubnetIsIpv6(s);
    if (t == "dhcp6" || t == "ipv6_dhcpv6-stateful") {
      if (t == "ipv6_dhcpv6-stateful") {
        cfg["BOOTPROTO"] = "dhcp";
        cfg["DHCPV6C"] = true;
        cfg["IPV6INIT"] = true;
        cfg["IPV6_AUTOCONF"] = false;
      } else {
        cfg["IPV6INIT"] = true;
        cfg["DHCPV6C"] = true;
      }
    } else if (t == "ipv6_dhcpv6-stateless") {
      cfg["IPV6INIT"] = true;
      cfg["IPV6_AUTOCONF"] = true;
      cfg["DHCPV6C"] = true;
      cfg["DHCPV6C_OPTIONS"] = "-S";
    } else if (t == "ipv6_slaac") {
      cfg["IPV6INIT"] = true;
      cfg["IPV6_AUTOCONF"] = true;
    } else if (t == "dhcp4" || t == "dhcp") {
      cfg["BOOTPROTO"] = "dhcp";
    } else if (t == "static" || t == "static6") {
      if (v6) {
        mtu_key = "IPV6_MTU";
        cfg["IPV6INIT"] = true;
      }
      if (s.mtu) cfg[mtu_key] = *s.mtu;
      if (v6) {
        cfg["IPV6_FORCE_ACCEPT_RA"] = false;
        cfg["IPV6_AUTOCONF"] = false;
      }
    } else if (t == "manual") {
      cfg["ONBOOT"] = cfg.count(mtu_key) != 0;
    } else {
      return MakeError("Unknown subnet type " + Quote(t) + " found for interface " + Quote(c.name));
    }
    if (s.control == "manual") cfg["ONBOOT"] = false;
  }
  int v4 = -1, v6i = -1;
  for (const Subnet& s : subnets) {
    if (s.metric) cfg["METRIC"] = *s.metric;
    if (s.type == "dhcp" || s.type == "dhcp4") {
      if (has_default_route && c.Bootproto() != "none") cfg["DHCLIENT_SET_DEFAULT_ROUTE"] = false;
      continue;
    }
    if (IsIpv6DynamicType(s.type)) continue;
    if (s.type != "static" && s.type != "static6") continue;
    if (SubnetIsIpv6(s)) {
      ++v6i;
      std::string cidr = s.address + "/" + (s.prefix ? std::to_string(*s.prefix) : "None");
      if (v6i == 0) cfg["IPV6ADDR"] = cidr;
      else if (v6i == 1) cfg["IPV6ADDR_SECONDARIES"] = cidr;
      else cfg["IPV6ADDR_SECONDARIES"] = Str(cfg["IPV6ADDR_SECONDARIES"]) + " " + cidr;
    } else {
      ++v4;
      std::string suff = v4 == 0 ? "" : std::to_string(v4);
      cfg["IPADDR" + suff] = s.address;
      cfg["NETMASK" + suff] = PrefixToIpv4Mask(s.prefix.value_or(24));
    }
    if (!s.gateway.empty()) {
      cfg["DEFROUTE"] = true;
      cfg[IsIpv6Address(s.gateway) ? "IPV6_DEFAULTGW" : "GATEWAY"] = s.gateway;
    }
    if (!s.dns_search.empty()) {
      std::string j;
      for (const auto& d : s.dns_search) j += (j.empty() ? "" : " ") + d;
      cfg["DOMAIN"] = j;
    }
    for (size_t i = 0; i < s.dns_nameservers.size() && i < 3; ++i) cfg["DNS" + std::to_string(i + 1)] = s.dns_nameservers[i];
  }
  return Status::Ok();
}

Status RenderSubnetRoutes(Iface& c, const std::vector<Subnet>& subnets) {
  auto& cfg = c.cfg.conf;
  for (const Subnet& s : subnets) {
    for (const Route& r : s.routes) {
      bool v6 = s.ipv6 || IsIpv6Address(r.gateway);
      if (IsDefaultRoute(r) && !IsIpv6DynamicType(s.type)) {
        if ((s.ipv4 && c.routes.default4) || (s.ipv6 && c.routes.default6)) {
          return MakeError("Duplicate declaration of default route found for interface " + Quote(c.name));
        }
        cfg["DEFROUTE"] = true;
        if (c.Bootproto() == "dhcp" || c.Bootproto() == "dhcp4") cfg["DHCLIENT_SET_DEFAULT_ROUTE"] = true;
        if (!r.gateway.empty()) {
          if (v6) {
            cfg["IPV6_DEFAULTGW"] = r.gateway;
            c.routes.default6 = true;
          } else {
            cfg["GATEWAY"] = r.gateway;
            c.routes.default4 = true;
          }
        }
        if (r.metric) cfg["METRIC"] = *r.metric;
      } else {
        std::string idx = std::to_string(c.routes.last_idx);
        auto& rc = c.routes.map.conf;
        if (!r.gateway.empty()) rc["GATEWAY" + idx] = r.gateway;
        if (r.metric) rc["METRIC" + idx] = *r.metric;
        rc["PREFIX" + idx] = r.prefix;
        if (!r.netmask.empty()) rc["NETMASK" + idx] = r.netmask;
        rc["ADDRESS" + idx] = r.network;
        c.routes.last_idx++;
      }
    }
  }
  return Status::Ok();
}

std::string Template(std::string tpl, const std::string& base, const std::string& name) {
  for (auto [key, value] : {std::pair<std::string, std::string>{"%(base)s", base}, {"%(name)s", name}}) {
    for (size_t p; (p = tpl.find(key)) != std::string::npos;) tpl.replace(p, key.size(), value);
  }
  return tpl;
}

std::string ResolvConf(const NetworkState& ns, const std::optional<std::string>& existing) {
  // distros/parsers/resolv_conf.py: the file's lines, nameserver and search
  // options replaced by the merged lists.
  std::vector<std::string> lines, nameservers, search;
  std::string header = std::string(kHeader);
  for (char& ch : header) {
    if (ch == '#') ch = ';';
  }
  if (existing) {
    size_t start = 0;
    const std::string& t = *existing;
    while (start < t.size()) {
      size_t nl = t.find('\n', start);
      if (nl == std::string::npos) nl = t.size();
      std::string line = t.substr(start, nl - start);
      start = nl + 1;
      std::string head = line.substr(0, line.find_first_of(";#"));
      std::istringstream in(head);
      std::string opt, value;
      in >> opt;
      std::getline(in, value);
      value.erase(0, value.find_first_not_of(" \t"));
      if (opt == "nameserver") nameservers.push_back(value);
      else if (opt == "search") {
        std::istringstream sv(value);
        for (std::string d; sv >> d;) search.push_back(d);
      } else lines.push_back(line);
    }
  }
  for (const auto& n : ns.dns_nameservers) {
    if (std::find(nameservers.begin(), nameservers.end(), n) == nameservers.end() && nameservers.size() < 3) {
      nameservers.push_back(n);
    }
  }
  for (const auto& d : ns.dns_search) {
    if (std::find(search.begin(), search.end(), d) == search.end() && search.size() < 6) search.push_back(d);
  }
  std::string body;
  for (const auto& l : lines) body += l + "\n";
  for (const auto& n : nameservers) body += "nameserver " + n + "\n";
  if (!search.empty()) {
    std::string j;
    for (const auto& d : search) j += (j.empty() ? "" : " ") + d;
    body += "search " + j + "\n";
  }
  if (body.rfind(header, 0) != 0) body = header + "\n" + body;
  return body;
}

}  // namespace

Result<std::vector<RenderedFile>> RenderSysconfig(const NetworkState& ns, const RenderOptions& o) {
  if (o.sysconfig_flavor != "rhel") {
    return MakeError("sysconfig flavor " + Quote(o.sysconfig_flavor) + " is not supported by nubo (only 'rhel')");
  }
  std::vector<Iface> ifaces;
  for (const Interface& i : ns.interfaces) {
    if (i.type == "loopback") continue;
    Iface c;
    c.name = i.name;
    c.cfg.conf["DEVICE"] = i.name;
    SetKind(c, "ethernet");
    c.cfg.conf["ONBOOT"] = true;
    c.cfg.conf["USERCTL"] = false;
    c.cfg.conf["NM_CONTROLLED"] = false;
    c.cfg.conf["BOOTPROTO"] = "none";
    if (!i.mac_address.empty() && (i.type == "physical" || i.type == "infiniband")) c.cfg.conf["HWADDR"] = i.mac_address;
    if (i.mtu) c.cfg.conf["MTU"] = *i.mtu;
    if (i.accept_ra) c.cfg.conf["IPV6_FORCE_ACCEPT_RA"] = *i.accept_ra;
    if (i.wakeonlan.value_or(false) && i.type == "physical") c.cfg.conf["ETHTOOL_OPTS"] = "wol g";
    ifaces.push_back(std::move(c));
  }
  auto find = [&](const std::string& name) -> Iface* {
    for (auto& c : ifaces) {
      if (c.name == name) return &c;
    }
    return nullptr;
  };
  bool has_default = ns.HasDefaultRoute();
  auto render = [&](const Interface& i) -> Status {
    Iface& c = *find(i.name);
    if (Status s = RenderSubnets(c, i.subnets, has_default); !s.ok()) return s;
    return RenderSubnetRoutes(c, i.subnets);
  };
  static const std::vector<std::pair<std::string, std::string>> kBondOpts = {
      {"bond_mode", "mode"}, {"bond_xmit_hash_policy", "xmit_hash_policy"}, {"bond_miimon", "miimon"},
      {"bond_min_links", "min_links"}, {"bond_arp_interval", "arp_interval"}, {"bond_arp_ip_target", "arp_ip_target"},
      {"bond_arp_validate", "arp_validate"}, {"bond_ad_select", "ad_select"}, {"bond_num_grat_arp", "num_grat_arp"},
      {"bond_downdelay", "downdelay"}, {"bond_updelay", "updelay"}, {"bond_lacp_rate", "lacp_rate"},
      {"bond_fail_over_mac", "fail_over_mac"}, {"bond_primary", "primary"}, {"bond_primary_reselect", "primary_reselect"}};
  for (const std::string type : {"physical", "bond", "vlan", "bridge", "infiniband"}) {
    for (const Interface& i : ns.interfaces) {
      if (i.type != type) continue;
      Iface& c = *find(i.name);
      auto& cfg = c.cfg.conf;
      if (type == "bond") {
        std::string opts;
        for (const auto& [key, name] : kBondOpts) {
          std::string dashed = key;
          std::replace(dashed.begin(), dashed.end(), '_', '-');
          const Value* v = i.Param(key);
          if (v == nullptr) v = i.Param(dashed);
          if (v == nullptr) continue;
          std::string s;
          if (v->is_array()) {
            for (const auto& e : *v) s += (s.empty() ? "" : " ") + ValueStr(e);
          } else {
            s = ValueStr(*v);
          }
          opts += (opts.empty() ? "" : " ") + name + "=" + s;
        }
        if (!opts.empty()) cfg["BONDING_OPTS"] = opts;
        cfg["BONDING_MASTER"] = true;
        SetKind(c, "bond");
        if (!i.mac_address.empty()) cfg["MACADDR"] = i.mac_address;
        if (Status s = render(i); !s.ok()) return s.error();
        std::vector<std::string> slaves;
        for (const Interface& s : ns.interfaces) {
          if (s.bond_master == i.name) slaves.push_back(s.name);
        }
        std::sort(slaves.begin(), slaves.end());
        for (size_t k = 0; k < slaves.size(); ++k) {
          cfg["BONDING_SLAVE" + std::to_string(k)] = slaves[k];
          if (Iface* sc = find(slaves[k])) {
            sc->cfg.conf["MASTER"] = i.name;
            sc->cfg.conf["SLAVE"] = true;
          }
        }
      } else if (type == "vlan") {
        cfg["VLAN"] = true;
        SetKind(c, "vlan");
        cfg["PHYSDEV"] = i.vlan_raw_device;
        if (Status s = render(i); !s.ok()) return s.error();
      } else if (type == "bridge") {
        SetKind(c, "bridge");
        for (auto [key, name] : {std::pair<const char*, const char*>{"bridge_stp", "STP"},
                                 {"bridge_ageing", "AGEING"}, {"bridge_bridgeprio", "PRIO"}}) {
          if (const Value* v = i.Param(key)) cfg[name] = *v;
        }
        if (!i.mac_address.empty()) cfg["MACADDR"] = i.mac_address;
        for (const auto& port : i.bridge_ports.value_or(std::vector<std::string>{})) {
          if (Iface* pc = find(port)) pc->cfg.conf["BRIDGE"] = i.name;
        }
        if (Status s = render(i); !s.ok()) return s.error();
      } else if (type == "infiniband") {
        SetKind(c, "infiniband");
        if (Status s = render(i); !s.ok()) return s.error();
      } else {
        if (Status s = render(i); !s.ok()) return s.error();
      }
    }
  }
  std::vector<RenderedFile> files;
  for (const Iface& c : ifaces) {
    files.push_back({Template(o.sysconfig_iface_template, o.sysconfig_dir, c.name), c.cfg.Text(true)});
    if (!c.routes.map.conf.empty()) {
      files.push_back({Template(o.sysconfig_route4_template, o.sysconfig_dir, c.name), c.routes.Text("ipv4", c.name)});
      files.push_back({Template(o.sysconfig_route6_template, o.sysconfig_dir, c.name), c.routes.Text("ipv6", c.name)});
    }
  }
  if (!o.sysconfig_dns_path.empty() && (!ns.dns_nameservers.empty() || !ns.dns_search.empty())) {
    files.push_back({o.sysconfig_dns_path, ResolvConf(ns, o.existing_resolv_conf)});
  }
  if (!o.sysconfig_nm_conf_path.empty() && !ns.dns_nameservers.empty()) {
    files.push_back({o.sysconfig_nm_conf_path, std::string(kHeader) + "\n[main]\ndns = none\n"});
  }
  if (!o.netrules_path.empty()) files.push_back({o.netrules_path, PersistentNetRules(ns)});
  if (!o.sysconfig_control.empty() && o.sysconfig_control.size() >= 7 &&
      o.sysconfig_control.compare(o.sysconfig_control.size() - 7, 7, "network") == 0) {
    std::string net = std::string(kHeader) + "\nNETWORKING=yes\n";
    if (ns.use_ipv6) net += "NETWORKING_IPV6=yes\nIPV6_AUTOCONF=no\n";
    files.push_back({o.sysconfig_control, net});
  }
  return files;
}

}  // namespace nubo::net
