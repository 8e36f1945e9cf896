// set_passwords: chpasswd (users, list forms, RANDOM), password, expire and
// ssh_pwauth, through the FakeRunner; secrets only on stdin and the console.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "modules/modules.h"
#include "support/test_system.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using nubo::testing::TestSystem;

constexpr char kHash[] = "$6$saltsalt$hashhashhash";

class SetPasswordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = sys_.root();
    sys_.AddFile("/etc/passwd", "root:x:0:0::/root:/bin/sh\ndebian:x:1000:1000::/home/debian:/bin/sh\n");
  }
  Status Run(const std::string& yaml) {
    auto parsed = ParseYaml(yaml, "test");
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
    config_ = parsed.ok() ? *parsed : Value::object();
    paths_.instance_id = "iid-1";
    ModuleContext ctx{.name = "set_passwords",
                      .config = config_,
                      .instance = instance_,
                      .sys = sys_,
                      .log = log_,
                      .paths = paths_,
                      .frequency = Frequency::kPerInstance,
                      .dry_run = false,
                      .console = [this](std::string_view t) { console_ += t; },
                      .version = "test"};
    return modules::set_passwords::kSpec.run(ctx);
  }
  void ExpectNoSecretsLogged(const std::vector<std::string>& secrets) {
    for (const auto& l : sink_.lines()) {
      for (const auto& s : secrets) EXPECT_THAT(l.message, Not(HasSubstr(s))) << l.message;
    }
    for (const auto& c : sys_.runner().calls()) {
      for (const auto& s : secrets) {
        EXPECT_THAT(c.display, Not(HasSubstr(s)));
        for (const auto& a : c.argv) EXPECT_THAT(a, Not(HasSubstr(s)));
      }
    }
  }

  TestSystem sys_;
  std::string root_;
  CapturingSink sink_;
  Logger log_{&sink_, "config/set_passwords"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
  std::string console_;
};

TEST_F(SetPasswordsTest, Spec) {
  EXPECT_EQ(modules::set_passwords::kSpec.stage, Stage::kConfig);
  EXPECT_EQ(FindModule("set-passwords"), &modules::set_passwords::kSpec);
}

TEST_F(SetPasswordsTest, UsersListWithTypesAndExpire) {
  sys_.runner().Expect({"chpasswd", "--root", root_, "-c", "SHA512"});
  sys_.runner().Expect({"chpasswd", "--root", root_, "-e"});
  sys_.runner().ExpectPrefix({"passwd", "--root", root_, "--expire"});
  Status s = Run(std::string(R"(chpasswd:
  users:
    - {name: alice, password: 'pl@in', type: text}
    - {name: bob, password: ')") + kHash + R"('}
    - {name: carol, type: RANDOM}
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  const auto& calls = sys_.runner().calls();
  ASSERT_EQ(calls.size(), 5u);
  // text (alice, then carol's random one), then hashes.
  std::smatch m;
  std::regex text_re("alice:pl@in\ncarol:([A-Za-z0-9]{20})\n");
  ASSERT_TRUE(std::regex_match(calls[0].stdin_data, m, text_re)) << calls[0].stdin_data;
  std::string random = m[1];
  EXPECT_EQ(calls[1].stdin_data, std::string("bob:") + kHash + "\n");
  EXPECT_THAT(calls[2].argv, ElementsAre("passwd", "--root", root_, "--expire", "alice"));
  EXPECT_THAT(calls[3].argv, ElementsAre("passwd", "--root", root_, "--expire", "carol"));
  EXPECT_THAT(calls[4].argv, ElementsAre("passwd", "--root", root_, "--expire", "bob"));
  // RANDOM: printed to the console only.
  EXPECT_EQ(console_, "Set the following 'random' passwords\ncarol:" + random + "\n");
  EXPECT_TRUE(std::regex_search(random, std::regex("[a-z]")));
  EXPECT_TRUE(std::regex_search(random, std::regex("[A-Z]")));
  EXPECT_TRUE(std::regex_search(random, std::regex("[0-9]")));
  EXPECT_EQ(random.find_first_of("loLOI01"), std::string::npos);
  ExpectNoSecretsLogged({"pl@in", kHash, random});
}

TEST_F(SetPasswordsTest, LegacyListForms) {
  sys_.runner().Expect({"chpasswd", "--root", root_, "-c", "SHA512"});
  sys_.runner().Expect({"chpasswd", "--root", root_, "-e"});
  Status s = Run(std::string("chpasswd:\n  expire: false\n  list: |\n    u1:pw-one\n    u2:") + kHash +
                 "\n    u3:R\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  const auto& calls = sys_.runner().calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_THAT(calls[0].stdin_data, HasSubstr("u1:pw-one\nu3:"));
  EXPECT_EQ(calls[1].stdin_data, std::string("u2:") + kHash + "\n");
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "chpasswd multiline string format is deprecated"));
  EXPECT_THAT(console_, HasSubstr("u3:"));
  // The list form.
  sys_.runner().calls();
  ASSERT_TRUE(Run("chpasswd: {expire: false, list: ['u4:pw-four']}\n").ok());
  EXPECT_EQ(sys_.runner().calls().back().stdin_data, "u4:pw-four\n");
  ExpectNoSecretsLogged({"pw-one", "pw-four", kHash});
}

TEST_F(SetPasswordsTest, PasswordForTheDefaultUser) {
  sys_.runner().Expect({"chpasswd", "--root", root_, "-c", "SHA512"});
  sys_.runner().Expect({"passwd", "--root", root_, "--expire", "debian"});
  ASSERT_TRUE(Run("system_info: {default_user: {name: debian}}\nusers: [default]\n"
                  "password: s3cret\n")
                  .ok());
  EXPECT_EQ(sys_.runner().calls()[0].stdin_data, "debian:s3cret\n");
  ExpectNoSecretsLogged({"s3cret"});
  // No default user: a warning.
  TestSystem other;
  config_ = Value::object();
  ASSERT_TRUE(Run("password: s3cret\n").ok());
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "No default or defined user to change password"));
}

