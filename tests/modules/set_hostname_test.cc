#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/test_system.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class SetHostnameTest : public ::testing::Test {
 protected:
  Status RunWith(const std::string& yaml, const ModuleSpec& spec = modules::set_hostname::kSpec) {
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
  Logger log_{&sink_, "init/set_hostname"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
};

TEST_F(SetHostnameTest, Spec) {
  EXPECT_EQ(modules::set_hostname::kSpec.stage, Stage::kInit);
  EXPECT_EQ(modules::set_hostname::kSpec.frequency, Frequency::kPerInstance);
  EXPECT_EQ(FindModule("set-hostname"), &modules::set_hostname::kSpec);
}

TEST_F(SetHostnameTest, TargetRootGetsFilesOnly) {
  sys_.AddFile("/etc/hostname", "# keep me\nold\n");
  Status s = RunWith("hostname: web1\nfqdn: web1.example.com\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/hostname"), "# keep me\nweb1\n");
  EXPECT_EQ(sys_.ModeOf("/etc/hostname"), 0644u);
  EXPECT_EQ(sys_.Read("/var/lib/cloud/data/set-hostname"),
            "{\n \"fqdn\": \"web1.example.com\",\n \"hostname\": \"web1\"\n}\n");
  EXPECT_THAT(sys_.hostname_calls(), IsEmpty()) << "never the host's hostname";
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "set hostname 'web1' in /etc/hostname of the "
                                              "target root"))
      << sink_.Dump();
}

TEST_F(SetHostnameTest, MetaDataNameAndPreferFqdn) {
  instance_.local_hostname = "vm7.cloud.example";
  Status s = RunWith("prefer_fqdn_over_hostname: true\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/hostname"), "vm7.cloud.example\n");
}

TEST_F(SetHostnameTest, HostRootUsesHostnamedWhenReachable) {
  sys_.set_host_root(true);
  sys_.set_hostnamed_reachable(true);
  Status s = RunWith("hostname: web1\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(sys_.hostname_calls(), ElementsAre("static:web1", "transient:web1"));
  EXPECT_FALSE(sys_.Has("/etc/hostname")) << "hostnamed writes it";
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "through systemd-hostnamed")) << sink_.Dump();
}

TEST_F(SetHostnameTest, HostRootFallsBackToFileAndSethostname) {
  sys_.set_host_root(true);
  Status s = RunWith("hostname: web1\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(sys_.hostname_calls(), ElementsAre("sethostname:web1"));
  EXPECT_EQ(sys_.Read("/etc/hostname"), "web1\n");
}

TEST_F(SetHostnameTest, CreateHostnameFileFalse) {
  sys_.set_host_root(true);
  sys_.set_hostnamed_reachable(true);
  Status s = RunWith("hostname: web1\ncreate_hostname_file: false\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(sys_.hostname_calls(), ElementsAre("transient:web1"));
  EXPECT_FALSE(sys_.Has("/etc/hostname"));
}

TEST_F(SetHostnameTest, CreateHostnameFileFalseKeepsAnExistingFileUpdated) {
  sys_.AddFile("/etc/hostname", "old\n");
  Status s = RunWith("hostname: web1\ncreate_hostname_file: false\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/hostname"), "web1\n");
}

TEST_F(SetHostnameTest, SameNamesTwiceIsNoChange) {
  ASSERT_TRUE(RunWith("hostname: web1\nfqdn: web1.example.com\n").ok());
  sys_.AddFile("/etc/hostname", "changed-by-admin\n");
  ASSERT_TRUE(RunWith("hostname: web1\nfqdn: web1.example.com\n").ok());
  EXPECT_EQ(sys_.Read("/etc/hostname"), "changed-by-admin\n");
  EXPECT_TRUE(sink_.Contains(LogLevel::kDebug, "No hostname changes. Skipping set-hostname"));
}

TEST_F(SetHostnameTest, PreserveHostname) {
  ASSERT_TRUE(RunWith("hostname: web1\npreserve_hostname: true\n").ok());
  EXPECT_FALSE(sys_.Has("/etc/hostname"));
  EXPECT_FALSE(sys_.Has("/var/lib/cloud/data/set-hostname"));
}

TEST_F(SetHostnameTest, DefaultLocalhostIsLeftAlone) {
  sys_.set_host_root(true);
  sys_.set_running_hostname("localhost");
  ASSERT_TRUE(RunWith("{}").ok());
  EXPECT_THAT(sys_.hostname_calls(), IsEmpty());
  EXPECT_FALSE(sys_.Has("/etc/hostname"));
}

TEST_F(SetHostnameTest, BadFqdnNamesTheKey) {
  Status s = RunWith("fqdn: [a]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "fqdn: expected str, got list");
}

}  // namespace
}  // namespace nubo
