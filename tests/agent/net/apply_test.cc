// init --local's network step on a TestSystem: config sources, disabling,
// fallback, update events, missing NICs, renderer selection, bad input.

#include "agent/net/apply.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/net/renderer.h"
#include "support/test_system.h"

namespace nubo::net {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

const char kV1[] = R"(version: 1
config:
  - type: physical
    name: eth0
    mac_address: "52:54:00:12:34:56"
    subnets:
      - type: static
        address: 192.0.2.10/24
        gateway: 192.0.2.1
)";

class ApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // An image with ifupdown: the ENI renderer is available.
    for (const char* tool : {"/sbin/ifquery", "/sbin/ifup", "/sbin/ifdown"}) sys_.AddFile(tool, "#!/bin/sh\n", 0755);
    sys_.AddFile("/etc/network/interfaces", "source /etc/network/interfaces.d/*\n");
    AddNic("eth0", "52:54:00:12:34:56", true);
    paths_.instance_id = "iid-1";
  }
  void AddNic(const std::string& name, const std::string& mac, bool carrier) {
    sys_.AddHostFile("/sys/class/net/" + name + "/address", mac + "\n");
    sys_.AddHostFile("/sys/class/net/" + name + "/carrier", carrier ? "1\n" : "0\n");
    sys_.AddHostFile("/sys/class/net/" + name + "/operstate", carrier ? "up\n" : "down\n");
  }
  // An instance whose previous boot had `previous` as instance-id.
  InstanceData Instance(const std::string& iid, const std::string& previous) {
    sys_.AddFile("/var/lib/cloud/data/previous-instance-id", previous + "\n");
    InstanceData d;
    d.instance_id = iid;
    d.network_config = kV1;
    return d;
  }
  void Apply(const InstanceData* d, const Value& base = Value::object()) {
    Value b = base;
    if (!b.contains("system_info")) b["system_info"] = {{"distro", "debian"}};
    ApplyNetworkConfig(sys_, log_, b, d, paths_, options_, errors_);
  }
  testing::TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "init-local"};
  Paths paths_;
  ApplyOptions options_;
  std::vector<std::string> errors_;
};

constexpr char kEniFile[] = "/etc/network/interfaces.d/50-cloud-init";

TEST_F(ApplyTest, NoCloudV1RenderedWithDebiansEni) {
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  Apply(&d);
  EXPECT_THAT(errors_, IsEmpty());
  std::string eni = sys_.Read(kEniFile);
  EXPECT_THAT(eni, HasSubstr("# network: {config: disabled}\n"));
  EXPECT_THAT(eni, HasSubstr("auto eth0\niface eth0 inet static\n    address 192.0.2.10/24\n    gateway 192.0.2.1\n"));
  EXPECT_EQ(sys_.Read("/etc/udev/rules.d/70-persistent-net.rules"),
            "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", ATTR{address}==\"52:54:00:12:34:56\", "
            "NAME=\"eth0\"\n");
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "Applying network configuration from ds")) << sink_.Dump();
}

TEST_F(ApplyTest, RebootOfTheSameInstanceKeepsAnAdminsEdit) {
  InstanceData d = Instance("iid-1", "iid-1");
  sys_.AddFile(kEniFile, "# edited by the admin\n");
  Apply(&d);
  EXPECT_EQ(sys_.Read(kEniFile), "# edited by the admin\n");
  EXPECT_TRUE(sink_.Contains(LogLevel::kDebug, "Neither a new instance nor datasource network update allowed"));
}

TEST_F(ApplyTest, NewInstanceRendersAgain) {
  InstanceData d = Instance("iid-2", "iid-1");
  sys_.AddFile(kEniFile, "# edited by the admin\n");
  Apply(&d);
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("address 192.0.2.10/24"));
}

TEST_F(ApplyTest, UpdatesWhenBootRendersEveryBoot) {
  InstanceData d = Instance("iid-1", "iid-1");
  sys_.AddFile(kEniFile, "# old\n");
  Apply(&d, Value{{"updates", {{"network", {{"when", {"boot"}}}}}}});
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("address 192.0.2.10/24"));
}

TEST_F(ApplyTest, DisabledInSystemConfig) {
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  Apply(&d, Value{{"network", {{"config", "disabled"}}}});
  EXPECT_FALSE(sys_.Has(kEniFile));
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "network config is disabled by system_cfg"));
}

