// ntp on both families: client selection as 22.4's select_ntp_client, the
// rendered chrony / timesyncd / ntp files, the .dist rename, the package
// install through the distro layer, the exact reload argv, the one-line
// skip when nothing can install the client, and config errors naming the key.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using nubo::testing::ModuleHarness;

const std::vector<std::string> kApt = {"apt-get", "--option=Dpkg::Options::=--force-confold",
                                       "--option=Dpkg::options::=--force-unsafe-io",
                                       "--assume-yes", "--quiet"};

std::vector<std::string> Apt(std::vector<std::string> tail) {
  std::vector<std::string> v = kApt;
  v.insert(v.end(), tail.begin(), tail.end());
  return v;
}

// nubo's templates (packaging/templates/) start so; their settings are
// 22.4.2's (tests/agent/templater_test.cc).
constexpr char kHead[] = "# Written by cloud-init (nubo) from the cloud config's 'ntp' section";

class NtpTest : public ::testing::Test {
 protected:
  void SetUp() override { h.sys.AddDir("/run/systemd/system"); }
  void Exe(const std::string& path) { h.sys.AddFile(path, "#!/bin/sh\n", 0755); }
  ModuleHarness h{modules::ntp::kSpec};
};

TEST_F(NtpTest, Spec) {
  const auto& spec = modules::ntp::kSpec;
  EXPECT_EQ(spec.frequency, Frequency::kPerInstance);
  EXPECT_EQ(spec.stage, Stage::kConfig);
  EXPECT_THAT(spec.activated_by, ElementsAre("ntp"));
  EXPECT_EQ(FindModule("ntp"), &spec);
  EXPECT_EQ(spec.distros.size(), 21u);
}

TEST_F(NtpTest, DebianAutoInstallsChronyWithDefaultPools) {
  // Nothing installed: chrony is the preferred client, installed with apt.
  Exe("/usr/bin/apt-get");
  h.sys.runner().Expect(Apt({"update"}));
  h.sys.runner().ExpectWithEffect(Apt({"install", "chrony"}), [&] { Exe("/usr/sbin/chronyd"); });
  h.sys.runner().Expect({"systemctl", "reload-or-restart", "chrony"});
  Status s = h.RunYaml("ntp: {}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.runner().argvs(),
              ElementsAre(Apt({"update"}), Apt({"install", "chrony"}),
                          std::vector<std::string>{"systemctl", "reload-or-restart", "chrony"}));
  std::string conf = h.sys.Read("/etc/chrony/chrony.conf");
  EXPECT_EQ(h.sys.ModeOf("/etc/chrony/chrony.conf"), 0644u);
  EXPECT_THAT(conf, ::testing::StartsWith(kHead));
  EXPECT_THAT(conf, HasSubstr("\n# Time sources\n"
                              "pool 0.debian.pool.ntp.org iburst\n"
                              "pool 1.debian.pool.ntp.org iburst\n"
                              "pool 2.debian.pool.ntp.org iburst\n"
                              "pool 3.debian.pool.ntp.org iburst\n"
                              "\n# NTP authentication keys"));
  // jinja drops the template's last newline, cloud-init's jinja_render puts
  // it back.
  EXPECT_THAT(conf, ::testing::EndsWith("\nmakestep 1 3\n"));
  EXPECT_THAT(conf, ::testing::Not(HasSubstr("server ")));
}

