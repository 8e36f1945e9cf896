// Stage tests: the four stages run in-process, as the units run them, on a
// NoCloud seed in a temporary target root; then a reboot (same instance)
// and a new instance-id.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/cli.h"
#include "nubo/value.h"
#include "agent/system/http.h"
#include "support/http_server.h"
#include "support/test_system.h"
#include "support/files.h"

using nubo::testing::ReadSourceFile;

namespace nubo::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nubo::testing::TestSystem;
using nubo::Value;

const char kCloudCfg[] = R"(datasource_list: [NoCloud, None]
cloud_init_modules: [migrator, bootcmd, write-files, users-groups, ssh]
cloud_config_modules: [runcmd, byobu, puppet]
cloud_final_modules: [write-files-deferred, scripts-per-once, scripts-per-boot,
                      scripts-per-instance, scripts-user, final-message, scripts_usr]
)";

const char kUserData[] = R"(#cloud-config
bootcmd:
  - echo boot
write_files:
  - path: /etc/motd
    content: hello
    permissions: 0600
runcmd:
  - [echo, "it's run"]
  - echo two
)";

class StagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sys_.AddFile("/etc/cloud/cloud.cfg", kCloudCfg);
    // As Debian's cloud images have it: the locale module has nothing to do.
    sys_.AddFile("/etc/default/locale", "LANG=C.UTF-8\n");
    Seed("iid-one", kUserData);
    sys_.runner().ExpectPrefix({"/bin/sh"});
    sys_.runner().ExpectPrefix({"ssh-keygen"});  // the ssh module's host keys
    for (const char* iid : {"iid-one", "iid-two", "iid-v"}) {
      sys_.runner().Expect({std::string("/var/lib/cloud/instances/") + iid + "/scripts/runcmd"});
    }
  }
  void Seed(const std::string& iid, const std::string& user_data) {
    sys_.AddFile("/var/lib/cloud/seed/nocloud/meta-data",
                 "instance-id: " + iid + "\nlocal-hostname: vm1\n");
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
  // Runs the four stages; returns their exit codes.
  std::vector<int> Boot() {
    std::vector<int> rcs;
    rcs.push_back(Run({"init", "--local"}));
    rcs.push_back(Run({"init"}));
    rcs.push_back(Run({"modules", "--mode", "config"}));
    rcs.push_back(Run({"modules", "--mode", "final"}));
    return rcs;
  }
  int CountCalls(const std::string& argv0) {
    int n = 0;
    for (const auto& argv : sys_.runner().argvs()) n += argv[0] == argv0 ? 1 : 0;
    return n;
  }
  int CountLog(LogLevel level, const std::string& needle) {
    int n = 0;
    for (const auto& l : log_.lines()) n += (l.level == level && l.message.find(needle) != std::string::npos);
    return n;
  }

  TestSystem sys_;
  std::string out_;
  CapturingSink log_;
};

// init --local starts the ssh module's host keys (ModuleSpec::prepare) under
// the config init will see, user-data included; a reboot of the instance
// starts nothing. (The FakeRunner writes no key files, so init's ssh module
// finds no staged key to take and runs ssh-keygen itself: modules/ssh_test
// covers the taking.)
TEST_F(StagesTest, HostKeysStartInInitLocalOnANewInstanceOnly) {
  auto count_keygen = [&](const std::string& dir) {
    int n = 0;
    for (const auto& argv : sys_.runner().argvs()) {
      n += argv[0] == "ssh-keygen" && argv[1] == "-t" && argv.back().starts_with(dir);
    }
    return n;
  };
  Seed("iid-one", std::string(kUserData) + "ssh_genkeytypes: [ecdsa, ed25519]\n");
  ASSERT_EQ(Run({"init", "--local"}), 0) << log_.Dump();
  EXPECT_EQ(count_keygen("/run/cloud-init/ssh-hostkeys/"), 2);
  EXPECT_EQ(count_keygen("/etc/ssh/"), 0);
  EXPECT_EQ(sys_.ModeOf("/run/cloud-init/ssh-hostkeys"), 0700u);
  ASSERT_EQ(Run({"init"}), 0) << log_.Dump();
  EXPECT_EQ(count_keygen("/etc/ssh/"), 2);
  EXPECT_FALSE(sys_.Has("/run/cloud-init/ssh-hostkeys"));
  // A reboot of the same instance: the ssh module has run, nothing starts.
  ASSERT_EQ(Run({"init", "--local"}), 0) << log_.Dump();
  EXPECT_EQ(count_keygen("/run/cloud-init/ssh-hostkeys/"), 2);
  // An #include init-local cannot fetch: nothing predicted, nothing started.
  Seed("iid-two", "#include\nhttp://127.0.0.1:1/nothing\n");
  ASSERT_EQ(Run({"init", "--local"}), 0) << log_.Dump();
  EXPECT_EQ(count_keygen("/run/cloud-init/ssh-hostkeys/"), 2);
}

