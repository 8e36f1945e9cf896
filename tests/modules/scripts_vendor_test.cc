#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/test_system.h"

namespace nubo::modules {
namespace {

TEST(ScriptsVendorTest, RunsVendorScriptsInOrderAndReportsFailures) {
  testing::TestSystem sys;
  const std::string dir = "/var/lib/cloud/instances/i-1/scripts/vendor";
  sys.AddFile(dir + "/b.sh", "#!/bin/sh\n", 0700);
  sys.AddFile(dir + "/a.sh", "#!/bin/sh\n", 0700);
  sys.AddFile(dir + "/notes.txt", "not executable\n", 0644);
  sys.runner().Expect({dir + "/a.sh"});
  sys.runner().Expect({dir + "/b.sh"}, {.exit_code = 2});
  CapturingSink sink;
  Logger log(&sink, "final");
  Paths paths;
  paths.instance_id = "i-1";
  Value cfg = {{"vendor_data", {{"enabled", true}, {"prefix", Value::array()}}}};
  InstanceData instance;
  ModuleContext ctx{"scripts_vendor", cfg, instance, sys, log, paths, Frequency::kPerInstance,
                    false, [](std::string_view) {}, "0"};
  Status s = scripts_vendor::kSpec.run(ctx);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "Runparts: 1 failures (b.sh) in 2 attempted commands");
  ASSERT_EQ(sys.runner().argvs().size(), 2u);
  EXPECT_EQ(sys.runner().argvs()[0][0], dir + "/a.sh");
  EXPECT_FALSE(sink.Contains(LogLevel::kWarning, "prefix"));
}

}  // namespace
}  // namespace nubo::modules
