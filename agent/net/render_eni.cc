// ifupdown's /etc/network/interfaces format, as cloud-init 22.4's
// cloudinit/net/eni.py Renderer writes it (Debian: interfaces.d/50-cloud-init).
#include <algorithm>
#include <map>

#include "agent/net/renderer.h"

namespace nubo::net {
namespace {

// The interface as eni.py sees its dict: the keys that reach
// _iface_add_attrs, with the values it formats.
struct Attr {
  std::string key;
  Value value;
};

std::string AttrValue(const Value& v) {
  if (v.is_boolean()) return v.get<bool>() ? "on" : "off";
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : " ") + ValueStr(e);
    return out;
  }
  return ValueStr(v);
}

bool Falsy(const Value& v) {
  if (v.is_boolean()) return false;  // converted to on/off first
  if (v.is_null()) return true;
  if (v.is_number()) return v.get<double>() == 0;
  if (v.is_string() || v.is_array() || v.is_object()) return v.empty();
  return false;
}

std::string DnsRepr(const InterfaceDns& d) {
  return "{'" + d.addresses_key + "': " + PyListRepr(d.addresses) + ", 'search': " + PyListRepr(d.search) + "}";
}

std::vector<std::string> SubnetLines(const Subnet& s) {
  std::vector<std::string> out;
  auto add = [&](const std::string& k, const std::string& v) {
    if (!v.empty()) out.push_back("    " + k + " " + v);
  };
  if (!s.address.empty()) add("address", s.address + (s.prefix ? "/" + std::to_string(*s.prefix) : "/None"));
  add("broadcast", s.broadcast);
  if (s.metric && *s.metric != 0) add("metric", std::to_string(*s.metric));
  add("gateway", s.gateway);
  add("pointopoint", s.pointopoint);
  if (s.mtu && *s.mtu != 0) add("mtu", std::to_string(*s.mtu));
  add("scope", s.scope);
  std::string joined;
  for (const auto& d : s.dns_search) joined += (joined.empty() ? "" : " ") + d;
  add("dns-search", joined);
  joined.clear();
  for (const auto& d : s.dns_nameservers) joined += (joined.empty() ? "" : " ") + d;
  add("dns-nameservers", joined);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> RouteLines(const Route& r, const std::string& indent) {
  std::string default_gw;
  if (r.network == "0.0.0.0" && r.netmask == "0.0.0.0") default_gw = " default";
  else if (r.network == "::" && r.prefix == 0) default_gw = " -A inet6 default";
  std::string line;
  if (default_gw.empty()) {
    if (r.network.find(':') != std::string::npos) line += " -A inet6";
    else if (r.prefix == 32) line += " -host";
    else line += " -net";
    line += " " + r.network + "/" + std::to_string(r.prefix);
  }
  line += default_gw + " gw " + r.gateway;
  if (r.metric) line += " metric " + std::to_string(*r.metric);
  return {indent + "post-up route add" + line + " || true", indent + "pre-down route del" + line + " || true"};
}

struct Renderable {
  const Interface* iface = nullptr;  // null: the default lo
  Interface own;                      // lo with the global DNS
};

std::vector<std::vector<std::string>> RenderIface(const Interface& iface, std::vector<std::vector<std::string>>& all) {
  std::vector<std::vector<std::string>> sections;
  // Keys the renderer adds to the dict as it goes.
  std::string accept_ra_attr, dhcp_attr;
  auto attrs = [&](std::optional<long> ipv4_subnet_mtu) {
    std::vector<Attr> a;
    a.push_back({"mac_address", iface.mac_address.empty() ? Value(nullptr) : Value(iface.mac_address)});
    if (iface.mtu) a.push_back({"mtu", *iface.mtu});
    for (const auto& [k, v] : iface.params) a.push_back({k, v});
    if (iface.bond_slaves_none) a.push_back({"bond-slaves", "none"});
    if (!iface.bond_master.empty()) a.push_back({"bond-master", iface.bond_master});
    if (!iface.vlan_raw_device.empty()) a.push_back({"vlan-raw-device", iface.vlan_raw_device});
    if (!iface.vlan_id.is_null()) a.push_back({"vlan_id", iface.vlan_id});
    if (iface.bridge_ports) a.push_back({"bridge_ports", *iface.bridge_ports});
    if (iface.dns) a.push_back({"dns", DnsRepr(*iface.dns)});
    if (iface.wakeonlan.value_or(false)) a.push_back({"ethernet-wol", "g"});
    if (!accept_ra_attr.empty()) a.push_back({"accept_ra", accept_ra_attr});
    if (!dhcp_attr.empty()) a.push_back({"dhcp", dhcp_attr});
    static const std::vector<std::string> kIgnore = {"control", "device_id", "driver", "index", "inet",
                                                     "mode",    "name",      "subnets", "type"};
    static const std::vector<std::string> kMultiline = {"bridge_pathcost", "bridge_portprio", "bridge_waitport"};
    bool keep_mac = iface.type == "bond" || iface.type == "bridge" || iface.type == "infiniband" || iface.type == "vlan";
    std::vector<std::string> out;
    for (const Attr& at : a) {
      if (Falsy(at.value) || std::count(kIgnore.begin(), kIgnore.end(), at.key)) continue;
      if (at.key == "mac_address" && !keep_mac) continue;
      if (at.key == "mtu" && ipv4_subnet_mtu) continue;
      std::string key = at.key == "mac_address" ? "hwaddress" : at.key;
      if (std::count(kMultiline.begin(), kMultiline.end(), at.key) && at.value.is_array()) {
        for (const auto& v : at.value) out.push_back("    " + key + " " + ValueStr(v));
        continue;
      }
      out.push_back("    " + key + " " + AttrValue(at.value));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  if (!iface.subnets.empty()) {
    for (size_t index = 0; index < iface.subnets.size(); ++index) {
      const Subnet& subnet = iface.subnets[index];
      std::optional<long> ipv4_subnet_mtu;
      std::string mode = subnet.type;
      std::string control = subnet.control.empty() ? "auto" : subnet.control;
      bool v6 = SubnetIsIpv6(subnet);
      if (!v6) ipv4_subnet_mtu = subnet.mtu;
      std::string inet = v6 ? "inet6" : "inet";
      if (subnet.type == "dhcp4" || subnet.type == "dhcp6" || subnet.type == "ipv6_dhcpv6-stateful") {
        mode = "dhcp";
        if (iface.accept_ra) accept_ra_attr = *iface.accept_ra ? "1" : "0";
      } else if (subnet.type == "ipv6_dhcpv6-stateless") {
        mode = "auto";
        dhcp_attr = "1";
      } else if (subnet.type == "ipv6_slaac") {
        mode = "auto";
        dhcp_attr = "0";
      } else if (v6) {
        mode = "static";
        if (iface.accept_ra) accept_ra_attr = *iface.accept_ra ? "1" : "0";
      }
      std::string auto_line = "auto " + iface.name;
      auto has_auto = [&](const std::vector<std::vector<std::string>>& secs) {
        for (const auto& sec : secs) {
          for (const auto& l : sec) {
            if (l == auto_line) return true;
          }
        }
        return false;
      };
      if (has_auto(sections)) control = "alias";
      std::string cverb = control == "auto" ? "auto" : control == "hotplug" ? "allow-hotplug" : "# control-" + control;
      std::vector<std::string> lines = {cverb + " " + iface.name, "iface " + iface.name + " " + inet + " " + mode};
      for (auto& l : SubnetLines(subnet)) lines.push_back(l);
      if (index == 0) {
        for (auto& l : attrs(ipv4_subnet_mtu)) lines.push_back(l);
      }
      for (const auto& r : subnet.routes) {
        for (auto& l : RouteLines(r, "    ")) lines.push_back(l);
      }
      sections.push_back(lines);
    }
  } else {
    std::vector<std::string> lines;
    if (!iface.bond_master.empty() || iface.bond_slaves_none) lines.push_back("auto " + iface.name);
    lines.push_back("iface " + iface.name + " inet manual");
    for (auto& l : attrs(std::nullopt)) lines.push_back(l);
    sections.push_back(lines);
  }
  (void)all;
  return sections;
}

std::string RenderInterfaces(const NetworkState& ns) {
  Interface lo;
  lo.name = "lo";
  lo.type = "physical";
  Subnet los;
  los.type = "loopback";
  los.control = "auto";
  lo.subnets.push_back(los);
  if (const Interface* l = ns.Find("lo")) lo = *l;
  if (lo.subnets.empty()) lo.subnets.emplace_back();  // cloud-init fails here (IndexError)
  if (!ns.dns_nameservers.empty()) lo.subnets[0].dns_nameservers = ns.dns_nameservers;
  if (!ns.dns_search.empty()) lo.subnets[0].dns_search = ns.dns_search;
  static const std::map<std::string, int> kOrder = {{"loopback", 0}, {"physical", 1}, {"infiniband", 2},
                                                   {"bond", 3},     {"bridge", 4},   {"vlan", 5}};
  std::vector<const Interface*> sorted;
  for (const auto& i : ns.interfaces) sorted.push_back(&i);
  auto rank = [&](const Interface* i) {
    auto it = kOrder.find(i->type);
    return it == kOrder.end() ? 9 : it->second;
  };
  std::stable_sort(sorted.begin(), sorted.end(), [&](const Interface* a, const Interface* b) {
    return std::make_pair(rank(a), a->name) < std::make_pair(rank(b), b->name);
  });
  std::vector<std::vector<std::string>> sections;
  for (auto& s : RenderIface(lo, sections)) sections.push_back(s);
  for (const Interface* i : sorted) {
    if (i->name == "lo") continue;
    for (auto& s : RenderIface(*i, sections)) sections.push_back(s);
  }
  for (const auto& r : ns.routes) sections.push_back(RouteLines(r, ""));
  std::string out;
  for (size_t i = 0; i < sections.size(); ++i) {
    if (i) out += "\n\n";
    for (size_t j = 0; j < sections[i].size(); ++j) out += (j ? "\n" : "") + sections[i][j];
  }
  return out + "\n";
}

}  // namespace

std::string PyListRepr(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", '" : "'") + v[i] + "'";
  return out + "]";
}

std::string PersistentNetRules(const NetworkState& ns) {
  std::string out;
  for (const auto& i : ns.interfaces) {
    if (i.type != "physical" || i.mac_address.empty()) continue;
    const Value* driver = i.Param("driver");
    std::string d = driver != nullptr && !driver->is_null() && !ValueStr(*driver).empty() ? ValueStr(*driver) : "?*";
    out += "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"" + d + "\", ATTR{address}==\"" + i.mac_address +
           "\", NAME=\"" + i.name + "\"\n";
  }
  return out;
}

Result<std::vector<RenderedFile>> RenderEni(const NetworkState& ns, const RenderOptions& o) {
  std::vector<RenderedFile> files;
  files.push_back({o.eni_path, o.eni_header + RenderInterfaces(ns)});
  if (!o.netrules_path.empty()) files.push_back({o.netrules_path, PersistentNetRules(ns)});
  return files;
}

}  // namespace nubo::net
