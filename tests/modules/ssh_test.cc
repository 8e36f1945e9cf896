// ssh: host keys through the FakeRunner (ssh-keygen), authorized keys for
// the default user and root in a temporary root with existing users.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "nubo/ssh_util.h"
#include "support/test_system.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using nubo::testing::TestSystem;

constexpr char kKey1[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBgRaCaYPQRaMqueGtMTgyua6C1D3I/cyr2NjFxdZ5i8 key1@example";
constexpr char kKey2[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOsa95OrXjfvijGYRPFAM2C+SKlI3QtXAaODQz53hzNB key2@example";

const char kDefaultUser[] = R"(system_info:
  default_user: {name: debian}
users: [default]
)";

class SshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sys_.AddFile("/etc/passwd",
                 "root:x:0:0:root:/root:/bin/sh\ndebian:x:1000:1000::/home/debian:/bin/bash\n");
    sys_.AddFile("/etc/group", "root:x:0:\ndebian:x:1000:\n");
    sys_.AddDir("/root", 0700);
    sys_.AddDir("/home/debian");
    sys_.set_running_hostname("host");  // the comment ExpectKeygen writes: root@host
  }
  // The module's init half (kSpec.run) and its init-local half
  // (kSpec.prepare), under `yaml` as the merged config.
  Status Run(const std::string& yaml) { return Call(modules::ssh::kSpec.run, yaml); }
  Status Prepare(const std::string& yaml) { return Call(modules::ssh::kSpec.prepare, yaml); }
  Status Call(Status (*fn)(ModuleContext&), const std::string& yaml) {
    auto parsed = ParseYaml(yaml, "test");
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
    config_ = parsed.ok() ? *parsed : Value::object();
    paths_.instance_id = "iid-1";
    ModuleContext ctx{.name = "ssh",
                      .config = config_,
                      .instance = instance_,
                      .sys = sys_,
                      .log = log_,
                      .paths = paths_,
                      .frequency = Frequency::kPerInstance,
                      .dry_run = false,
                      .console = [this](std::string_view t) { console_ += t; },
                      .version = "test"};
    return fn(ctx);
  }
  // ssh-keygen for `type` into `keyfile`, as the FakeRunner runs it: it
  // writes both halves, with ssh-keygen's modes.
  void ExpectKeygen(const std::string& type, const std::string& keyfile, int exit_code = 0) {
    sys_.runner().ExpectWithEffect(
        {"ssh-keygen", "-t", type, "-N", "", "-f", keyfile},
        [this, type, keyfile, exit_code] {
          if (exit_code != 0) return;
          sys_.AddFile(keyfile, "PRIVATE " + type + "\n", 0600);
          sys_.AddFile(keyfile + ".pub", "ssh-" + type + " AAAA" + type + " root@host\n", 0644);
        },
        {.exit_code = exit_code,
         .out = exit_code == 0 ? "Generating public/private " + type + " key pair.\n" : "",
         .err = exit_code == 0 ? "" : "unknown key type " + type + "\n"});
  }
  static std::string Staged(const std::string& type) {
    return "/run/cloud-init/ssh-hostkeys/ssh_host_" + type + "_key";
  }
  // Config that skips host keys, for the authorized-keys tests.
  std::string NoHostKeys(const std::string& more) {
    return "ssh_deletekeys: false\nssh_genkeytypes: []\n" + more;
  }

  TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "init/ssh"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
  std::string console_;
};

TEST_F(SshTest, Spec) {
  EXPECT_EQ(modules::ssh::kSpec.stage, Stage::kInit);
  EXPECT_EQ(modules::ssh::kSpec.frequency, Frequency::kPerInstance);
  EXPECT_EQ(FindModule("ssh"), &modules::ssh::kSpec);
}

