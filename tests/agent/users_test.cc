// agent/users.cc: normalizing users/groups with the default user, the
// authorized_keys line parser, AuthorizedKeysFile rendering, sshd_config
// updates. Cases follow cloud-init 22.4.2's ug_util and ssh_util behaviour.

#include "nubo/users.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_system.h"

namespace nubo::users {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nubo::testing::TestSystem;

Value Yaml(const std::string& text) {
  auto v = ParseYaml(text, "test");
  EXPECT_TRUE(v.ok()) << v.error().ToString();
  return v.ok() ? *v : Value::object();
}

std::vector<std::string> Names(const UsersGroups& ug) {
  std::vector<std::string> out;
  for (const auto& u : ug.users) out.push_back(u.name);
  return out;
}

TEST(NormalizeUsersGroups, DefaultUserMergedLast) {
  auto ug = NormalizeUsersGroups(Yaml(R"(system_info:
  default_user:
    name: debian
    lock_passwd: true
    groups: [sudo, adm]
    shell: /bin/bash
users:
  - default
  - name: debian
    groups: [video]
    shell: /bin/zsh
  - alice
)"));
  ASSERT_TRUE(ug.ok()) << ug.error().ToString();
  EXPECT_THAT(Names(*ug), ElementsAre("alice", "debian"));
  ASSERT_TRUE(ug->default_user);
  EXPECT_EQ(*ug->default_user, "debian");
  const Value& d = ug->users[1].config;
  EXPECT_TRUE(ug->users[1].is_default);
  EXPECT_EQ(d["groups"], "adm,sudo,video");
  // system_info.default_user wins over the entry of the same name.
  EXPECT_EQ(d["shell"], "/bin/bash");
  EXPECT_EQ(d["lock_passwd"], true);
}

TEST(NormalizeUsersGroups, NoDefaultUserConfigured) {
  auto ug = NormalizeUsersGroups(Yaml("users: [default, bob]\n"));
  ASSERT_TRUE(ug.ok());
  EXPECT_THAT(Names(*ug), ElementsAre("bob"));
  EXPECT_FALSE(ug->default_user);
  ASSERT_EQ(ug->warnings.size(), 1u);
  EXPECT_THAT(ug->warnings[0], HasSubstr("system_info.default_user is not set"));
  // No `users` key at all: nobody, no warning.
  auto none = NormalizeUsersGroups(Yaml("system_info: {default_user: {name: debian}}\n"));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->users.empty());
  EXPECT_FALSE(none->default_user);
}

TEST(NormalizeUsersGroups, LegacyUserKeyRenamesTheDefaultUser) {
  auto ug = NormalizeUsersGroups(Yaml(R"(system_info: {default_user: {name: debian, gecos: Debian}}
user: {name: admin, ssh_authorized_keys: [k1]}
)"));
  ASSERT_TRUE(ug.ok());
  EXPECT_THAT(Names(*ug), ElementsAre("admin"));
  EXPECT_EQ(ug->users[0].config["gecos"], "Debian");
  EXPECT_EQ(ug->users[0].config["ssh_authorized_keys"], Value::array({"k1"}));
}

TEST(NormalizeUsersGroups, StringAndDictForms) {
  auto ug = NormalizeUsersGroups(Yaml(R"(system_info: {default_user: {name: debian}}
users: "default, dave"
groups:
  - devs: [dave]
  - ops
  - "qa"
)"));
  ASSERT_TRUE(ug.ok()) << ug.error().ToString();
  EXPECT_THAT(Names(*ug), ElementsAre("dave", "debian"));
  ASSERT_EQ(ug->groups.size(), 3u);
  EXPECT_EQ(ug->groups[0].first, "devs");
  EXPECT_THAT(ug->groups[0].second, ElementsAre("dave"));
  auto dict = NormalizeUsersGroups(Yaml("users: {carl: true, dora: false, eve: {shell: /bin/sh}}\n"
                                        "groups: {admins: [carl, eve], empty: }\n"));
  ASSERT_TRUE(dict.ok()) << dict.error().ToString();
  EXPECT_THAT(Names(*dict), ElementsAre("carl", "eve"));
  EXPECT_EQ(dict->users[1].config["shell"], "/bin/sh");
  ASSERT_EQ(dict->groups.size(), 2u);
  EXPECT_THAT(dict->groups[0].second, ElementsAre("carl", "eve"));
  // Dashes in keys become underscores.
  auto dashes = NormalizeUsersGroups(Yaml("users: [{name: x, lock-passwd: false}]\n"));
  ASSERT_TRUE(dashes.ok());
  EXPECT_EQ(dashes->users[0].config["lock_passwd"], false);
}

TEST(NormalizeUsersGroups, Errors) {
  auto bad = NormalizeUsersGroups(Yaml("users: [{name: 7}]\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().ToString(), "users[0].name: expected str, got int");
  auto g = NormalizeUsersGroups(Yaml("groups: 5\n"));
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().ToString(),
            "groups: Group config must be list, dict or string type only but found int");
}

TEST(Distro, Table) {
  EXPECT_EQ(DistroFor(Yaml("{}")).name, "debian");
  EXPECT_EQ(DistroFor(Yaml("system_info: {distro: ubuntu}")).admin_group, "sudo");
  EXPECT_EQ(DistroFor(Yaml("system_info: {distro: rocky}")).admin_group, "wheel");
  EXPECT_EQ(SshServiceName(Yaml("system_info: {distro: centos}")), "sshd");
  EXPECT_EQ(SshServiceName(Yaml("system_info: {distro: debian}")), "ssh");
  EXPECT_EQ(SshServiceName(Yaml("system_info: {distro: rhel, ssh_svcname: foo}")), "foo");
}

TEST(AuthKeyLine, Parses) {
  auto plain = ParseAuthKeyLine("ssh-rsa AAAAB3 me@host with spaces");
  EXPECT_TRUE(plain.valid());
  EXPECT_EQ(plain.keytype, "ssh-rsa");
  EXPECT_EQ(plain.comment, "me@host with spaces");
  auto opts = ParseAuthKeyLine(
      "no-pty,command=\"echo \\\"hi there\\\"\" ssh-ed25519 AAAAC3 c");
  EXPECT_TRUE(opts.valid());
  EXPECT_EQ(opts.options, "no-pty,command=\"echo \\\"hi there\\\"\"");
  EXPECT_EQ(opts.base64, "AAAAC3");
  auto replaced = ParseAuthKeyLine("no-pty ssh-ed25519 AAAAC3 c", std::string("restrict"));
  EXPECT_EQ(replaced.ToString(), "restrict ssh-ed25519 AAAAC3 c");
  auto comment = ParseAuthKeyLine("# ssh-rsa AAAA");
  EXPECT_FALSE(comment.valid());
  EXPECT_EQ(comment.ToString(), "# ssh-rsa AAAA");
  auto junk = ParseAuthKeyLine("not a key");
  EXPECT_FALSE(junk.valid());
  EXPECT_EQ(junk.ToString(), "not a key");
}

TEST(AuthorizedKeysFile, RendersMacros) {
  EXPECT_THAT(RenderAuthorizedKeysPaths("", "/home/a", "a"),
              ElementsAre("/home/a/.ssh/authorized_keys"));
  EXPECT_THAT(RenderAuthorizedKeysPaths(".ssh/k %h/x/%u /etc/ssh/keys/%u %%h", "/home/a", "a"),
              ElementsAre("/home/a/.ssh/k", "/home/a/x/a", "/etc/ssh/keys/a",
                          // As ssh_util: %h is replaced before %%.
                          "/home/a/%/home/a"));
}

TEST(SshdConfig, FirstValueWinsAndEqualsForm) {
  TestSystem sys;
  sys.AddFile("/etc/ssh/sshd_config",
              "# c\nAuthorizedKeysFile=.ssh/one\nAuthorizedKeysFile .ssh/two\nStrictModes no\n");
  auto cfg = ReadSshdConfig(sys);
  ASSERT_EQ(cfg.size(), 2u);
  EXPECT_EQ(cfg[0], (std::pair<std::string, std::string>{"authorizedkeysfile", ".ssh/one"}));
}

TEST(SshdConfig, UpdateKeepsLinesAndAppends) {
  TestSystem sys;
  sys.AddFile("/etc/ssh/sshd_config", "# top\nPasswordAuthentication yes\nUsePAM yes\n");
  std::string written;
  auto changed = UpdateSshdConfig(sys, {{"PasswordAuthentication", "no"}, {"HostCertificate", "/c"}},
                                  &written);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(*changed);
  EXPECT_EQ(written, "/etc/ssh/sshd_config");
  EXPECT_EQ(sys.Read("/etc/ssh/sshd_config"),
            "# top\nPasswordAuthentication no\nUsePAM yes\nHostCertificate /c\n");
  auto again = UpdateSshdConfig(sys, {{"passwordauthentication", "no"}});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
}

TEST(SetupUserKeys, RootWithoutPasswdEntryFails) {
  TestSystem sys;
  CapturingSink sink;
  Logger log(&sink, "t");
  sys.AddFile("/etc/passwd", "alice:x:1000:1000::/home/alice:/bin/sh\n");
  Status s = SetupUserKeys(sys, log, {"ssh-rsa AAAA c"}, "root");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "Unable to get SSH info for user 'root'");
}

TEST(SetupUserKeys, KeysOutsideTheHomeUseTheFileNotTheHome) {
  TestSystem sys;
  CapturingSink sink;
  Logger log(&sink, "t");
  sys.AddFile("/etc/passwd", "alice:x:1000:1000::/home/alice:/bin/sh\n");
  sys.AddDir("/home/alice");
  sys.AddFile("/etc/ssh/sshd_config", "AuthorizedKeysFile /etc/ssh/keys/%u\n");
  ASSERT_TRUE(SetupUserKeys(sys, log, {"ssh-rsa AAAA c"}, "alice").ok()) << sink.Dump();
  EXPECT_EQ(sys.Read("/etc/ssh/keys/alice"), "ssh-rsa AAAA c\n");
  EXPECT_EQ(sys.ModeOf("/etc/ssh/keys"), 0755u);
  EXPECT_EQ(sys.ModeOf("/etc/ssh/keys/alice"), 0600u);
  EXPECT_EQ(sys.owners().at("/etc/ssh/keys/alice"), "1000:1000");
}

}  // namespace
}  // namespace nubo::users
