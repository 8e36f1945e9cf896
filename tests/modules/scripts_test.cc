// The five run-parts modules differ only in their directory, stage
// frequency and messages: one parameterized test covers them all.

#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

struct ScriptsCase {
  const ModuleSpec* spec;
  const char* alias;
  Frequency frequency;
  const char* dir;    // with the harness's instance id "iid-1"
  const char* label;  // the "(<label> in <dir>)" of the failure warning
};

class ScriptsModuleTest : public ::testing::TestWithParam<ScriptsCase> {};

TEST_P(ScriptsModuleTest, Spec) {
  const ScriptsCase& c = GetParam();
  EXPECT_EQ(c.spec->stage, Stage::kFinal);
  EXPECT_EQ(c.spec->frequency, c.frequency);
  EXPECT_TRUE(c.spec->activated_by.empty());
  EXPECT_EQ(FindModule(c.alias), c.spec);
}

TEST_P(ScriptsModuleTest, RunsExecutableScriptsInOrder) {
  const ScriptsCase& c = GetParam();
  testing::ModuleHarness h(*c.spec);
  std::string dir = c.dir;
  h.sys.AddFile(dir + "/b.sh", "#!/bin/sh\n", 0755);
  h.sys.AddFile(dir + "/a.sh", "#!/bin/sh\n", 0755);
  h.sys.AddFile(dir + "/README", "not a script\n", 0644);
  h.sys.runner().Expect({dir + "/a.sh"});
  h.sys.runner().Expect({dir + "/b.sh"});
  Status s = h.Run();
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.runner().argvs(),
            (std::vector<std::vector<std::string>>{{dir + "/a.sh"}, {dir + "/b.sh"}}));
  for (const auto& call : h.sys.runner().calls()) EXPECT_TRUE(call.to_output_log);
}

TEST_P(ScriptsModuleTest, RunsAllAndReportsFailures) {
  const ScriptsCase& c = GetParam();
  testing::ModuleHarness h(*c.spec);
  std::string dir = c.dir;
  h.sys.AddFile(dir + "/a.sh", "", 0755);
  h.sys.AddFile(dir + "/b.sh", "", 0755);
  h.sys.AddFile(dir + "/c.sh", "", 0755);
  h.sys.runner().Expect({dir + "/a.sh"}, CommandResult{.exit_code = 3});
  h.sys.runner().Expect({dir + "/b.sh"});
  h.sys.runner().Expect({dir + "/c.sh"}, CommandResult{.exit_code = 1});
  Status s = h.Run();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "Runparts: 2 failures (a.sh,c.sh) in 3 attempted commands");
  EXPECT_EQ(h.sys.runner().calls().size(), 3u);
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "Failed to run module " + std::string(c.spec->name) +
                                                      " (" + c.label + " in " + dir + ")"))
      << h.sink.Dump();
}

TEST_P(ScriptsModuleTest, NoDirectoryIsFine) {
  testing::ModuleHarness h(*GetParam().spec);
  EXPECT_TRUE(h.Run().ok());
  EXPECT_TRUE(h.sys.runner().calls().empty());
}

INSTANTIATE_TEST_SUITE_P(
    RunParts, ScriptsModuleTest,
    ::testing::Values(
        ScriptsCase{&modules::scripts_user::kSpec, "scripts-user", Frequency::kPerInstance,
                    "/var/lib/cloud/instances/iid-1/scripts", "scripts"},
        ScriptsCase{&modules::scripts_vendor::kSpec, "scripts-vendor", Frequency::kPerInstance,
                    "/var/lib/cloud/instances/iid-1/scripts/vendor", "vendor"},
        ScriptsCase{&modules::scripts_per_boot::kSpec, "scripts-per-boot", Frequency::kAlways,
                    "/var/lib/cloud/scripts/per-boot", "per-boot"},
        ScriptsCase{&modules::scripts_per_instance::kSpec, "scripts-per-instance",
                    Frequency::kPerInstance, "/var/lib/cloud/scripts/per-instance", "per-instance"},
        ScriptsCase{&modules::scripts_per_once::kSpec, "scripts-per-once", Frequency::kOnce,
                    "/var/lib/cloud/scripts/per-once", "per-once"}),
    [](const ::testing::TestParamInfo<ScriptsCase>& info) {
      return std::string(info.param.spec->name);
    });

TEST(ScriptsVendorTest, PrefixIsNotSupportedAndSaysSo) {
  testing::ModuleHarness h(modules::scripts_vendor::kSpec);
  EXPECT_TRUE(h.RunYaml("vendor_data: {enabled: true, prefix: [timeout, 30]}\n").ok());
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "vendor_data.prefix is not supported yet")) << h.sink.Dump();
}

}  // namespace
}  // namespace nubo
