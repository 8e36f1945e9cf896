#include "nubo/runparts.h"

#include <gtest/gtest.h>

#include "support/test_system.h"

namespace nubo {
namespace {

TEST(RunPartsShellifyTest, StringsVerbatimListsQuoted) {
  Value cmds = Value::array({"echo a > /b", Value::array({"printf", "%s\n", "it's"}), nullptr,
                             Value::array({"x", 5, false})});
  auto text = Shellify(cmds, "runcmd");
  ASSERT_TRUE(text.ok()) << text.error().ToString();
  EXPECT_EQ(*text, "#!/bin/sh\necho a > /b\n'printf' '%s\n' 'it'\\''s'\n'x' '5' 'False'\n");
}

TEST(RunPartsShellifyTest, Errors) {
  auto not_list = Shellify(Value(7), "bootcmd");
  ASSERT_FALSE(not_list.ok());
  EXPECT_EQ(not_list.error().ToString(),
            "bootcmd: Input to shellify was type 'int'. Expected list or tuple.");
  auto bad_item = Shellify(Value::array({"ls", 1.5}), "bootcmd");
  ASSERT_FALSE(bad_item.ok());
  EXPECT_EQ(bad_item.error().ToString(),
            "bootcmd[1]: Unable to shellify type 'float'. Expected list, string, tuple.");
}

class RunPartsTest : public ::testing::Test {
 protected:
  nubo::testing::TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "final/scripts_user"};
};

TEST_F(RunPartsTest, RunsExecutableFilesInNameOrder) {
  const std::string dir = "/var/lib/cloud/scripts/per-boot";
  sys_.AddFile(dir + "/20-b", "#!/bin/sh\n", 0755);
  sys_.AddFile(dir + "/10-a", "#!/bin/sh\n", 0700);
  sys_.AddFile(dir + "/30-not-executable", "#!/bin/sh\n", 0644);
  sys_.AddDir(dir + "/40-dir", 0755);
  sys_.AddFile("/opt/real", "#!/bin/sh\n", 0755);
  ASSERT_TRUE(sys_.Symlink("/opt/real", dir + "/50-link").ok());
  ASSERT_TRUE(sys_.Symlink("/nowhere", dir + "/60-dangling").ok());
  sys_.runner().ExpectPrefix({});
  Status s = RunParts(sys_, log_, dir);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.runner().argvs(), (std::vector<std::vector<std::string>>{
                                       {dir + "/10-a"}, {dir + "/20-b"}, {dir + "/50-link"}}));
  for (const auto& call : sys_.runner().calls()) EXPECT_TRUE(call.to_output_log);
}

TEST_F(RunPartsTest, CountsFailuresAndRunsTheRest) {
  const std::string dir = "/var/lib/cloud/instances/iid-1/scripts";
  sys_.AddFile(dir + "/a", "", 0755);
  sys_.AddFile(dir + "/b", "", 0755);
  sys_.AddFile(dir + "/c", "", 0755);
  sys_.AddFile(dir + "/runcmd", "", 0700);
  sys_.runner().Expect({dir + "/a"}, CommandResult{.exit_code = 3});
  sys_.runner().Expect({dir + "/b"});
  sys_.runner().Expect({dir + "/c"}, CommandResult{.exit_code = 126});
  sys_.runner().Expect({dir + "/runcmd"});
  Status s = RunParts(sys_, log_, dir);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "Runparts: 2 failures (a,c) in 4 attempted commands");
  EXPECT_EQ(sys_.runner().calls().size(), 4u);
}

TEST_F(RunPartsTest, MissingDirectoryRunsNothing) {
  Status s = RunParts(sys_, log_, "/var/lib/cloud/scripts/per-once");
  EXPECT_TRUE(s.ok());
  EXPECT_TRUE(sys_.runner().calls().empty());
}

}  // namespace
}  // namespace nubo
