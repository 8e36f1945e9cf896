#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/test_system.h"

namespace nubo {
namespace {

class MigratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sys_.AddFile("/var/lib/cloud/sem/config_scripts-per-once.once", "12: 1700000000.0\n");
    sys_.AddFile("/var/lib/cloud/sem/config_ok.once", "ok\n");
    sys_.AddDir("/var/lib/cloud/sem/a-dir.d");
    sys_.AddFile("/var/lib/cloud/instances/iid-1/sem/config_write-files", "wf\n", 0600);
    sys_.AddFile("/var/lib/cloud/instances/iid-1/sem/config_set-hostname.always", "sh\n");
  }

  Status RunWith(const std::string& yaml) {
    auto parsed = ParseYaml(yaml, "test");
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
    config_ = parsed.ok() ? *parsed : Value::object();
    paths_.instance_id = "iid-1";
    ModuleContext ctx{.name = "migrator",
                      .config = config_,
                      .instance = instance_,
                      .sys = sys_,
                      .log = log_,
                      .paths = paths_,
                      .frequency = Frequency::kAlways};
    return modules::migrator::kSpec.run(ctx);
  }

  void ExpectUnchanged() {
    EXPECT_TRUE(sys_.Has("/var/lib/cloud/sem/config_scripts-per-once.once"));
    EXPECT_TRUE(sys_.Has("/var/lib/cloud/instances/iid-1/sem/config_write-files"));
  }

  nubo::testing::TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "init/migrator"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
};

TEST_F(MigratorTest, Spec) {
  const ModuleSpec& spec = modules::migrator::kSpec;
  EXPECT_EQ(spec.name, "migrator");
  EXPECT_EQ(spec.stage, Stage::kInit);
  EXPECT_EQ(spec.frequency, Frequency::kAlways);
  EXPECT_TRUE(spec.activated_by.empty());
}

TEST_F(MigratorTest, CanonicalisesSemaphoreNames) {
  Status s = RunWith("{}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  const std::string cloud = "/var/lib/cloud/sem/";
  const std::string inst = "/var/lib/cloud/instances/iid-1/sem/";
  EXPECT_FALSE(sys_.Has(cloud + "config_scripts-per-once.once"));
  EXPECT_EQ(sys_.Read(cloud + "config_scripts_per_once.once"), "12: 1700000000.0\n");
  EXPECT_EQ(sys_.Read(cloud + "config_ok.once"), "ok\n");
  EXPECT_TRUE(sys_.Stat(cloud + "a-dir.d").ok()) << "directories are left alone";
  EXPECT_FALSE(sys_.Has(inst + "config_write-files"));
  EXPECT_EQ(sys_.Read(inst + "config_write_files"), "wf\n");
  EXPECT_EQ(sys_.ModeOf(inst + "config_write_files"), 0600u);
  EXPECT_EQ(sys_.Read(inst + "config_set_hostname.always"), "sh\n");
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "renamed semaphore '" + cloud +
                                                  "config_scripts-per-once.once' to '" + cloud +
                                                  "config_scripts_per_once.once'"))
      << sink_.Dump();
  EXPECT_TRUE(
      sink_.Contains(LogLevel::kDebug, "Migrated 3 semaphore files to their canonicalized names"));
}

TEST_F(MigratorTest, DisabledLeavesEverything) {
  for (const char* yaml :
       {"migrate: false\n", "migrate: 'off'\n", "migrate: ~\n", "migrate: banana\n"}) {
    ASSERT_TRUE(RunWith(yaml).ok());
    ExpectUnchanged();
  }
  ASSERT_TRUE(RunWith("migrate: 'yes'\n").ok());
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/sem/config_scripts_per_once.once"));
}

TEST_F(MigratorTest, NoSemDirsIsFine) {
  ASSERT_TRUE(sys_.RemoveTree("/var/lib/cloud").ok());
  EXPECT_TRUE(RunWith("migrate: true\n").ok());
}

}  // namespace
}  // namespace nubo
