// Ephemeral DHCP (include/nubo/dhcp.h): NIC choice over a faked
// /sys/class/net, dhclient's lease file, RFC 3442 routes, and the exact
// commands set up and torn down, as cloud-init 22.4's EphemeralDHCPv4.

#include "nubo/dhcp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_system.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using nubo::testing::TestSystem;

constexpr char kLease[] = R"(lease {
  interface "eth0";
  fixed-address 10.0.2.15;
  option subnet-mask 255.255.255.0;
  option routers 10.0.2.2;
  option dhcp-lease-time 86400;
  option domain-name-servers 10.0.2.3;
  renew 2 2026/12/01 10:00:00;
}
lease {
  interface "eth0";
  fixed-address 10.0.2.16;
  option subnet-mask 255.255.255.0;
  option routers 10.0.2.2;
  option rfc3442-classless-static-routes 32,169,254,169,254,10,0,2,1,0,10,0,2,2;
}
)";

void AddNic(TestSystem& sys, const std::string& name, const std::string& mac, const std::string& carrier,
            const std::string& operstate = "up") {
  std::string d = "/sys/class/net/" + name;
  if (!mac.empty()) sys.AddHostFile(d + "/address", mac + "\n");
  if (!carrier.empty()) sys.AddHostFile(d + "/carrier", carrier + "\n");
  sys.AddHostFile(d + "/operstate", operstate + "\n");
}

TEST(DhcpTest, FallbackNicAsCloudInitChoosesIt) {
  TestSystem sys;
  sys.AddHostDir("/sys/class/net");
  AddNic(sys, "lo", "00:00:00:00:00:00", "1", "unknown");
  AddNic(sys, "ens4", "52:54:00:00:00:04", "0", "down");
  EXPECT_EQ(FindFallbackNic(sys), "ens4");  // possibly connected
  AddNic(sys, "ens10", "52:54:00:00:00:10", "1");
  AddNic(sys, "ens3", "52:54:00:00:00:03", "1");
  AddNic(sys, "veth0", "52:54:00:00:00:99", "1");
  AddNic(sys, "nomac", "", "1");
  EXPECT_EQ(FindFallbackNic(sys), "ens3");  // connected first, natural order
  AddNic(sys, "eth0", "52:54:00:00:00:01", "1");
  EXPECT_EQ(FindFallbackNic(sys), "eth0");
}

TEST(DhcpTest, NoNicAtAll) {
  TestSystem sys;
  sys.AddHostDir("/sys/class/net");
  AddNic(sys, "lo", "00:00:00:00:00:00", "1", "unknown");
  EXPECT_EQ(FindFallbackNic(sys), std::nullopt);
}

TEST(DhcpTest, LeaseFileAndStaticRoutes) {
  auto leases = ParseDhclientLeases(kLease);
  ASSERT_EQ(leases.size(), 2u);
  EXPECT_EQ(leases[0][1], (std::pair<std::string, std::string>{"fixed-address", "10.0.2.15"}));
  EXPECT_EQ(leases[0][2], (std::pair<std::string, std::string>{"subnet-mask", "255.255.255.0"}));
  EXPECT_THAT(ParseStaticRoutes("32,169,254,169,254,10,0,2,1,0,10,0,2,2"),
              ElementsAre(std::pair<std::string, std::string>{"169.254.169.254/32", "10.0.2.1"},
                          std::pair<std::string, std::string>{"0.0.0.0/0", "10.0.2.2"}));
  EXPECT_THAT(ParseStaticRoutes("24,192,168,1,0,0,0,0"),
              ElementsAre(std::pair<std::string, std::string>{"192.168.1.0/24", "0.0.0.0"}));
  EXPECT_TRUE(ParseStaticRoutes("32,169,254").empty());
  EXPECT_TRUE(ParseStaticRoutes("33,1,1,1,1,1,1,1,1,1").empty());
}