TEST_F(NtpTest, InstalledClientIsPickedAndOldConfigKeptAsDist) {
  // timesyncd is installed (chrony is not): it wins the auto selection.
  Exe("/lib/systemd/systemd-timesyncd");
  h.sys.AddFile("/etc/systemd/timesyncd.conf.d/cloud-init.conf", "old\n", 0600);
  h.sys.runner().Expect({"systemctl", "reload-or-restart", "systemd-timesyncd"});
  Status s = h.RunYaml("ntp:\n  servers: [a.example, b.example]\n  pools: [p.example]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/etc/systemd/timesyncd.conf.d/cloud-init.conf"),
            "# Written by cloud-init (nubo) from the cloud config's 'ntp' section.\n"
            "# timesyncd.conf(5) describes the settings.\n\n[Time]\n"
            "NTP=a.example b.example p.example\n");
  EXPECT_EQ(h.sys.Read("/etc/systemd/timesyncd.conf.d/cloud-init.conf.dist"), "old\n");
  EXPECT_EQ(h.sys.ModeOf("/etc/systemd/timesyncd.conf.d/cloud-init.conf.dist"), 0600u);
}

TEST_F(NtpTest, DebianNtpServersAndPools) {
  Exe("/usr/sbin/ntpd");
  h.sys.runner().Expect({"systemctl", "reload-or-restart", "ntp"});
  Status s = h.RunYaml("ntp:\n  ntp_client: ntp\n  servers: [10.0.0.1]\n  pools: [p.example]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.Read("/etc/ntp.conf"),
              HasSubstr("\n# Time sources\npool p.example iburst\n"
                        "server 10.0.0.1 iburst\n\ndriftfile /var/lib/ntp/ntp.drift\n"));
}

TEST_F(NtpTest, RhelChronyIsChronydInEtcWithDnf) {
  Exe("/usr/bin/dnf");
  h.sys.runner().Expect({"dnf", "-y", "install", "chrony"});
  h.sys.runner().Expect({"systemctl", "reload-or-restart", "chronyd"});
  Status s = h.RunYaml("system_info: {distro: rhel}\nntp:\n  servers: [ntp.example]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.runner().argvs(),
              ElementsAre(std::vector<std::string>{"dnf", "-y", "install", "chrony"},
                          std::vector<std::string>{"systemctl", "reload-or-restart", "chronyd"}));
  EXPECT_THAT(h.sys.Read("/etc/chrony.conf"),
              HasSubstr("\n# Time sources\nserver ntp.example iburst\n\n"
                        "# Where chronyd keeps the clock's drift rate.\n"
                        "driftfile /var/lib/chrony/drift\n"));
  EXPECT_FALSE(h.sys.Has("/etc/chrony/chrony.conf"));
}

