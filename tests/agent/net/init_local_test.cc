// `cloud-init init --local` with a NoCloud seed that has a network-config:
// rendered on the first boot, kept on a reboot of the same instance (an
// admin's edit survives), rendered again for a new instance-id; and
// `devel net-convert` through the command line.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/cli.h"
#include "support/test_system.h"

namespace nubo::agent {
namespace {

using ::testing::HasSubstr;
using nubo::testing::TestSystem;

constexpr char kEni[] = "/etc/network/interfaces.d/50-cloud-init";

class InitLocalNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sys_.AddFile("/etc/cloud/cloud.cfg", "datasource_list: [NoCloud, None]\nsystem_info:\n  distro: debian\n");
    for (const char* tool : {"/sbin/ifquery", "/sbin/ifup", "/sbin/ifdown"}) sys_.AddFile(tool, "#!/bin/sh\n", 0755);
    sys_.AddFile("/etc/network/interfaces", "source /etc/network/interfaces.d/*\n");
    sys_.AddHostFile("/sys/class/net/ens3/address", "52:54:00:12:34:56\n");
    sys_.AddHostFile("/sys/class/net/ens3/carrier", "1\n");
    Seed("iid-one");
  }
  void Seed(const std::string& iid) {
    sys_.AddFile("/var/lib/cloud/seed/nocloud/meta-data", "instance-id: " + iid + "\n");
    sys_.AddFile("/var/lib/cloud/seed/nocloud/user-data", "#cloud-config\n{}\n");
    sys_.AddFile("/var/lib/cloud/seed/nocloud/network-config",
                 "version: 2\nethernets:\n  id0:\n    match: {macaddress: '52:54:00:12:34:56'}\n"
                 "    set-name: ens3\n    addresses: [192.0.2.7/24]\n    gateway4: 192.0.2.1\n");
  }
  int InitLocal() {
    std::string out;
    CliEnv env;
    env.system = &sys_;
    env.out = &out;
    env.extra_sink = &sink_;
    return RunCommandLine({"cloud-init", "init", "--local"}, env);
  }
  TestSystem sys_;
  CapturingSink sink_;
};

TEST_F(InitLocalNetworkTest, RenderedOncePerInstance) {
  ASSERT_EQ(InitLocal(), 0) << sink_.Dump();
  EXPECT_THAT(sys_.Read(kEni), HasSubstr("auto ens3\niface ens3 inet static\n    address 192.0.2.7/24\n"
                                         "    gateway 192.0.2.1\n"));
  sys_.AddFile(kEni, "# the admin's\n");
  ASSERT_EQ(InitLocal(), 0) << sink_.Dump();  // a reboot: same instance
  EXPECT_EQ(sys_.Read(kEni), "# the admin's\n");
  Seed("iid-two");
  ASSERT_EQ(InitLocal(), 0) << sink_.Dump();
  EXPECT_THAT(sys_.Read(kEni), HasSubstr("address 192.0.2.7/24"));
}

// cloud-init's init.cfg in init-local holds the instance's cloud-config of
// an earlier boot: user-data's `updates: network: when: [boot]` renders on
// every boot after the first (and its `network:` counts as system config).
TEST_F(InitLocalNetworkTest, UserDatasUpdatesWhenBootCountsFromTheSecondBoot) {
  ASSERT_EQ(InitLocal(), 0) << sink_.Dump();
  // What the init stage of the first boot keeps of the user-data.
  sys_.AddFile("/var/lib/cloud/instances/iid-one/cloud-config.txt",
               "#cloud-config\nupdates:\n  network:\n    when: [boot]\n");
  sys_.AddFile(kEni, "# the admin's\n");
  ASSERT_EQ(InitLocal(), 0) << sink_.Dump();
  EXPECT_THAT(sys_.Read(kEni), HasSubstr("address 192.0.2.7/24"));
  // The instance's user-data may also turn the network config off.
  sys_.AddFile("/var/lib/cloud/instances/iid-one/cloud-config.txt",
               "#cloud-config\nupdates:\n  network:\n    when: [boot]\nnetwork: {config: disabled}\n");
  sys_.AddFile(kEni, "# the admin's\n");
  ASSERT_EQ(InitLocal(), 0) << sink_.Dump();
  EXPECT_EQ(sys_.Read(kEni), "# the admin's\n");
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "network config is disabled by system_cfg"));
}

