// agent/ssh_util.cc: the authorized_keys line parser, AuthorizedKeysFile
// rendering, sshd_config updates, as cloud-init 22.4.2's ssh_util.

#include "nubo/ssh_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

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

namespace nubo::ssh_util {
namespace {

// KeygenFingerprint against the real thing: keys made by ssh-keygen, and
// what `ssh-keygen -l -f` prints for each (needs openssh-client).
class KeygenFingerprintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v ssh-keygen >/dev/null 2>&1") != 0) GTEST_SKIP() << "no ssh-keygen";
    dir_ = std::filesystem::temp_directory_path() / ("nubo-fp-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static std::string Slurp(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string Sh(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[512];
    while (p && fgets(buf, sizeof(buf), p)) out += buf;
    if (p) pclose(p);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  std::string Keygen(const std::string& name, const std::string& args) {
    std::string f = (dir_ / name).string();
    EXPECT_EQ(std::system(("ssh-keygen -q -N '' " + args + " -f " + f + " >/dev/null").c_str()), 0);
    return f + ".pub";
  }
  std::filesystem::path dir_;
};

TEST_F(KeygenFingerprintTest, IsWhatSshKeygenPrints) {
  std::vector<std::string> pubs = {
      Keygen("rsa1024", "-t rsa -b 1024"),
      Keygen("rsa3072", "-t rsa"),
      Keygen("rsa1025", "-t rsa -b 1025 -C 'odd bits'"),
      Keygen("ecdsa256", "-t ecdsa -b 256"),
      Keygen("ecdsa384", "-t ecdsa -b 384 -C ''"),
      Keygen("ecdsa521", "-t ecdsa -b 521 -C 'a  b c'"),
      Keygen("ed25519", "-t ed25519 -C root@vm1.example.test"),
      Keygen("dsa", "-t dsa"),
  };
  for (const auto& pub : pubs) {
    if (!std::filesystem::exists(pub)) continue;  // dsa: a newer ssh-keygen has none
    std::string text = Slurp(pub);
    auto fp = KeygenFingerprint(text);
    ASSERT_TRUE(fp) << text;
    EXPECT_EQ(*fp, Sh("ssh-keygen -l -f " + pub)) << text;
    // A comment line before it, and no newline at the end: the same line.
    std::string other = "# host key\n" + text.substr(0, text.size() - 1);
    std::ofstream((pub + ".2")) << other;
    EXPECT_EQ(KeygenFingerprint(other), Sh("ssh-keygen -l -f " + pub + ".2")) << other;
  }
}

TEST(KeygenFingerprint, LeavesToSshKeygenWhatItWouldPrintOtherwise) {
  const std::string ed = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
  ASSERT_TRUE(KeygenFingerprint(ed + " c\n"));
  EXPECT_FALSE(KeygenFingerprint(""));
  EXPECT_FALSE(KeygenFingerprint(ed + " c\n" + ed + " d\n"));  // two keys, two lines
  EXPECT_FALSE(KeygenFingerprint(ed + " c\r\n"));              // escaped by ssh-keygen
  EXPECT_FALSE(KeygenFingerprint(ed + " caf\xc3\xa9\n"));
  EXPECT_FALSE(KeygenFingerprint("ssh-rsa" + ed.substr(11) + "\n"));  // blob of another type
  EXPECT_FALSE(KeygenFingerprint("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GK\n"));
  EXPECT_FALSE(KeygenFingerprint("sk-ssh-ed25519@openssh.com AAAA x\n"));
}

}  // namespace
}  // namespace nubo::ssh_util
