// ssh_import_id: sudo -Hu argv per user as 22.4 (default user from the
// top-level key, others from their own), the missing tool, a missing user
// and a failing import that fail the module after the other users.

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

Argv Import(const std::string& user, std::vector<std::string> ids) {
  Argv a = {"sudo", "--preserve-env=https_proxy", "-Hu", user, "ssh-import-id"};
  a.insert(a.end(), ids.begin(), ids.end());
  return a;
}

class SshImportIdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.sys.AddFile("/usr/bin/ssh-import-id", "#!/bin/sh\n", 0755);
    h.sys.AddFile("/etc/passwd",
                  "root:x:0:0:root:/root:/bin/bash\n"
                  "debian:x:1000:1000::/home/debian:/bin/bash\n"
                  "carol:x:1001:1001::/home/carol:/bin/bash\n");
  }
  ModuleHarness h{modules::ssh_import_id::kSpec};
};

constexpr char kUsers[] =
    "system_info:\n  default_user: {name: debian}\n"
    "users:\n  - default\n  - {name: carol, ssh_import_id: 'gh:carol,lp:carol,gh:carol'}\n"
    "  - {name: dave}\n";

TEST_F(SshImportIdTest, EachUserWithIds) {
  h.sys.runner().Expect(Import("carol", {"gh:carol", "lp:carol"}));
  h.sys.runner().Expect(Import("debian", {"gh:alice", "lp:bob"}));
  Status s = h.RunYaml(std::string(kUsers) + "ssh_import_id: [gh:alice, lp:bob, gh:alice]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.runner().argvs(),
              ElementsAre(Import("carol", {"gh:carol", "lp:carol"}),
                          Import("debian", {"gh:alice", "lp:bob"})));
  EXPECT_TRUE(h.sys.runner().calls()[0].to_output_log);
}

TEST_F(SshImportIdTest, NoToolIsOneWarning) {
  ASSERT_TRUE(h.sys.Remove("/usr/bin/ssh-import-id").ok());
  ASSERT_TRUE(h.RunYaml(std::string(kUsers) + "ssh_import_id: [gh:alice]\n").ok());
  EXPECT_THAT(h.sys.runner().calls(), IsEmpty());
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning,
                              "ssh-import-id is not installed, but module ssh_import_id is "
                              "configured. Skipping module."));
}

TEST_F(SshImportIdTest, NoKeyAnywhereSkips) {
  ASSERT_TRUE(h.RunYaml("users: [default]\n").ok());
  EXPECT_THAT(h.sys.runner().calls(), IsEmpty());
}

TEST_F(SshImportIdTest, FailuresAreLoggedThenFailTheModule) {
  CommandResult fail;
  fail.exit_code = 1;
  h.sys.runner().Expect(Import("carol", {"gh:carol"}), fail);
  h.sys.runner().Expect(Import("debian", {"gh:alice"}));
  Status s = h.RunYaml(
      "system_info:\n  default_user: {name: debian}\n"
      "users:\n  - default\n  - {name: carol, ssh_import_id: [gh:carol]}\n"
      "  - {name: erin, ssh_import_id: [gh:erin]}\nssh_import_id: gh:alice\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "Failed to run command to import carol SSH ids: exit code 1");
  EXPECT_THAT(h.sys.runner().argvs(),
              ElementsAre(Import("carol", {"gh:carol"}), Import("debian", {"gh:alice"})));
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "ssh-import-id failed for: carol ['gh:carol']"));
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning,
                              "ssh-import-id failed for: erin ['gh:erin']: getpwnam(): name not found: 'erin'"));
}

}  // namespace
}  // namespace nubo
