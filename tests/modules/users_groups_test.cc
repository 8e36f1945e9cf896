// users_groups: real useradd/groupadd/usermod/passwd/chpasswd against a
// temporary root when the test runs as root (skipped otherwise), and the
// FakeRunner for the argv-level checks that run anywhere.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "modules/modules.h"
#include "modules/users_support.h"
#include "nubo/distro_users.h"
#include "support/files.h"

using nubo::testing::ReadSourceFile;

namespace nubo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using nubo::testing::ShadowSystem;
using nubo::testing::TestSystem;

constexpr char kKey1[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBgRaCaYPQRaMqueGtMTgyua6C1D3I/cyr2NjFxdZ5i8 key1@example";
constexpr char kKey2[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOsa95OrXjfvijGYRPFAM2C+SKlI3QtXAaODQz53hzNB key2@example";
constexpr char kHash[] =
    "$6$compatsalt$OFdjZoIGn.bwewW2vHnhO6ZczTIzz5scqY8IljazYhYOesD.u8ECp5hTW9ec.4BK3r8eHbP2yWdhpE2/"
    "y6xrM/";

const char kDebianDefaultUser[] = R"(system_info:
  distro: debian
  default_user:
    name: debian
    lock_passwd: True
    gecos: Debian
    groups: [adm, audio, cdrom, dialout, dip, floppy, netdev, plugdev, sudo, video]
    sudo: ["ALL=(ALL) NOPASSWD:ALL"]
    shell: /bin/bash
)";

// The line of /etc/<file> for `name`, or "".
std::string EntryOf(TestSystem& sys, const std::string& file, const std::string& name) {
  std::istringstream in(sys.Read(file));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + ":", 0) == 0) return line;
  }
  return "";
}

class UsersGroupsTest : public ::testing::Test {
 protected:
  Status RunModule(System& sys, const std::string& yaml, const ModuleSpec& spec) {
    auto parsed = ParseYaml(yaml, "test");
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
    config_ = parsed.ok() ? *parsed : Value::object();
    paths_.instance_id = "iid-1";
    ModuleContext ctx{.name = std::string(spec.name),
                      .config = config_,
                      .instance = instance_,
                      .sys = sys,
                      .log = log_,
                      .paths = paths_,
                      .frequency = spec.frequency,
                      .dry_run = dry_run_,
                      .console = [this](std::string_view t) { console_ += t; },
                      .version = "test"};
    return spec.run(ctx);
  }
  Status Run(System& sys, const std::string& yaml) {
    return RunModule(sys, yaml, modules::users_groups::kSpec);
  }
  // No password, hash or key material anywhere in the log.
  void ExpectNoSecretsLogged(const std::vector<std::string>& secrets) {
    for (const auto& l : sink_.lines()) {
      for (const auto& s : secrets) {
        EXPECT_THAT(l.message, Not(HasSubstr(s))) << "secret in log line: " << l.message;
      }
    }
  }

  CapturingSink sink_;
  Logger log_{&sink_, "init/users_groups"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
  std::string console_;
  bool dry_run_ = false;
};

TEST_F(UsersGroupsTest, Spec) {
  EXPECT_EQ(modules::users_groups::kSpec.stage, Stage::kInit);
  EXPECT_EQ(modules::users_groups::kSpec.frequency, Frequency::kPerInstance);
  EXPECT_EQ(FindModule("users-groups"), &modules::users_groups::kSpec);
}

TEST_F(UsersGroupsTest, DebianDefaultUserAndAliceWithRealTools) {
  if (!ShadowSystem::CanRun()) GTEST_SKIP() << ShadowSystem::kSkipReason;
  ShadowSystem sys;
  std::string yaml = std::string(kDebianDefaultUser) + R"(users:
  - default
  - name: alice
    gecos: Alice Example
    groups: [adm, users]
    sudo: ALL=(ALL) NOPASSWD:ALL
    lock_passwd: false
    hashed_passwd: ')" + kHash + R"('
    ssh_authorized_keys:
      - )" + kKey1 + R"(
      - )" + kKey2 + "\n";
  Status s = Run(sys, yaml);
  ASSERT_TRUE(s.ok()) << s.error().ToString() << "\n" << sink_.Dump();

