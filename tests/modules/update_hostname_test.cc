#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/test_system.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class UpdateHostnameTest : public ::testing::Test {
 protected:
  Status RunWith(const std::string& yaml, const ModuleSpec& spec = modules::update_hostname::kSpec) {
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
  Logger log_{&sink_, "init/update_hostname"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
};

TEST_F(UpdateHostnameTest, Spec) {
  EXPECT_EQ(modules::update_hostname::kSpec.frequency, Frequency::kAlways);
  EXPECT_EQ(FindModule("update-hostname"), &modules::update_hostname::kSpec);
}

TEST_F(UpdateHostnameTest, FirstRunWritesBothFiles) {
  Status s = RunWith("hostname: web1\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/hostname"), "web1\n");
  EXPECT_EQ(sys_.Read("/var/lib/cloud/data/previous-hostname"), "web1\n");
  EXPECT_THAT(sys_.hostname_calls(), IsEmpty());
}

TEST_F(UpdateHostnameTest, FollowsAConfigChange) {
  sys_.set_host_root(true);
  sys_.AddFile("/etc/hostname", "web1\n");
  sys_.AddFile("/var/lib/cloud/data/previous-hostname", "web1\n");
  Status s = RunWith("hostname: web2\nfqdn: web2.example.com\nprefer_fqdn_over_hostname: true\n",
                     modules::update_hostname::kSpec);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/hostname"), "web2.example.com\n");
  EXPECT_EQ(sys_.Read("/var/lib/cloud/data/previous-hostname"), "web2.example.com\n");
  EXPECT_THAT(sys_.hostname_calls(), ElementsAre("sethostname:web2"))
      << "the transient name is the short one, as cloud-init's update_hostname";
}

TEST_F(UpdateHostnameTest, AdminChangeWins) {
  sys_.AddFile("/etc/hostname", "admins-choice\n");
  sys_.AddFile("/var/lib/cloud/data/previous-hostname", "web1\n");
  ASSERT_TRUE(RunWith("hostname: web2\n").ok());
  EXPECT_EQ(sys_.Read("/etc/hostname"), "admins-choice\n");
  EXPECT_EQ(sys_.Read("/var/lib/cloud/data/previous-hostname"), "web1\n");
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "assuming user maintained hostname")) << sink_.Dump();
}

TEST_F(UpdateHostnameTest, ExistingNameWithoutRecordIsKept) {
  // No previous-hostname: the record is written, /etc/hostname kept.
  sys_.AddFile("/etc/hostname", "imagehost\n");
  ASSERT_TRUE(RunWith("hostname: web1\n").ok());
  EXPECT_EQ(sys_.Read("/etc/hostname"), "imagehost\n");
  EXPECT_EQ(sys_.Read("/var/lib/cloud/data/previous-hostname"), "web1\n");
}

TEST_F(UpdateHostnameTest, AfterSetHostnameNothingMoreToDo) {
  ASSERT_TRUE(RunWith("hostname: web1\n", modules::set_hostname::kSpec).ok());
  ASSERT_TRUE(RunWith("hostname: web1\n").ok());
  EXPECT_EQ(sys_.Read("/etc/hostname"), "web1\n");
  EXPECT_EQ(sys_.Read("/var/lib/cloud/data/previous-hostname"), "web1\n");
}

}  // namespace
}  // namespace nubo