TEST_F(SshTest, DeletesAndRegeneratesHostKeys) {
  sys_.AddFile("/etc/ssh/ssh_host_rsa_key", "old", 0600);
  sys_.AddFile("/etc/ssh/ssh_host_rsa_key.pub", "old");
  sys_.AddFile("/etc/ssh/ssh_host_dsa_key-cert.pub", "old");
  sys_.AddFile("/etc/ssh/sshd_config", "PermitRootLogin no\n");
  for (const char* t : {"rsa", "ecdsa", "ed25519"}) {
    sys_.runner().Expect(
        {"ssh-keygen", "-t", t, "-N", "", "-f", std::string("/etc/ssh/ssh_host_") + t + "_key"},
        {.exit_code = 0, .out = std::string("Generating public/private ") + t + " key pair.\n"});
  }
  Status s = Run("{}");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_FALSE(sys_.Has("/etc/ssh/ssh_host_rsa_key"));
  EXPECT_FALSE(sys_.Has("/etc/ssh/ssh_host_dsa_key-cert.pub"));
  EXPECT_TRUE(sys_.Has("/etc/ssh/sshd_config"));
  ASSERT_EQ(sys_.runner().calls().size(), 3u);
  EXPECT_EQ(sys_.runner().calls()[0].env, std::vector<std::string>{"LANG=C"});
  EXPECT_THAT(console_, HasSubstr("Generating public/private ed25519 key pair."));
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "generated host key '/etc/ssh/ssh_host_ecdsa_key'"));
}

// init-local starts ssh-keygen for each type into /run; init's run takes
// the results as its own: the same files, modes and console output, and no
// second ssh-keygen.
TEST_F(SshTest, HostKeysStartedInInitLocalAreInstalledByRun) {
  sys_.AddFile("/etc/ssh/ssh_host_rsa_key", "old", 0600);
  for (const char* t : {"rsa", "ecdsa", "ed25519"}) ExpectKeygen(t, Staged(t));
  ASSERT_TRUE(Prepare("{}").ok());
  ASSERT_EQ(sys_.runner().calls().size(), 3u);
  EXPECT_EQ(sys_.ModeOf("/run/cloud-init/ssh-hostkeys"), 0700u);
  EXPECT_EQ(sys_.Read("/etc/ssh/ssh_host_rsa_key"), "old");  // nothing visible yet
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "generating host keys (rsa, ecdsa, ed25519) in the background"));

  Status s = Run("{}");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.runner().calls().size(), 3u);  // no ssh-keygen in init
  for (std::string t : {"rsa", "ecdsa", "ed25519"}) {
    std::string key = "/etc/ssh/ssh_host_" + t + "_key";
    EXPECT_EQ(sys_.Read(key), "PRIVATE " + t + "\n");
    EXPECT_EQ(sys_.ModeOf(key), 0600u);
    EXPECT_EQ(sys_.Read(key + ".pub"), "ssh-" + t + " AAAA" + t + " root@host\n");
    EXPECT_EQ(sys_.ModeOf(key + ".pub"), 0644u);
    EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "generated host key '" + key + "' (" + t + ")"));
  }
  EXPECT_THAT(console_, HasSubstr("Generating public/private rsa key pair."));
  EXPECT_FALSE(sys_.Has("/run/cloud-init/ssh-hostkeys"));  // private keys leave /run
}

// The hostname changed between init-local and the ssh module (user-data's
// hostname): the key gets root@ the hostname it has now, as if generated now.
TEST_F(SshTest, StagedKeyGetsTheCommentOfTheCurrentHostname) {
  sys_.runner().ExpectWithEffect(
      {"ssh-keygen", "-t", "ed25519", "-N", "", "-f", Staged("ed25519")},
      [this] {
        sys_.AddFile(Staged("ed25519"), "PRIVATE\n", 0600);
        sys_.AddFile(Staged("ed25519") + ".pub", "ssh-ed25519 AAAAx root@localhost\n", 0644);
      },
      {.exit_code = 0, .out = "The key fingerprint is:\nSHA256:abc root@localhost\n"});
  sys_.runner().Expect({"ssh-keygen", "-c", "-C", "root@vm1", "-f", "/etc/ssh/ssh_host_ed25519_key"});
  ASSERT_TRUE(Prepare("ssh_genkeytypes: [ed25519]\n").ok());
  sys_.set_running_hostname("vm1");
  ASSERT_TRUE(Run("ssh_genkeytypes: [ed25519]\n").ok());
  EXPECT_EQ(sys_.runner().calls().size(), 2u);
  EXPECT_EQ(sys_.runner().calls()[1].argv[1], "-c");
  EXPECT_TRUE(sink_.Contains(LogLevel::kDebug, "from root@localhost to root@vm1"));
  EXPECT_THAT(console_, HasSubstr("SHA256:abc root@vm1\n"));
  EXPECT_THAT(console_, Not(HasSubstr("root@localhost")));
}

