#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/test_system.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class UpdateEtcHostsTest : public ::testing::Test {
 protected:
  Status RunWith(const std::string& yaml, const ModuleSpec& spec = modules::update_etc_hosts::kSpec) {
    auto parsed = ParseYaml(yaml, "test");
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
    config_ = parsed.ok() && parsed->is_object() ? *parsed : Value::object();
    paths_.instance_id = "iid-1";
    ModuleContext ctx{.name = std::string(spec.name),
                      .config = config_,
                      .instance = instance_,
                      .sys = sys_,
                      .log = log_,
                      .paths = paths_,
                      .frequency = spec.frequency,
                      .version = "22.4.2"};
    return spec.run(ctx);
  }

  nubo::testing::TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "init/update_etc_hosts"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
};

TEST_F(UpdateEtcHostsTest, Spec) {
  EXPECT_EQ(modules::update_etc_hosts::kSpec.frequency, Frequency::kAlways);
  EXPECT_EQ(modules::update_etc_hosts::kSpec.activated_by,
            std::vector<std::string_view>{"manage_etc_hosts"});
}

TEST_F(UpdateEtcHostsTest, TrueRendersTheBuiltinTemplateWhenNoneInstalled) {
  sys_.AddFile("/etc/hosts", "old\n", 0600);
  Status s = RunWith("manage_etc_hosts: true\nfqdn: web1.example.com\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  std::string hosts = sys_.Read("/etc/hosts");
  EXPECT_NE(hosts.find("\n127.0.1.1 web1.example.com web1\n127.0.0.1 localhost\n"),
            std::string::npos)
      << hosts;
  EXPECT_EQ(sys_.ModeOf("/etc/hosts"), 0644u);
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "from nubo's built-in template")) << sink_.Dump();
}

TEST_F(UpdateEtcHostsTest, TrueUsesTheInstalledTemplate) {
  sys_.AddFile("/srv/tpl/hosts.redhat.tmpl",
               "## template:jinja\n{# x -#}\n127.0.0.1 {{fqdn}} {{hostname}} localhost\n");
  Status s = RunWith(
      "manage_etc_hosts: True\nhostname: db.example.com\n"
      "system_info: {distro: rocky, paths: {templates_dir: /srv/tpl/}}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/hosts"), "127.0.0.1 db.example.com db localhost\n");
}

TEST_F(UpdateEtcHostsTest, TemplateIsDeprecated) {
  ASSERT_TRUE(RunWith("manage_etc_hosts: template\nhostname: a\n").ok());
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "DEPRECATED")) << sink_.Dump();
  EXPECT_TRUE(sys_.Has("/etc/hosts"));
}

TEST_F(UpdateEtcHostsTest, LocalhostAddsTheLine) {
  sys_.AddFile("/etc/hosts", "127.0.0.1\tlocalhost\n");
  instance_.local_hostname = "vm1.example.com";
  ASSERT_TRUE(RunWith("manage_etc_hosts: localhost\n").ok());
  EXPECT_EQ(sys_.Read("/etc/hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tvm1.example.com\tvm1\n\n");
  sink_ = CapturingSink();
  ASSERT_TRUE(RunWith("manage_etc_hosts: localhost\n").ok());
  EXPECT_FALSE(sink_.Contains(LogLevel::kInfo, "updated")) << "second run: no change";
}

TEST_F(UpdateEtcHostsTest, LocalhostCreatesTheFileWithAHeader) {
  ASSERT_TRUE(RunWith("manage_etc_hosts: localhost\nhostname: web1\n").ok());
  EXPECT_EQ(sys_.Read("/etc/hosts"),
            "# Added by cloud-init v. 22.4.2 on Tue, 14 Nov 2023 22:13:20 +0000\n"
            "127.0.1.1\tlocalhost\tweb1\n\n")
      << "no fqdn anywhere: cloud-init takes the system name (here the root has none)";
}

TEST_F(UpdateEtcHostsTest, FalseLeavesTheFile) {
  sys_.AddFile("/etc/hosts", "mine\n");
  ASSERT_TRUE(RunWith("manage_etc_hosts: false\nhostname: web1\n").ok());
  EXPECT_EQ(sys_.Read("/etc/hosts"), "mine\n");
}

}  // namespace
}  // namespace nubo
