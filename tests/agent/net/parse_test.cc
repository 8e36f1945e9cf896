// The network model as v1, v2 and network_data.json fill it, the errors
// bad input gives (exact text), and the NIC facts read from /sys/class/net.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/net/network_state.h"
#include "agent/net/openstack.h"
#include "agent/net/pyyaml_dump.h"
#include "agent/net/sysnet.h"
#include "support/test_system.h"

namespace nubo::net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ParseTest : public ::testing::Test {
 protected:
  Result<NetworkState> Parse(const std::string& yaml) {
    auto v = ParseYaml(yaml, "network-config");
    EXPECT_TRUE(v.ok());
    return ParseNetworkConfig(*v, "network-config", &sysnet_, log_, YamlKeyOrder(yaml));
  }
  testing::TestSystem sys_;
  SysNet sysnet_{sys_};
  CapturingSink sink_;
  Logger log_{&sink_, "test"};
};

TEST_F(ParseTest, V1SubnetsAreNormalized) {
  auto s = Parse(R"(network:
  version: 1
  config:
    - type: physical
      name: eth0
      subnets:
        - {type: static, address: 10.0.0.5, netmask: 255.255.0.0, dns_nameservers: "1.1.1.1 8.8.8.8"}
        - {type: static6, address: "2001:db8::5/ffff:ffff:ffff:ffff::"}
        - {type: static, address: "2001:db8::6"}
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  const auto& subnets = s->interfaces.at(0).subnets;
  EXPECT_EQ(subnets[0].address, "10.0.0.5");
  EXPECT_EQ(subnets[0].prefix, 16);
  EXPECT_EQ(subnets[0].netmask, "255.255.0.0");
  EXPECT_THAT(subnets[0].dns_nameservers, ElementsAre("1.1.1.1", "8.8.8.8"));
  EXPECT_EQ(subnets[1].prefix, 64);
  EXPECT_EQ(subnets[1].netmask, "");
  EXPECT_EQ(subnets[2].prefix, 64);  // cloud-init's default for IPv6
  EXPECT_TRUE(SubnetIsIpv6(subnets[2]));
  EXPECT_TRUE(s->use_ipv6);
}

TEST_F(ParseTest, V1BondMembersGetTheBondsParams) {
  auto s = Parse(R"(version: 1
config:
  - {type: bond, name: bond0, bond_interfaces: [eth0, eth1], params: {bond-mode: 802.3ad}}
  - {type: physical, name: eth1, mac_address: "aa:bb:cc:dd:ee:01"}
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  // Members defined after the bond are placeholders first, as in cloud-init.
  ASSERT_EQ(s->interfaces.size(), 3u);
  EXPECT_EQ(s->interfaces[1].name, "eth0");
  EXPECT_EQ(s->interfaces[1].type, "bond");
  EXPECT_EQ(s->interfaces[2].type, "physical");
  EXPECT_EQ(s->interfaces[2].bond_master, "bond0");
  ASSERT_NE(s->interfaces[2].Param("bond-mode"), nullptr);
  EXPECT_EQ(*s->interfaces[2].Param("bond-mode"), "802.3ad");
}

TEST_F(ParseTest, V2KeepsTheFilesOrderAndGlobalDns) {
  auto s = Parse(R"(version: 2
vlans:
  vlan9: {id: 9, link: ens4, nameservers: {addresses: [10.9.0.1]}}
ethernets:
  ens4: {dhcp4: true, nameservers: {addresses: [10.4.0.1], search: [four.example]}}
  ens3: {dhcp6: true}
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_EQ(s->interfaces.size(), 3u);
  EXPECT_EQ(s->interfaces[0].name, "vlan9");
  EXPECT_EQ(s->interfaces[1].name, "ens4");
  EXPECT_EQ(s->interfaces[2].name, "ens3");
  EXPECT_THAT(s->dns_nameservers, ElementsAre("10.9.0.1", "10.4.0.1"));
  ASSERT_TRUE(s->interfaces[1].dns.has_value());
  EXPECT_THAT(s->interfaces[1].dns->search, ElementsAre("four.example"));
}

struct BadCase {
  const char* yaml;
  const char* error;
};

class BadConfigTest : public ParseTest, public ::testing::WithParamInterface<BadCase> {};

TEST_P(BadConfigTest, ErrorNamesFileAndKey) {
  auto s = Parse(GetParam().yaml);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadConfigTest,
    ::testing::Values(
        BadCase{"version: 3\n", "network-config: version: unsupported network config version '3' (expected 1 or 2)"},
        BadCase{"version: 1\nconfig: {}\n", "network-config: config: expected a list of network commands, got dict"},
        BadCase{"version: 1\nconfig:\n  - {type: tunnel, name: t0}\n",
                "network-config: config[0].type: No handler found for command 'tunnel'"},
        BadCase{"version: 1\nconfig:\n  - {type: physical, name: eth0, subnets: [{type: static}]}\n",
                "network-config: config[0].subnets[0]: no network address key [address,ip_address] found"},
        BadCase{"version: 1\nconfig:\n  - {type: route, destination: 10.0.0.0/8, metric: high}\n",
                "network-config: config[0].metric: Route config metric high is not an integer"},
        BadCase{"network:\n  version: 2\n  bonds:\n    bond0: {interfaces: [a], parameters: {speed: 9}}\n",
                "network-config: network.bonds.bond0.parameters.speed: unknown bond parameter 'speed'"},
        BadCase{"version: 2\nmodems: {}\n", "network-config: modems: No handler found for command 'modems'"}));

TEST_F(ParseTest, CommandWithoutRequiredKeyIsSkippedWithAWarning) {
  auto s = Parse("version: 1\nconfig:\n  - {type: vlan, name: v1}\n  - {type: physical, name: eth0}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_EQ(s->interfaces.size(), 1u);
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning,
                             "network-config: skipping invalid command: config[0]: invalid command: missing required "
                             "key 'vlan_id', 'vlan_link'"))
      << sink_.Dump();
}

TEST(OpenStackTest, VlanOnABondIsNamedAfterTheBond) {
  CapturingSink sink;
  Logger log(&sink, "test");
  Value nd = Value::parse(R"({"links": [
      {"id": "i0", "type": "phy", "ethernet_mac_address": "FA:16:3E:00:00:02"},
      {"id": "i1", "type": "phy", "ethernet_mac_address": "fa:16:3e:00:00:03"},
      {"id": "b", "type": "bond", "bond_links": ["i0", "i1"], "bond_mode": "802.3ad", "ethernet_mac_address": "fa:16:3e:00:00:02"},
      {"id": "v", "type": "vlan", "vlan_link": "b", "vlan_id": 7, "vlan_mac_address": "fa:16:3e:00:00:02"}],
    "networks": [{"id": "n", "type": "ipv6_slaac", "link": "v"}], "services": [{"type": "dns", "address": "1.1.1.1"}]})");
  std::map<std::string, std::string> macs = {{"fa:16:3e:00:00:02", "eth1"}, {"fa:16:3e:00:00:03", "eth2"}};
  auto v1 = ConvertNetworkDataJson(nd, macs, nullptr, log);
  ASSERT_TRUE(v1.ok()) << v1.error().ToString();
  const Value& c = (*v1)["config"];
  EXPECT_EQ(c[0]["name"], "eth1");
  EXPECT_EQ(c[2]["name"], "bond0");
  EXPECT_EQ(c[2]["bond_interfaces"], Value({"eth1", "eth2"}));
  EXPECT_EQ(c[3]["name"], "bond0.7");
  EXPECT_EQ(c[3]["vlan_link"], "bond0");
  EXPECT_EQ(c[3]["subnets"][0]["type"], "ipv6_slaac");
  EXPECT_EQ(c[4], Value({{"type", "nameserver"}, {"address", "1.1.1.1"}}));
}