TEST_F(ApplyTest, DisabledOnTheKernelCommandLine) {
  sys_.set_cmdline("root=/dev/vda1 network-config=disabled");
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  Apply(&d);
  EXPECT_FALSE(sys_.Has(kEniFile));
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "network config is disabled by cmdline"));
}

TEST_F(ApplyTest, KernelCommandLineConfigWinsOverTheDatasource) {
  // base64 of "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n"
  sys_.set_cmdline("ro network-config=dmVyc2lvbjogMgpldGhlcm5ldHM6CiAgZXRoMDoKICAgIGRoY3A0OiB0cnVlCg==");
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  Apply(&d);
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("auto eth0\niface eth0 inet dhcp\n"));
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "Applying network configuration from cmdline"));
}

TEST_F(ApplyTest, KernelCommandLineConfigMayBeGzipped) {
  // base64 of gzip (mtime 0) of "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n"
  sys_.set_cmdline("network-config=H4sIAAAAAAACAytLLSrOzM+zUjDiSi3JSC3KSy0ptuJSUAByDEC0gkJKRnKBiZVCSVFpKhcAIT5iUC4AAAA=");
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  Apply(&d);
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("auto eth0\niface eth0 inet dhcp\n"));
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "Applying network configuration from cmdline"));
}

TEST_F(ApplyTest, KernelCommandLineConfigThatIsNotBase64IsIgnored) {
  sys_.set_cmdline("network-config=a");
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  Apply(&d);
  EXPECT_TRUE(sink_.Contains(LogLevel::kError, "Expected base64 encoded kernel commandline parameter network-config. "
                                               "Ignoring network-config=a."));
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("address 192.0.2.10/24"));  // the datasource's
}

TEST_F(ApplyTest, NoConfigFallsBackToDhcpOnTheNicWithCarrier) {
  AddNic("ens2", "52:54:00:00:00:02", false);
  AddNic("ens3", "52:54:00:00:00:03", true);
  sys_.AddHostFile("/sys/class/net/eth0/carrier", "0\n");
  sys_.AddHostFile("/sys/class/net/eth0/operstate", "down\n");
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  d.network_config.reset();
  Apply(&d);
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("auto ens3\niface ens3 inet dhcp\n"));
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "Applying network configuration from fallback"));
}

TEST_F(ApplyTest, WithoutCarrierTheFallbackPrefersEth0) {
  AddNic("ens2", "52:54:00:00:00:02", false);
  sys_.AddHostFile("/sys/class/net/eth0/carrier", "0\n");
  sys_.AddHostFile("/sys/class/net/eth0/operstate", "down\n");
  Apply(nullptr);  // no datasource: cloud-init renders the fallback
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("iface eth0 inet dhcp"));
}

TEST_F(ApplyTest, UnparseableConfigIsAnErrorAndTheFallbackApplies) {
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  d.network_config = "version: 1\nconfig:\n  - type: physical\n    name: eth0\n    subnets:\n"
                     "      - type: static\n        address: 300.1.2.3/24\n";
  Apply(&d);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0],
            "network-config: config[0].subnets[0].address: Address '300.1.2.3/24' is not a valid ip address");
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("iface eth0 inet dhcp"));
}

TEST_F(ApplyTest, BrokenYamlNamesTheFile) {
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  d.network_config = "version: 1\nconfig: [\n";
  Apply(&d);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_THAT(errors_[0], HasSubstr("network-config: line"));
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("iface eth0 inet dhcp"));
}

TEST_F(ApplyTest, MissingNicIsAnErrorAndNothingIsWritten) {
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  d.network_config = std::string(kV1).replace(std::string(kV1).find("52:54:00:12:34:56"), 17, "52:54:00:99:99:99");
  Apply(&d);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0], "Not all expected physical devices present: {'52:54:00:99:99:99'}");
  EXPECT_FALSE(sys_.Has(kEniFile));
}

TEST_F(ApplyTest, OpenStackNetworkDataJson) {
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  d.network_config.reset();
  d.network_data_json = R"({"links": [{"id": "tap1", "type": "ovs", "ethernet_mac_address": "52:54:00:12:34:56"}],
    "networks": [{"id": "n0", "type": "ipv4", "link": "tap1", "ip_address": "10.0.0.5", "netmask": "255.255.255.0",
                  "routes": [{"network": "0.0.0.0", "netmask": "0.0.0.0", "gateway": "10.0.0.1"}]}],
    "services": [{"type": "dns", "address": "8.8.8.8"}]})";
  Apply(&d);
  EXPECT_THAT(errors_, IsEmpty());
  std::string eni = sys_.Read(kEniFile);
  EXPECT_THAT(eni, HasSubstr("    dns-nameservers 8.8.8.8\n"));
  EXPECT_THAT(eni, HasSubstr("iface eth0 inet static\n    address 10.0.0.5/24\n"));
  EXPECT_THAT(eni, HasSubstr("    post-up route add default gw 10.0.0.1 || true\n"));
}