// The hostname set_hostname will set is known in init-local (the config's
// hostname): the staged run is given its comment, and init runs no
// ssh-keygen -c. (The test above is the other case: a hostname that
// changed in a way init-local could not tell still gets its comment.)
TEST_F(SshTest, StagedKeyIsGeneratedWithTheCommentOfTheHostnameToBe) {
  const std::string cfg = "ssh_genkeytypes: [ed25519]\nhostname: vm1\n";
  sys_.set_host_root(true);
  sys_.runner().ExpectWithEffect(
      {"ssh-keygen", "-t", "ed25519", "-N", "", "-C", "root@vm1", "-f", Staged("ed25519")},
      [this] {
        sys_.AddFile(Staged("ed25519"), "PRIVATE\n", 0600);
        sys_.AddFile(Staged("ed25519") + ".pub", "ssh-ed25519 AAAAx root@vm1\n", 0644);
      },
      {.exit_code = 0, .out = "The key fingerprint is:\nSHA256:abc root@vm1\n"});
  ASSERT_TRUE(Prepare(cfg).ok());
  sys_.set_running_hostname("vm1");  // init's set_hostname
  ASSERT_TRUE(Run(cfg).ok());
  EXPECT_EQ(sys_.runner().calls().size(), 1u);  // no ssh-keygen -c
  EXPECT_FALSE(sink_.Contains(LogLevel::kDebug, "setting the comment of"));
  EXPECT_EQ(sys_.Read("/etc/ssh/ssh_host_ed25519_key.pub"), "ssh-ed25519 AAAAx root@vm1\n");
  EXPECT_THAT(console_, HasSubstr("SHA256:abc root@vm1\n"));
}

// set_hostname leaves the running hostname under preserve_hostname, and
// when the target root is not the running system: so does the comment.
TEST_F(SshTest, StagedKeyKeepsTheDefaultCommentWhenTheHostnameStays) {
  sys_.set_host_root(true);
  ExpectKeygen("ed25519", Staged("ed25519"));
  ASSERT_TRUE(Prepare("ssh_genkeytypes: [ed25519]\nhostname: vm1\npreserve_hostname: true\n").ok());
  sys_.set_host_root(false);
  ExpectKeygen("ecdsa", Staged("ecdsa"));
  ASSERT_TRUE(Prepare("ssh_genkeytypes: [ecdsa]\nhostname: vm1\n").ok());
  EXPECT_EQ(sys_.runner().calls().size(), 2u);
}

TEST_F(SshTest, PrepareFollowsTheConfigTheModuleWillSee) {
  // ssh_keys supplies the host keys: nothing to start.
  ASSERT_TRUE(Prepare("ssh_keys: {ed25519_private: x, ed25519_public: y}\n").ok());
  EXPECT_TRUE(sys_.runner().calls().empty());
  ASSERT_TRUE(Prepare("ssh_genkeytypes: []\n").ok());
  EXPECT_TRUE(sys_.runner().calls().empty());
  // Keys kept (ssh_deletekeys off): only the missing type.
  sys_.AddFile("/etc/ssh/ssh_host_rsa_key", "kept", 0600);
  ExpectKeygen("ed25519", Staged("ed25519"));
  ASSERT_TRUE(Prepare("ssh_deletekeys: false\nssh_genkeytypes: [rsa, ed25519]\n").ok());
  EXPECT_EQ(sys_.runner().argvs().size(), 1u);
  ASSERT_TRUE(Run("ssh_deletekeys: false\nssh_genkeytypes: [rsa, ed25519]\n").ok());
  EXPECT_EQ(sys_.runner().argvs().size(), 1u);
  EXPECT_EQ(sys_.Read("/etc/ssh/ssh_host_rsa_key"), "kept");
  EXPECT_EQ(sys_.Read("/etc/ssh/ssh_host_ed25519_key"), "PRIVATE ed25519\n");
}

