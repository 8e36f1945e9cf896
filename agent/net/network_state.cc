#include "agent/net/network_state.h"

#include <arpa/inet.h>
#include <yaml.h>

#include <algorithm>
#include <cctype>

#include "agent/net/interpreter.h"

namespace nubo::net {
namespace {

bool IsFalsy(const Value& v) {
  if (v.is_null()) return true;
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_number_integer() || v.is_number_unsigned()) return v.get<long>() == 0;
  if (v.is_number_float()) return v.get<double>() == 0;
  if (v.is_string() || v.is_array() || v.is_object()) return v.empty();
  return false;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// Prefix length of a mask ("24", "255.255.255.0", "ffff:ffff::"); -1 if invalid.
int MaskToPrefix(const std::string& mask, bool v6) {
  int max = v6 ? 128 : 32;
  if (AllDigits(mask)) {
    if (mask.size() > 3) return -1;  // over 128, and past int for stoi (found by fuzz/netcfg)
    int p = std::stoi(mask);
    return p <= max ? p : -1;
  }
  unsigned char buf[16];
  if (inet_pton(v6 ? AF_INET6 : AF_INET, mask.c_str(), buf) != 1) return -1;
  int bits = 0;
  bool zero_seen = false;
  for (int i = 0; i < max / 8; ++i) {
    for (int b = 7; b >= 0; --b) {
      bool one = (buf[i] >> b) & 1;
      if (one && zero_seen) return -1;
      if (one) ++bits;
      else zero_seen = true;
    }
  }
  return bits;
}

Result<long> ToLong(const Value& v, const std::string& where) {
  if (v.is_number_integer() || v.is_number_unsigned()) return v.get<long>();
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    try {
      size_t used = 0;
      long n = std::stol(s, &used);
      if (used == s.size()) return n;
    } catch (...) {
    }
  }
  return MakeError("expected an integer, got " + Quote(ValueStr(v)), where);
}

std::vector<std::string> Listify(const Value& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& e : v) out.push_back(ValueStr(e));
  } else if (!v.is_null()) {
    std::string s = ValueStr(v), cur;
    for (char c : s + " ") {
      if (std::isspace(static_cast<unsigned char>(c))) {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
  }
  return out;
}

// _normalize_net_keys: address (and prefix) from address_keys.
struct NetKeys {
  std::string address;
  int prefix = 0;
  std::string netmask;
};

Result<NetKeys> NormalizeNetKeys(const Value& net, const std::vector<std::string>& keys, const std::string& where) {
  std::string key;
  for (const auto& k : keys) {
    if (!IsFalsy(Get(net, k))) {
      key = k;
      break;
    }
  }
  if (key.empty()) {
    std::string names;
    for (const auto& k : keys) names += (names.empty() ? "" : ",") + k;
    return MakeError("no network address key [" + names + "] found", where);
  }
  std::string addr = ValueStr(net[key]);
  std::string at = where + "." + key;
  std::string host = addr, maybe_prefix;
  bool has_slash = addr.find('/') != std::string::npos;
  if (has_slash) {
    host = addr.substr(0, addr.find('/'));
    maybe_prefix = addr.substr(addr.find('/') + 1);
  }
  bool v6 = IsIpv6Address(host), v4 = IsIpv4Address(host);
  if (!v4 && !v6) return MakeError("Address " + Quote(addr) + " is not a valid ip address", at);
  NetKeys out;
  out.address = host;
  const Value& netmask = Get(net, "netmask");
  int prefix;
  if (has_slash) {
    prefix = MaskToPrefix(maybe_prefix, v6);
  } else if (!IsFalsy(Get(net, "prefix"))) {
    auto p = ToLong(net["prefix"], where + ".prefix");
    if (!p) return p.error();
    prefix = static_cast<int>(*p);
  } else if (!IsFalsy(netmask)) {
    prefix = MaskToPrefix(ValueStr(netmask), v6);
    if (prefix < 0) return MakeError("invalid netmask " + Quote(ValueStr(netmask)), where + ".netmask");
  } else {
    prefix = v6 ? 64 : 24;
  }
  if (prefix < 0 || prefix > (v6 ? 128 : 32)) return MakeError("Address " + Quote(addr) + " is not a valid ip network", at);
  out.prefix = prefix;
  if (v4) out.netmask = PrefixToIpv4Mask(prefix);
  return out;
}

}  // namespace

