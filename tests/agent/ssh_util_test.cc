// agent/ssh_util.cc: the authorized_keys line parser, AuthorizedKeysFile
// rendering, sshd_config updates, as cloud-init 22.4.2's ssh_util.

#include "nubo/ssh_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_system.h"

namespace nubo::ssh_util {
namespace {

using ::testing::ElementsAre;
using nubo::testing::TestSystem;

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
}  // namespace nubo::ssh_util