// A staged run that failed is the module's failure, as if it had run
// ssh-keygen itself: logged, not retried.
TEST_F(SshTest, FailedStagedKeygenIsTheResult) {
  ExpectKeygen("dsa", Staged("dsa"), 1);
  ASSERT_TRUE(Prepare("ssh_genkeytypes: [dsa]\n").ok());
  ASSERT_TRUE(Run("ssh_genkeytypes: [dsa]\n").ok());
  EXPECT_EQ(sys_.runner().calls().size(), 1u);
  EXPECT_TRUE(sink_.Contains(LogLevel::kDebug, "ssh-keygen: unknown key type 'dsa'"));
  EXPECT_FALSE(sys_.Has("/etc/ssh/ssh_host_dsa_key"));
}

// No usable staged run — its child died before finishing, or it was started
// for another instance — and the module generates the key itself.
TEST_F(SshTest, StagedKeyNotTakenWhenItsChildDiedOrTheInstanceDiffers) {
  sys_.AddFile("/run/cloud-init/ssh-hostkeys/instance-id", "iid-1", 0600);
  sys_.AddFile("/run/cloud-init/ssh-hostkeys/ed25519.pid", "999999999\n", 0600);  // no such process
  sys_.AddFile(Staged("ed25519"), "HALF-WRITTEN", 0600);
  sys_.AddFile("/run/cloud-init/ssh-hostkeys/rsa.result", R"({"exit_code": 0, "out": "", "err": ""})", 0600);
  sys_.AddFile(Staged("rsa"), "PRIVATE rsa\n", 0600);
  sys_.AddFile(Staged("rsa") + ".pub", "ssh-rsa AAAArsa root@host\n", 0644);
  ExpectKeygen("ed25519", "/etc/ssh/ssh_host_ed25519_key");
  ASSERT_TRUE(Run("ssh_genkeytypes: [rsa, ed25519]\n").ok());
  EXPECT_EQ(sys_.runner().calls().size(), 1u);  // ed25519 only; rsa was staged and finished
  EXPECT_EQ(sys_.Read("/etc/ssh/ssh_host_ed25519_key"), "PRIVATE ed25519\n");
  EXPECT_EQ(sys_.Read("/etc/ssh/ssh_host_rsa_key"), "PRIVATE rsa\n");

  // Staged for another instance: ignored.
  sys_.AddFile("/run/cloud-init/ssh-hostkeys/instance-id", "iid-0", 0600);
  sys_.AddFile("/run/cloud-init/ssh-hostkeys/rsa.result", R"({"exit_code": 0})", 0600);
  sys_.AddFile(Staged("rsa"), "OTHER\n", 0600);
  sys_.AddFile(Staged("rsa") + ".pub", "OTHER\n", 0644);
  ExpectKeygen("rsa", "/etc/ssh/ssh_host_rsa_key");
  ASSERT_TRUE(Run("ssh_genkeytypes: [rsa]\n").ok());
  EXPECT_EQ(sys_.runner().calls().size(), 2u);
  EXPECT_EQ(sys_.Read("/etc/ssh/ssh_host_rsa_key"), "PRIVATE rsa\n");
}

TEST_F(SshTest, QuietKeygenAndSeedSettings) {
  // The centos seeds: ssh_deletekeys: 0, ssh_genkeytypes: ~ -> nothing.
  sys_.AddFile("/etc/ssh/ssh_host_rsa_key", "kept", 0600);
  ASSERT_TRUE(Run("ssh_deletekeys: 0\nssh_genkeytypes: ~\n").ok());
  EXPECT_TRUE(sys_.Has("/etc/ssh/ssh_host_rsa_key"));
  EXPECT_TRUE(sys_.runner().calls().empty());
  // An existing key is not regenerated; quiet keeps the console empty.
  sys_.runner().Expect({"ssh-keygen", "-t", "ed25519", "-N", "", "-f",
                        "/etc/ssh/ssh_host_ed25519_key"},
                       {.exit_code = 0, .out = "noise\n"});
  ASSERT_TRUE(
      Run("ssh_deletekeys: false\nssh_quiet_keygen: true\nssh_genkeytypes: [rsa, ed25519]\n").ok());
  EXPECT_EQ(sys_.runner().calls().size(), 1u);
  EXPECT_EQ(console_, "");
}

