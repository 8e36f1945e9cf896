// The four stages on an OpenStack instance, in-process: DMI says "OpenStack
// Nova", init --local takes an ephemeral DHCP lease (dhclient and ip faked),
// crawls a real metadata server (tests/support/metadata_server.h), and the
// key pair, hostname, user-data and vendor-data land through the same code
// paths NoCloud uses. useradd & co. run for real (ShadowSystem, root only).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/cli.h"
#include "modules/users_support.h"
#include "nubo/value.h"
#include "support/metadata_server.h"

namespace nubo::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nubo::testing::MetadataServer;
using nubo::testing::ShadowSystem;

constexpr char kKey[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBgRaCaYPQRaMqueGtMTgyua6C1D3I/cyr2NjFxdZ5i8 mykey@nova";
constexpr char kUuid[] = "83679162-1378-4288-a2d4-70e13ec132aa";

std::string CloudCfg(const std::string& url) {
  return R"(datasource_list: [OpenStack, None]
datasource:
  OpenStack:
    metadata_urls: [')" +
         url + R"(']
    timeout: 2
    retries: 1
users: [default]
disable_root: true
system_info:
  distro: debian
  default_user:
    name: debian
    lock_passwd: True
    groups: [adm, sudo]
    sudo: ["ALL=(ALL) NOPASSWD:ALL"]
    shell: /bin/bash
  ssh_svcname: ssh
cloud_init_modules: [migrator, write-files, set_hostname, update_hostname, users-groups, ssh]
cloud_config_modules: [runcmd]
cloud_final_modules: [scripts-user, final-message]
)";
}

class OpenStackStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ShadowSystem::CanRun()) GTEST_SKIP() << ShadowSystem::kSkipReason;
    md_ = std::make_unique<MetadataServer>(std::string(NUBO_SOURCE_DIR) + "/tests/fixtures/openstack/keypair");
    sys_.AddFile("/etc/cloud/cloud.cfg", CloudCfg(md_->base_url()));
    sys_.AddFile("/etc/sudoers", "@includedir /etc/sudoers.d\n", 0440);
    sys_.AddFile("/etc/ssh/sshd_config", "UsePAM yes\n");
    sys_.set_dmi("system-product-name", "OpenStack Nova");
    sys_.set_dmi("system-uuid", std::string(kUuid));
    sys_.AddHostDir("/sys/class/net");
    sys_.AddHostFile("/sys/class/net/eth0/address", "fa:16:3e:00:00:01\n");
    sys_.AddHostFile("/sys/class/net/eth0/carrier", "1\n");
    auto& r = sys_.runner();
    r.ExpectPrefix({"ssh-keygen"});
    r.Expect({"/var/lib/cloud/instances/" + std::string(kUuid) + "/scripts/runcmd"});  // runcmd
    r.ExpectPrefix({"ip"});
    r.ExpectPrefix({"dhclient", "-x"});
    r.ExpectWithEffect({"dhclient", "-1", "-v", "-lf", "/run/dhclient.lease", "-pf", "/run/dhclient.pid", "eth0",
                        "-sf", "/bin/true"},
                       [this] {
                         ++dhcp_runs_;
                         sys_.AddFile("/run/dhclient.lease",
                                      "lease {\n  interface \"eth0\";\n  fixed-address 10.0.0.5;\n"
                                      "  option subnet-mask 255.255.255.0;\n  option routers 10.0.0.1;\n}\n");
                       });
  }
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "cloud-init");
    CliEnv env;
    env.system = &sys_;
    env.out = &out_;
    env.extra_sink = &log_;
    return RunCommandLine(args, env);
  }
  std::vector<int> Boot() {
    return {Run({"init", "--local"}), Run({"init"}), Run({"modules", "--mode", "config"}),
            Run({"modules", "--mode", "final"})};
  }
  void Reboot() { ASSERT_TRUE(sys_.RemoveTree("/run").ok()); }

  ShadowSystem sys_;
  std::unique_ptr<MetadataServer> md_;
  std::string out_;
  CapturingSink log_;
  int dhcp_runs_ = 0;
};