  // passwd: alice first, then the default user (cloud-init's order).
  EXPECT_THAT(EntryOf(sys, "/etc/passwd", "alice"), HasSubstr(":Alice Example:/home/alice:"));
  EXPECT_THAT(EntryOf(sys, "/etc/passwd", "debian"), HasSubstr(":Debian:/home/debian:/bin/bash"));
  // Missing groups were created (dialout, floppy, netdev, video).
  for (const char* g : {"dialout", "floppy", "netdev", "video"}) {
    EXPECT_THAT(EntryOf(sys, "/etc/group", g), HasSubstr("debian")) << g;
  }
  EXPECT_THAT(EntryOf(sys, "/etc/group", "sudo"), HasSubstr("debian"));
  EXPECT_THAT(EntryOf(sys, "/etc/group", "adm"), HasSubstr("alice"));
  EXPECT_THAT(EntryOf(sys, "/etc/group", "users"), HasSubstr("alice"));
  // shadow: alice has the hash and is not locked; debian is locked.
  EXPECT_EQ(EntryOf(sys, "/etc/shadow", "alice").substr(0, 6 + std::string(kHash).size()),
            std::string("alice:") + kHash);
  EXPECT_THAT(EntryOf(sys, "/etc/shadow", "debian"), HasSubstr("debian:!"));
  // sudoers.
  std::string sudoers = sys.Read(distro::kSudoersFile);
  EXPECT_THAT(sudoers, HasSubstr("\n# User rules for alice\nalice ALL=(ALL) NOPASSWD:ALL\n"));
  EXPECT_THAT(sudoers, HasSubstr("\n# User rules for debian\ndebian ALL=(ALL) NOPASSWD:ALL\n"));
  EXPECT_EQ(sudoers.rfind("# Created by ", 0), 0u);
  EXPECT_EQ(sys.ModeOf(distro::kSudoersFile), 0440u);
  EXPECT_EQ(sys.ModeOf("/etc/sudoers.d"), 0750u);
  EXPECT_THAT(sys.Read("/etc/sudoers"), HasSubstr("#includedir /etc/sudoers.d\n"));
  // authorized_keys.
  EXPECT_EQ(sys.Read("/home/alice/.ssh/authorized_keys"),
            std::string(kKey1) + "\n" + kKey2 + "\n");
  EXPECT_EQ(sys.ModeOf("/home/alice/.ssh"), 0700u);
  EXPECT_EQ(sys.ModeOf("/home/alice/.ssh/authorized_keys"), 0600u);
  auto pw = distro::FindUser(sys, "alice");
  ASSERT_TRUE(pw);
  std::string ids = std::to_string(pw->uid) + ":" + std::to_string(pw->gid);
  EXPECT_EQ(sys.owners().at("/home/alice/.ssh/authorized_keys"), ids);
  EXPECT_EQ(sys.owners().at("/home/alice/.ssh"), ids);

