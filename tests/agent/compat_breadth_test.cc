// Issue 14 end to end, in-process on a TestSystem: a '## template: jinja'
// user-data and !!binary bytes through the four stages (bytes surviving
// cloud-config.txt into the final stage), query --format, devel make-mime
// read back by the user-data processor, and an unknown command.

#include <gtest/gtest.h>
#include <unistd.h>

#include "agent/cli.h"
#include "agent/userdata.h"
#include "support/test_system.h"

namespace nubo::agent {
namespace {

using nubo::testing::TestSystem;

const char kCloudCfg[] = R"(datasource_list: [NoCloud, None]
cloud_init_modules: [write-files]
cloud_config_modules: []
cloud_final_modules: [write-files-deferred]
)";

class CompatBreadthTest : public ::testing::Test {
 protected:
  void SetUp() override { sys_.AddFile("/etc/cloud/cloud.cfg", kCloudCfg); }
  void Seed(const std::string& user_data) {
    sys_.AddFile("/var/lib/cloud/seed/nocloud/meta-data", "instance-id: iid-b\nlocal-hostname: vm1\n");
    sys_.AddFile("/var/lib/cloud/seed/nocloud/user-data", user_data);
  }
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "cloud-init");
    CliEnv env;
    env.system = &sys_;
    env.out = &out_;
    env.extra_sink = &log_;
    return RunCommandLine(args, env);
  }
  std::vector<int> Boot() {
    return {Run({"init", "--local"}), Run({"init"}), Run({"modules", "--mode", "config"}),
            Run({"modules", "--mode", "final"})};
  }

  TestSystem sys_;
  std::string out_;
  CapturingSink log_;
};

TEST_F(CompatBreadthTest, JinjaUserDataAndBinaryBytesThroughTheStages) {
  Seed(R"(## template: jinja
#cloud-config
write_files:
  - path: /etc/hostname-from-template
    content: "{{ v1.local_hostname }} {{ ds.meta_data['instance-id'] }}"
  - path: /etc/late.bin
    defer: true
    content: !!binary AAEC/w==
)");
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(sys_.Read("/etc/hostname-from-template"), "vm1 iid-b");
  // Written by the final stage from cloud-config.txt: the same bytes.
  EXPECT_EQ(sys_.Read("/etc/late.bin"), std::string("\x00\x01\x02\xff", 4));

  out_.clear();
  EXPECT_EQ(Run({"query", "--format", "{{ v1.local_hostname|upper }}/{{ nosuch }}"}), 0);
  EXPECT_EQ(out_, "VM1/CI_MISSING_JINJA_VAR/nosuch\n");
}

TEST_F(CompatBreadthTest, InvalidCloudConfigIsOneWarningAtBoot) {
  Seed("#cloud-config\nfinal_message: [1]\nwrite_files: []\n");
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_TRUE(log_.Contains(LogLevel::kWarning,
                            "Invalid cloud-config provided: Please run 'sudo cloud-init schema --system' to see "
                            "the schema errors. (at final_message, write_files)"))
      << log_.Dump();
}

TEST_F(CompatBreadthTest, TheBootsSchemaWarningNamesPathsNotValues) {
  Seed("#cloud-config\nchpasswd:\n  users:\n  - {name: ubuntu, password: [s3cr3t-pw], type: text}\n");
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_TRUE(log_.Contains(LogLevel::kWarning, "schema errors. (at chpasswd.users.0)")) << log_.Dump();
  EXPECT_EQ(log_.Dump().find("s3cr3t-pw"), std::string::npos) << log_.Dump();
}

TEST_F(CompatBreadthTest, TheBootsSchemaWarningNamesEachPathOnce) {
  // "users" is inside "chpasswd.users.0", which sorts first: both are named.
  Seed("#cloud-config\nchpasswd:\n  users:\n  - {name: ubuntu, password: [x], type: text}\nusers: 7\n"
       "runcmd: [7, 8]\n");
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_TRUE(log_.Contains(LogLevel::kWarning, "schema errors. (at chpasswd.users.0, runcmd.0, runcmd.1, users)"))
      << log_.Dump();
}

TEST_F(CompatBreadthTest, ValidCloudConfigGivesNoSchemaWarning) {
  Seed("#cloud-config\nfinal_message: hi\n");
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_FALSE(log_.Contains(LogLevel::kWarning, "Invalid cloud-config provided")) << log_.Dump();
}

TEST_F(CompatBreadthTest, MakeMimeReadsBackAsTheSameParts) {
  sys_.AddFile("/tmp/s.sh", "#!/bin/sh\necho hi\n");
  sys_.AddFile("/tmp/c.yaml", "#cloud-config\nruncmd: [ls]\n");
  ASSERT_EQ(Run({"devel", "make-mime", "-a", "/tmp/s.sh:x-shellscript", "-a", "/tmp/c.yaml:cloud-config"}), 0);
  auto ud = ProcessUserData(out_, "user-data", nullptr);
  ASSERT_TRUE(ud.ok()) << ud.error().ToString();
  ASSERT_EQ(ud->scripts.size(), 1u);
  EXPECT_EQ(ud->scripts[0].filename, "s.sh");
  EXPECT_EQ(ud->scripts[0].content, "#!/bin/sh\necho hi\n");
  EXPECT_EQ(ud->cloud_config["runcmd"][0], "ls");
  EXPECT_TRUE(ud->warnings.empty());
  // A type no handler knows needs --force.
  EXPECT_EQ(Run({"devel", "make-mime", "-a", "/tmp/s.sh:bogus"}), 1);
  EXPECT_EQ(Run({"devel", "make-mime", "-a", "/tmp/s.sh:bogus", "--force"}), 0);
}

TEST_F(CompatBreadthTest, CollectLogsTarsAStagingDirAndRemovesIt) {
  Seed("#cloud-config\nwrite_files: []\n");
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  sys_.runner().Expect({"dmesg"});
  sys_.runner().Expect({"journalctl", "--boot=0", "-o", "short-precise"});
  sys_.runner().ExpectPrefix({"tar", "czf", "/root/logs.tgz", "-C"});
  EXPECT_EQ(Run({"collect-logs", "-t", "/root/logs.tgz"}), 0);
  // tar czf TARBALL -C STAGING cloud-init-logs-DATE
  const auto& argvs = sys_.runner().argvs();
  ASSERT_FALSE(argvs.empty());
  EXPECT_EQ(argvs.back()[0], "tar");
  EXPECT_EQ(argvs.back()[5].rfind("cloud-init-logs-", 0), 0u);
  EXPECT_FALSE(sys_.Has(argvs.back()[4]));  // the staging dir is removed afterwards
  // --include-userdata needs root: refused otherwise.
  if (geteuid() != 0) {
    EXPECT_EQ(Run({"collect-logs", "-u"}), 1);
  }
}

TEST_F(CompatBreadthTest, UnknownCommandIsNotAnUnknownOption) {
  EXPECT_EQ(Run({"frobnicate", "--system"}), 2);
  out_.clear();
  EXPECT_EQ(Run({"features"}), 0);
  EXPECT_EQ(out_, "NETWORK_CONFIG_V1\nNETWORK_CONFIG_V2\n");
}

}  // namespace
}  // namespace nubo::agent
