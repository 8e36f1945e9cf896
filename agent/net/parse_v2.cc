// Network config v2 (netplan's YAML), read as cloud-init 22.4 reads it:
// each device becomes a v1 command for the common interpreter
// (network_state.py handle_ethernets/_handle_bond_bridge/handle_vlans and
// _v2_to_v1_ipcfg), then its nameservers are applied (_v2_common).
#include <algorithm>
#include <map>

#include "agent/net/interpreter.h"

namespace nubo::net {
namespace {

const std::map<std::string, std::string>& V2ToV1(const std::string& type) {
  static const std::map<std::string, std::string> kBond = {
      {"ad-select", "bond-ad-select"},
      {"arp-interval", "bond-arp-interval"},
      {"arp-ip-target", "bond-arp-ip-target"},
      {"arp-validate", "bond-arp-validate"},
      {"down-delay", "bond-downdelay"},
      {"fail-over-mac-policy", "bond-fail-over-mac"},
      {"lacp-rate", "bond-lacp-rate"},
      {"mii-monitor-interval", "bond-miimon"},
      {"min-links", "bond-min-links"},
      {"mode", "bond-mode"},
      {"gratuitous-arp", "bond-num-grat-arp"},
      {"primary", "bond-primary"},
      {"primary-reselect-policy", "bond-primary-reselect"},
      {"up-delay", "bond-updelay"},
      {"transmit-hash-policy", "bond-xmit-hash-policy"},
  };
  static const std::map<std::string, std::string> kBridge = {
      {"ageing-time", "bridge_ageing"}, {"priority", "bridge_bridgeprio"}, {"forward-delay", "bridge_fd"},
      {"hello-time", "bridge_hello"},   {"max-age", "bridge_maxage"},      {"path-cost", "bridge_pathcost"},
      {"port-priority", "bridge_portprio"}, {"stp", "bridge_stp"},
  };
  return type == "bond" ? kBond : kBridge;
}

// Keys of `obj` in source order when known.
std::vector<std::string> Keys(const Value& obj, const KeyOrder& order, const std::string& path) {
  std::vector<std::string> out;
  for (const auto& [p, keys] : order) {
    if (p != path) continue;
    for (const auto& k : keys) {
      if (obj.contains(k) && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    }
  }
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(out.begin(), out.end(), it.key()) == out.end()) out.push_back(it.key());
  }
  return out;
}

bool IsFalsyValue(const Value& v) {
  return v.is_null() || (v.is_boolean() && !v.get<bool>()) || ((v.is_string() || v.is_array() || v.is_object()) && v.empty());
}

// Error keys name the v2 key: "ethernets.eth0.subnets[1]..." becomes
// "ethernets.eth0.addresses[0]..." (subnets are dhcp4, dhcp6, then addresses).
Status V2Key(Status s, const Value& cfg, const std::string& at) {
  if (s.ok()) return s;
  Error e = s.error();
  std::string head = at + ".subnets[";
  if (e.key.rfind(head, 0) != 0) return e;
  size_t close = e.key.find(']', head.size());
  size_t n = std::stoul(e.key.substr(head.size(), close - head.size()));
  size_t dynamic = 0;
  for (const char* k : {"dhcp4", "dhcp6"}) {
    const Value& v = Get(cfg, k);
    if (!(v.is_null() || (v.is_boolean() && !v.get<bool>()))) ++dynamic;
  }
  std::string rest = e.key.substr(close + 1);
  if (rest.rfind(".routes[", 0) == 0) {  // v2 routes hang on the first subnet
    e.key = at + rest;
    return e;
  }
  if (n < dynamic) return e;
  if (rest.rfind(".address", 0) == 0) rest = rest.substr(8);
  e.key = at + ".addresses[" + std::to_string(n - dynamic) + "]" + rest;
  return e;
}

// _v2_to_v1_ipcfg: dhcp4/dhcp6/addresses/gateways/nameservers/routes to v1 subnets.
Value IpCfg(Interpreter& in, const Value& cfg) {
  Value subnets = Value::array();
  auto overrides = [&](const char* key, Value& subnet) {
    const Value& o = Get(cfg, key);
    if (o.is_object() && o.contains("route-metric")) subnet["metric"] = o["route-metric"];
  };
  if (!IsFalsyValue(Get(cfg, "dhcp4"))) {
    Value s = {{"type", "dhcp4"}};
    overrides("dhcp4-overrides", s);
    subnets.push_back(s);
  }
  if (!IsFalsyValue(Get(cfg, "dhcp6"))) {
    Value s = {{"type", "dhcp6"}};
    in.state().use_ipv6 = true;
    overrides("dhcp6-overrides", s);
    subnets.push_back(s);
  }
  bool gw4_used = false, gw6_used = false;
  Value nameservers = Value::object();
  const Value& addresses = Get(cfg, "addresses");
  if (addresses.is_array()) {
    for (const auto& a : addresses) {
      std::string address = ValueStr(a);
      Value s = {{"type", "static"}, {"address", address}};
      if (address.find(':') != std::string::npos) {
        if (cfg.contains("gateway6") && !gw6_used) {
          gw6_used = true;
          s["gateway"] = cfg["gateway6"];
        }
      } else if (cfg.contains("gateway4") && !gw4_used) {
        gw4_used = true;
        s["gateway"] = cfg["gateway4"];
      }
      if (cfg.contains("nameservers") && nameservers.empty()) {
        const Value& ns = cfg["nameservers"];
        if (!IsFalsyValue(Get(ns, "addresses"))) nameservers["dns_nameservers"] = ns["addresses"];
        if (!IsFalsyValue(Get(ns, "search"))) nameservers["dns_search"] = ns["search"];
        for (auto it = nameservers.begin(); it != nameservers.end(); ++it) s[it.key()] = *it;
      }
      subnets.push_back(s);
    }
  }
  Value routes = Value::array();
  const Value& in_routes = Get(cfg, "routes");
  if (in_routes.is_array()) {
    for (const auto& r : in_routes) routes.push_back({{"destination", Get(r, "to")}, {"gateway", Get(r, "via")}});
  }
  if (!subnets.empty() && !routes.empty()) subnets[0]["routes"] = routes;
  return subnets;
}

Status Ethernets(Interpreter& in, const Value& section, const std::vector<std::string>& names,
                 const std::string& where) {
  for (const std::string& eth : names) {
    const Value& cfg = section[eth];
    std::string at = where + "." + eth;
    if (!cfg.is_object()) return MakeError("expected a mapping, got " + TypeName(cfg), at);
    Value phy = {{"type", "physical"}};
    const Value& match = Get(cfg, "match");
    const Value& mac = Get(match, "macaddress");
    phy["mac_address"] = IsFalsyValue(mac) ? Value(nullptr) : mac;
    std::string name = eth;
    const Value& set_name = Get(cfg, "set-name");
    if (!IsFalsyValue(set_name)) {
      name = ValueStr(set_name);
    } else if (!IsFalsyValue(mac) && !in.InterfacesByMac().empty()) {
      std::string found = in.NameFromMac(ValueStr(mac));
      if (!found.empty()) name = found;
    }
    phy["name"] = name;
    const Value& driver = Get(match, "driver");
    if (!IsFalsyValue(driver)) phy["params"] = {{"driver", driver}};
    for (const char* k : {"mtu", "wakeonlan", "accept-ra"}) {
      if (cfg.contains(k)) phy[k] = cfg[k];
    }
    Value subnets = IpCfg(in, cfg);
    if (!subnets.empty()) phy["subnets"] = subnets;
    if (Status s = V2Key(in.Physical(phy, at), cfg, at); !s.ok()) return s;
  }
  return Status::Ok();
}

Status BondsOrBridges(Interpreter& in, const Value& section, const std::vector<std::string>& names,
                      const std::string& type, const std::string& where) {
  const auto& map = V2ToV1(type);
  for (const std::string& item : names) {
    const Value& cfg = section[item];
    std::string at = where + "." + item;
    if (!cfg.is_object()) return MakeError("expected a mapping, got " + TypeName(cfg), at);
    Value params = Value::object();
    const Value& p = Get(cfg, "parameters");
    if (p.is_object()) {
      for (auto it = p.begin(); it != p.end(); ++it) {
        std::string key = it.key() == "gratuitious-arp" ? "gratuitous-arp" : it.key();
        auto m = map.find(key);
        if (m == map.end()) return MakeError("unknown " + type + " parameter " + Quote(it.key()), at + ".parameters." + it.key());
        params[m->second] = *it;
      }
    }
    Value cmd = {{"type", type}, {"name", item}, {type + "_interfaces", Get(cfg, "interfaces")}, {"params", params}};
    if (cfg.contains("mtu")) cmd["mtu"] = cfg["mtu"];
    Value subnets = IpCfg(in, cfg);
    if (!subnets.empty()) cmd["subnets"] = subnets;
    Status s = V2Key(type == "bond" ? in.Bond(cmd, at) : in.Bridge(cmd, at), cfg, at);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status Vlans(Interpreter& in, const Value& section, const std::vector<std::string>& names, const std::string& where) {
  for (const std::string& vlan : names) {
    const Value& cfg = section[vlan];
    std::string at = where + "." + vlan;
    if (!cfg.is_object()) return MakeError("expected a mapping, got " + TypeName(cfg), at);
    Value cmd = {{"type", "vlan"}, {"name", vlan}, {"vlan_id", Get(cfg, "id")}, {"vlan_link", Get(cfg, "link")}};
    if (cfg.contains("mtu")) cmd["mtu"] = cfg["mtu"];
    Value subnets = IpCfg(in, cfg);
    if (!subnets.empty()) cmd["subnets"] = subnets;
    if (Status s = V2Key(in.Vlan(cmd, at), cfg, at); !s.ok()) return s;
  }
  return Status::Ok();
}

// _v2_common: a device's nameservers go to the global list and to the device.
Status Common(Interpreter& in, const Value& section, const std::vector<std::string>& names, const std::string& where) {
  for (const std::string& dev : names) {
    const Value& cfg = section[dev];
    std::string iface = dev;
    if (!IsFalsyValue(Get(cfg, "set-name"))) iface = ValueStr(cfg["set-name"]);
    if (!cfg.contains("nameservers")) continue;
    const Value& ns = cfg["nameservers"];
    Value cmd = {{"type", "nameserver"}};
    if (!IsFalsyValue(Get(ns, "search"))) cmd["search"] = ns["search"];
    if (!IsFalsyValue(Get(ns, "addresses"))) cmd["address"] = ns["addresses"];
    std::string at = where + "." + dev + ".nameservers";
    if (Status s = in.HandleNameserver(cmd, at); !s.ok()) return s;
    const Value& mac = Get(Get(cfg, "match"), "macaddress");
    if (!IsFalsyValue(mac)) {
      std::string real = in.NameFromMac(ValueStr(mac));
      if (!real.empty()) iface = real;
    }
    if (Status s = in.IndividualNameserver(cmd, iface, at); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Status ParseV2(Interpreter& in, const Value& config, const KeyOrder& order, const std::string& prefix) {
  for (const std::string& type : Keys(config, order, "")) {
    if (type == "version" || type == "renderer") continue;
    const Value& section = config[type];
    std::string where = prefix + type;
    if (type != "ethernets" && type != "bonds" && type != "bridges" && type != "vlans" && type != "wifis") {
      return MakeError("No handler found for command " + Quote(type), where);
    }
    if (type == "wifis") {
      in.log().Warning("Wifi configuration is only available to distros with netplan rendering support.");
      continue;
    }
    if (!section.is_object()) return MakeError("expected a mapping, got " + TypeName(section), where);
    std::vector<std::string> names = Keys(section, order, type);
    Status s;
    if (type == "ethernets") s = Ethernets(in, section, names, where);
    else if (type == "bonds") s = BondsOrBridges(in, section, names, "bond", where);
    else if (type == "bridges") s = BondsOrBridges(in, section, names, "bridge", where);
    else s = Vlans(in, section, names, where);
    if (s.ok()) s = Common(in, section, names, where);
    if (!s.ok()) {
      if (s.error().message.rfind(kInvalidCommand, 0) == 0) {
        in.log().Warning("skipping invalid command: " + s.error().ToString());
        continue;
      }
      return s;
    }
  }
  return Status::Ok();
}

}  // namespace nubo::net
