// disable_ec2_metadata: the reject route with ip or route, nothing without
// either, every boot.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using nubo::testing::ModuleHarness;
using Argv = std::vector<std::string>;

class DisableEc2Test : public ::testing::Test {
 protected:
  ModuleHarness h{modules::disable_ec2_metadata::kSpec};
};

TEST_F(DisableEc2Test, Spec) {
  EXPECT_EQ(modules::disable_ec2_metadata::kSpec.frequency, Frequency::kAlways);
}

TEST_F(DisableEc2Test, IpRoute) {
  h.sys.AddFile("/usr/bin/ip", "", 0755);
  h.sys.runner().Expect({"ip", "route", "add", "prohibit", "169.254.169.254"});
  ASSERT_TRUE(h.RunYaml("disable_ec2_metadata: true\n").ok());
  EXPECT_THAT(h.sys.runner().argvs(),
              ElementsAre(Argv{"ip", "route", "add", "prohibit", "169.254.169.254"}));
}

TEST_F(DisableEc2Test, RouteWithIfconfig) {
  h.sys.AddFile("/sbin/ifconfig", "", 0755);
  h.sys.runner().Expect({"route", "add", "-host", "169.254.169.254", "reject"});
  ASSERT_TRUE(h.RunYaml("disable_ec2_metadata: yes\n").ok());
  EXPECT_EQ(h.sys.runner().argvs().size(), 1u);
}

TEST_F(DisableEc2Test, NeitherToolOrFalse) {
  ASSERT_TRUE(h.RunYaml("disable_ec2_metadata: true\n").ok());
  EXPECT_TRUE(h.sink.Contains(LogLevel::kError, "Neither \"route\" nor \"ip\" command found"));
  ASSERT_TRUE(h.RunYaml("disable_ec2_metadata: false\n").ok());
  EXPECT_THAT(h.sys.runner().argvs(), IsEmpty());
}

}  // namespace
}  // namespace nubo