TEST_F(SshTest, SuppliedHostKeys) {
  sys_.runner().Expect({"ssh-keygen", "-yf", "/etc/ssh/ssh_host_ed25519_key"},
                       {.exit_code = 0, .out = "ssh-ed25519 AAAAderived\n"});
  Status s = Run(R"(ssh_keys:
  rsa_private: "-----BEGIN RSA PRIVATE KEY-----\nx\n"
  rsa_public: ssh-rsa AAAArsa
  ed25519_private: "-----BEGIN OPENSSH PRIVATE KEY-----\ny\n"
  ecdsa-sk_private: nope
  bogus: nope
)");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/etc/ssh/ssh_host_rsa_key"), "-----BEGIN RSA PRIVATE KEY-----\nx\n");
  EXPECT_EQ(sys_.ModeOf("/etc/ssh/ssh_host_rsa_key"), 0600u);
  EXPECT_EQ(sys_.Read("/etc/ssh/ssh_host_rsa_key.pub"), "ssh-rsa AAAArsa");
  EXPECT_EQ(sys_.Read("/etc/ssh/ssh_host_ed25519_key.pub"),
            "ssh-ed25519 AAAAderived root@localhost\n");
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "Skipping unsupported ssh_keys entry: \"ecdsa-sk_private\""));
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "Skipping unrecognized ssh_keys entry: \"bogus\""));
  for (const auto& l : sink_.lines()) EXPECT_THAT(l.message, Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(SshTest, KeysForDefaultUserAndRootWithDisableRoot) {
  instance_.public_keys = {kKey1};
  Status s = Run(NoHostKeys(std::string(kDefaultUser) + "ssh_authorized_keys: ['" + kKey2 + "']\n"));
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(sys_.Read("/home/debian/.ssh/authorized_keys"),
            std::string(kKey1) + "\n" + kKey2 + "\n");
  EXPECT_EQ(sys_.ModeOf("/home/debian/.ssh"), 0700u);
  EXPECT_EQ(sys_.ModeOf("/home/debian/.ssh/authorized_keys"), 0600u);
  EXPECT_EQ(sys_.owners().at("/home/debian/.ssh/authorized_keys"), "1000:1000");
  EXPECT_EQ(sys_.owners().at("/home/debian/.ssh"), "1000:1000");
  std::string opts =
      "no-port-forwarding,no-agent-forwarding,no-X11-forwarding,command=\"echo 'Please login as "
      "the user \\\"debian\\\" rather than the user \\\"root\\\".';echo;sleep 10;exit 142\"";
  EXPECT_EQ(sys_.Read("/root/.ssh/authorized_keys"),
            opts + " " + kKey1 + "\n" + opts + " " + kKey2 + "\n");
  EXPECT_EQ(sys_.ModeOf("/root/.ssh/authorized_keys"), 0600u);
}

TEST_F(SshTest, DisableRootFalseAndCustomOpts) {
  instance_.public_keys = {kKey1};
  ASSERT_TRUE(Run(NoHostKeys(std::string(kDefaultUser) + "disable_root: false\n")).ok());
  EXPECT_EQ(sys_.Read("/root/.ssh/authorized_keys"), std::string(kKey1) + "\n");
  ASSERT_TRUE(sys_.Remove("/root/.ssh/authorized_keys").ok());
  ASSERT_TRUE(Run(NoHostKeys("disable_root: true\ndisable_root_opts: 'no-pty,command=\"echo $USER/$DISABLE_USER\"'\n")).ok());
  EXPECT_EQ(sys_.Read("/root/.ssh/authorized_keys"),
            std::string("no-pty,command=\"echo NONE/root\" ") + kKey1 + "\n");
}

TEST_F(SshTest, AllowPublicSshKeysFalse) {
  instance_.public_keys = {kKey1};
  ASSERT_TRUE(Run(NoHostKeys(std::string(kDefaultUser) + "allow_public_ssh_keys: false\n"
                                                          "ssh_authorized_keys: ['" +
                             kKey2 + "']\n"))
                  .ok());
  EXPECT_EQ(sys_.Read("/home/debian/.ssh/authorized_keys"), std::string(kKey2) + "\n");
}

TEST_F(SshTest, RerunKeepsExistingKeysWithoutDuplicates) {
  instance_.public_keys = {kKey1, kKey1};
  sys_.AddFile("/home/debian/.ssh/authorized_keys",
               "# mine\nssh-rsa AAAAB3hand hand@made\n" + std::string(kKey1) + "\n", 0640);
  ASSERT_TRUE(Run(NoHostKeys(kDefaultUser)).ok());
  ASSERT_TRUE(Run(NoHostKeys(kDefaultUser)).ok());
  EXPECT_EQ(sys_.Read("/home/debian/.ssh/authorized_keys"),
            "# mine\nssh-rsa AAAAB3hand hand@made\n" + std::string(kKey1) + "\n");
  EXPECT_EQ(sys_.ModeOf("/home/debian/.ssh/authorized_keys"), 0640u) << "mode preserved";
}

TEST_F(SshTest, AuthorizedKeysFileFromSshdConfig) {
  sys_.AddFile("/etc/ssh/sshd_config",
               "# comment\nAuthorizedKeysFile /etc/ssh/authorized_keys %h/.ssh/keys_%u_%%\n"
               "AuthorizedKeysFile ignored-second\n");
  instance_.public_keys = {kKey1};
  ASSERT_TRUE(Run(NoHostKeys(kDefaultUser)).ok()) << sink_.Dump();
  EXPECT_EQ(sys_.Read("/home/debian/.ssh/keys_debian_%"), std::string(kKey1) + "\n");
  EXPECT_FALSE(sys_.Has("/home/debian/.ssh/authorized_keys"));
  EXPECT_FALSE(sys_.Has("/etc/ssh/authorized_keys"));
  EXPECT_TRUE(sys_.Has("/root/.ssh/keys_root_%"));
}

TEST_F(SshTest, SymlinkedSshDirPointingAtEtcIsRefused) {
  ASSERT_TRUE(sys_.Symlink("/etc", "/home/debian/.ssh").ok());
  instance_.public_keys = {kKey1};
  Status s = Run(NoHostKeys(kDefaultUser));
  ASSERT_TRUE(s.ok()) << "cc_ssh logs credential failures and goes on";
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "Applying SSH credentials failed"))
      << sink_.Dump();
  EXPECT_FALSE(sys_.Has("/etc/authorized_keys"));
  EXPECT_EQ(sys_.owners().count("/etc"), 0u);
  EXPECT_EQ(sys_.owners().count("/home/debian/.ssh"), 0u);
}

TEST_F(SshTest, SymlinkedAuthorizedKeysFileIsRefused) {
  sys_.AddDir("/home/debian/.ssh", 0700);
  sys_.AddFile("/etc/shadow-copy", "secret\n");
  ASSERT_TRUE(sys_.Symlink("/etc/shadow-copy", "/home/debian/.ssh/authorized_keys").ok());
  instance_.public_keys = {kKey1};
  // The symlink rules the default entry out; the write is refused either way.
  Status s = ssh_util::SetupUserKeys(sys_, log_, {kKey1}, "debian");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(sys_.Read("/etc/shadow-copy"), "secret\n");
}

TEST_F(SshTest, NoKeyMaterialInLog) {
  instance_.public_keys = {kKey1};
  ASSERT_TRUE(Run(NoHostKeys(kDefaultUser)).ok());
  for (const auto& l : sink_.lines()) EXPECT_THAT(l.message, Not(HasSubstr("AAAAC3Nza")));
}

}  // namespace
}  // namespace nubo
