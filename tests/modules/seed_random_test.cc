// seed_random: data decoded and appended, meta-data's seed, devices written
// in place, the command and command_required.

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

class SeedRandomTest : public ::testing::Test {
 protected:
  ModuleHarness h{modules::seed_random::kSpec};
};

TEST_F(SeedRandomTest, AppendsDecodedDataAndMetaDataSeedToAFile) {
  h.sys.AddFile("/var/seed", "old:", 0600);
  h.instance.meta_data["random_seed"] = "-md";
  Status s = h.RunYaml("random_seed: {file: /var/seed, data: aGVsbG8=, encoding: b64}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/var/seed"), "old:hello-md");
  EXPECT_EQ(h.sys.ModeOf("/var/seed"), 0600u);
}

TEST_F(SeedRandomTest, OpenStackSeedIsBase64) {
  h.instance.datasource = "OpenStack";
  h.instance.meta_data["random_seed"] = "c2VlZA==";
  ASSERT_TRUE(h.RunYaml("random_seed: {file: /var/s}\n").ok());
  EXPECT_EQ(h.sys.Read("/var/s"), "seed");
}

TEST_F(SeedRandomTest, NothingByDefault) {
  ASSERT_TRUE(h.RunYaml("{}").ok());
  EXPECT_THAT(h.sys.runner().argvs(), IsEmpty());
  EXPECT_FALSE(h.sys.Has("/dev/urandom"));
}

TEST_F(SeedRandomTest, CommandRunsWithTheSeedFile) {
  h.sys.AddFile("/usr/bin/pollinate", "#!/bin/sh\n", 0755);
  h.sys.runner().Expect({"pollinate", "-q"});
  ASSERT_TRUE(h.RunYaml("random_seed: {command: [pollinate, -q]}\n").ok());
  EXPECT_THAT(h.sys.runner().argvs(), ElementsAre(Argv{"pollinate", "-q"}));
  EXPECT_THAT(h.sys.runner().calls()[0].env, ElementsAre("RANDOM_SEED_FILE=/dev/urandom"));
}

TEST_F(SeedRandomTest, MissingCommandFailsOnlyWhenRequired) {
  ASSERT_TRUE(h.RunYaml("random_seed: {command: [pollinate]}\n").ok());
  Status s = h.RunYaml("random_seed: {command: [pollinate], command_required: true}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "random_seed.command: command 'pollinate' not found but required=true");
  s = h.RunYaml("random_seed: {data: x, encoding: rot13}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "random_seed.encoding: Unknown random_seed encoding: rot13");
}

}  // namespace
}  // namespace nubo