TEST_F(StagesTest, FourStagesApplyUserData) {
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();

  EXPECT_EQ(sys_.Read("/etc/motd"), "hello");
  EXPECT_EQ(sys_.ModeOf("/etc/motd"), 0600u);
  EXPECT_EQ(sys_.Read("/var/lib/cloud/instances/iid-one/scripts/runcmd"),
            "#!/bin/sh\n'echo' 'it'\\''s run'\necho two\n");
  EXPECT_EQ(*sys_.ReadLink("/var/lib/cloud/instance"), "/var/lib/cloud/instances/iid-one");
  EXPECT_EQ(sys_.Read("/var/lib/cloud/data/instance-id"), "iid-one\n");
  EXPECT_EQ(sys_.Read("/var/lib/cloud/data/previous-instance-id"), "NO_PREVIOUS_INSTANCE_ID\n");
  EXPECT_EQ(sys_.Read("/var/lib/cloud/instances/iid-one/datasource"),
            "DataSourceNoCloud: DataSourceNoCloud [seed=/var/lib/cloud/seed/nocloud][dsmode=net]\n");
  Value instance_data = Value::parse(sys_.Read("/run/cloud-init/instance-data.json"));
  EXPECT_EQ(instance_data["v1"]["cloud_name"], "unknown");
  EXPECT_EQ(instance_data["v1"]["cloud_id"], "nocloud");
  EXPECT_EQ(instance_data["v1"]["instance_id"], "iid-one");
  EXPECT_EQ(sys_.ModeOf("/var/lib/cloud/instances/iid-one/user-data.txt"), 0600u);
  EXPECT_EQ(sys_.Read("/var/lib/cloud/instances/iid-one/user-data.txt"), kUserData);
  EXPECT_EQ(sys_.ModeOf("/var/lib/cloud/instances/iid-one/user-data.txt.i"), 0600u);
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/instances/iid-one/boot-finished"));
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/instances/iid-one/sem/config_write_files"));
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/instances/iid-one/sem/config_runcmd"));
  EXPECT_FALSE(sys_.Has("/var/lib/cloud/instances/iid-one/sem/config_bootcmd"));  // always

  // bootcmd, then the runcmd script by scripts_user.
  EXPECT_EQ(CountCalls("/bin/sh"), 1);
  EXPECT_EQ(CountCalls("/var/lib/cloud/instances/iid-one/scripts/runcmd"), 1);

  // status.json: v1 layout, every stage started and finished, no errors.
  Value status = Value::parse(sys_.Read("/run/cloud-init/status.json"));
  const Value& v1 = status["v1"];
  EXPECT_EQ(v1["datasource"], "DataSourceNoCloud [seed=/var/lib/cloud/seed/nocloud][dsmode=net]");
  EXPECT_TRUE(v1["stage"].is_null());
  for (const char* m : {"init-local", "init", "modules-config", "modules-final"}) {
    EXPECT_TRUE(v1[m]["errors"].empty()) << m;
    EXPECT_TRUE(v1[m]["finished"].is_number()) << m;
  }
  EXPECT_TRUE(v1["modules-init"]["start"].is_null());
  Value result = Value::parse(sys_.Read("/run/cloud-init/result.json"));
  EXPECT_EQ(result, (Value{{"v1", {{"datasource", v1["datasource"]}, {"errors", Value::array()}}}}));

  // Modules nubo lacks: one line each; info unless the config asks for them.
  EXPECT_EQ(CountLog(LogLevel::kInfo, "module 'byobu' is not implemented by nubo, skipping"), 1);
  EXPECT_EQ(CountLog(LogLevel::kInfo, "module 'puppet' is not implemented by nubo, skipping"), 1);
  EXPECT_EQ(CountLog(LogLevel::kWarning, "could not find module named 'scripts_usr' (did you mean 'scripts_user'?), skipping"), 1);

  // cloud-init status.
  out_.clear();
  EXPECT_EQ(Run({"status"}), 0);
  EXPECT_EQ(out_, "status: done\n");
}