// In init-local a NIC's driver may still be unloaded (udevd not started
// yet, as in the e2e guest): nubo settles udev before naming links by MAC,
// where 22.4 fails the conversion at once.
TEST_F(ApplyTest, OpenStackLinkWhoseNicAppearsOnceUdevSettles) {
  sys_.set_host_root(true);
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  d.network_config.reset();
  d.network_data_json = R"({"links": [{"id": "tap2", "type": "ovs", "ethernet_mac_address": "52:54:00:e2:e6:02"}],
    "networks": [{"id": "n1", "type": "ipv4_dhcp", "link": "tap2"}], "services": []})";
  sys_.runner().ExpectWithEffect({"udevadm", "settle", "--timeout=120"},
                                 [&] { AddNic("ens5", "52:54:00:e2:e6:02", true); });
  Apply(&d);
  EXPECT_THAT(errors_, IsEmpty());
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("auto ens5\niface ens5 inet dhcp\n"));
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "waiting for udev: network_data.json names NICs not present yet: "
                                              "{'52:54:00:e2:e6:02'}"))
      << sink_.Dump();
}

TEST_F(ApplyTest, OpenStackLinkWithoutNicIsAnError) {
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  d.network_config.reset();
  d.network_data_json = R"({"links": [{"id": "tap1", "type": "ovs", "ethernet_mac_address": "fa:16:3e:00:00:09"}],
                            "networks": [], "services": []})";
  Apply(&d);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_THAT(errors_[0], HasSubstr("network_data.json: Unable to find a system nic for link"));
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("iface eth0 inet dhcp"));  // fallback
}

// NoCloud's meta-data `network-interfaces` (ENI text) when there is no
// network-config, as DataSourceNoCloud.network_config converts it.
TEST_F(ApplyTest, NoCloudMetaDataNetworkInterfaces) {
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  d.datasource = "NoCloud";
  d.network_config.reset();
  d.meta_data["network-interfaces"] = "auto eth0\niface eth0 inet static\n  address 10.0.0.7\n"
                                      "  netmask 255.255.255.0\n  gateway 10.0.0.1\n";
  Apply(&d);
  EXPECT_THAT(errors_, IsEmpty());
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("auto eth0\niface eth0 inet static\n    address 10.0.0.7/24\n"
                                             "    gateway 10.0.0.1\n"));
  // network-config wins over it.
  d.network_config = kV1;
  Apply(&d);
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("address 192.0.2.10/24"));
}

TEST_F(ApplyTest, BrokenNetworkInterfacesIsAnErrorAndTheFallbackApplies) {
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  d.datasource = "NoCloud";
  d.network_config.reset();
  d.meta_data["network-interfaces"] = "address 10.0.0.7\n";
  Apply(&d);
  ASSERT_EQ(errors_.size(), 1u);
  EXPECT_EQ(errors_[0], "meta-data network-interfaces line 1: 'address 10.0.0.7' before any 'iface' line; "
                        "applying the fallback config");
  EXPECT_THAT(sys_.Read(kEniFile), HasSubstr("iface eth0 inet dhcp"));
}

TEST_F(ApplyTest, ConfiguredRendererOrderIsHonoured) {
  sys_.AddFile("/usr/sbin/netplan", "#!/bin/sh\n", 0755);
  sys_.runner().Expect({"netplan", "generate"});
  InstanceData d = Instance("iid-1", "NO_PREVIOUS_INSTANCE_ID");
  Apply(&d, Value{{"system_info", {{"distro", "debian"}, {"network", {{"renderers", {"netplan", "eni"}}}}}}});
  EXPECT_FALSE(sys_.Has(kEniFile));
  EXPECT_THAT(sys_.Read("/etc/netplan/50-cloud-init.yaml"),
              HasSubstr("network:\n    version: 2\n    ethernets:\n        eth0:\n            addresses:\n"
                        "            - 192.0.2.10/24\n            gateway4: 192.0.2.1\n"));
  EXPECT_EQ(sys_.runner().argvs().back(), (std::vector<std::string>{"netplan", "generate"}));
}

}  // namespace
}  // namespace nubo::net