// ------------------------------------------------------------- helpers

bool IsIpv4Address(const std::string& s) {
  unsigned char buf[4];
  return inet_pton(AF_INET, s.c_str(), buf) == 1;
}

bool IsIpv6Address(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool IsIpv6DynamicType(const std::string& t) {
  return t == "dhcp6" || t == "ipv6_slaac" || t == "ipv6_dhcpv6-stateless" || t == "ipv6_dhcpv6-stateful";
}

bool SubnetIsIpv6(const Subnet& s) {
  if ((!s.type.empty() && s.type.back() == '6') || IsIpv6DynamicType(s.type)) return true;
  return s.type == "static" && IsIpv6Address(s.address);
}

std::string PrefixToIpv4Mask(int prefix) {
  uint32_t m = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
  return std::to_string(m >> 24) + "." + std::to_string((m >> 16) & 255) + "." + std::to_string((m >> 8) & 255) +
         "." + std::to_string(m & 255);
}

bool IsDefaultRoute(const Route& r) { return r.prefix == 0 && (r.network == "::" || r.network == "0.0.0.0"); }

std::string ValueStr(const Value& v) {
  if (v.is_string()) return v.get<std::string>();
  return PyStr(v);
}

const Value* Interface::Param(const std::string& key) const {
  for (const auto& [k, v] : params) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Interface::SetParam(const std::string& key, Value value) {
  for (auto& [k, v] : params) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  params.emplace_back(key, std::move(value));
}

Interface* NetworkState::Find(const std::string& name) {
  for (auto& i : interfaces) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

const Interface* NetworkState::Find(const std::string& name) const {
  for (const auto& i : interfaces) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

bool NetworkState::HasDefaultRoute() const {
  for (const auto& r : routes) {
    if (IsDefaultRoute(r)) return true;
  }
  for (const auto& i : interfaces) {
    for (const auto& s : i.subnets) {
      for (const auto& r : s.routes) {
        if (IsDefaultRoute(r)) return true;
      }
    }
  }
  return false;
}

std::vector<std::string> NetworkState::SectionKeys(const std::string& section) const {
  // The file order read from the YAML text where known, but only keys the
  // loaded section has (the text's order is read apart from the loaded
  // document, and can name keys it does not have: found by fuzz/netcfg),
  // then any key the order missed.
  std::vector<std::string> out;
  const Value& s = Get(config, section);
  if (!s.is_object()) return out;
  for (const auto& [name, keys] : section_order) {
    if (name != section) continue;
    for (const std::string& k : keys) {
      if (s.contains(k) && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    }
  }
  for (auto it = s.begin(); it != s.end(); ++it) {
    if (std::find(out.begin(), out.end(), it.key()) == out.end()) out.push_back(it.key());
  }
  return out;
}

KeyOrder YamlKeyOrder(std::string_view text) {
  KeyOrder out;
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return out;
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  // Stack of containers: for mappings, whether the next scalar is a key,
  // the path, and the index into `out`.
  struct Frame {
    bool mapping;
    bool expect_key;
    std::string path;
    long out_index;
    std::string pending_key;
  };
  std::vector<Frame> stack;
  bool done = false;
  while (!done) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) break;
    auto child_path = [&]() -> std::string {
      if (stack.empty()) return "";
      const Frame& f = stack.back();
      if (!f.mapping) return f.path + "/[]";
      return f.path.empty() ? f.pending_key : f.path + "/" + f.pending_key;
    };
    auto after_value = [&]() {
      if (!stack.empty() && stack.back().mapping) stack.back().expect_key = true;
    };
    switch (ev.type) {
      case YAML_MAPPING_START_EVENT: {
        std::string path = child_path();
        long idx = -1;
        if (stack.size() < 3 && path.find("[]") == std::string::npos) {
          out.emplace_back(path, std::vector<std::string>{});
          idx = static_cast<long>(out.size()) - 1;
        }
        stack.push_back({true, true, path, idx, ""});
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
        stack.push_back({false, false, child_path(), -1, ""});
        break;
      case YAML_MAPPING_END_EVENT:
      case YAML_SEQUENCE_END_EVENT:
        stack.pop_back();
        after_value();
        break;
      case YAML_SCALAR_EVENT:
      case YAML_ALIAS_EVENT:
        if (!stack.empty() && stack.back().mapping && stack.back().expect_key) {
          Frame& f = stack.back();
          f.pending_key = ev.type == YAML_SCALAR_EVENT
                              ? std::string(reinterpret_cast<char*>(ev.data.scalar.value), ev.data.scalar.length)
                              : "";
          if (f.out_index >= 0) out[f.out_index].second.push_back(f.pending_key);
          f.expect_key = false;
        } else {
          after_value();
        }
        break;
      case YAML_DOCUMENT_END_EVENT:
      case YAML_STREAM_END_EVENT:
        done = true;
        break;
      default:
        break;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  return out;
}

// ------------------------------------------------------------- normalizing

Result<Subnet> NormalizeSubnet(const Value& in, const std::string& where) {
  if (!in.is_object()) return MakeError("expected a mapping, got " + TypeName(in), where);
  Subnet s;
  s.type = ValueStr(Get(in, "type"));
  if (Get(in, "type").is_null()) s.type = "";
  auto str = [&](const char* k) { return IsFalsy(Get(in, k)) ? std::string() : ValueStr(in[k]); };
  s.gateway = str("gateway");
  s.broadcast = str("broadcast");
  s.pointopoint = str("pointopoint");
  s.scope = str("scope");
  s.control = str("control");
  s.netmask = str("netmask");
  s.ipv4 = !IsFalsy(Get(in, "ipv4"));
  s.ipv6 = !IsFalsy(Get(in, "ipv6"));
  if (!IsFalsy(Get(in, "metric"))) {
    auto m = ToLong(in["metric"], where + ".metric");
    if (!m) return m.error();
    s.metric = *m;
  }
  if (!IsFalsy(Get(in, "mtu"))) {
    auto m = ToLong(in["mtu"], where + ".mtu");
    if (!m) return m.error();
    s.mtu = *m;
  }
  if (!IsFalsy(Get(in, "dns_nameservers"))) s.dns_nameservers = Listify(in["dns_nameservers"]);
  if (!IsFalsy(Get(in, "dns_search"))) s.dns_search = Listify(in["dns_search"]);
  if (s.type == "static" || s.type == "static6") {
    auto nk = NormalizeNetKeys(in, {"address", "ip_address"}, where);
    if (!nk) return nk.error();
    s.address = nk->address;
    s.prefix = nk->prefix;
    s.netmask = nk->netmask;
  } else if (!IsFalsy(Get(in, "address"))) {
    s.address = ValueStr(in["address"]);
  }
  const Value& routes = Get(in, "routes");
  if (routes.is_array()) {
    for (size_t i = 0; i < routes.size(); ++i) {
      auto r = NormalizeRoute(routes[i], where + ".routes[" + std::to_string(i) + "]");
      if (!r) return r.error();
      s.routes.push_back(*r);
    }
  } else if (!routes.is_null()) {
    return MakeError("expected a list, got " + TypeName(routes), where + ".routes");
  }
  return s;
}

Result<Route> NormalizeRoute(const Value& in, const std::string& where) {
  if (!in.is_object()) return MakeError("expected a mapping, got " + TypeName(in), where);
  Value net = Value::object();
  for (auto it = in.begin(); it != in.end(); ++it) {
    if (it->is_null() || (it->is_string() && it->get<std::string>().empty())) continue;
    net[it.key() == "destination" ? "network" : it.key()] = *it;
  }
  auto nk = NormalizeNetKeys(net, {"network", "destination"}, where);
  if (!nk) return nk.error();
  Route r;
  r.network = nk->address;
  r.prefix = nk->prefix;
  r.netmask = nk->netmask;
  r.gateway = net.contains("gateway") ? ValueStr(net["gateway"]) : "";
  r.typed = net.contains("type");
  if (!IsFalsy(Get(net, "metric"))) {
    auto m = ToLong(net["metric"], where + ".metric");
    if (!m) return MakeError("Route config metric " + ValueStr(net["metric"]) + " is not an integer", where + ".metric");
    r.metric = *m;
  } else if (net.contains("metric")) {
    r.metric = 0;  // 0 is kept (a valid metric)
  }
  return r;
}

// ------------------------------------------------------------- interpreter

Interface& Interpreter::Upsert(const std::string& name) {
  if (Interface* i = state_.Find(name)) return *i;
  state_.interfaces.emplace_back();
  state_.interfaces.back().name = name;
  return state_.interfaces.back();
}

std::map<std::string, std::string>& Interpreter::InterfacesByMac() {
  if (!by_mac_) by_mac_ = sysnet_ ? sysnet_->InterfacesByMac() : std::map<std::string, std::string>{};
  return *by_mac_;
}

std::string Interpreter::NameFromMac(const std::string& mac) {
  std::string lower = mac;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto& m = InterfacesByMac();
  auto it = m.find(lower);
  return it == m.end() ? "" : it->second;
}

static Status Require(const Value& command, std::initializer_list<const char*> keys, const std::string& where) {
  std::string missing;
  for (const char* k : keys) {
    if (!command.is_object() || !command.contains(k)) missing += std::string(missing.empty() ? "" : ", ") + "'" + k + "'";
  }
  if (!missing.empty()) return MakeError(std::string(kInvalidCommand) + ": missing required key " + missing, where);
  return Status::Ok();
}

Status Interpreter::Physical(const Value& command, const std::string& where) {
  if (Status s = Require(command, {"name"}, where); !s.ok()) return s;
  std::string name = ValueStr(command["name"]);
  std::vector<Subnet> subnets;
  const Value& in_subnets = Get(command, "subnets");
  if (in_subnets.is_array()) {
    for (size_t i = 0; i < in_subnets.size(); ++i) {
      auto s = NormalizeSubnet(in_subnets[i], where + ".subnets[" + std::to_string(i) + "]");
      if (!s) return s.error();
      subnets.push_back(*s);
    }
  } else if (!IsFalsy(in_subnets)) {
    return MakeError("expected a list, got " + TypeName(in_subnets), where + ".subnets");
  }
  std::optional<long> mtu;
  if (!Get(command, "mtu").is_null()) {
    auto m = ToLong(command["mtu"], where + ".mtu");
    if (!m) return m.error();
    mtu = *m;
  }
  Interface& iface = Upsert(name);
  const Value& params = Get(command, "params");
  if (params.is_object()) {
    // Keys handle_physical sets itself overwrite the params' ones.
    static const std::vector<std::string> kFixed = {"name", "type", "mac_address", "inet", "mode", "mtu",
                                                    "address", "gateway", "subnets", "accept-ra", "wakeonlan"};
    for (auto it = params.begin(); it != params.end(); ++it) {
      if (std::find(kFixed.begin(), kFixed.end(), it.key()) == kFixed.end()) iface.SetParam(it.key(), *it);
    }
  }
  if (!state_.use_ipv6) {
    for (const auto& s : subnets) {
      if ((!s.type.empty() && s.type.back() == '6') || IsIpv6Address(s.address)) {
        state_.use_ipv6 = true;
        break;
      }
    }
  }
  iface.type = ValueStr(Get(command, "type"));
  iface.mac_address = Get(command, "mac_address").is_null() ? "" : ValueStr(command["mac_address"]);
  iface.mtu = mtu;
  iface.subnets = std::move(subnets);
  iface.accept_ra.reset();
  if (!Get(command, "accept-ra").is_null()) iface.accept_ra = IsTrue(command["accept-ra"]);
  iface.wakeonlan.reset();
  if (!Get(command, "wakeonlan").is_null()) iface.wakeonlan = IsTrue(command["wakeonlan"]);
  return Status::Ok();
}

Status Interpreter::Vlan(const Value& command, const std::string& where) {
  if (Status s = Require(command, {"name", "vlan_id", "vlan_link"}, where); !s.ok()) return s;
  if (Status s = Physical(command, where); !s.ok()) return s;
  Interface& iface = *state_.Find(ValueStr(command["name"]));
  iface.vlan_raw_device = ValueStr(command["vlan_link"]);
  iface.vlan_id = command["vlan_id"];
  return Status::Ok();
}

// handle_bond's iface.update(params), after handle_physical: a param
// named like an interface field (mac_address, OpenStack's) replaces it.
static void ApplyBondParams(Interface& iface, const Value& params) {
  if (!params.is_object()) return;
  for (auto it = params.begin(); it != params.end(); ++it) {
    if (it.key() == "mac_address") iface.mac_address = it->is_null() ? "" : ValueStr(*it);
    else if (it.key() == "mtu" && (it->is_number_integer() || it->is_number_unsigned())) iface.mtu = it->get<long>();
    else iface.SetParam(it.key(), *it);
  }
}

Status Interpreter::Bond(const Value& command, const std::string& where) {
  if (Status s = Require(command, {"name", "bond_interfaces", "params"}, where); !s.ok()) return s;
  if (Status s = Physical(command, where); !s.ok()) return s;
  std::string name = ValueStr(command["name"]);
  const Value& params = command["params"];
  {
    Interface& iface = *state_.Find(name);
    ApplyBondParams(iface, params);
    iface.bond_slaves_none = true;
  }
  const Value& members = command["bond_interfaces"];
  if (!members.is_array()) return MakeError("expected a list, got " + TypeName(members), where + ".bond_interfaces");
  for (const auto& m : members) {
    std::string member = ValueStr(m);
    if (state_.Find(member) == nullptr) {
      if (Status s = Physical(Value{{"name", member}, {"type", "bond"}}, where); !s.ok()) return s;
    }
    Interface& slave = *state_.Find(member);
    slave.bond_master = name;
    ApplyBondParams(slave, params);
  }
  return Status::Ok();
}

Status Interpreter::Bridge(const Value& command, const std::string& where) {
  if (Status s = Require(command, {"name", "bridge_interfaces"}, where); !s.ok()) return s;
  const Value& ports = command["bridge_interfaces"];
  if (!ports.is_array()) return MakeError("expected a list, got " + TypeName(ports), where + ".bridge_interfaces");
  std::vector<std::string> port_names;
  for (const auto& p : ports) {
    port_names.push_back(ValueStr(p));
    if (state_.Find(port_names.back()) == nullptr) {
      if (Status s = Physical(Value{{"name", port_names.back()}}, where); !s.ok()) return s;
    }
  }
  if (Status s = Physical(command, where); !s.ok()) return s;
  Interface& iface = *state_.Find(ValueStr(command["name"]));
  iface.bridge_ports = port_names;
  const Value& params = Get(command, "params");
  if (params.is_object()) {
    for (auto it = params.begin(); it != params.end(); ++it) iface.SetParam(it.key(), *it);
  }
  if (const Value* stp = iface.Param("bridge_stp"); stp != nullptr && !stp->is_null() && !stp->is_boolean()) {
    std::string v = ValueStr(*stp);
    if (v == "on" || v == "1") iface.SetParam("bridge_stp", true);
    else if (v == "off" || v == "0") iface.SetParam("bridge_stp", false);
    else return MakeError("Cannot convert bridge_stp value (" + v + ") to boolean", where + ".params.bridge_stp");
  }
  return Status::Ok();
}

Status Interpreter::HandleNameserver(const Value& command, const std::string& where) {
  if (Status s = Require(command, {"address"}, where); !s.ok()) return s;
  std::vector<std::string> ns, search;
  const Value& a = command["address"];
  if (a.is_array()) for (const auto& e : a) ns.push_back(ValueStr(e));
  else ns.push_back(ValueStr(a));
  if (command.contains("search")) {
    const Value& s = command["search"];
    if (s.is_array()) for (const auto& e : s) search.push_back(ValueStr(e));
    else search.push_back(ValueStr(s));
  }
  if (command.contains("interface")) {
    InterfaceDns d{"addresses", ns, search};
    std::string iface = ValueStr(command["interface"]);
    bool replaced = false;
    for (auto& [n, v] : interface_dns_) {
      if (n == iface) {
        v = d;
        replaced = true;
      }
    }
    if (!replaced) interface_dns_.emplace_back(iface, d);
  } else {
    state_.dns_nameservers.insert(state_.dns_nameservers.end(), ns.begin(), ns.end());
    state_.dns_search.insert(state_.dns_search.end(), search.begin(), search.end());
  }
  return Status::Ok();
}

Status Interpreter::IndividualNameserver(const Value& command, const std::string& iface, const std::string& where) {
  if (Status s = Require(command, {"address"}, where); !s.ok()) return s;
  Interface* i = state_.Find(iface);
  if (i == nullptr) return MakeError("nameservers for interface " + Quote(iface) + ", which does not exist", where);
  InterfaceDns d{"nameservers", {}, {}};
  for (const auto& e : command["address"]) d.addresses.push_back(ValueStr(e));
  if (command.contains("search")) for (const auto& e : command["search"]) d.search.push_back(ValueStr(e));
  i->dns = d;
  return Status::Ok();
}

Status Interpreter::Handle(const Value& command, const std::string& where) {
  if (!command.is_object()) return MakeError("expected a mapping, got " + TypeName(command), where);
  std::string type = ValueStr(Get(command, "type"));
  if (type == "physical" || type == "loopback" || type == "infiniband") return Physical(command, where);
  if (type == "vlan") return Vlan(command, where);
  if (type == "bond") return Bond(command, where);
  if (type == "bridge") return Bridge(command, where);
  if (type == "nameserver") return HandleNameserver(command, where);
  if (type == "route") {
    if (Status s = Require(command, {"destination"}, where); !s.ok()) return s;
    auto r = NormalizeRoute(command, where);
    if (!r) return r.error();
    state_.routes.push_back(*r);
    return Status::Ok();
  }
  return MakeError("No handler found for command " + Quote(type), where + ".type");
}

Status Interpreter::Finish() {
  for (const auto& [name, dns] : interface_dns_) {
    Interface* i = state_.Find(name);
    if (i == nullptr) {
      return MakeError("Nameserver specified for interface " + name + ", but interface " + name + " does not exist!");
    }
    i->dns = dns;
  }
  return Status::Ok();
}

// ------------------------------------------------------------- entry point

Result<NetworkState> ParseNetworkConfig(const Value& config_in, const std::string& source, SysNet* sysnet,
                                        const Logger& log, const KeyOrder& order_in) {
  const Value* config = &config_in;
  std::string prefix;
  KeyOrder order = order_in;
  if (config->is_object() && config->contains("network")) {
    config = &(*config)["network"];
    prefix = "network.";
    // Paths in `order` lose their "network/" head.
    KeyOrder stripped;
    for (auto& [path, keys] : order) {
      if (path == "network") stripped.emplace_back("", keys);
      else if (path.rfind("network/", 0) == 0) stripped.emplace_back(path.substr(8), keys);
    }
    order = stripped;
  }
  auto fail = [&](const Error& e) {  // "network-config: config[2].type: ..."
    Error out = e;
    out.key = e.key.empty() ? source : source + ": " + e.key;
    return out;
  };
  if (!config->is_object()) {
    return fail(MakeError("expected a mapping with 'version', got " + TypeName(*config), prefix.empty() ? "" : "network"));
  }
  const Value& version = Get(*config, "version");
  NetworkState state;
  Interpreter in(state, log, sysnet);
  if (version == 1) {
    state.version = 1;
    const Value& cmds = Get(*config, "config");
    if (!cmds.is_array()) {
      return fail(MakeError("expected a list of network commands, got " + TypeName(cmds), prefix + "config"));
    }
    state.config = *config;
    for (size_t i = 0; i < cmds.size(); ++i) {
      std::string where = prefix + "config[" + std::to_string(i) + "]";
      Status s = in.Handle(cmds[i], where);
      if (!s.ok()) {
        if (s.error().message.rfind(kInvalidCommand, 0) == 0) {
          log.Warning(source + ": skipping invalid command: " + s.error().ToString());
          continue;
        }
        return fail(s.error());
      }
    }
    if (Status s = in.Finish(); !s.ok()) return fail(s.error());
    return state;
  }
  if (version == 2) {
    state.version = 2;
    state.config = *config;
    for (const auto& [path, keys] : order) {
      if (path.empty()) state.config_order = keys;
      else if (path.find('/') == std::string::npos) state.section_order.emplace_back(path, keys);
    }
    if (Status s = ParseV2(in, *config, order, prefix); !s.ok()) return fail(s.error());
    return state;
  }
  return fail(MakeError("unsupported network config version " + Quote(ValueStr(version)) + " (expected 1 or 2)",
                        prefix + "version"));
}

}  // namespace nubo::net