TEST_F(StagesTest, RebootDoesNotRepeatPerInstanceWork) {
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0}));
  ASSERT_TRUE(sys_.Remove("/etc/motd").ok());
  // A reboot: /run is empty again.
  ASSERT_TRUE(sys_.RemoveTree("/run").ok());
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_FALSE(sys_.Has("/etc/motd"));  // write_files is per instance
  EXPECT_EQ(CountCalls("/bin/sh"), 2);   // bootcmd runs every boot
  EXPECT_EQ(CountCalls("/var/lib/cloud/instances/iid-one/scripts/runcmd"), 1);
  EXPECT_EQ(sys_.Read("/var/lib/cloud/data/previous-instance-id"), "iid-one\n");
}

TEST_F(StagesTest, NewInstanceIdRepeatsPerInstanceWork) {
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0}));
  ASSERT_TRUE(sys_.Remove("/etc/motd").ok());
  ASSERT_TRUE(sys_.RemoveTree("/run").ok());
  Seed("iid-two", kUserData);
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(sys_.Read("/etc/motd"), "hello");
  EXPECT_EQ(*sys_.ReadLink("/var/lib/cloud/instance"), "/var/lib/cloud/instances/iid-two");
  EXPECT_EQ(sys_.Read("/var/lib/cloud/data/previous-instance-id"), "iid-one\n");
  EXPECT_EQ(CountCalls("/var/lib/cloud/instances/iid-two/scripts/runcmd"), 1);
}

TEST_F(StagesTest, BrokenUserDataStillBoots) {
  Seed("iid-one", "#cloud-config\nruncmd:\n  - ls\n bad: [\n");
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  bool found = false;
  for (const auto& l : log_.lines()) {
    if (l.level == LogLevel::kWarning && l.message.find("user-data") != std::string::npos &&
        l.message.find("line 4, column") != std::string::npos) {
      found = true;
    }
  }
  EXPECT_TRUE(found) << log_.Dump();
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/instances/iid-one/boot-finished"));
  EXPECT_FALSE(sys_.Has("/var/lib/cloud/instances/iid-one/scripts/runcmd"));
}

TEST_F(StagesTest, FailingModuleIsRecordedAndTheStageGoesOn) {
  Seed("iid-one",
       "#cloud-config\nwrite_files:\n  - {path: /etc/x, owner: 'nosuchuser:root'}\nruncmd: [echo ok]\n");
  std::vector<int> rcs = Boot();
  EXPECT_EQ(rcs[0], 0);
  EXPECT_EQ(rcs[1], 1) << log_.Dump();
  EXPECT_EQ(rcs[2], 0);
  Value status = Value::parse(sys_.Read("/var/lib/cloud/data/status.json"));
  ASSERT_EQ(status["v1"]["init"]["errors"].size(), 1u);
  EXPECT_THAT(status["v1"]["init"]["errors"][0].get<std::string>(),
              HasSubstr("('write_files', RuntimeError("));
  EXPECT_THAT(status["v1"]["init"]["errors"][0].get<std::string>(), HasSubstr("write_files[0]"));
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/instances/iid-one/scripts/runcmd"));
  Value result = Value::parse(sys_.Read("/var/lib/cloud/data/result.json"));
  EXPECT_EQ(result["v1"]["errors"].size(), 1u);
  out_.clear();
  EXPECT_EQ(Run({"status", "--long"}), 1);
  EXPECT_THAT(out_, HasSubstr("status: error\n"));
}

