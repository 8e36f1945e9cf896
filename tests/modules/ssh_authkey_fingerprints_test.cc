// ssh_authkey_fingerprints and keys_to_console: console output as cloud-init
// formats it. The expected table (tests/fixtures/users/fingerprints-sha256.txt)
// was made with Python's hashlib and str.center, as cloud-init computes it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>

#include "modules/modules.h"
#include "support/test_system.h"
#include "support/files.h"

using nubo::testing::ReadSourceFile;

namespace nubo {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using nubo::testing::TestSystem;

constexpr char kKey1[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBgRaCaYPQRaMqueGtMTgyua6C1D3I/cyr2NjFxdZ5i8 key1@example";

class ConsoleModulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sys_.AddFile("/etc/passwd",
                 "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n"
                 "svc:x:999:999::/nonexistent:/usr/sbin/nologin\n");
  }
  Status Run(const ModuleSpec& spec, const std::string& yaml) {
    auto parsed = ParseYaml(yaml, "test");
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
    config_ = parsed.ok() ? *parsed : Value::object();
    paths_.instance_id = "iid-1";
    ModuleContext ctx{.name = std::string(spec.name),
                      .config = config_,
                      .instance = instance_,
                      .sys = sys_,
                      .log = log_,
                      .paths = paths_,
                      .frequency = spec.frequency,
                      .dry_run = false,
                      .console = [this](std::string_view t) { console_ += t; },
                      .version = "test"};
    return spec.run(ctx);
  }

  TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "final/m"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
  std::string console_;
};

TEST_F(ConsoleModulesTest, FingerprintTable) {
  sys_.AddFile("/home/alice/.ssh/authorized_keys",
               std::string(kKey1) + "\n# comment\nno-pty ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7\n",
               0600);
  Status s = Run(modules::ssh_authkey_fingerprints::kSpec,
                 "users: [alice, {name: svc, system: true}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(console_, ReadSourceFile("tests/fixtures/users/fingerprints-sha256.txt"));
  for (const auto& l : sink_.lines()) EXPECT_THAT(l.message, Not(HasSubstr("AAAA")));
}

TEST_F(ConsoleModulesTest, FingerprintHashesAndNoKeys) {
  sys_.AddFile("/home/alice/.ssh/authorized_keys", std::string(kKey1) + "\n", 0600);
  ASSERT_TRUE(Run(modules::ssh_authkey_fingerprints::kSpec, "users: [alice]\nauthkey_hash: md5\n").ok());
  EXPECT_THAT(console_, HasSubstr("| 48:9d:84:f6:2a:61:2f:fc:36:b7:82:d4:d6:9b:75:96 |"));
  EXPECT_THAT(console_, HasSubstr("Fingerprint (md5)"));
  console_.clear();
  ASSERT_TRUE(Run(modules::ssh_authkey_fingerprints::kSpec, "users: [alice]\nauthkey_hash: sha512\n").ok());
  EXPECT_THAT(console_, HasSubstr("64:c6:aa:a3:66:6d:a3:b5:2f:65:77:c1:1c:fa:b0:c4:12:66:16:c9:22:8e:0b"));
  console_.clear();
  ASSERT_TRUE(Run(modules::ssh_authkey_fingerprints::kSpec, "users: [alice]\nauthkey_hash: whirl\n").ok());
  EXPECT_THAT(console_, HasSubstr("| ssh-ed25519 |          ?          |"));
  console_.clear();
  ASSERT_TRUE(sys_.Remove("/home/alice/.ssh/authorized_keys").ok());
  ASSERT_TRUE(Run(modules::ssh_authkey_fingerprints::kSpec, "users: [alice]\n").ok());
  EXPECT_EQ(console_, "ci-info: no authorized SSH keys fingerprints found for user alice.\n");
  // As 22.4's check_create_path: the missing file is created, empty.
  EXPECT_EQ(sys_.Read("/home/alice/.ssh/authorized_keys"), "");
  EXPECT_EQ(sys_.ModeOf("/home/alice/.ssh/authorized_keys"), 0600u);
  EXPECT_EQ(sys_.owners().at("/home/alice/.ssh/authorized_keys"), "1000:1000");
  console_.clear();
  ASSERT_TRUE(Run(modules::ssh_authkey_fingerprints::kSpec, "users: [alice]\nno_ssh_fingerprints: true\n").ok());
  EXPECT_EQ(console_, "");
}

TEST_F(ConsoleModulesTest, FingerprintsOfAMissingUserFail) {
  Status s = Run(modules::ssh_authkey_fingerprints::kSpec, "users: [hank]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "users.hank: Unable to get SSH info for user 'hank'");
}

TEST_F(ConsoleModulesTest, KeysToConsole) {
  sys_.AddFile("/etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAAed root@vm1\n");
  sys_.AddFile("/etc/ssh/ssh_host_dsa_key.pub", "ssh-dss AAAAdsa root@vm1\n");
  sys_.AddFile("/etc/ssh/ssh_host_rsa_key.pub", "ssh-rsa AAAArsa root@vm1\n");
  sys_.runner().Expect({"ssh-keygen", "-l", "-f", "/etc/ssh/ssh_host_ed25519_key.pub"},
                       {.exit_code = 0, .out = "256 SHA256:ed root@vm1 (ED25519)\n"});
  sys_.runner().Expect({"ssh-keygen", "-l", "-f", "/etc/ssh/ssh_host_dsa_key.pub"},
                       {.exit_code = 0, .out = "1024 SHA256:dsa root@vm1 (DSA)\n"});
  Status s = Run(modules::keys_to_console::kSpec, "ssh_fp_console_blacklist: [ssh-rsa]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  // TestSystem's Now() in local time, as logger(1) prints it.
  std::time_t t = 1700000000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%b %e %H:%M:%S", &tm);
  std::string stamp = std::string("<14>") + buf + " cloud-init: ";
  EXPECT_EQ(console_, stamp + "#############################################################\n" +
                          stamp + "-----BEGIN SSH HOST KEY FINGERPRINTS-----\n" + stamp +
                          "1024 SHA256:dsa root@vm1 (DSA)\n" + stamp +
                          "256 SHA256:ed root@vm1 (ED25519)\n" + stamp +
                          "-----END SSH HOST KEY FINGERPRINTS-----\n" + stamp +
                          "#############################################################\n"
                          "-----BEGIN SSH HOST KEY KEYS-----\n"
                          "ssh-ed25519 AAAAed root@vm1\n"
                          "ssh-rsa AAAArsa root@vm1\n"
                          "-----END SSH HOST KEY KEYS-----\n");
  console_.clear();
  ASSERT_TRUE(Run(modules::keys_to_console::kSpec, "ssh: {emit_keys_to_console: false}\n").ok());
  EXPECT_EQ(console_, "");
}

// A key ssh-keygen made: its -l line computed here, no process run (the
// runner would fail an unexpected call).
TEST_F(ConsoleModulesTest, KeysToConsoleComputesTheFingerprintOfARealKey) {
  sys_.AddFile("/etc/ssh/ssh_host_ed25519_key.pub",
               "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl root@vm1\n");
  ASSERT_TRUE(Run(modules::keys_to_console::kSpec, "{}").ok());
  EXPECT_TRUE(sys_.runner().calls().empty());
  EXPECT_NE(console_.find(" cloud-init: 256 SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU root@vm1 (ED25519)\n"),
            std::string::npos)
      << console_;
}

}  // namespace
}  // namespace nubo