TEST(SysNetTest, InterfacesByMacSkipBridgesVlansAndStolenMacs) {
  testing::TestSystem sys;
  sys.AddHostFile("/sys/class/net/eth0/address", "52:54:00:00:00:01\n");
  sys.AddHostFile("/sys/class/net/br0/address", "52:54:00:00:00:02\n");
  sys.AddHostFile("/sys/class/net/br0/bridge/stp_state", "0\n");
  sys.AddHostFile("/sys/class/net/eth0.5/address", "52:54:00:00:00:01\n");
  sys.AddHostFile("/sys/class/net/eth0.5/uevent", "DEVTYPE=vlan\nINTERFACE=eth0.5\n");
  sys.AddHostFile("/sys/class/net/bond0/address", "52:54:00:00:00:03\n");
  sys.AddHostFile("/sys/class/net/bond0/addr_assign_type", "2\n");
  sys.AddHostFile("/sys/class/net/lo/address", "00:00:00:00:00:00\n");
  SysNet sysnet(sys);
  auto m = sysnet.InterfacesByMac();
  EXPECT_EQ(m, (std::map<std::string, std::string>{{"00:00:00:00:00:00", "lo"}, {"52:54:00:00:00:01", "eth0"}}));
}

TEST(SysNetTest, FallbackNicOrder) {
  testing::TestSystem sys;
  SysNet sysnet(sys);
  EXPECT_EQ(sysnet.FallbackNic(""), std::nullopt);
  EXPECT_TRUE(sysnet.FallbackConfig("").is_null());
  for (const char* n : {"ens10", "ens9", "veth0"}) {
    sys.AddHostFile(std::string("/sys/class/net/") + n + "/address", "52:54:00:00:00:0a\n");
    sys.AddHostFile(std::string("/sys/class/net/") + n + "/carrier", "1\n");
  }
  EXPECT_EQ(sysnet.FallbackNic(""), "ens9");  // natural order, veth ignored
  sys.AddHostFile("/sys/class/net/eth0/address", "52:54:00:00:00:0B\n");
  sys.AddHostFile("/sys/class/net/eth0/carrier", "1\n");
  EXPECT_EQ(sysnet.FallbackNic(""), "eth0");
  EXPECT_EQ(sysnet.FallbackConfig(""),
            Value::parse(R"({"ethernets": {"eth0": {"dhcp4": true, "set-name": "eth0",
                             "match": {"macaddress": "52:54:00:00:00:0b"}}}, "version": 2})"));
}

TEST(PyYamlTest, QuotesWhatPyYamlQuotes) {
  EXPECT_EQ(PyYamlScalar("52:54:00:12:34:56"), "'52:54:00:12:34:56'");  // a sexagesimal int to YAML 1.1
  EXPECT_EQ(PyYamlScalar("fa:16:3e:00:00:01"), "fa:16:3e:00:00:01");
  EXPECT_EQ(PyYamlScalar("2001:db8::1/64"), "2001:db8::1/64");
  EXPECT_EQ(PyYamlScalar("yes"), "'yes'");
  EXPECT_EQ(PyYamlScalar(""), "''");
  EXPECT_EQ(PyYamlDump(Value::parse(R"({"b": [{"to": "0.0.0.0/0", "via": "10.0.0.1"}], "a": {"x": []}})")),
            "a:\n    x: []\nb:\n-   to: 0.0.0.0/0\n    via: 10.0.0.1\n");
}

}  // namespace
}  // namespace nubo::net
