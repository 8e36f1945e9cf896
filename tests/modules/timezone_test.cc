// timezone on both families: /etc/timezone and the /etc/localtime link (or
// copy), RHEL's sysconfig clock without systemd, unknown zones.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

using nubo::testing::ModuleHarness;

class TimezoneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.sys.AddFile("/usr/share/zoneinfo/Asia/Shanghai", "TZif2-shanghai", 0644);
  }
  ModuleHarness h{modules::timezone::kSpec};
};

TEST_F(TimezoneTest, DebianWritesTimezoneAndLinksLocaltime) {
  ASSERT_TRUE(h.sys.Symlink("/usr/share/zoneinfo/Etc/UTC", "/etc/localtime").ok());
  Status s = h.RunYaml("timezone: Asia/Shanghai\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/etc/timezone"), "Asia/Shanghai\n");
  EXPECT_EQ(h.sys.ModeOf("/etc/timezone"), 0644u);
  auto link = h.sys.ReadLink("/etc/localtime");
  ASSERT_TRUE(link.ok());
  EXPECT_EQ(*link, "/usr/share/zoneinfo/Asia/Shanghai");
}

TEST_F(TimezoneTest, DebianCopiesOverARegularLocaltime) {
  h.sys.AddFile("/etc/localtime", "old", 0644);
  ASSERT_TRUE(h.RunYaml("timezone: Asia/Shanghai\n").ok());
  EXPECT_EQ(h.sys.Read("/etc/localtime"), "TZif2-shanghai");
  EXPECT_FALSE(h.sys.Stat("/etc/localtime")->is_symlink);
}

TEST_F(TimezoneTest, RhelWithoutSystemdWritesSysconfigClock) {
  Status s = h.RunYaml("system_info: {distro: centos}\ntimezone: Asia/Shanghai\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_FALSE(h.sys.Has("/etc/timezone"));
  std::string clock = h.sys.Read("/etc/sysconfig/clock");
  EXPECT_THAT(clock, ::testing::EndsWith("\nZONE=Asia/Shanghai\n"));
  EXPECT_THAT(clock, ::testing::StartsWith("# Created by "));
  EXPECT_EQ(h.sys.Read("/etc/localtime"), "TZif2-shanghai");
}

TEST_F(TimezoneTest, RhelWithSystemdLinks) {
  h.sys.AddDir("/run/systemd/system");
  h.sys.AddFile("/etc/localtime", "old", 0644);
  ASSERT_TRUE(h.RunYaml("system_info: {distro: rhel}\ntimezone: Asia/Shanghai\n").ok());
  EXPECT_EQ(*h.sys.ReadLink("/etc/localtime"), "/usr/share/zoneinfo/Asia/Shanghai");
  EXPECT_FALSE(h.sys.Has("/etc/sysconfig/clock"));
}

TEST_F(TimezoneTest, UnknownZoneIsAnError) {
  Status s = h.RunYaml("timezone: Mars/Olympus\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "timezone: Invalid timezone Mars/Olympus, no file found at "
            "/usr/share/zoneinfo/Mars/Olympus");
  EXPECT_FALSE(h.sys.Has("/etc/timezone"));
}

TEST_F(TimezoneTest, AbsentOrBadKey) {
  ASSERT_TRUE(h.RunYaml("{}").ok());
  EXPECT_FALSE(h.sys.Has("/etc/timezone"));
  Status s = h.RunYaml("timezone: [a]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "timezone: expected a string, got list");
}

}  // namespace
}  // namespace nubo