TEST_F(SetPasswordsTest, SshPwauthDropInWithoutSystemd) {
  sys_.AddFile("/etc/ssh/sshd_config",
               "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\n");
  ASSERT_TRUE(Run("ssh_pwauth: false\n").ok()) << sink_.Dump();
  EXPECT_EQ(sys_.Read("/etc/ssh/sshd_config.d/50-cloud-init.conf"), "PasswordAuthentication no\n");
  EXPECT_EQ(sys_.ModeOf("/etc/ssh/sshd_config.d/50-cloud-init.conf"), 0600u);
  EXPECT_EQ(sys_.Read("/etc/ssh/sshd_config"),
            "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\n");
  EXPECT_TRUE(sys_.runner().calls().empty()) << "no systemd: no reload";
}

TEST_F(SetPasswordsTest, SshPwauthInSshdConfigReloadsOnlyOnChange) {
  sys_.AddFile("/etc/ssh/sshd_config", "# hi\npasswordauthentication no\nUsePAM yes\n");
  sys_.AddDir("/run/systemd/system");
  sys_.runner().Expect({"systemctl", "status", "ssh"});
  sys_.runner().Expect({"systemctl", "reload", "ssh"});
  ASSERT_TRUE(Run("ssh_pwauth: true\n").ok()) << sink_.Dump();
  EXPECT_EQ(sys_.Read("/etc/ssh/sshd_config"), "# hi\npasswordauthentication yes\nUsePAM yes\n");
  EXPECT_EQ(sys_.runner().calls().size(), 2u);
  // Same value again: no reload.
  ASSERT_TRUE(Run("ssh_pwauth: yes\n").ok());
  EXPECT_EQ(sys_.runner().calls().size(), 3u);
  EXPECT_EQ(sys_.runner().calls().back().argv[1], "status");
  // unchanged: nothing at all.
  ASSERT_TRUE(Run("ssh_pwauth: unchanged\n").ok());
  EXPECT_EQ(sys_.runner().calls().size(), 3u);
}

TEST_F(SetPasswordsTest, SshPwauthStoppedServiceIsWrittenNotReloaded) {
  sys_.AddFile("/etc/ssh/sshd_config", "");
  sys_.AddDir("/run/systemd/system");
  sys_.runner().Expect({"systemctl", "status", "sshd"}, {.exit_code = 3});
  ASSERT_TRUE(Run("system_info: {distro: rhel}\nssh_pwauth: 1\n").ok());
  EXPECT_EQ(sys_.Read("/etc/ssh/sshd_config"), "PasswordAuthentication yes\n");
  EXPECT_EQ(sys_.runner().calls().size(), 1u);
}

TEST_F(SetPasswordsTest, CentosSeedSetsPasswordAuthentication) {
  // centos7-blog: ssh_pwauth: 1 (an int); centos7-cookbook: 0.
  sys_.AddFile("/etc/ssh/sshd_config", "PasswordAuthentication no\n");
  ASSERT_TRUE(Run("ssh_pwauth:   1\n").ok());
  EXPECT_EQ(sys_.Read("/etc/ssh/sshd_config"), "PasswordAuthentication yes\n");
  ASSERT_TRUE(Run("ssh_pwauth:   0\n").ok());
  EXPECT_EQ(sys_.Read("/etc/ssh/sshd_config"), "PasswordAuthentication no\n");
}

}  // namespace
}  // namespace nubo
