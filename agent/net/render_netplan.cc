// netplan's v2 YAML (/etc/netplan/50-cloud-init.yaml), as cloud-init 22.4's
// cloudinit/net/netplan.py Renderer writes it: a v2 config is passed through,
// a v1 config converted.
#include <algorithm>
#include <cctype>

#include "agent/net/pyyaml_dump.h"
#include "agent/net/renderer.h"

namespace nubo::net {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// _extract_addresses: subnets into dhcp4/dhcp6/addresses/gateway/routes/nameservers.
void ExtractAddresses(const Interface& cfg, Value& entry, const std::vector<std::string>& features) {
  Value addresses = Value::array(), routes = Value::array(), nameservers = Value::array(), search = Value::array();
  for (const Subnet& s : cfg.subnets) {
    std::string t = s.type;
    if (t.rfind("dhcp", 0) == 0) {
      if (t == "dhcp") t += "4";
      entry[t] = true;
    } else if (IsIpv6DynamicType(t)) {
      entry["dhcp6"] = true;
    } else if (t == "static" || t == "static6") {
      std::string addr = s.address;
      if (s.prefix) addr += "/" + std::to_string(*s.prefix);
      if (!s.gateway.empty()) entry[s.gateway.find(':') != std::string::npos ? "gateway6" : "gateway4"] = s.gateway;
      for (const auto& n : s.dns_nameservers) nameservers.push_back(n);
      for (const auto& n : s.dns_search) search.push_back(n);
      if (s.mtu) {
        bool v6key = SubnetIsIpv6(s) && std::count(features.begin(), features.end(), "ipv6-mtu");
        entry[v6key ? "ipv6-mtu" : "mtu"] = *s.mtu;
      }
      for (const Route& r : s.routes) {
        Value nr = {{"via", r.gateway.empty() ? Value(nullptr) : Value(r.gateway)},
                    {"to", r.network + "/" + std::to_string(r.prefix)}};
        if (r.metric) nr["metric"] = *r.metric;
        routes.push_back(nr);
      }
      addresses.push_back(addr);
    }
  }
  if (cfg.mtu) {
    if (!(entry.contains("mtu") && entry["mtu"] != *cfg.mtu)) entry["mtu"] = *cfg.mtu;
  }
  if (!addresses.empty()) entry["addresses"] = addresses;
  if (!routes.empty()) entry["routes"] = routes;
  if (!nameservers.empty()) entry["nameservers"] = {{"addresses", nameservers}};
  if (!search.empty()) {
    if (!entry.contains("nameservers")) entry["nameservers"] = Value::object();
    entry["nameservers"]["search"] = search;
  }
  if (cfg.accept_ra) entry["accept-ra"] = *cfg.accept_ra;
}

const std::vector<std::pair<std::string, std::string>>& BondMap() {
  static const std::vector<std::pair<std::string, std::string>> kMap = {
      {"bond-ad-select", "ad-select"},       {"bond-arp-interval", "arp-interval"},
      {"bond-arp-ip-target", "arp-ip-target"}, {"bond-arp-validate", "arp-validate"},
      {"bond-downdelay", "down-delay"},      {"bond-fail-over-mac", "fail-over-mac-policy"},
      {"bond-lacp-rate", "lacp-rate"},       {"bond-miimon", "mii-monitor-interval"},
      {"bond-min-links", "min-links"},       {"bond-mode", "mode"},
      {"bond-num-grat-arp", "gratuitous-arp"}, {"bond-primary", "primary"},
      {"bond-primary-reselect", "primary-reselect-policy"}, {"bond-updelay", "up-delay"},
      {"bond-xmit-hash-policy", "transmit-hash-policy"},
  };
  return kMap;
}

const std::vector<std::pair<std::string, std::string>>& BridgeMap() {
  static const std::vector<std::pair<std::string, std::string>> kMap = {
      {"bridge_ageing", "ageing-time"}, {"bridge_bridgeprio", "priority"}, {"bridge_fd", "forward-delay"},
      {"bridge_hello", "hello-time"},   {"bridge_maxage", "max-age"},      {"bridge_pathcost", "path-cost"},
      {"bridge_portprio", "port-priority"}, {"bridge_stp", "stp"},
  };
  return kMap;
}

std::string Mapped(const std::vector<std::pair<std::string, std::string>>& map, const std::string& key) {
  for (const auto& [k, v] : map) {
    if (k == key) return v;
  }
  return "";
}

std::string RenderV1(const NetworkState& ns, const std::vector<std::string>& features) {
  Value ethernets = Value::object(), bonds = Value::object(), bridges = Value::object(), vlans = Value::object();
  for (const Interface& i : ns.interfaces) {
    if (i.type == "physical") {
      Value eth = Value::object();
      if (!i.mac_address.empty()) {
        eth["set-name"] = i.name;
        eth["match"] = {{"macaddress", Lower(i.mac_address)}};
      }
      ExtractAddresses(i, eth, features);
      ethernets[i.name] = eth;
    } else if (i.type == "bond") {
      Value bond = Value::object(), params = Value::object();
      for (const char* prefix : {"bond_", "bond-"}) {
        for (const auto& [k, v] : i.params) {
          if (k.rfind(prefix, 0) != 0) continue;
          std::string dashed = k;
          std::replace(dashed.begin(), dashed.end(), '_', '-');
          std::string name = Mapped(BondMap(), dashed);
          if (!name.empty()) params[name] = v;
        }
      }
      if (!params.empty()) bond["parameters"] = params;
      if (!i.mac_address.empty()) bond["macaddress"] = Lower(i.mac_address);
      if (i.bond_slaves_none) {
        std::vector<std::string> members;
        for (const Interface& s : ns.interfaces) {
          if (s.bond_master == i.name) members.push_back(s.name);
        }
        std::sort(members.begin(), members.end());
        if (!members.empty()) bond["interfaces"] = members;
      }
      ExtractAddresses(i, bond, features);
      bonds[i.name] = bond;
    } else if (i.type == "bridge") {
      std::vector<std::string> ports = i.bridge_ports.value_or(std::vector<std::string>{});
      std::sort(ports.begin(), ports.end());
      Value bridge = {{"interfaces", ports}};
      Value params = Value::object();
      for (const auto& [k, v] : i.params) {
        if (k.rfind("bridge_", 0) != 0) continue;
        std::string name = Mapped(BridgeMap(), k);
        if (name.empty()) continue;
        params[name] = v;
        if ((name == "path-cost" || name == "port-priority") && v.is_array()) {
          Value per_port = Value::object();
          for (const auto& e : v) {
            std::string s = ValueStr(e);
            auto sp = s.find(' ');
            if (sp == std::string::npos) continue;
            try {
              per_port[s.substr(0, sp)] = std::stol(s.substr(sp + 1));
            } catch (...) {
            }
          }
          params[name] = per_port;
        }
      }
      if (!params.empty()) bridge["parameters"] = params;
      if (!i.mac_address.empty()) bridge["macaddress"] = Lower(i.mac_address);
      ExtractAddresses(i, bridge, features);
      bridges[i.name] = bridge;
    } else if (i.type == "vlan") {
      Value vlan = {{"id", i.vlan_id}, {"link", i.vlan_raw_device.empty() ? Value(nullptr) : Value(i.vlan_raw_device)}};
      if (!i.mac_address.empty()) vlan["macaddress"] = Lower(i.mac_address);
      ExtractAddresses(i, vlan, features);
      vlans[i.name] = vlan;
    }
  }
  if (!ns.dns_nameservers.empty() || !ns.dns_search.empty()) {
    Value nscfg = {{"addresses", ns.dns_nameservers}, {"search", ns.dns_search}};
    for (Value* section : {&ethernets, &bonds, &bridges, &vlans}) {
      for (auto& [name, cfg] : section->items()) {
        if (cfg.contains("nameservers") || !cfg.contains("addresses")) continue;
        cfg["nameservers"] = nscfg;
      }
    }
  }
  std::string out = "network:\n    version: 2\n";
  for (auto [name, section] : {std::pair<const char*, Value*>{"ethernets", &ethernets},
                               {"bonds", &bonds}, {"bridges", &bridges}, {"vlans", &vlans}}) {
    if (section->empty()) continue;
    std::string dump = PyYamlDump(Value{{name, *section}});
    // textwrap.indent: every non-blank line gets four spaces.
    size_t start = 0;
    while (start < dump.size()) {
      size_t nl = dump.find('\n', start);
      std::string line = dump.substr(start, nl - start);
      out += (line.empty() ? "" : "    ") + line + "\n";
      start = nl + 1;
    }
  }
  return out;
}

}  // namespace

Result<std::vector<RenderedFile>> RenderNetplan(const NetworkState& ns, const RenderOptions& o) {
  std::string content = ns.version == 2 ? PyYamlDump(Value{{"network", ns.config}}) : RenderV1(ns, o.netplan_features);
  std::string header = o.netplan_header;
  if (header.empty() || header.back() != '\n') header += "\n";
  return std::vector<RenderedFile>{{o.netplan_path, header + content}};
}

}  // namespace nubo::net