TEST_F(InitLocalNetworkTest, DisableFileInCloudCfgD) {
  sys_.AddFile("/etc/cloud/cloud.cfg.d/99-disable-network-config.cfg", "network: {config: disabled}\n");
  ASSERT_EQ(InitLocal(), 0) << sink_.Dump();
  EXPECT_FALSE(sys_.Has(kEni));
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "network config is disabled by system_cfg"));
}

// The kernel command line's cc: config is system config too (fetch_base_config).
TEST_F(InitLocalNetworkTest, DisabledByKernelCommandLineCloudConfig) {
  sys_.set_cmdline("root=/dev/vda1 cc: network: {config: disabled} end_cc quiet");
  ASSERT_EQ(InitLocal(), 0) << sink_.Dump();
  EXPECT_FALSE(sys_.Has(kEni));
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "network config is disabled by system_cfg"));
}

TEST_F(InitLocalNetworkTest, BadNetworkConfigIsAStageErrorAndTheBootGoesOn) {
  sys_.AddFile("/var/lib/cloud/seed/nocloud/network-config", "version: 2\nethernets:\n  ens3: {addresses: [x/24]}\n");
  EXPECT_EQ(InitLocal(), 1);
  EXPECT_TRUE(sink_.Contains(LogLevel::kError,
                             "network-config: ethernets.ens3.addresses[0]: Address 'x/24' is not a valid ip "
                             "address; applying the fallback config"))
      << sink_.Dump();
  EXPECT_THAT(sys_.Read(kEni), HasSubstr("iface ens3 inet dhcp"));
  EXPECT_THAT(sys_.Read("/run/cloud-init/status.json"), HasSubstr("is not a valid ip address"));
}

TEST(NetConvertCliTest, WritesTheRenderersFiles) {
  TestSystem sys;
  testing::TempDir in;
  std::string input = in.path() + "/net.yaml";
  FILE* f = fopen(input.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("version: 1\nconfig:\n  - {type: physical, name: eth0, subnets: [{type: dhcp}]}\n", f);
  fclose(f);
  std::string out;
  CliEnv env;
  env.system = &sys;
  env.out = &out;
  int rc = RunCommandLine({"cloud-init", "devel", "net-convert", "-p", input, "-k", "yaml", "-d", "/out", "-D",
                           "debian", "-O", "networkd"},
                          env);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("Wrote output format 'networkd' to '/out/'"));
  EXPECT_EQ(sys.Read("/out/etc/systemd/network/10-cloud-init-eth0.network"),
            "[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\n\n");
  EXPECT_EQ(RunCommandLine({"cloud-init", "devel", "net-convert", "-p", input, "-k", "azure-imds", "-d", "/o",
                            "-D", "debian", "-O", "eni"},
                           env),
            2);
}

TEST(NetConvertCliTest, ReadsEniInput) {
  TestSystem sys;
  testing::TempDir in;
  std::string input = in.path() + "/interfaces";
  FILE* f = fopen(input.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("auto eth0\niface eth0 inet static\n    address 192.0.2.5/24\n    gateway 192.0.2.1\n", f);
  fclose(f);
  std::string out;
  CliEnv env;
  env.system = &sys;
  env.out = &out;
  int rc = RunCommandLine({"cloud-init", "devel", "net-convert", "-p", input, "-k", "eni", "-d", "/out", "-D",
                           "debian", "-O", "networkd"},
                          env);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("Read input format 'eni' from"));
  EXPECT_EQ(sys.Read("/out/etc/systemd/network/10-cloud-init-eth0.network"),
            "[Address]\nAddress=192.0.2.5/24\n\n[Match]\nName=eth0\n\n[Network]\nDHCP=no\n\n"
            "[Route]\nGateway=192.0.2.1\n\n");
  // An option before any iface stanza: exit 1, naming the file and line.
  f = fopen(input.c_str(), "w");
  fputs("address 192.0.2.5\n", f);
  fclose(f);
  out.clear();
  EXPECT_EQ(RunCommandLine({"cloud-init", "devel", "net-convert", "-p", input, "-k", "eni", "-d", "/out", "-D",
                            "debian", "-O", "eni"},
                           env),
            1);
  EXPECT_THAT(out, HasSubstr(input + " line 1: 'address 192.0.2.5' before any 'iface' line"));
}

}  // namespace
}  // namespace nubo::agent