TEST_F(StagesTest, SingleRunsOneModuleWithFrequency) {
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0}));
  ASSERT_TRUE(sys_.Remove("/etc/motd").ok());
  EXPECT_EQ(Run({"single", "--name", "write_files"}), 0);
  EXPECT_FALSE(sys_.Has("/etc/motd"));  // per instance, already ran
  EXPECT_EQ(Run({"single", "--name", "write-files", "--frequency", "always"}), 0);
  EXPECT_EQ(sys_.Read("/etc/motd"), "hello");
  EXPECT_EQ(Run({"single", "--name", "wirte_files"}), 1);
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "did you mean 'write_files'?")) << log_.Dump();
}

TEST_F(StagesTest, QueryAndClean) {
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0}));
  out_.clear();
  EXPECT_EQ(Run({"query", "v1.local_hostname"}), 0);
  EXPECT_EQ(out_, "vm1\n");
  out_.clear();
  EXPECT_EQ(Run({"query", "instance_id"}), 0);
  EXPECT_EQ(out_, "iid-one\n");
  EXPECT_EQ(sys_.ModeOf("/run/cloud-init/instance-data-sensitive.json"), 0600u);
  EXPECT_THAT(sys_.Read("/run/cloud-init/instance-data.json"), Not(HasSubstr("runcmd")));

  EXPECT_EQ(Run({"clean", "--logs"}), 0);
  EXPECT_FALSE(sys_.Has("/var/lib/cloud/instances"));
  EXPECT_FALSE(sys_.Has("/var/lib/cloud/instance"));
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/seed/nocloud/meta-data"));
  EXPECT_FALSE(sys_.Has("/var/log/cloud-init.log"));
  EXPECT_EQ(Run({"clean", "--seed"}), 0);
  EXPECT_FALSE(sys_.Has("/var/lib/cloud/seed"));
}

TEST_F(StagesTest, CleanConfigsRemovesGeneratedNetworkAndSshFiles) {
  const char* net[] = {"/etc/netplan/50-cloud-init.yaml",
                       "/etc/NetworkManager/conf.d/99-cloud-init.conf",
                       "/etc/NetworkManager/system-connections/cloud-init-eth0.nmconnection",
                       "/etc/systemd/network/10-cloud-init-eth0.network",
                       "/etc/network/interfaces.d/50-cloud-init.cfg"};
  const char* kept[] = {"/etc/systemd/network/50-dhcp.network",
                        "/etc/NetworkManager/system-connections/office.nmconnection",
                        "/etc/ssh/sshd_config.d/10-site.conf"};
  auto fill = [&] {
    for (const char* f : net) sys_.AddFile(f, "x");
    for (const char* f : kept) sys_.AddFile(f, "x");
    sys_.AddFile("/etc/ssh/sshd_config.d/50-cloud-init.conf", "PasswordAuthentication no\n");
  };
  fill();
  EXPECT_EQ(Run({"clean", "--configs", "network"}), 0);
  for (const char* f : net) EXPECT_FALSE(sys_.Has(f)) << f;
  EXPECT_TRUE(sys_.Has("/etc/ssh/sshd_config.d/50-cloud-init.conf"));
  EXPECT_EQ(Run({"clean", "--configs", "ssh_config"}), 0);
  EXPECT_FALSE(sys_.Has("/etc/ssh/sshd_config.d/50-cloud-init.conf"));
  fill();
  EXPECT_EQ(Run({"clean", "--logs", "-c", "ssh_config", "network", "--seed"}), 0);
  for (const char* f : net) EXPECT_FALSE(sys_.Has(f)) << f;
  EXPECT_FALSE(sys_.Has("/etc/ssh/sshd_config.d/50-cloud-init.conf"));
  EXPECT_FALSE(sys_.Has("/var/lib/cloud/seed"));
  fill();
  EXPECT_EQ(Run({"clean", "--configs", "all"}), 0);
  for (const char* f : net) EXPECT_FALSE(sys_.Has(f)) << f;
  for (const char* f : kept) EXPECT_TRUE(sys_.Has(f)) << f;
  EXPECT_EQ(Run({"clean", "--configs", "sshd"}), 2);
  EXPECT_EQ(Run({"clean", "--configs"}), 2);
}

