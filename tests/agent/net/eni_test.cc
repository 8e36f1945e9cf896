// ENI input (`net-convert -k eni`): what cloud-init 22.4's convert_eni_data
// makes of /etc/network/interfaces text, and the errors where it would fail.
// The rendered result for every renderer is in render_test.cc's
// eni-static-dhcp-bond fixture (cloud-init's own output).

#include "agent/net/eni.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/net/network_state.h"
#include "support/test_system.h"

namespace nubo::net {
namespace {

using ::testing::HasSubstr;

class EniTest : public ::testing::Test {
 protected:
  Result<Value> Convert(const std::string& text) { return ConvertEniData(text, "interfaces", log_); }
  CapturingSink sink_;
  Logger log_{&sink_, "test"};
};

TEST_F(EniTest, StanzasBecomeV1DevicesSortedByName) {
  auto v = Convert(R"(auto lo
iface lo inet loopback
# a comment
auto eth1
iface eth1 inet static
    hwaddress ether 52:54:00:00:00:01
    address 192.0.2.5
    netmask 255.255.255.0
    gateway 192.0.2.1
    dns-nameservers 192.0.2.53 192.0.2.54
    dns-search example.com
iface eth0 inet dhcp
)");
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ(*v, Value::parse(R"({"version": 1, "config": [
    {"type": "physical", "name": "eth0", "subnets": [{"type": "dhcp", "control": "manual"}]},
    {"type": "physical", "name": "eth1", "mac_address": "52:54:00:00:00:01", "subnets": [
      {"type": "static", "control": "auto", "address": "192.0.2.5", "netmask": "255.255.255.0",
       "gateway": "192.0.2.1", "dns_nameservers": ["192.0.2.53", "192.0.2.54"], "dns_search": ["example.com"]}]},
    {"type": "loopback", "name": "lo", "subnets": [{"type": "loopback", "control": "auto"}]}]})"));
}

TEST_F(EniTest, AnAliasIsASubnetOfItsDevice) {
  auto v = Convert("auto eth0 eth0:1\niface eth0 inet dhcp\niface eth0:1 inet static\n  address 192.0.2.9/24\n");
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  const Value& subnets = (*v)["config"][0]["subnets"];
  ASSERT_EQ(subnets.size(), 2u);
  EXPECT_EQ(subnets[1], Value::parse(R"({"type": "static", "control": "auto", "address": "192.0.2.9/24"})"));
}

// 22.4 parses bond-*, bridge_*, mtu and up lines but its conversion keeps
// none of them: a bond stanza is a physical device (as cloud-init renders it).
TEST_F(EniTest, BondBridgeMtuAndCommandsAreReadButNotCarriedOver) {
  auto v = Convert(R"(auto bond0
iface bond0 inet manual
    bond-slaves eth1 eth2
    bond-mode 802.3ad
    mtu 9000
    post-up ip route add 10.0.0.0/8 via 192.0.2.1
iface br0 inet dhcp
    bridge_ports eth3
    bridge_stp off
    vlan-raw-device nothing
)");
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ((*v)["config"][0], Value::parse(R"({"type": "physical", "name": "bond0",
    "subnets": [{"type": "manual", "control": "auto"}]})"));
  EXPECT_EQ((*v)["config"][1], Value::parse(R"({"type": "physical", "name": "br0",
    "subnets": [{"type": "dhcp", "control": "manual"}]})"));
  EXPECT_TRUE(sink_.Contains(LogLevel::kDebug, "interfaces: iface bond0: not carried into the network config "
                                               "(as cloud-init 22.4): bond, mtu, post-up"))
      << sink_.Dump();
  auto state = ParseNetworkConfig(*v, "interfaces", nullptr, log_);
  ASSERT_TRUE(state.ok()) << state.error().ToString();
  EXPECT_EQ(state->interfaces.at(0).type, "physical");
}

TEST_F(EniTest, SourceLinesAreNotFollowed) {
  auto v = Convert("source /etc/network/interfaces.d/*\nsource-directory interfaces.d\nauto eth0\n"
                   "iface eth0 inet dhcp\n");
  ASSERT_TRUE(v.ok()) << v.error().ToString();
  EXPECT_EQ((*v)["config"].size(), 1u);
  EXPECT_TRUE(sink_.Contains(LogLevel::kDebug, "interfaces line 1: 'source /etc/network/interfaces.d/*' not followed"));
}

struct BadEni {
  const char* text;
  const char* error;
};

class BadEniTest : public EniTest, public ::testing::WithParamInterface<BadEni> {};

TEST_P(BadEniTest, ErrorNamesTheFileAndLine) {
  auto v = Convert(GetParam().text);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().ToString(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BadEniTest,
    ::testing::Values(
        BadEni{"address 192.0.2.5\n", "interfaces line 1: 'address 192.0.2.5' before any 'iface' line"},
        BadEni{"iface eth0 inet\n", "interfaces line 1: 'iface eth0 inet': expected 3 values"},
        BadEni{"iface eth0 inet dhcp\n  hwaddress ether\n", "interfaces line 2: 'hwaddress ether': expected 2 values"},
        BadEni{"iface eth0 inet dhcp\n  bond-mode\n", "interfaces line 2: 'bond-mode': expected 1 value"},
        BadEni{"iface eth0 inet dhcp\niface eth0 inet6 auto\n",
               "interfaces line 2: Interface eth0 can only be defined once. Re-defined in 'interfaces'."},
        BadEni{"auto eth0\n", "interfaces: iface eth0: 'auto eth0' without an 'iface eth0' line"},
        BadEni{"iface eth0 inet static\n  netmask 255.0.0.0\n",
               "interfaces: iface eth0: a static stanza needs an 'address' line"}));

}  // namespace
}  // namespace nubo::net