  // useradd argv as cloud-init builds it; the hash went to chpasswd -e on stdin.
  const auto& calls = sys.real_calls();
  bool saw_useradd = false, saw_chpasswd = false;
  for (size_t i = 0; i < calls.size(); ++i) {
    const auto& argv = calls[i];
    for (const auto& a : argv) EXPECT_THAT(a, Not(HasSubstr("$6$"))) << "hash in argv";
    if (argv[0] == "useradd" && argv[3] == "alice") {
      saw_useradd = true;
      EXPECT_THAT(argv, ElementsAre("useradd", "--root", sys.root(), "alice", "--comment",
                                    "Alice Example", "--groups", "adm,users", "-m"));
    }
    if (argv[0] == "chpasswd") {
      saw_chpasswd = true;
      EXPECT_THAT(argv, ElementsAre("chpasswd", "--root", sys.root(), "-e"));
      EXPECT_EQ(sys.real_commands()[i].stdin_data, std::string("alice:") + kHash + "\n");
      EXPECT_THAT(sys.real_commands()[i].display, Not(HasSubstr("$6$")));
    }
  }
  EXPECT_TRUE(saw_useradd);
  EXPECT_TRUE(saw_chpasswd);
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "created user 'alice'")) << sink_.Dump();
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "created group 'netdev'"));
  ExpectNoSecretsLogged({"$6$", "AAAAC3Nza"});
}

TEST_F(UsersGroupsTest, RerunAddsNoDuplicateKeysAndKeepsExistingUsers) {
  if (!ShadowSystem::CanRun()) GTEST_SKIP() << ShadowSystem::kSkipReason;
  ShadowSystem sys;
  std::string yaml = std::string("users:\n  - name: bob\n    ssh_authorized_keys: ['") + kKey1 +
                     "', '" + kKey1 + "']\n";
  ASSERT_TRUE(Run(sys, yaml).ok()) << sink_.Dump();
  // A key added by hand meanwhile stays.
  std::string by_hand = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 hand@made\n";
  ASSERT_TRUE(sys.AppendFile("/home/bob/.ssh/authorized_keys", by_hand, {.mode = 0600}).ok());
  Status again = Run(sys, yaml);
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(sys.Read("/home/bob/.ssh/authorized_keys"), std::string(kKey1) + "\n" + by_hand);
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "User 'bob' already exists, skipping creation"));
  int useradds = 0;
  for (const auto& argv : sys.real_calls()) useradds += argv[0] == "useradd";
  EXPECT_EQ(useradds, 1);
}

TEST_F(UsersGroupsTest, SymlinkedSshDirIsRefused) {
  if (!ShadowSystem::CanRun()) GTEST_SKIP() << ShadowSystem::kSkipReason;
  ShadowSystem sys;
  ASSERT_TRUE(Run(sys, "users: [{name: mallory}]\n").ok()) << sink_.Dump();
  // The user plants ~/.ssh -> /etc.
  ASSERT_TRUE(sys.Symlink("/etc", "/home/mallory/.ssh").ok());
  std::string etc_before = sys.Read("/etc/passwd");
  Status s = Run(sys, std::string("users:\n  - name: mallory\n    ssh_authorized_keys: ['") +
                          kKey1 + "']\n");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().ToString(), HasSubstr("symlink"));
  EXPECT_THAT(s.error().ToString(), HasSubstr("users.mallory"));
  EXPECT_FALSE(sys.Has("/etc/authorized_keys"));
  EXPECT_EQ(sys.Read("/etc/passwd"), etc_before);
  EXPECT_EQ(sys.owners().count("/etc"), 0u);
}

TEST_F(UsersGroupsTest, CentosSeedsCreateTheDefaultUser) {
  if (!ShadowSystem::CanRun()) GTEST_SKIP() << ShadowSystem::kSkipReason;
  {
    ShadowSystem sys;
    // centos7-cookbook: system_info.default_user centos, rhel distro.
    Status s = Run(sys, ReadSourceFile("tests/fixtures/seeds-cloudcfg/centos7-cookbook.cfg"));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    EXPECT_THAT(EntryOf(sys, "/etc/passwd", "centos"), HasSubstr(":/home/centos:/bin/bash"));
    EXPECT_THAT(EntryOf(sys, "/etc/shadow", "centos"), HasSubstr("centos:!"));
    EXPECT_THAT(sys.Read(distro::kSudoersFile),
                HasSubstr("# User rules for centos\ncentos ALL=(ALL) NOPASSWD: ALL\n"));
  }
  {
    ShadowSystem sys;
    // centos7-blog: `users: [default]` but no system_info.default_user.
    Status s = Run(sys, ReadSourceFile("tests/fixtures/seeds-cloudcfg/centos7-blog.cfg"));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    EXPECT_TRUE(sink_.Contains(LogLevel::kWarning,
                               "'default' is listed but system_info.default_user is not set"))
        << sink_.Dump();
    EXPECT_TRUE(sys.real_calls().empty());
    EXPECT_FALSE(sys.Has(distro::kSudoersFile));
  }
}