// What the field guides tell image builders: run "cloud-init init --local"
// in the image, then "rm -rf /var/lib/cloud". The next boot, on a cloud
// with its own seed, must provision as a first boot.
TEST_F(StagesTest, InitLocalThenRmRfVarLibCloudProvisionsOnNextBoot) {
  ASSERT_TRUE(sys_.RemoveTree("/var/lib/cloud").ok());  // the build has no seed
  EXPECT_EQ(Run({"init", "--local"}), 0) << log_.Dump();
  ASSERT_TRUE(sys_.RemoveTree("/var/lib/cloud").ok());
  ASSERT_TRUE(sys_.RemoveTree("/run").ok());  // the image is shut down
  Seed("iid-two", kUserData);
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(sys_.Read("/etc/motd"), "hello");
  EXPECT_EQ(*sys_.ReadLink("/var/lib/cloud/instance"), "/var/lib/cloud/instances/iid-two");
  EXPECT_EQ(sys_.Read("/var/lib/cloud/data/previous-instance-id"), "NO_PREVIOUS_INSTANCE_ID\n");
  EXPECT_TRUE(sys_.Has("/var/lib/cloud/instances/iid-two/sem/config_runcmd"));
}

// Found by the e2e second boot: init --local applies meta-data's hostname
// early; on a reboot of the same instance cloud-init's config there already
// holds the stored user-data, so user-data's hostname stays.
TEST_F(StagesTest, RebootKeepsTheUserDataHostname) {
  sys_.AddFile("/etc/cloud/cloud.cfg",
               "datasource_list: [NoCloud, None]\ncloud_init_modules: [set_hostname]\n"
               "cloud_config_modules: []\ncloud_final_modules: []\n");
  Seed("iid-one", "#cloud-config\nhostname: from-user-data\n");
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(sys_.Read("/etc/hostname"), "from-user-data\n");
  ASSERT_TRUE(sys_.RemoveTree("/run").ok());
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(sys_.Read("/etc/hostname"), "from-user-data\n");
}

TEST_F(StagesTest, ConfigPrecedence) {
  // cloud.cfg.d overrides cloud.cfg; vendor-data below user-data.
  sys_.AddFile("/etc/cloud/cloud.cfg.d/50-final.cfg", "final_message: from-confd $VERSION\n");
  sys_.AddFile("/etc/cloud/cloud.cfg.d/10-early.cfg", "final_message: early\n");
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0}));
  EXPECT_THAT(out_, HasSubstr("from-confd "));
  sys_.AddFile("/var/lib/cloud/seed/nocloud/vendor-data", "#cloud-config\nfinal_message: vendor\n");
  Seed("iid-v", "#cloud-config\nfinal_message: user wins\n");
  ASSERT_TRUE(sys_.RemoveTree("/run").ok());
  out_.clear();
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0}));
  EXPECT_THAT(out_, HasSubstr("user wins"));
  EXPECT_THAT(out_, Not(HasSubstr("vendor")));
}

TEST_F(StagesTest, BadConfigFileIsSkippedWithFileLineAndColumn) {
  sys_.AddFile("/etc/cloud/cloud.cfg.d/90-bad.cfg", "a: [\n");
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0}));
  EXPECT_TRUE(log_.Contains(LogLevel::kWarning, "/etc/cloud/cloud.cfg.d/90-bad.cfg: line 2, column 1"))
      << log_.Dump();
}

// Both field cloud.cfg files load and run; modules nubo does not implement
// are skipped with exactly one log line each and no stage error.
class SeedCloudCfgTest : public StagesTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(SeedCloudCfgTest, LoadsAndRuns) {
  sys_.AddFile("/etc/cloud/cloud.cfg",
               ReadSourceFile(std::string("tests/fixtures/seeds-cloudcfg/") + GetParam()));
  // The image has its default user already (creating one is users_groups_test's).
  sys_.AddFile("/etc/passwd",
               "root:x:0:0:root:/root:/bin/bash\ncentos:x:1000:1000::/home/centos:/bin/bash\n");
  sys_.runner().ExpectPrefix({"passwd"});
  // centos7-blog's locale_configfile: /etc/sysconfig/i18n, written by
  // update-locale on a Debian image as cloud-init 22.4 does.
  sys_.runner().ExpectPrefix({"update-locale"});
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  for (const char* name : {"puppet", "chef", "salt-minion", "mcollective", "rightscale_userdata"}) {
    int lines = 0;
    for (const auto& l : log_.lines()) {
      lines += l.message.find("'" + std::string(name) + "' is not implemented by nubo") != std::string::npos;
    }
    EXPECT_EQ(lines, 1) << name;
  }
  for (const auto& l : log_.lines()) EXPECT_NE(l.level, LogLevel::kError) << l.message;
  EXPECT_EQ(sys_.Read("/etc/motd"), "hello");
}

