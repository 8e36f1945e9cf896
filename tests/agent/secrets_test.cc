// No secret leaks (issue 12): the four stages run with passwords (plain,
// hashed, RANDOM, the default user's `password`), a chpasswd list, and a
// private host key in ssh_keys, and (from an OpenStack config drive) the
// instance's `admin_pass` and its `password` document; then every file under /var/log,
// /run/cloud-init and /var/lib/cloud that a non-root user can read, every
// log line (what journald gets) and the console output are searched: no
// secret appears. The one exception is cloud-init's: a RANDOM password is
// printed to the console (and so to the root-only cloud-init-output.log),
// because that is how its owner learns it.
//
// Runs on a ShadowSystem (real useradd/chpasswd --root): root only.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "agent/cli.h"
#include "modules/users_support.h"
#include "nubo/value.h"
#include "support/files.h"

using nubo::testing::ReadHostFile;

namespace nubo::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using nubo::testing::ShadowSystem;

constexpr char kPlain[] = "Plain-Secret-1x";
constexpr char kChpasswdPlain[] = "Chpasswd-Secret-2x";
constexpr char kTopPassword[] = "Top-Secret-3x";
constexpr char kHostKeyMaterial[] = "SECRETHOSTKEYMATERIAL4x";
constexpr char kAdminPass[] = "Admin-Pass-5x";
constexpr char kOpenStackPassword[] = "OpenStack-Password-6x";
constexpr char kHash[] =
    "$6$compatsalt$OFdjZoIGn.bwewW2vHnhO6ZczTIzz5scqY8IljazYhYOesD.u8ECp5hTW9ec.4BK3r8eHbP2yWdhpE2/"
    "y6xrM/";
constexpr char kHash2[] = "$6$othersalt$Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXhxdXV4cXV1eHF1dXhxdXV4cXV1";

const char kCloudCfg[] = R"(datasource_list: [NoCloud, ConfigDrive, None]
users: [default]
disable_root: true
system_info:
  distro: debian
  default_user: {name: debian, lock_passwd: false, groups: [adm], shell: /bin/bash}
  ssh_svcname: ssh
cloud_init_modules: [migrator, write-files, users-groups, ssh]
cloud_config_modules: [set-passwords, runcmd]
cloud_final_modules: [scripts-user, ssh-authkey-fingerprints, keys-to-console, final-message]
)";

std::string UserData() {
  return std::string("#cloud-config\npassword: ") + kTopPassword + R"(
users:
  - default
  - {name: alice, plain_text_passwd: )" + kPlain + R"(, lock_passwd: false}
  - {name: bob, hashed_passwd: ')" + kHash + R"(', lock_passwd: false}
  - {name: carol}
  - {name: dave}
  - {name: erin}
chpasswd:
  expire: false
  list: |
    carol:)" + kChpasswdPlain + R"(
    dave:)" + kHash2 + R"(
    erin:RANDOM
ssh_keys:
  rsa_private: |
    -----BEGIN OPENSSH PRIVATE KEY-----
    )" + kHostKeyMaterial + R"(
    -----END OPENSSH PRIVATE KEY-----
  rsa_public: ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCpublicpart host
)";
}

// Readable by "other", down the whole path from the root.
bool WorldReadable(const std::string& root, const fs::path& p) {
  struct stat st {};
  if (stat(p.c_str(), &st) != 0 || !(st.st_mode & S_IROTH)) return false;
  for (fs::path d = p.parent_path(); d.string().size() > root.size(); d = d.parent_path()) {
    if (stat(d.c_str(), &st) != 0 || !(st.st_mode & S_IXOTH)) return false;
  }
  return true;
}

enum class Seed { kNoCloud, kConfigDrive };

// The same user-data from a NoCloud seed, or from an OpenStack config drive
// whose meta_data.json has an admin_pass and whose tree has a password.
void AddSeed(ShadowSystem& sys, Seed seed) {
  sys.AddFile("/etc/cloud/cloud.cfg", kCloudCfg);
  sys.AddFile("/etc/ssh/sshd_config", "UsePAM yes\n");
  if (seed == Seed::kNoCloud) {
    sys.AddFile("/var/lib/cloud/seed/nocloud/meta-data", "instance-id: iid-secret\n");
    sys.AddFile("/var/lib/cloud/seed/nocloud/user-data", UserData());
    return;
  }
  const std::string dir = "/var/lib/cloud/seed/config_drive/openstack/latest/";
  sys.AddFile(dir + "meta_data.json", std::string(R"({"uuid": "iid-secret", "hostname": "secret-host",)") +
                                          R"( "admin_pass": ")" + kAdminPass + R"(", "meta": {}})");
  sys.AddFile(dir + "user_data", UserData());
  sys.AddFile(dir + "password", kOpenStackPassword);
}

class SecretsTest : public ::testing::TestWithParam<Seed> {};

