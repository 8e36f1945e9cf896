#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/test_system.h"

namespace nubo {
namespace {

class ScriptsPerBootTest : public ::testing::Test {
 protected:
  Status Run() {
    paths_.instance_id = "iid-1";
    ModuleContext ctx{.name = "scripts_per_boot",
                      .config = config_,
                      .instance = instance_,
                      .sys = sys_,
                      .log = log_,
                      .paths = paths_,
                      .frequency = Frequency::kAlways};
    return modules::scripts_per_boot::kSpec.run(ctx);
  }

  static constexpr const char* kDir = "/var/lib/cloud/scripts/per-boot";
  nubo::testing::TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "final/scripts_per_boot"};
  Value config_ = Value::object();
  InstanceData instance_;
  Paths paths_;
};

TEST_F(ScriptsPerBootTest, Spec) {
  const ModuleSpec& spec = modules::scripts_per_boot::kSpec;
  EXPECT_EQ(spec.name, "scripts_per_boot");
  EXPECT_EQ(spec.stage, Stage::kFinal);
  EXPECT_EQ(spec.frequency, Frequency::kAlways);
  EXPECT_TRUE(spec.activated_by.empty());
  EXPECT_EQ(FindModule("scripts-per-boot"), &spec);
}

TEST_F(ScriptsPerBootTest, RunsScriptsInOrder) {
  std::string dir = kDir;
  sys_.AddFile(dir + "/b.sh", "#!/bin/sh\n", 0755);
  sys_.AddFile(dir + "/a.sh", "#!/bin/sh\n", 0755);
  sys_.AddFile(dir + "/README", "not a script\n", 0644);
  sys_.runner().Expect({dir + "/a.sh"});
  sys_.runner().Expect({dir + "/b.sh"});
  Status s = Run();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.runner().argvs(),
            (std::vector<std::vector<std::string>>{{dir + "/a.sh"}, {dir + "/b.sh"}}));
}

TEST_F(ScriptsPerBootTest, ReportsFailures) {
  std::string dir = kDir;
  sys_.AddFile(dir + "/a.sh", "", 0755);
  sys_.AddFile(dir + "/b.sh", "", 0755);
  sys_.runner().Expect({dir + "/a.sh"}, CommandResult{.exit_code = 3});
  sys_.runner().Expect({dir + "/b.sh"});
  Status s = Run();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "Runparts: 1 failures (a.sh) in 2 attempted commands");
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning,
                             "Failed to run module scripts_per_boot (per-boot in " + dir + ")"))
      << sink_.Dump();
}

TEST_F(ScriptsPerBootTest, NoDirectoryIsFine) {
  EXPECT_TRUE(Run().ok());
  EXPECT_TRUE(sys_.runner().calls().empty());
}

}  // namespace
}  // namespace nubo
