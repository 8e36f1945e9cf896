// package_update_upgrade_install on both families: the exact argv and
// environment cloud-init 22.4 runs, the once-per-instance source refresh,
// versions, errors naming the key, the reboot file.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
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

class PackagesTest : public ::testing::Test {
 protected:
  ModuleHarness h{modules::package_update_upgrade_install::kSpec};
};

TEST_F(PackagesTest, Spec) {
  const auto& spec = modules::package_update_upgrade_install::kSpec;
  EXPECT_EQ(spec.frequency, Frequency::kPerInstance);
  EXPECT_EQ(spec.stage, Stage::kFinal);
  EXPECT_EQ(FindModule("package-update-upgrade-install"), &spec);
}

TEST_F(PackagesTest, DebianUpdatesThenInstallsWithVersions) {
  h.sys.runner().Expect(Apt({"update"}));
  h.sys.runner().Expect(Apt({"install", "nginx", "libfoo=1.2-3", "bar"}));
  Status s = h.RunYaml("packages: [nginx, [libfoo, 1.2-3], [bar]]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.runner().argvs(),
              ElementsAre(Apt({"update"}), Apt({"install", "nginx", "libfoo=1.2-3", "bar"})));
  for (const auto& c : h.sys.runner().calls()) {
    EXPECT_THAT(c.env, ElementsAre("DEBIAN_FRONTEND=noninteractive"));
    EXPECT_TRUE(c.to_output_log);
  }
  EXPECT_TRUE(h.sys.Has("/var/lib/cloud/instances/iid-1/sem/update_sources"));
}

TEST_F(PackagesTest, SourcesAreRefreshedOncePerInstance) {
  h.sys.AddFile("/var/lib/cloud/instances/iid-1/sem/update_sources", "1\n");
  h.sys.runner().Expect(Apt({"install", "nginx"}));
  Status s = h.RunYaml("packages: nginx\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.runner().argvs(), ElementsAre(Apt({"install", "nginx"})));
}

TEST_F(PackagesTest, DebianUpgradeIsDistUpgradeUnderEatmydata) {
  h.sys.AddFile("/usr/bin/eatmydata", "#!/bin/sh\n", 0755);
  std::vector<std::string> update = {"eatmydata"}, upgrade = {"eatmydata"};
  for (auto* v : {&update, &upgrade}) v->insert(v->end(), kApt.begin(), kApt.end());
  update.push_back("update");
  upgrade.push_back("dist-upgrade");
  h.sys.runner().Expect(update);
  h.sys.runner().Expect(upgrade);
  Status s = h.RunYaml("package_update: true\npackage_upgrade: yes\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.runner().argvs(), ElementsAre(update, upgrade));
}

TEST_F(PackagesTest, RhelUsesDnfWithDashVersions) {
  h.sys.AddFile("/usr/bin/dnf", "#!/bin/sh\n", 0755);
  h.sys.runner().Expect({"dnf", "-y", "makecache"});
  h.sys.runner().Expect({"dnf", "-y", "upgrade"});
  h.sys.runner().Expect({"dnf", "-y", "install", "httpd", "libfoo-1.2"});
  Status s = h.RunYaml(
      "system_info: {distro: rocky}\npackage_upgrade: true\npackages: [httpd, [libfoo, '1.2']]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_THAT(h.sys.runner().argvs(),
              ElementsAre(std::vector<std::string>{"dnf", "-y", "makecache"},
                          std::vector<std::string>{"dnf", "-y", "upgrade"},
                          std::vector<std::string>{"dnf", "-y", "install", "httpd", "libfoo-1.2"}));
  EXPECT_THAT(h.sys.runner().calls()[0].env, IsEmpty());
}

TEST_F(PackagesTest, CentosSevenWithoutDnfUsesYum) {
  h.sys.runner().Expect({"yum", "-t", "-y", "makecache"});
  h.sys.runner().Expect({"yum", "-t", "-y", "install", "epel-release"});
  Status s = h.RunYaml("system_info: {distro: centos}\npackages: [epel-release]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.runner().argvs().size(), 2u);
}

TEST_F(PackagesTest, BadEntriesNameTheKeyAndRunNothing) {
  Status s = h.RunYaml("packages: [nginx, {a: 1}]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "packages[1]: expected a string or a list, got dict");
  s = h.RunYaml("packages: [[a, b, c]]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "packages[0]: expected [name] or [name, version], got 3 items");
  EXPECT_THAT(h.sys.runner().argvs(), IsEmpty());
}

TEST_F(PackagesTest, FailedInstallIsAnErrorAfterEveryStep) {
  h.sys.runner().Expect(Apt({"update"}));
  h.sys.runner().Expect(Apt({"install", "nope"}), CommandResult{.exit_code = 100});
  Status s = h.RunYaml("packages: [nope]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().ToString(), ::testing::HasSubstr("exited with 100"));
  EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "Failed to install packages"));
}

TEST_F(PackagesTest, RebootsWhenRequired) {
  h.sys.AddFile("/var/run/reboot-required", "");
  h.sys.runner().Expect(Apt({"update"}));
  h.sys.runner().Expect(Apt({"install", "linux-image-amd64"}));
  h.sys.runner().Expect({"/sbin/reboot"});
  Status s = h.RunYaml("packages: [linux-image-amd64]\npackage_reboot_if_required: true\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.runner().argvs().back(), std::vector<std::string>{"/sbin/reboot"});
}

TEST_F(PackagesTest, NothingAskedRunsNothing) {
  Status s = h.RunYaml("package_update: false\n");
  ASSERT_TRUE(s.ok());
  EXPECT_THAT(h.sys.runner().argvs(), IsEmpty());
}

}  // namespace
}  // namespace nubo
