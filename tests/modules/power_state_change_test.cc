// power_state_change: the shutdown argv per mode and delay, conditions, a
// bad config being a warning (no change), the wait for the stage to end.

#include <unistd.h>

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

class PowerStateTest : public ::testing::Test {
 protected:
  Argv Wait() { return {"tail", "--pid=" + std::to_string(getpid()), "-f", "/dev/null"}; }
  ModuleHarness h{modules::power_state_change::kSpec};
};

TEST_F(PowerStateTest, RebootAfterTheStageWithDelayAndMessage) {
  h.sys.runner().Expect(Wait());
  h.sys.runner().Expect({"shutdown", "-r", "+5", "Rebooting machine"});
  ASSERT_TRUE(h.RunYaml("power_state: {mode: reboot, delay: 5, message: Rebooting machine}\n").ok());
  EXPECT_THAT(h.sys.runner().argvs(),
              ElementsAre(Wait(), Argv{"shutdown", "-r", "+5", "Rebooting machine"}));
  EXPECT_EQ(h.sys.runner().calls()[0].timeout, std::chrono::seconds(30));
}

TEST_F(PowerStateTest, PoweroffNowWhenTheConditionCommandSucceeds) {
  h.sys.runner().Expect(Wait());
  h.sys.runner().Expect({"/bin/sh", "-c", "test -f /var/tmp/x"});
  h.sys.runner().Expect({"shutdown", "-P", "now"});
  ASSERT_TRUE(h.RunYaml("power_state: {mode: poweroff, condition: 'test -f /var/tmp/x', timeout: 2}\n").ok());
  EXPECT_EQ(h.sys.runner().argvs().back(), (Argv{"shutdown", "-P", "now"}));
}

TEST_F(PowerStateTest, UnmetConditionsChangeNothing) {
  ASSERT_TRUE(h.RunYaml("power_state: {mode: halt, condition: false}\n").ok());
  EXPECT_THAT(h.sys.runner().argvs(), IsEmpty());
  h.sys.runner().Expect(Wait());
  h.sys.runner().Expect({"test", "-f", "/nope"}, {.exit_code = 1});
  ASSERT_TRUE(h.RunYaml("power_state: {mode: halt, condition: [test, -f, /nope]}\n").ok());
  EXPECT_THAT(h.sys.runner().argvs(), ElementsAre(Wait(), Argv{"test", "-f", "/nope"}));
}

TEST_F(PowerStateTest, BadConfigIsAWarning) {
  ASSERT_TRUE(h.RunYaml("power_state: {mode: explode}\n").ok());
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning,
                              "power_state.mode: power_state[mode] required, must be one of: "
                              "halt,poweroff,reboot. found: 'explode'. Not performing power "
                              "state change!"))
      << h.sink.Dump();
  ASSERT_TRUE(h.RunYaml("power_state: {mode: reboot, delay: soon}\n").ok());
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "power_state[delay] must be 'now' or '+m'"));
  EXPECT_THAT(h.sys.runner().argvs(), IsEmpty());
}

}  // namespace
}  // namespace nubo