TEST_F(UsersGroupsTest, GroupsWithMembers) {
  if (!ShadowSystem::CanRun()) GTEST_SKIP() << ShadowSystem::kSkipReason;
  ShadowSystem sys;
  ASSERT_TRUE(Run(sys, "users: [dave]\n").ok());
  Status s = Run(sys, "groups:\n  - devs: [dave, ghost]\n  - ops\n  - adm\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(EntryOf(sys, "/etc/group", "devs"), HasSubstr(":dave"));
  EXPECT_NE(EntryOf(sys, "/etc/group", "ops"), "");
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "Skipping creation of existing group 'adm'"));
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning,
                             "Unable to add group member 'ghost' to group 'devs'"));
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "added user 'dave' to group 'devs'"));
}

// Anywhere (no root): a user that exists is updated through the fake runner.
TEST_F(UsersGroupsTest, ExistingUserIsUpdatedNotFailed) {
  TestSystem sys;
  sys.AddFile("/etc/passwd", "root:x:0:0::/root:/bin/sh\nerin:x:1001:1001::/home/erin:/bin/sh\n");
  sys.AddFile("/etc/group", "root:x:0:\nerin:x:1001:\n");
  sys.AddDir("/home/erin");
  std::string root = sys.root();
  sys.runner().Expect({"chpasswd", "--root", root, "-c", "SHA512"});
  sys.runner().Expect({"passwd", "--root", root, "-l", "erin"});
  Status s = Run(sys, std::string("users:\n  - name: erin\n    plain_text_passwd: hunter2\n"
                                  "    passwd: '") +
                          kHash + "'\n    sudo: [ALL=(ALL) ALL]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  auto calls = sys.runner().calls();
  ASSERT_EQ(calls.size(), 2u);  // `passwd` only applies to new users, as useradd's --password
  EXPECT_EQ(calls[0].stdin_data, "erin:hunter2\n");
  EXPECT_THAT(calls[0].display, Not(HasSubstr("hunter2")));
  for (const auto& c : calls) {
    for (const auto& a : c.argv) EXPECT_THAT(a, Not(HasSubstr("hunter2")));
  }
  EXPECT_THAT(sys.Read(distro::kSudoersFile), HasSubstr("erin ALL=(ALL) ALL\n"));
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "User 'erin' already exists"));
  ExpectNoSecretsLogged({"hunter2", "$6$"});
}

TEST_F(UsersGroupsTest, SudoersIncludeAddedWhenMissing) {
  TestSystem sys;
  sys.AddFile("/etc/passwd", "root:x:0:0::/root:/bin/sh\nfay:x:1002:1002::/home/fay:/bin/sh\n");
  sys.AddFile("/etc/sudoers", "root ALL=(ALL) ALL\n", 0440);
  sys.AddDir("/etc/sudoers.d", 0755);
  sys.runner().ExpectPrefix({"passwd"});
  ASSERT_TRUE(Run(sys, "users: [{name: fay, sudo: 'ALL=(ALL) ALL'}]\n").ok()) << sink_.Dump();
  std::string base = sys.Read("/etc/sudoers");
  EXPECT_EQ(base.rfind("root ALL=(ALL) ALL\n\n# Added by ", 0), 0u) << base;
  EXPECT_THAT(base, HasSubstr("\n#includedir /etc/sudoers.d\n"));
  EXPECT_EQ(sys.ModeOf("/etc/sudoers.d"), 0750u);
  // Debian's own "@includedir" counts: not added twice.
  TestSystem deb;
  deb.AddFile("/etc/passwd", "root:x:0:0::/root:/bin/sh\nfay:x:1002:1002::/home/fay:/bin/sh\n");
  deb.AddFile("/etc/sudoers", "@includedir /etc/sudoers.d\n", 0440);
  deb.runner().ExpectPrefix({"passwd"});
  ASSERT_TRUE(Run(deb, "users: [{name: fay, sudo: 'ALL=(ALL) ALL'}]\n").ok());
  EXPECT_EQ(deb.Read("/etc/sudoers"), "@includedir /etc/sudoers.d\n");
}

