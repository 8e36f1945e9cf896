// network_state.h — the one network model that network config v1, v2 and
// OpenStack's network_data.json are converted into, and every renderer reads
// (cloud-init 22.4's cloudinit/net/network_state.py NetworkState).
//
//   auto cfg = ParseYaml(text, "network-config");
//   auto state = net::ParseNetworkConfig(*cfg, "network-config", &sysnet, log);
//   if (!state) log.Error(state.error().ToString());   // "network-config: config[1].subnets[0].address: ..."
//   for (const net::Interface& i : state->interfaces) ...
//
// Interfaces keep the order in which the config defines them (v2 mapping
// keys in file order, as PyYAML's dicts do); subnets are normalized as
// cloud-init normalizes them: address without prefix, prefix as a number,
// netmask for IPv4, empty values dropped.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nubo/log.h"
#include "nubo/result.h"
#include "nubo/value.h"

namespace nubo::net {

class SysNet;

struct Route {
  std::string network;
  int prefix = 0;
  std::string netmask;  // IPv4 only
  std::string gateway;
  std::optional<long> metric;
  bool typed = false;  // had "type: route" (v1 top-level route)
};

struct Subnet {
  // dhcp4, dhcp (v1 alias of dhcp4), dhcp6, static, static6, ipv6_slaac,
  // ipv6_dhcpv6-stateless, ipv6_dhcpv6-stateful, manual, loopback
  std::string type;
  std::string address;  // without prefix
  std::optional<int> prefix;
  std::string netmask;
  std::string gateway;
  std::string broadcast;
  std::string pointopoint;
  std::string scope;
  std::vector<std::string> dns_nameservers;
  std::vector<std::string> dns_search;
  std::vector<Route> routes;
  std::optional<long> metric;
  std::optional<long> mtu;
  std::string control;  // auto, manual, hotplug; empty: unset
  bool ipv4 = false;    // network_data.json "ipv4" networks
  bool ipv6 = false;
};

// Per-interface DNS (v1 nameserver with "interface", v2 nameservers).
struct InterfaceDns {
  std::string addresses_key;  // "addresses" (v1) or "nameservers" (v2)
  std::vector<std::string> addresses;
  std::vector<std::string> search;
};

struct Interface {
  std::string name;
  std::string type;  // physical, bond, bridge, vlan, loopback, infiniband
  std::string mac_address;
  std::optional<long> mtu;
  std::optional<bool> accept_ra;
  std::optional<bool> wakeonlan;
  std::vector<Subnet> subnets;
  std::string bond_master;      // a bond's member: the bond's name
  bool bond_slaves_none = false;  // a bond ("bond-slaves: none")
  std::string vlan_raw_device;
  Value vlan_id;                // as given (an int, usually)
  std::optional<std::vector<std::string>> bridge_ports;
  // Other keys in definition order: bond-* and bridge_* options, driver,
  // device_id and whatever a v1 "params" holds.
  std::vector<std::pair<std::string, Value>> params;
  std::optional<InterfaceDns> dns;

  const Value* Param(const std::string& key) const;
  void SetParam(const std::string& key, Value value);
};

struct NetworkState {
  int version = 1;
  std::vector<Interface> interfaces;
  std::vector<Route> routes;
  std::vector<std::string> dns_nameservers;
  std::vector<std::string> dns_search;
  bool use_ipv6 = false;
  // The v2 document as given (netplan passthrough, networkd's overrides),
  // with the key order of the source.
  Value config;
  std::vector<std::string> config_order;  // top-level v2 keys in file order
  std::vector<std::pair<std::string, std::vector<std::string>>> section_order;  // v2 device names

  Interface* Find(const std::string& name);
  const Interface* Find(const std::string& name) const;
  bool HasDefaultRoute() const;
  // Device names of a v2 section in file order.
  std::vector<std::string> SectionKeys(const std::string& section) const;
};

// Key order of YAML mappings (nlohmann objects are sorted): for each
// mapping at depth <= 3, its path ("", "network", "network/ethernets") and keys.
using KeyOrder = std::vector<std::pair<std::string, std::vector<std::string>>>;
KeyOrder YamlKeyOrder(std::string_view yaml_text);

// cloud-init's parse_net_config_data: `config` is {version: 1, config: [...]}
// or a v2 document ({version: 2, ethernets: ...}), with or without a top
// "network" key. `sysnet` (may be null) looks up NIC names by MAC, as
// cloud-init does for v2 ethernets. Errors name `source` and the key.
Result<NetworkState> ParseNetworkConfig(const Value& config, const std::string& source,
                                        SysNet* sysnet, const Logger& log,
                                        const KeyOrder& order = {});

// --- helpers shared by parsers and renderers (cloudinit/net/__init__.py) ---
bool IsIpv4Address(const std::string& s);
bool IsIpv6Address(const std::string& s);
bool SubnetIsIpv6(const Subnet& s);
bool IsIpv6DynamicType(const std::string& type);  // dhcp6, ipv6_slaac, ipv6_dhcpv6-*
std::string PrefixToIpv4Mask(int prefix);
bool IsDefaultRoute(const Route& r);
// Python's str() of a config value, for renderers.
std::string ValueStr(const Value& v);

}  // namespace nubo::net
