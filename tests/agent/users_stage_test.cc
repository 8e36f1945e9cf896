// Stage test for users_groups, ssh, set_passwords, ssh_authkey_fingerprints
// and keys_to_console: a NoCloud seed with public-keys in meta-data and
// user-data creating two users, run through the four stages in-process (as
// tests/agent/stages_test.cc does). useradd & co. run for real against the
// temporary root when the test runs as root (ShadowSystem); otherwise the
// test is skipped, saying why. ssh-keygen and systemctl go to the FakeRunner.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "agent/cli.h"
#include "modules/users_support.h"
#include "nubo/distro_users.h"

namespace nubo::agent {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nubo::testing::ShadowSystem;

constexpr char kKeyMeta[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBgRaCaYPQRaMqueGtMTgyua6C1D3I/cyr2NjFxdZ5i8 meta@example";
constexpr char kKeyAlice[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOsa95OrXjfvijGYRPFAM2C+SKlI3QtXAaODQz53hzNB alice@example";
constexpr char kHash[] =
    "$6$compatsalt$OFdjZoIGn.bwewW2vHnhO6ZczTIzz5scqY8IljazYhYOesD.u8ECp5hTW9ec.4BK3r8eHbP2yWdhpE2/"
    "y6xrM/";

const char kCloudCfg[] = R"(datasource_list: [NoCloud, None]
users: [default]
disable_root: true
system_info:
  distro: debian
  default_user:
    name: debian
    lock_passwd: True
    gecos: Debian
    groups: [adm, sudo]
    sudo: ["ALL=(ALL) NOPASSWD:ALL"]
    shell: /bin/bash
  ssh_svcname: ssh
cloud_init_modules: [migrator, write-files, users-groups, ssh]
cloud_config_modules: [set-passwords, runcmd]
cloud_final_modules: [scripts-user, ssh-authkey-fingerprints, keys-to-console, final-message]
)";

std::string UserData() {
  return std::string(R"(#cloud-config
users:
  - default
  - name: alice
    gecos: Alice
    groups: [users, devs]
    sudo: ALL=(ALL) ALL
    lock_passwd: false
    hashed_passwd: ')") +
         kHash + R"('
    ssh_authorized_keys: [')" + kKeyAlice + R"(']
  - name: bob
    shell: /bin/sh
    plain_text_passwd: hunter2-bob
chpasswd:
  expire: false
  users:
    - {name: bob, type: RANDOM}
ssh_pwauth: false
)";
}

class UsersStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!ShadowSystem::CanRun()) GTEST_SKIP() << ShadowSystem::kSkipReason;
    sys_.AddFile("/etc/cloud/cloud.cfg", kCloudCfg);
    sys_.AddFile("/etc/sudoers", "@includedir /etc/sudoers.d\n", 0440);
    sys_.AddFile("/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nUsePAM yes\n");
    sys_.AddFile("/etc/ssh/ssh_host_rsa_key", "old", 0600);
    Seed("iid-one");
    sys_.runner().ExpectPrefix({"ssh-keygen"});
  }
  void Seed(const std::string& iid) {
    sys_.AddFile("/var/lib/cloud/seed/nocloud/meta-data",
                 "instance-id: " + iid + "\nlocal-hostname: vm1\npublic-keys:\n  - " + kKeyMeta +
                     "\n");
    sys_.AddFile("/var/lib/cloud/seed/nocloud/user-data", UserData());
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
  std::string EntryOf(const std::string& file, const std::string& name) {
    std::istringstream in(sys_.Read(file));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(name + ":", 0) == 0) return line;
    }
    return "";
  }
  // ssh-keygen runs into /etc/ssh. (init-local also starts them into
  // /run/cloud-init/ssh-hostkeys; the FakeRunner writes no key there, so the
  // ssh module runs them again into /etc/ssh: modules/ssh_test covers that.)
  int Keygens() {
    int n = 0;
    for (const auto& argv : sys_.runner().argvs()) {
      n += argv[0] == "ssh-keygen" && argv[1] == "-t" && argv.back().starts_with("/etc/ssh/");
    }
    return n;
  }

  ShadowSystem sys_;
  std::string out_;
  CapturingSink log_;
};