TEST_P(SecretsTest, NoSecretInLogsConsoleOrWorldReadableState) {
  if (!ShadowSystem::CanRun()) GTEST_SKIP() << ShadowSystem::kSkipReason;
  ShadowSystem sys;
  AddSeed(sys, GetParam());
  sys.runner().ExpectPrefix({"ssh-keygen"});
  sys.runner().ExpectPrefix({"systemctl"});
  std::string console;
  CapturingSink log;
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "cloud-init");
    CliEnv env;
    env.system = &sys;
    env.out = &console;
    env.extra_sink = &log;
    return RunCommandLine(args, env);
  };
  run({"init", "--local"});
  run({"init"});
  run({"modules", "--mode", "config"});
  run({"modules", "--mode", "final"});

  // The secrets did their work: otherwise this test would prove nothing.
  std::string shadow = sys.Read("/etc/shadow");
  ASSERT_THAT(shadow, HasSubstr(std::string("bob:") + kHash)) << log.Dump();
  ASSERT_THAT(shadow, HasSubstr(std::string("dave:") + kHash2)) << log.Dump();
  ASSERT_THAT(sys.Read("/etc/ssh/ssh_host_rsa_key"), HasSubstr(kHostKeyMaterial));
  EXPECT_EQ(sys.ModeOf("/etc/ssh/ssh_host_rsa_key"), 0600u);
  size_t at = console.find("\nerin:");
  ASSERT_NE(at, std::string::npos) << "RANDOM password not shown on the console:\n" << console;
  std::string random = console.substr(at + 6, console.find('\n', at + 6) - at - 6);
  ASSERT_GE(random.size(), 8u);

  std::vector<std::string> secrets = {kPlain,          kChpasswdPlain,  kTopPassword, kHostKeyMaterial,
                                      "$6$compatsalt", "$6$othersalt", kAdminPass,   kOpenStackPassword,
                                      random};
  // Log lines (stderr, hence the journal, and cloud-init.log).
  for (const auto& l : log.lines()) {
    for (const auto& s : secrets) EXPECT_THAT(l.message, Not(HasSubstr(s))) << l.prefix;
  }
  // Console: the random password only, in its one block.
  for (size_t i = 0; i + 1 < secrets.size(); ++i) EXPECT_THAT(console, Not(HasSubstr(secrets[i])));
  EXPECT_EQ(console.find(random), console.rfind(random));

  // Every world-readable file of the state and log directories.
  int checked = 0;
  for (const char* dir : {"/var/log", "/run/cloud-init", "/var/lib/cloud"}) {
    fs::path top = sys.HostPath(dir);
    if (!fs::exists(top)) continue;
    for (const auto& e : fs::recursive_directory_iterator(top)) {
      if (!e.is_regular_file() || !WorldReadable(sys.root(), e.path())) continue;
      // The seed is the test's input, as the image or the operator made it.
      if (e.path().string().find("/var/lib/cloud/seed/") != std::string::npos) continue;
      ++checked;
      std::string text = ReadHostFile(e.path());
      for (const auto& s : secrets) {
        EXPECT_THAT(text, Not(HasSubstr(s))) << e.path() << " is world-readable and holds a secret";
      }
    }
  }
  EXPECT_GE(checked, 5) << "instance-data.json, status.json, result.json, ... were expected";
  // What holds them is root-only.
  for (const char* f : {"/var/lib/cloud/instance/user-data.txt", "/var/lib/cloud/instance/cloud-config.txt",
                        "/run/cloud-init/instance-data-sensitive.json", "/var/log/cloud-init-output.log",
                        "/var/log/cloud-init.log"}) {
    EXPECT_FALSE(WorldReadable(sys.root(), sys.HostPath(f))) << f;
  }
  // instance-data.json: as cloud-init's, merged_cfg (which holds the
  // cloud-config, so the passwords) is listed as sensitive and replaced by
  // redact_sensitive_keys' value; so is OpenStack's admin_pass (one key
  // more than 22.4 redacts: known-differences.yaml).
  nubo::Value idata = nubo::Value::parse(sys.Read("/run/cloud-init/instance-data.json"));
  EXPECT_EQ(idata["merged_cfg"], "redacted for non-root user");
  EXPECT_THAT(idata["sensitive_keys"].dump(), HasSubstr("merged_cfg"));
  if (GetParam() == Seed::kConfigDrive) {
    ASSERT_EQ(idata["v1"]["instance_id"], "iid-secret") << log.Dump();
    EXPECT_EQ(idata["ds"]["meta_data"]["admin_pass"], "redacted for non-root user");
    // The root-only copy keeps them, for `cloud-init query` as root.
    nubo::Value sensitive = nubo::Value::parse(sys.Read("/run/cloud-init/instance-data-sensitive.json"));
    EXPECT_EQ(sensitive["ds"]["meta_data"]["admin_pass"], kAdminPass);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, SecretsTest, ::testing::Values(Seed::kNoCloud, Seed::kConfigDrive),
                         [](const auto& info) { return info.param == Seed::kNoCloud ? "NoCloud" : "ConfigDrive"; });

}  // namespace
}  // namespace nubo::agent
