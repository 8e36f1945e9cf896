// grub_dpkg: debconf-set-selections' input as 22.4 builds it, from config
// or probed with grub-probe and udevadm (argv asserted), and its failures.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/module_harness.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using nubo::testing::ModuleHarness;

using Argv = std::vector<std::string>;

const Argv kDebconf = {"debconf-set-selections"};
const Argv kProbe = {"grub-probe", "-t", "disk", "/boot"};

std::string Selections(const std::string& devices, const std::string& empty) {
  return "grub-pc grub-pc/install_devices string " + devices +
         "\ngrub-pc grub-pc/install_devices_empty boolean " + empty + "\n";
}

TEST(GrubDpkgTest, Spec) {
  const auto& spec = modules::grub_dpkg::kSpec;
  EXPECT_EQ(spec.frequency, Frequency::kPerInstance);
  EXPECT_TRUE(spec.activated_by.empty());
  EXPECT_THAT(spec.distros, ElementsAre("ubuntu", "debian"));
  EXPECT_EQ(FindModule("grub-dpkg"), &spec);
}

TEST(GrubDpkgTest, ProbesByIdLink) {
  ModuleHarness h(modules::grub_dpkg::kSpec);
  h.sys.AddFile("/usr/sbin/grub-probe", "", 0755);
  h.sys.AddFile("/dev/vda", "");
  CommandResult probe;
  probe.out = "/dev/vda\n";
  CommandResult links;
  links.out = "disk/by-path/pci-0 disk/by-id/virtio-b disk/by-id/virtio-a\n";
  h.sys.runner().Expect(kProbe, probe);
  h.sys.runner().Expect({"udevadm", "info", "--root", "--query=symlink", "/dev/vda"}, links);
  h.sys.runner().Expect(kDebconf);
  ASSERT_TRUE(h.RunYaml("{}\n").ok());
  const auto& calls = h.sys.runner().calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2].stdin_data, Selections("disk/by-id/virtio-a", "false"));
}

TEST(GrubDpkgTest, ProbedDiskWithoutByIdAndNoGrubProbe) {
  {
    ModuleHarness h(modules::grub_dpkg::kSpec);
    h.sys.AddFile("/usr/sbin/grub-probe", "", 0755);
    h.sys.AddFile("/dev/sda", "");
    CommandResult probe;
    probe.out = "/dev/sda\n";
    h.sys.runner().Expect(kProbe, probe);
    h.sys.runner().Expect({"udevadm", "info", "--root", "--query=symlink", "/dev/sda"});
    h.sys.runner().Expect(kDebconf);
    ASSERT_TRUE(h.RunYaml("grub-dpkg: {enabled: true}\n").ok());
    EXPECT_EQ(h.sys.runner().calls().back().stdin_data, Selections("/dev/sda", "false"));
  }
  {
    ModuleHarness h(modules::grub_dpkg::kSpec);  // no grub-probe: nothing found
    h.sys.runner().Expect(kDebconf);
    ASSERT_TRUE(h.RunYaml("{}\n").ok());
    EXPECT_THAT(h.sys.runner().argvs(), ElementsAre(kDebconf));
    EXPECT_EQ(h.sys.runner().calls()[0].stdin_data, Selections("", "true"));
  }
  {
    ModuleHarness h(modules::grub_dpkg::kSpec);  // a container: canonical path fails
    h.sys.AddFile("/usr/sbin/grub-probe", "", 0755);
    CommandResult fail;
    fail.exit_code = 1;
    fail.err = "grub-probe: error: failed to get canonical path of `overlay'.\n";
    h.sys.runner().Expect(kProbe, fail);
    h.sys.runner().Expect(kDebconf);
    ASSERT_TRUE(h.RunYaml("{}\n").ok());
    EXPECT_EQ(h.sys.runner().calls().back().stdin_data, Selections("", "true"));
  }
}

TEST(GrubDpkgTest, ConfiguredValuesAndFailures) {
  {
    ModuleHarness h(modules::grub_dpkg::kSpec);
    h.sys.runner().Expect(kDebconf);
    ASSERT_TRUE(h.RunYaml("grub_dpkg:\n  grub-pc/install_devices: /dev/sdb\n"
                          "  grub-pc/install_devices_empty: 'yes'\n").ok());
    EXPECT_EQ(h.sys.runner().calls()[0].stdin_data, Selections("/dev/sdb", "true"));
  }
  {
    ModuleHarness h(modules::grub_dpkg::kSpec);
    ASSERT_TRUE(h.RunYaml("grub_dpkg: {enabled: false}\n").ok());
    EXPECT_THAT(h.sys.runner().calls(), IsEmpty());
  }
  {
    ModuleHarness h(modules::grub_dpkg::kSpec);  // grub-probe fails otherwise: an error
    h.sys.AddFile("/usr/sbin/grub-probe", "", 0755);
    CommandResult fail;
    fail.exit_code = 1;
    fail.err = "grub-probe: error: disk not found.\n";
    h.sys.runner().Expect(kProbe, fail);
    Status s = h.RunYaml("{}\n");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().message,
              "'grub-probe -t disk /boot' exited with 1: grub-probe: error: disk not found.");
  }
  {
    ModuleHarness h(modules::grub_dpkg::kSpec);  // debconf failing is a warning
    CommandResult fail;
    fail.exit_code = 1;
    h.sys.runner().Expect(kDebconf, fail);
    ASSERT_TRUE(h.RunYaml("grub_dpkg: {grub-pc/install_devices: /dev/sda}\n").ok());
    EXPECT_TRUE(h.sink.Contains(LogLevel::kWarning, "Failed to run debconf-set-selections for grub-dpkg"));
  }
  {
    ModuleHarness h(modules::grub_dpkg::kSpec);
    Status s = h.RunYaml("grub_dpkg: [a]\n");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().key, "grub_dpkg");
    Status t = h.RunYaml("grub_dpkg: {grub-pc/install_devices: [a]}\n");
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().key, "grub_dpkg.grub-pc/install_devices");
  }
}

}  // namespace
}  // namespace nubo
