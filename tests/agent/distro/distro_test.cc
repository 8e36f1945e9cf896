// agent/distro/: the family table and what each family answers.

#include "nubo/distro.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_system.h"

namespace nubo::distro {
namespace {

using ::testing::ElementsAre;
using nubo::testing::TestSystem;

Value Yaml(const std::string& text) {
  auto v = ParseYaml(text, "test");
  EXPECT_TRUE(v.ok()) << v.error().ToString();
  return v.ok() ? *v : Value::object();
}

TEST(Distro, Table) {
  EXPECT_EQ(DistroFor(Yaml("{}")).name, "debian");
  EXPECT_EQ(DistroFor(Yaml("system_info: {distro: ubuntu}"))->admin_group, "sudo");
  EXPECT_EQ(DistroFor(Yaml("system_info: {distro: rocky}"))->admin_group, "wheel");
  EXPECT_EQ(SshServiceName(Yaml("system_info: {distro: centos}")), "sshd");
  EXPECT_EQ(SshServiceName(Yaml("system_info: {distro: debian}")), "ssh");
  EXPECT_EQ(SshServiceName(Yaml("system_info: {distro: rhel, ssh_svcname: foo}")), "foo");
}

TEST(Distro, Families) {
  EXPECT_EQ(DistroFor(Yaml("system_info: {distro: ubuntu}"))->os_family, "debian");
  EXPECT_EQ(DistroFor(Yaml("system_info: {distro: fedora}"))->os_family, "redhat");
  EXPECT_EQ(DistroFor(Yaml("system_info: {distro: sles}"))->os_family, "suse");
  EXPECT_EQ(DistroFor(Yaml("system_info: {distro: plan9}"))->name, "debian");
  EXPECT_EQ(OsFamily(Yaml("system_info: {distro: plan9}")), "plan9");
  EXPECT_EQ(DistroFor(Yaml("system_info: {distro: debian}"))->package_manager,
            PackageManager::kApt);
  EXPECT_EQ(DistroFor(Yaml("system_info: {distro: centos}"))->package_manager,
            PackageManager::kDnfOrYum);
  EXPECT_TRUE(PreferFqdn(Yaml("system_info: {distro: rocky}")));
  EXPECT_FALSE(PreferFqdn(Yaml("system_info: {distro: amazon}")));
}

TEST(Distro, Renderers) {
  EXPECT_THAT(DefaultRenderers(Yaml("{}")), ElementsAre("netplan", "eni", "sysconfig"));
  EXPECT_THAT(DefaultRenderers(Yaml("system_info: {distro: rhel}")),
              ElementsAre("netplan", "network-manager", "networkd", "sysconfig", "eni"));
  EXPECT_THAT(DefaultRenderers(Yaml("system_info: {network: {renderers: [networkd]}}")),
              ElementsAre("networkd"));
}

TEST(Distro, ServiceCommands) {
  TestSystem sys;
  auto c = ServiceCommand(sys, "reload", "rsyslog");
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->argv, ElementsAre("service", "rsyslog", "restart"));
  sys.AddDir("/run/systemd/system");
  c = ServiceCommand(sys, "reload", "rsyslog");
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->argv, ElementsAre("systemctl", "reload-or-restart", "rsyslog"));
  EXPECT_FALSE(ServiceCommand(sys, "explode", "x").ok());
}

TEST(Distro, PackageCommandOverrides) {
  TestSystem sys;
  Value cfg = Yaml(
      "system_info:\n  apt_get_command: [apt-get, -y]\n  apt_get_wrapper: {enabled: true}\n"
      "  apt_get_upgrade_subcommand: upgrade\n");
  auto c = PackageCommand(sys, DistroFor(cfg), "upgrade", {"-q"});
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->argv, ElementsAre("eatmydata", "apt-get", "-y", "-q", "upgrade"));
  auto none = PackageCommand(sys, DistroFor(Yaml("system_info: {distro: arch}")), "install");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().ToString(), "nubo has no package manager for distro 'arch'");
}

TEST(Distro, SysconfigFiles) {
  EXPECT_EQ(UpdateSysconfig("# c\nLANG=C\nX=1\n", {{"LANG", "en_US.UTF-8"}, {"Y", "a b"}}),
            "# c\nLANG=en_US.UTF-8\nX=1\nY='a b'\n");
  auto vars = ReadShellVars("# x\nLANG=\"C.UTF-8\"\nexport LC_ALL='C'\n");
  ASSERT_EQ(vars.size(), 2u);
  EXPECT_EQ(vars[0].second, "C.UTF-8");
  EXPECT_EQ(vars[1].first, "LC_ALL");
}

}  // namespace
}  // namespace nubo::distro