TEST_F(NtpTest, RhelWithoutSystemdUsesService) {
  ASSERT_TRUE(h.sys.RemoveTree("/run/systemd").ok());
  Exe("/usr/sbin/ntpd");
  h.sys.runner().Expect({"service", "ntpd", "restart"});
  Status s = h.RunYaml("system_info: {distro: rhel, ntp_client: ntp}\nntp: {enabled: true}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.Read("/etc/ntp.conf"),
              HasSubstr("# Time sources\npool 0.rhel.pool.ntp.org iburst\n"
                        "pool 1.rhel.pool.ntp.org iburst\n"));
  // 22.4 has no ntp.conf.centos template: on centos the ntp client fails.
  ModuleHarness h2(modules::ntp::kSpec);
  h2.sys.AddFile("/usr/sbin/ntpd", "", 0755);
  Status c = h2.RunYaml("system_info: {distro: centos, ntp_client: ntp}\nntp: {}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "No template found, not rendering ntp.conf.{distro}");
}

TEST_F(NtpTest, UserTemplateAndConfigOverride) {
  Exe("/usr/bin/myntpd");
  h.sys.runner().Expect({"systemctl", "reload-or-restart", "myntp"});
  Status s = h.RunYaml(
      "ntp:\n  ntp_client: myntp\n  config:\n    confpath: /etc/myntp/my.conf\n"
      "    check_exe: myntpd\n    packages: [myntp]\n    service_name: myntp\n"
      "    template: |\n      ## template:jinja\n      {% for s in servers %}srv {{s}}\n"
      "      {% endfor %}\n  servers: [x, y]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  // The template ends in a newline, which jinja drops and cloud-init adds.
  EXPECT_EQ(h.sys.Read("/etc/myntp/my.conf"), "srv x\nsrv y\n\n");
}

TEST_F(NtpTest, TemplateFromTemplatesDirWins) {
  Exe("/usr/sbin/chronyd");
  h.sys.AddFile("/etc/cloud/templates/chrony.conf.debian.tmpl",
                "## template:jinja\npools={{ pools|join(',') }}\n");
  h.sys.runner().Expect({"systemctl", "reload-or-restart", "chrony"});
  ASSERT_TRUE(h.RunYaml("ntp: {pools: [a, b]}\n").ok());
  EXPECT_EQ(h.sys.Read("/etc/chrony/chrony.conf"), "pools=a,b\n");
}

TEST_F(NtpTest, NoClientAndNothingToInstallItIsOneWarning) {
  // timesyncd has no package; it is not installed.
  Status s = h.RunYaml("ntp: {ntp_client: systemd-timesyncd}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.runner().calls(), IsEmpty());
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning,
                              "NTP client 'systemd-timesyncd' is not installed "
                              "('/lib/systemd/systemd-timesyncd' not found) and no package "
                              "installs it, skipping the service reload"));
  // And on a family without a usable package manager (no apt-get here).
  ModuleHarness h2(modules::ntp::kSpec);
  ASSERT_TRUE(h2.RunYaml("ntp: {ntp_client: chrony}\n").ok());
  EXPECT_THAT(h2.sys.runner().calls(), IsEmpty());
  EXPECT_TRUE(h2.sink.Contains(LogLevel::kWarning, "there is no package manager to install"));
  EXPECT_TRUE(h2.sys.Has("/etc/chrony/chrony.conf"));
}

TEST_F(NtpTest, DisabledOrAbsentDoesNothing) {
  ASSERT_TRUE(h.RunYaml("ntp: {enabled: false}\n").ok());
  ASSERT_TRUE(h.RunYaml("{}\n").ok());
  EXPECT_THAT(h.sys.runner().calls(), IsEmpty());
  EXPECT_FALSE(h.sys.Has("/etc/chrony/chrony.conf"));
}

TEST_F(NtpTest, ReloadFailureIsAnError) {
  Exe("/usr/sbin/chronyd");
  CommandResult fail;
  fail.exit_code = 5;
  h.sys.runner().Expect({"systemctl", "reload-or-restart", "chrony"}, fail);
  Status s = h.RunYaml("ntp: {}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message, HasSubstr("Failed to reload/start ntp service"));
}

TEST_F(NtpTest, BadConfigNamesTheKey) {
  struct Case {
    const char* yaml;
    const char* key;
    const char* message;
  };
  const Case cases[] = {
      {"ntp: [a]\n", "ntp",
       "'ntp' key existed in config, but not a dictionary type, is a list instead"},
      {"ntp: {servers: ntp.example}\n", "ntp.servers", "expected a list of strings, got str"},
      {"ntp: {pools: [1]}\n", "ntp.pools[0]", "expected a string, got int"},
      {"ntp: {ntp_client: nosuch}\n", "ntp.config",
       "Invalid ntp configuration:\\nMissing required ntp:config keys: check_exe, confpath, "
       "packages, service_name"},
      {"ntp: {config: {confpath: 7, packages: x}}\n", "ntp.config",
       "Invalid ntp configuration:\\nExpected a config file path ntp:config:confpath. Found (7)\n"
       "Expected a list of required package names for ntp:config:packages. Found (x)"},
      {"system_info: {distro: rocky}\nntp: {}\n", "ntp.config.template_name",
       "No template found, not rendering chrony.conf.{distro}"},
  };
  for (const Case& c : cases) {
    ModuleHarness hh(modules::ntp::kSpec);
    Status s = hh.RunYaml(c.yaml);
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_EQ(s.error().key, c.key) << c.yaml;
    EXPECT_EQ(s.error().message, c.message) << c.yaml;
  }
}

}  // namespace
}  // namespace nubo