TEST_F(UsersGroupsTest, VisudoRejectsBadRulesBeforeInstall) {
  TestSystem sys;
  sys.AddFile("/etc/passwd", "root:x:0:0::/root:/bin/sh\ngus:x:1003:1003::/home/gus:/bin/sh\n");
  sys.AddFile("/etc/sudoers", "@includedir /etc/sudoers.d\n", 0440);
  sys.AddFile("/usr/sbin/visudo", "", 0755);
  sys.runner().ExpectPrefix({"passwd"});
  sys.runner().Expect({"visudo", "-cf", "/etc/sudoers.d/.90-cloud-init-users.nubo-check"},
                      {.exit_code = 1, .out = "syntax error near line 3\n"});
  Status s = Run(sys, "users: [{name: gus, sudo: 'ALL=(ALL'}]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().ToString(), HasSubstr("rejected by visudo"));
  EXPECT_FALSE(sys.Has(distro::kSudoersFile));
  EXPECT_FALSE(sys.Has("/etc/sudoers.d/.90-cloud-init-users.nubo-check"));
}

TEST_F(UsersGroupsTest, DryRunSkipsKeysOfUsersNotCreated) {
  // --dry-run records useradd without running it: no home, so no keys, no error.
  TestSystem sys;
  sys.AddFile("/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
  sys.runner().ExpectPrefix({"useradd"});
  sys.runner().ExpectPrefix({"passwd"});
  dry_run_ = true;
  Status s = Run(sys, std::string("users: [{name: ivy, ssh_authorized_keys: ['") + kKey1 + "']}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "dry run: user 'ivy' was not created"));
  Status f = RunModule(sys, "users: [ivy]\n", modules::ssh_authkey_fingerprints::kSpec);
  EXPECT_TRUE(f.ok()) << f.error().ToString();
}

struct BadCase {
  const char* yaml;
  const char* error;
};

class UsersGroupsBadConfigTest : public UsersGroupsTest,
                                 public ::testing::WithParamInterface<BadCase> {};

TEST_P(UsersGroupsBadConfigTest, Message) {
  TestSystem sys;
  sys.AddFile("/etc/passwd", "root:x:0:0::/root:/bin/sh\nu:x:1000:1000::/home/u:/bin/sh\n");
  Status s = Run(sys, GetParam().yaml);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Table, UsersGroupsBadConfigTest,
    ::testing::Values(
        BadCase{"users: [{name: u, groups: [adm, 7]}]\n",
                "users.u.groups[1]: expected list of strings, got 7 (int)"},
        BadCase{"users: [u, 7]\n",
                "users[1]: User config must be dictionary/list or string types only and not int"},
        BadCase{"groups: [{devs: 3}]\n", "groups[0].devs: Bad group member type int"},
        BadCase{"users: [{name: u, system: true, ssh_authorized_keys: [k]}]\n",
                "users.u: Not creating user u. Key(s) ssh_authorized_keys cannot be provided "
                "with system"},
        BadCase{"users: [{name: u, ssh_redirect_user: other}]\n",
                "users.u.ssh_redirect_user: Not creating user u. Invalid value of "
                "ssh_redirect_user: other. Expected values: true, default or false."}));

}  // namespace
}  // namespace nubo