TEST(DhcpTest, SetsUpTheLeaseAndTearsItDown) {
  TestSystem sys;
  auto& r = sys.runner();
  r.Expect({"ip", "link", "set", "dev", "eth0", "up"});
  r.ExpectWithEffect({"dhclient", "-1", "-v", "-lf", "/run/dhclient.lease", "-pf", "/run/dhclient.pid", "eth0",
                      "-sf", "/bin/true"},
                     [&] {
                       sys.AddFile("/run/dhclient.lease", kLease);
                       sys.AddFile("/run/dhclient.pid", "4242\n");
                     });
  r.ExpectPrefix({"ip"});
  r.ExpectPrefix({"dhclient", "-x"});
  CapturingSink sink;
  Logger log(&sink, "t");
  {
    auto lease = EphemeralDhcp::Start(sys, log, "eth0");
    ASSERT_TRUE(lease.ok()) << lease.error().ToString();
    EXPECT_EQ((*lease)->address(), "10.0.2.16");  // the last lease
  }
  using V = std::vector<std::string>;
  EXPECT_THAT(r.argvs(),
              ElementsAre(V{"ip", "link", "set", "dev", "eth0", "up"},
                          V{"dhclient", "-1", "-v", "-lf", "/run/dhclient.lease", "-pf", "/run/dhclient.pid", "eth0",
                            "-sf", "/bin/true"},
                          V{"ip", "-family", "inet", "addr", "add", "10.0.2.16/24", "broadcast", "10.0.2.255", "dev",
                            "eth0"},
                          V{"ip", "-family", "inet", "link", "set", "dev", "eth0", "up"},
                          V{"ip", "-4", "route", "append", "169.254.169.254/32", "via", "10.0.2.1", "dev", "eth0"},
                          V{"ip", "-4", "route", "append", "0.0.0.0/0", "via", "10.0.2.2", "dev", "eth0"},
                          // teardown
                          V{"ip", "-4", "route", "del", "0.0.0.0/0", "via", "10.0.2.2", "dev", "eth0"},
                          V{"ip", "-4", "route", "del", "169.254.169.254/32", "via", "10.0.2.1", "dev", "eth0"},
                          V{"ip", "-family", "inet", "link", "set", "dev", "eth0", "down"},
                          V{"ip", "-family", "inet", "addr", "del", "10.0.2.16/24", "dev", "eth0"},
                          V{"dhclient", "-x", "-lf", "/run/dhclient.lease", "-pf", "/run/dhclient.pid", "eth0", "-sf",
                            "/bin/true"}));
  EXPECT_FALSE(sys.Has("/run/dhclient.pid"));
}

TEST(DhcpTest, RouterWithoutStaticRoutes) {
  TestSystem sys;
  auto& r = sys.runner();
  r.Expect({"ip", "link", "set", "dev", "eth0", "up"});
  r.ExpectWithEffect({"dhclient", "-1", "-v", "-lf", "/run/dhclient.lease", "-pf", "/run/dhclient.pid", "eth0",
                      "-sf", "/bin/true"},
                     [&] {
                       sys.AddFile("/run/dhclient.lease",
                                   "lease {\n  interface \"eth0\";\n  fixed-address 10.0.2.15;\n"
                                   "  option subnet-mask 255.255.255.0;\n  option routers 10.0.2.2;\n}\n");
                     });
  r.Expect({"ip", "route", "show", "0.0.0.0/0"}, {.exit_code = 0, .out = ""});
  r.ExpectPrefix({"ip"});
  r.ExpectPrefix({"dhclient", "-x"});
  CapturingSink sink;
  Logger log(&sink, "t");
  auto lease = EphemeralDhcp::Start(sys, log, "eth0");
  ASSERT_TRUE(lease.ok()) << lease.error().ToString();
  using V = std::vector<std::string>;
  auto calls = r.argvs();
  EXPECT_EQ(calls[5], (V{"ip", "-4", "route", "add", "10.0.2.2", "dev", "eth0", "src", "10.0.2.15"}));
  EXPECT_EQ(calls[6], (V{"ip", "-4", "route", "add", "default", "via", "10.0.2.2", "dev", "eth0"}));
}

TEST(DhcpTest, NoLeaseIsAnErrorAndStopsTheClient) {
  TestSystem sys;
  auto& r = sys.runner();
  r.Expect({"ip", "link", "set", "dev", "eth0", "up"});
  r.Expect({"dhclient", "-1", "-v", "-lf", "/run/dhclient.lease", "-pf", "/run/dhclient.pid", "eth0", "-sf",
            "/bin/true"},
           {.exit_code = 2});
  CapturingSink sink;
  Logger log(&sink, "t");
  auto lease = EphemeralDhcp::Start(sys, log, "eth0");
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error().message, "no DHCP lease on 'eth0': dhclient exited with 2");
}

}  // namespace
}  // namespace nubo
