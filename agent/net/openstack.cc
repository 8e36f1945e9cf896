// OpenStack network_data.json to network config v1, as cloud-init 22.4's
// cloudinit/sources/helpers/openstack.py convert_net_json does it.
#include "agent/net/openstack.h"

#include "agent/net/network_state.h"

#include <algorithm>
#include <cctype>

namespace nubo::net {
namespace {

bool Known(const std::vector<std::string>& list, const std::string& k) {
  return std::find(list.begin(), list.end(), k) != list.end();
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool Truthy(const Value& v) {
  return !(v.is_null() || (v.is_boolean() && !v.get<bool>()) ||
           ((v.is_string() || v.is_array() || v.is_object()) && v.empty()));
}

}  // namespace

Result<Value> ConvertNetworkDataJson(const Value& nd, const std::optional<std::map<std::string, std::string>>& macs_in,
                                     SysNet* sysnet, const Logger& log) {
  if (!nd.is_object()) return MakeError("expected a JSON object, got " + TypeName(nd));
  static const std::vector<std::string> kPhysicalKeys = {"name", "type", "mac_address", "subnets", "params", "mtu"};
  static const std::vector<std::string> kSubnetKeys = {"type",    "address",         "netmask",    "broadcast",
                                                       "metric",  "gateway",         "pointopoint", "scope",
                                                       "dns_nameservers", "dns_search", "routes"};
  static const std::vector<std::string> kKnownPhysical = {"bgpovs", "bridge", "cascading", "dvs",       "ethernet",
                                                          "hw_veb", "hyperv", "ovs",       "phy",       "tap",
                                                          "vhostuser", "vif"};
  const Value& links = Get(nd, "links");
  const Value& networks = Get(nd, "networks");
  const Value& services = Get(nd, "services");
  for (auto [v, k] : {std::pair{&links, "links"}, {&networks, "networks"}, {&services, "services"}}) {
    if (!v->is_null() && !v->is_array()) return MakeError("expected a list, got " + TypeName(*v), k);
  }
  struct Info {
    std::string name, mac;
    bool has_name = false;
  };
  std::vector<std::pair<std::string, Info>> info;  // link id -> info, insertion order
  auto info_of = [&](const std::string& id) -> Info* {
    for (auto& [k, v] : info) {
      if (k == id) return &v;
    }
    return nullptr;
  };
  struct Update {
    size_t cfg;
    std::string key, fmt;
    std::vector<std::string> targets;
    bool list;
  };
  std::vector<Update> updates;
  Value config = Value::array();
  int bond_number = 0;
  for (size_t li = 0; li < (links.is_array() ? links.size() : 0); ++li) {
    const Value& link = links[li];
    std::string at = "links[" + std::to_string(li) + "]";
    if (!link.is_object() || !link.contains("id") || !link.contains("type")) {
      return MakeError("a link needs 'id' and 'type'", at);
    }
    Value cfg = Value::object();
    for (auto it = link.begin(); it != link.end(); ++it) {
      if (Known(kPhysicalKeys, it.key())) cfg[it.key()] = *it;
    }
    std::string mac;
    if (Truthy(Get(link, "ethernet_mac_address"))) mac = Lower(ValueStr(link["ethernet_mac_address"]));
    std::string id = ValueStr(link["id"]);
    std::string type = ValueStr(link["type"]);
    Info cur;
    cur.has_name = cfg.contains("name") && !cfg["name"].is_null();
    if (cur.has_name) cur.name = ValueStr(cfg["name"]);
    cur.mac = mac;
    Value subnets = Value::array();
    for (size_t ni = 0; ni < (networks.is_array() ? networks.size() : 0); ++ni) {
      const Value& network = networks[ni];
      if (ValueStr(Get(network, "link")) != id) continue;
      Value subnet = Value::object();
      for (auto it = network.begin(); it != network.end(); ++it) {
        if (Known(kSubnetKeys, it.key())) subnet[it.key()] = *it;
      }
      std::string nt = ValueStr(Get(network, "type"));
      if (nt == "ipv4_dhcp") {
        subnet["type"] = "dhcp4";
      } else if (nt == "ipv6_dhcp") {
        subnet["type"] = "dhcp6";
      } else if (nt == "ipv6_slaac" || nt == "ipv6_dhcpv6-stateless" || nt == "ipv6_dhcpv6-stateful") {
        subnet["type"] = nt;
      } else if (nt == "ipv4" || nt == "static") {
        subnet["type"] = "static";
        subnet["address"] = Get(network, "ip_address");
      } else if (nt == "ipv6" || nt == "static6") {
        cfg["accept-ra"] = false;
        subnet["type"] = "static6";
        subnet["address"] = Get(network, "ip_address");
      }
      if (nt == "ipv6_dhcpv6-stateful" || nt == "ipv6_dhcp") cfg["accept-ra"] = true;
      if (nt == "ipv4") subnet["ipv4"] = true;
      if (nt == "ipv6") subnet["ipv6"] = true;
      subnets.push_back(subnet);
    }
    cfg["subnets"] = subnets;
    if (type == "bond") {
      Value params = Value::object();
      // Debian's 22.4.2 (patched): the bond's MAC is the link's own, not a
      // bond param copied onto its members.
      if (!mac.empty()) cfg["mac_address"] = mac;
      for (auto it = link.begin(); it != link.end(); ++it) {
        if (it.key() == "bond_links") continue;
        if (it.key().rfind("bond", 0) == 0) params[it.key()] = *it;
      }
      std::string name = "bond" + std::to_string(bond_number++);
      Update u{config.size(), "bond_interfaces", "%s", {}, true};
      const Value& bl = Get(link, "bond_links");
      if (!bl.is_array()) return MakeError("a bond needs a list 'bond_links'", at + ".bond_links");
      for (const auto& t : bl) u.targets.push_back(ValueStr(t));
      updates.push_back(u);
      cfg["params"] = params;
      cfg["name"] = name;
      cur.name = name;
      cur.has_name = true;
    } else if (type == "vlan") {
      if (!link.contains("vlan_link") || !link.contains("vlan_id") || !link.contains("vlan_mac_address")) {
        return MakeError("a vlan link needs 'vlan_link', 'vlan_id' and 'vlan_mac_address'", at);
      }
      std::string name = ValueStr(link["vlan_link"]) + "." + ValueStr(link["vlan_id"]);
      cfg["name"] = name;
      cfg["vlan_id"] = link["vlan_id"];
      cfg["mac_address"] = link["vlan_mac_address"];
      updates.push_back(Update{config.size(), "vlan_link", "%s", {ValueStr(link["vlan_link"])}, false});
      updates.push_back(
          Update{config.size(), "name", "%s." + ValueStr(link["vlan_id"]), {ValueStr(link["vlan_link"])}, false});
      cur.mac = ValueStr(link["vlan_mac_address"]);
      cur.name = name;
      cur.has_name = true;
    } else {
      if (!Known(kKnownPhysical, type)) {
        log.Warning("Unknown network_data link type (" + type + "); treating as physical");
      }
      cfg["type"] = "physical";
      cfg["mac_address"] = mac.empty() ? Value(nullptr) : Value(mac);
    }
    config.push_back(cfg);
    if (Info* existing = info_of(id)) *existing = cur;
    else info.emplace_back(id, cur);
  }
  std::vector<size_t> need_names;
  for (size_t i = 0; i < config.size(); ++i) {
    if (ValueStr(Get(config[i], "type")) == "physical" && !config[i].contains("name")) need_names.push_back(i);
  }
  if (!need_names.empty() || !updates.empty()) {
    std::map<std::string, std::string> known;
    if (macs_in) known = *macs_in;
    else if (sysnet != nullptr) known = sysnet->InterfacesByMac();
    for (auto& [id, i] : info) {
      if (i.has_name && !i.name.empty()) continue;
      auto it = known.find(i.mac);
      if (it != known.end()) {
        i.name = it->second;
        i.has_name = true;
      }
    }
    for (size_t idx : need_names) {
      Value& d = config[idx];
      const Value& mac = Get(d, "mac_address");
      if (!Truthy(mac)) return MakeError("No mac_address or name entry for link " + d.dump());
      auto it = known.find(ValueStr(mac));
      if (it == known.end()) return MakeError("Unable to find a system nic for link " + d.dump());
      d["name"] = it->second;
    }
    for (const Update& u : updates) {
      std::vector<std::string> names;
      for (const auto& t : u.targets) {
        Info* i = info_of(t);
        if (i == nullptr || !i->has_name) return MakeError("link " + Quote(t) + " has no name: no NIC has its MAC");
        std::string v = u.fmt;
        v.replace(v.find("%s"), 2, i->name);
        names.push_back(v);
      }
      if (u.list) config[u.cfg][u.key] = names;
      else config[u.cfg][u.key] = names.front();
    }
  }
  for (size_t si = 0; si < (services.is_array() ? services.size() : 0); ++si) {
    Value s = services[si];
    if (!s.is_object()) return MakeError("expected a mapping, got " + TypeName(s), "services[" + std::to_string(si) + "]");
    s["type"] = "nameserver";
    config.push_back(s);
  }
  return Value{{"version", 1}, {"config", config}};
}

}  // namespace nubo::net