TEST_F(UsersStageTest, TwoUsersAndTheDefaultUser) {
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();

  // passwd / group.
  EXPECT_THAT(EntryOf("/etc/passwd", "alice"), HasSubstr(":Alice:/home/alice:"));
  EXPECT_THAT(EntryOf("/etc/passwd", "bob"), HasSubstr(":/home/bob:/bin/sh"));
  EXPECT_THAT(EntryOf("/etc/passwd", "debian"), HasSubstr(":Debian:/home/debian:/bin/bash"));
  EXPECT_THAT(EntryOf("/etc/group", "devs"), HasSubstr("alice"));
  EXPECT_THAT(EntryOf("/etc/group", "sudo"), HasSubstr("debian"));
  // shadow: alice's hash, unlocked; bob: locked by users_groups, then given
  // a random password by set_passwords (chpasswd replaces the field); debian
  // locked.
  EXPECT_EQ(EntryOf("/etc/shadow", "alice").rfind(std::string("alice:") + kHash + ":", 0), 0u);
  EXPECT_THAT(EntryOf("/etc/shadow", "bob"), HasSubstr("bob:$"));
  EXPECT_THAT(EntryOf("/etc/shadow", "debian"), HasSubstr("debian:!"));
  // sudoers.
  std::string sudoers = sys_.Read(distro::kSudoersFile);
  EXPECT_THAT(sudoers, HasSubstr("# User rules for alice\nalice ALL=(ALL) ALL\n"));
  EXPECT_THAT(sudoers, HasSubstr("# User rules for debian\ndebian ALL=(ALL) NOPASSWD:ALL\n"));
  EXPECT_EQ(sys_.ModeOf(distro::kSudoersFile), 0440u);
  // authorized_keys: the datasource's key for the default user and (wrapped) root.
  EXPECT_EQ(sys_.Read("/home/debian/.ssh/authorized_keys"), std::string(kKeyMeta) + "\n");
  EXPECT_EQ(sys_.Read("/home/alice/.ssh/authorized_keys"), std::string(kKeyAlice) + "\n");
  EXPECT_EQ(sys_.ModeOf("/home/alice/.ssh"), 0700u);
  EXPECT_THAT(sys_.Read("/root/.ssh/authorized_keys"),
              HasSubstr("Please login as the user \\\"debian\\\" rather than the user "
                        "\\\"root\\\".';echo;sleep 10;exit 142\" " +
                        std::string(kKeyMeta)));
  // ssh_pwauth, as a drop-in.
  EXPECT_EQ(sys_.Read("/etc/ssh/sshd_config.d/50-cloud-init.conf"), "PasswordAuthentication no\n");
  // Host keys deleted and regenerated (rsa, ecdsa, ed25519).
  EXPECT_FALSE(sys_.Has("/etc/ssh/ssh_host_rsa_key"));
  EXPECT_EQ(Keygens(), 3);
  // Fingerprints on the console (cloud-init-output.log).
  std::string output = sys_.Read("/var/log/cloud-init-output.log");
  EXPECT_THAT(output, HasSubstr("Authorized keys from /home/alice/.ssh/authorized_keys for user alice"));
  EXPECT_THAT(output, HasSubstr("Set the following 'random' passwords\nbob:"));

  // No password, hash or key material in the log: neither the capturing sink
  // over the whole run nor cloud-init.log.
  std::string random = output.substr(output.find("\nbob:") + 5, 20);
  std::string log_file = sys_.Read("/var/log/cloud-init.log");
  for (const std::string& secret : {std::string("hunter2-bob"), std::string("$6$compatsalt"),
                                    std::string("AAAAC3NzaC1lZDI1NTE5"), random}) {
    for (const auto& l : log_.lines()) {
      EXPECT_THAT(l.message, Not(HasSubstr(secret))) << l.message;
    }
    EXPECT_THAT(log_file, Not(HasSubstr(secret)));
  }
}

TEST_F(UsersStageTest, RebootKeepsHostKeysNewInstanceRegenerates) {
  ASSERT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(Keygens(), 3);
  ASSERT_TRUE(sys_.RemoveTree("/run").ok());
  sys_.AddFile("/etc/ssh/ssh_host_ed25519_key", "generated", 0600);
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(Keygens(), 3) << "a reboot does not regenerate host keys";
  EXPECT_TRUE(sys_.Has("/etc/ssh/ssh_host_ed25519_key"));
  // A new instance-id: keys deleted and generated again; users exist already.
  ASSERT_TRUE(sys_.RemoveTree("/run").ok());
  Seed("iid-two");
  EXPECT_EQ(Boot(), (std::vector<int>{0, 0, 0, 0})) << log_.Dump();
  EXPECT_EQ(Keygens(), 6);
  EXPECT_FALSE(sys_.Has("/etc/ssh/ssh_host_ed25519_key"));
  EXPECT_TRUE(log_.Contains(LogLevel::kInfo, "User 'alice' already exists, skipping creation"));
  // Keys were not duplicated by the second run.
  EXPECT_EQ(sys_.Read("/home/alice/.ssh/authorized_keys"), std::string(kKeyAlice) + "\n");
  EXPECT_EQ(sys_.Read("/home/debian/.ssh/authorized_keys"), std::string(kKeyMeta) + "\n");
}

}  // namespace
}  // namespace nubo::agent