INSTANTIATE_TEST_SUITE_P(Field, SeedCloudCfgTest,
                         ::testing::Values("centos7-blog.cfg", "centos7-cookbook.cfg"));

}  // namespace
}  // namespace nubo::agent

namespace nubo::agent {
namespace {

TEST(CloudInitPerTest, RunsOncePerFrequency) {
  nubo::testing::TestSystem sys;
  sys.runner().Expect({"touch", "/x"}, {.exit_code = 3});
  CliEnv env;
  env.system = &sys;
  EXPECT_EQ(RunCommandLine({"/usr/bin/cloud-init-per", "once", "my-job", "touch", "/x"}, env), 3);
  EXPECT_EQ(sys.Read("/var/lib/cloud/sem/bootper.my_job.once").substr(0, 2), "3\t");
  EXPECT_EQ(RunCommandLine({"cloud-init-per", "once", "my-job", "touch", "/x"}, env), 0);
  EXPECT_EQ(sys.runner().calls().size(), 1u);
  EXPECT_EQ(RunCommandLine({"cloud-init-per", "always", "my-job", "touch", "/x"}, env), 3);
  EXPECT_EQ(RunCommandLine({"cloud-init-per", "always", "my-job", "touch", "/x"}, env), 3);
  EXPECT_EQ(sys.runner().calls().size(), 3u);
  EXPECT_EQ(RunCommandLine({"cloud-init-per", "weekly", "my-job", "touch", "/x"}, env), 1);
  EXPECT_EQ(RunCommandLine({"cloud-init-per", "once", "a/b", "touch", "/x"}, env), 1);
}

}  // namespace
}  // namespace nubo::agent

namespace nubo::agent {
namespace {

TEST(CliTest, ExtraConfigFileWinsOverEverything) {
  nubo::testing::TestSystem sys;
  sys.AddFile("/etc/cloud/cloud.cfg", "cloud_final_modules: [final_message]\nfinal_message: base\n");
  sys.AddFile("/var/lib/cloud/seed/nocloud/meta-data", "instance-id: i-1\n");
  sys.AddFile("/var/lib/cloud/seed/nocloud/user-data", "#cloud-config\nfinal_message: user\n");
  sys.AddFile("/root/extra.cfg", "final_message: from --file\n");
  std::string out;
  CliEnv env;
  env.system = &sys;
  env.out = &out;
  ASSERT_EQ(RunCommandLine({"cloud-init", "init", "--local"}, env), 0);
  ASSERT_EQ(RunCommandLine({"cloud-init", "init"}, env), 0);
  ASSERT_EQ(RunCommandLine({"cloud-init", "--file", "/root/extra.cfg", "modules", "--mode=final"}, env), 0);
  EXPECT_NE(out.find("from --file"), std::string::npos) << out;
}

TEST(CliTest, UsageErrorsExitTwo) {
  nubo::testing::TestSystem sys;
  CliEnv env;
  env.system = &sys;
  std::string out;
  env.out = &out;
  EXPECT_EQ(RunCommandLine({"nubo"}, env), 2);
  EXPECT_EQ(RunCommandLine({"nubo", "frobnicate"}, env), 2);
  EXPECT_EQ(RunCommandLine({"nubo", "modules", "--mode", "sideways"}, env), 2);
  EXPECT_EQ(RunCommandLine({"nubo", "status", "--bogus"}, env), 2);
  EXPECT_EQ(RunCommandLine({"cloud-init", "--version"}, env), 0);
  EXPECT_EQ(out, "cloud-init 22.4.2 (nubo " NUBO_VERSION ")\n");
}

}  // namespace
}  // namespace nubo::agent