TEST_F(OpenStackStageTest, KeyPairHostnameUserAndVendorData) {
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(dhcp_runs_, 1);
  EXPECT_TRUE(log_.Contains(LogLevel::kInfo, "found datasource DataSourceOpenStackLocal [net,ver=2]"));
  // The key pair, for the default user.
  EXPECT_EQ(sys_.Read("/home/debian/.ssh/authorized_keys"), std::string(kKey) + "\n");
  EXPECT_THAT(sys_.Read("/etc/passwd"), HasSubstr("debian:x:"));
  // The hostname from meta_data.json's "hostname".
  EXPECT_EQ(sys_.Read("/etc/hostname"), "vm-1\n");
  // user-data and vendor-data both read; user-data's write_files overrides
  // vendor-data's (cloud-init's merge: the user's list replaces the vendor's).
  EXPECT_EQ(sys_.Read("/etc/from-user-data"), "user");
  EXPECT_FALSE(sys_.Has("/etc/from-vendor-data"));
  std::string idir = "/var/lib/cloud/instances/" + std::string(kUuid);
  EXPECT_THAT(sys_.Read(idir + "/vendor-cloud-config.txt"), HasSubstr("/etc/from-vendor-data"));
  EXPECT_THAT(sys_.Read(idir + "/vendor-data.txt"), HasSubstr("#cloud-config"));
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/instances/" + std::string(kUuid) + "/scripts/runcmd"));
  // instance-data: v1 keys, sensitive values only in the root-only copy.
  std::string id = sys_.Read("/run/cloud-init/instance-data.json");
  Value j = Value::parse(id);
  EXPECT_EQ(j["v1"]["cloud_name"], "openstack");
  EXPECT_EQ(j["v1"]["platform"], "openstack");
  EXPECT_EQ(j["v1"]["availability_zone"], "nova");
  EXPECT_EQ(j["v1"]["instance_id"], kUuid);
  EXPECT_EQ(j["v1"]["local_hostname"], "vm-1.novalocal");
  EXPECT_EQ(j["v1"]["subplatform"], "metadata (" + md_->base_url() + ")");
  EXPECT_EQ(j["ds"]["meta_data"]["uuid"], kUuid);
  EXPECT_EQ(j["ds"]["ec2_metadata"]["instance-type"], "m1.small");
  EXPECT_EQ(j["merged_cfg"], "redacted for non-root user");
  EXPECT_EQ(j["base64_encoded_keys"], Value::array({"ds/meta_data/random_seed"}));
  EXPECT_EQ(sys_.ModeOf("/run/cloud-init/instance-data.json"), 0644u);
  EXPECT_EQ(sys_.ModeOf("/run/cloud-init/instance-data-sensitive.json"), 0600u);
  EXPECT_TRUE(Value::parse(sys_.Read("/run/cloud-init/instance-data-sensitive.json"))["merged_cfg"].is_object());
  // query reads it.
  out_.clear();
  EXPECT_EQ(Run({"query", "ds.meta_data.uuid"}), 0);
  EXPECT_EQ(out_, std::string(kUuid) + "\n");
  out_.clear();
  EXPECT_EQ(Run({"query", "v1.availability_zone"}), 0);
  EXPECT_EQ(out_, "nova\n");
}

TEST_F(OpenStackStageTest, RebootReusesTheInstanceWithoutCrawling) {
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  int requests = md_->TotalRequests();
  Reboot();
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(md_->TotalRequests(), requests) << "the system uuid matches: nothing crawled again";
  EXPECT_EQ(dhcp_runs_, 1);
  EXPECT_EQ(sys_.Read("/home/debian/.ssh/authorized_keys"), std::string(kKey) + "\n");
}

TEST_F(OpenStackStageTest, ChangedUuidIsANewInstance) {
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  Reboot();
  std::string other = "0b5c3b2a-0000-4000-8000-000000000002";
  sys_.runner().Expect({"/var/lib/cloud/instances/" + other + "/scripts/runcmd"});
  sys_.set_dmi("system-uuid", other);
  md_->SetFault("/openstack/2018-08-27/meta_data.json",
                {.body = R"({"uuid": ")" + other + R"(", "hostname": "vm-2", "public_keys": {"k": ")" +
                         std::string(kKey) + R"("}})"});
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(dhcp_runs_, 2);
  EXPECT_TRUE(log_.Contains(LogLevel::kInfo, "new instance '" + other + "'"));
  EXPECT_EQ(sys_.Read("/var/lib/cloud/data/instance-id"), other + "\n");
  EXPECT_EQ(sys_.Read("/etc/hostname"), "vm-2\n");
}

TEST_F(OpenStackStageTest, NoLeaseInInitLocalCrawlsInInit) {
  sys_.runner() = {};
  auto& r = sys_.runner();
  r.ExpectPrefix({"ssh-keygen"});
  r.Expect({"/var/lib/cloud/instances/" + std::string(kUuid) + "/scripts/runcmd"});
  r.Expect({"ip", "link", "set", "dev", "eth0", "up"});
  r.Expect({"dhclient", "-1", "-v", "-lf", "/run/dhclient.lease", "-pf", "/run/dhclient.pid", "eth0", "-sf",
            "/bin/true"},
           {.exit_code = 2});
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_TRUE(log_.Contains(LogLevel::kInfo, "found datasource DataSourceOpenStack [net,ver=2]"));
  EXPECT_EQ(sys_.Read("/home/debian/.ssh/authorized_keys"), std::string(kKey) + "\n");
}

TEST_F(OpenStackStageTest, BrokenUserDataStillInstallsTheKeyPair) {
  md_->SetFault("/openstack/2018-08-27/user_data", {.body = "#include\nhttp://127.0.0.1:1/nothing-here\n"});
  std::vector<int> rc = Boot();
  EXPECT_EQ(sys_.Read("/home/debian/.ssh/authorized_keys"), std::string(kKey) + "\n") << log_.Dump();
  EXPECT_EQ(rc[1], 1);  // the failed #include is recorded as init's error
}

}  // namespace
}  // namespace nubo::agent
