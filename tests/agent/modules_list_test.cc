#include <gtest/gtest.h>

#include "agent/cli.h"
#include "support/test_system.h"
#include "support/files.h"

using nubo::testing::ReadSourceFile;

namespace nubo::agent {
namespace {

// `modules --list` over the shipped cloud.cfg: the order and frequencies a
// packaged image runs, checked against a golden file.
TEST(ModulesListTest, ShippedCloudCfgMatchesGolden) {
  nubo::testing::TestSystem sys;
  sys.AddFile("/etc/cloud/cloud.cfg", ReadSourceFile("packaging/cloud.cfg"));
  std::string listing;
  for (const char* mode : {"init", "config", "final"}) {
    std::string out;
    CliEnv env;
    env.system = &sys;
    env.out = &out;
    ASSERT_EQ(RunCommandLine({"nubo", "modules", "--mode", mode, "--list"}, env), 0);
    listing += std::string("[") + mode + "]\n" + out;
  }
  EXPECT_EQ(listing, ReadSourceFile("tests/fixtures/golden/modules-list.txt"))
      << "if the change is intended, update the golden file with:\n" << listing;
}

}  // namespace
}  // namespace nubo::agent