namespace nubo::agent {
namespace {

TEST_F(StagesTest, UnprocessableUserDataIsAStageErrorButModulesStillRun) {
  // A failed #include fails user-data processing as in cloud-init 22.4;
  // nubo records it and still runs the init modules (bootcmd here comes
  // from cloud.cfg.d, as SSH keys would come from meta-data).
  sys_.AddFile("/etc/cloud/cloud.cfg.d/10-boot.cfg", "bootcmd: [echo from-cfg]\n");
  Seed("iid-one", "#include\nfile:///nonexistent/part\n");
  std::vector<int> rcs = Boot();
  EXPECT_EQ(rcs[1], 1) << log_.Dump();
  Value status = Value::parse(sys_.Read("/var/lib/cloud/data/status.json"));
  ASSERT_EQ(status["v1"]["init"]["errors"].size(), 1u);
  EXPECT_THAT(status["v1"]["init"]["errors"][0].get<std::string>(), HasSubstr("user-data: "));
  EXPECT_EQ(CountCalls("/bin/sh"), 1);  // bootcmd ran
  EXPECT_EQ(rcs[3], 0);
}

}  // namespace
}  // namespace nubo::agent

namespace nubo::agent {
namespace {

TEST_F(StagesTest, IncludeFetchesOverHttp) {
  nubo::testing::HttpServer server;
  server.Serve("/part", 200, "#cloud-config\nwrite_files:\n  - {path: /etc/from-http, content: fetched}\n");
  Seed("iid-one", "#include\n" + server.Url("/part") + "\n");
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(sys_.Read("/etc/from-http"), "fetched");
  EXPECT_EQ(server.requests(), (std::vector<std::string>{"/part"}));
}

TEST_F(StagesTest, IncludeOfAMissingUrlIsAnErrorWithoutRetries) {
  nubo::testing::HttpServer server;
  Seed("iid-one", "#include\n" + server.Url("/absent") + "\n");
  std::vector<int> rcs = Boot();
  EXPECT_EQ(rcs[1], 1);
  EXPECT_TRUE(log_.Contains(LogLevel::kError, "answered HTTP 404")) << log_.Dump();
  EXPECT_EQ(server.requests().size(), 1u);  // a 404 is final
}

TEST(HttpGetTest, RetriesServerErrorsAndFailsWhenTheServerIsGone) {
  nubo::testing::HttpServer server;
  server.Serve("/boom", 503, "");
  auto r = HttpGet(server.Url("/boom"), {.timeout_seconds = 2, .tries = 3, .retry_delay_ms = 10});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "GET '" + server.Url("/boom") + "' answered HTTP 503");
  EXPECT_EQ(server.requests().size(), 3u);
  std::string gone = server.Url("/x");
  server.Stop();
  auto g = HttpGet(gone, {.timeout_seconds = 2, .tries = 2, .retry_delay_ms = 10});
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("failed"), std::string::npos) << g.error().message;
}

}  // namespace
}  // namespace nubo::agent

namespace nubo::agent {
namespace {

// As cloud-init 22.4: init --local applies meta-data's hostname before
// user-data is read, so user-data's preserve_hostname does not undo it.
TEST_F(StagesTest, HostnameFromMetaDataIsSetInInitLocal) {
  sys_.AddFile("/etc/hostname", "localhost\n");
  Seed("iid-one", "#cloud-config\npreserve_hostname: true\n");
  ASSERT_EQ(Run({"init", "--local"}), 0) << log_.Dump();
  EXPECT_EQ(sys_.Read("/etc/hostname"), "vm1\n");
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(sys_.Read("/etc/hostname"), "vm1\n");
}

TEST_F(StagesTest, SystemConfigPreserveHostnameKeepsIt) {
  sys_.AddFile("/etc/hostname", "keep-me\n");
  sys_.AddFile("/etc/cloud/cloud.cfg.d/99-keep.cfg", "preserve_hostname: true\n");
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(sys_.Read("/etc/hostname"), "keep-me\n");
}

}  // namespace
}  // namespace nubo::agent
