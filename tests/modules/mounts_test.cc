// mounts: fstab lines as cloud-init 22.4 writes them (defaults filled in,
// comment=cloudconfig, old cloudconfig lines replaced), device resolution
// through /sys/block, swap files, activation commands, errors naming keys.

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

constexpr char kBaseFstab[] = "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n";

class MountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.sys.AddFile("/etc/fstab", kBaseFstab);
    h.sys.AddHostFile("/proc/mounts", "/dev/vda1 / ext4 rw 0 0\n");
    h.sys.AddHostFile("/proc/self/mountinfo", "");
    h.sys.AddHostFile("/proc/swaps", "Filename Type Size Used Priority\n");
    h.sys.AddHostFile("/proc/meminfo", "MemTotal:        1048576 kB\n");
  }
  ModuleHarness h{modules::mounts::kSpec};
};

TEST_F(MountsTest, Spec) {
  EXPECT_EQ(modules::mounts::kSpec.stage, Stage::kInit);
  EXPECT_EQ(modules::mounts::kSpec.frequency, Frequency::kPerInstance);
  EXPECT_TRUE(modules::mounts::kSpec.activated_by.empty());
}

TEST_F(MountsTest, NothingToDoLeavesFstab) {
  // The defaults (ephemeral0, swap) map to no device on NoCloud.
  ASSERT_TRUE(h.RunYaml("{}").ok());
  EXPECT_EQ(h.sys.Read("/etc/fstab"), kBaseFstab);
  EXPECT_THAT(h.sys.runner().argvs(), IsEmpty());
}

TEST_F(MountsTest, NetworkMountWithDefaultFields) {
  h.sys.runner().Expect({"mount", "-a"});
  Status s = h.RunYaml(
      "mount_default_fields: [~, ~, auto, 'defaults,nofail', '0', '2']\n"
      "mounts:\n  - ['nfs.example:/export', /srv/nfs, nfs]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/etc/fstab"),
            std::string(kBaseFstab) +
                "nfs.example:/export\t/srv/nfs\tnfs\tdefaults,nofail,comment=cloudconfig\t0\t2\n");
  EXPECT_TRUE(h.sys.Stat("/srv/nfs")->is_dir);
  EXPECT_THAT(h.sys.runner().argvs(), ElementsAre(Argv{"mount", "-a"}));
}

TEST_F(MountsTest, ExistingBlockDeviceIsResolved) {
  h.sys.AddHostDevice("/dev/xvdq", {.real_path = "/dev/xvdq", .is_block = true});
  h.sys.AddHostDevice("/dev/xvdq1", {.real_path = "/dev/xvdq1", .is_block = true});
  h.sys.AddHostDevice("/sys/block/xvdq", {.real_path = "/sys/block/xvdq"});
  h.sys.AddHostDevice("/sys/block/xvdq/xvdq1", {.real_path = "/sys/block/xvdq/xvdq1"});
  h.sys.runner().Expect({"mount", "-a"});
  ASSERT_TRUE(h.RunYaml("mounts: [[xvdq, /data, ext4, defaults, 0, 0]]\n").ok());
  EXPECT_EQ(h.sys.Read("/etc/fstab"),
            std::string(kBaseFstab) +
                "/dev/xvdq1\t/data\text4\tdefaults,comment=cloudconfig\t0\t0\n");
}

TEST_F(MountsTest, OldCloudconfigLinesAreReplaced) {
  h.sys.AddFile("/etc/fstab",
                std::string(kBaseFstab) + "old:/x\t/x\tnfs\tdefaults,comment=cloudconfig\t0\t2\n");
  h.sys.runner().Expect({"mount", "-a"});
  ASSERT_TRUE(h.RunYaml("mounts: [['new:/y', /y, nfs, defaults, '0', '0']]\n").ok());
  EXPECT_EQ(h.sys.Read("/etc/fstab"),
            std::string(kBaseFstab) + "new:/y\t/y\tnfs\tdefaults,comment=cloudconfig\t0\t0\n");
}

TEST_F(MountsTest, UnresolvedDeviceIsWrittenAsGivenLike22_4) {
  h.sys.runner().Expect({"mount", "-a"});
  ASSERT_TRUE(h.RunYaml("mounts: [[sdz, /z, auto, defaults, '0', '0']]\n").ok());
  EXPECT_EQ(h.sys.Read("/etc/fstab"),
            std::string(kBaseFstab) + "sdz\t/z\tauto\tdefaults,comment=cloudconfig\t0\t0\n");
}

TEST_F(MountsTest, SwapFile) {
  h.sys.runner().Expect({"fallocate", "-l", "2M", "/swapfile"});
  h.sys.runner().Expect({"mkswap", "/swapfile"});
  h.sys.runner().Expect({"swapon", "-a"});
  h.sys.runner().Expect({"mount", "-a"});
  // fallocate is faked: the file the real one would make.
  h.sys.AddFile("/swapfile", "", 0644);
  Status s = h.RunYaml("swap: {filename: /swapfile, size: 2M, maxsize: 4M}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(h.sys.Read("/etc/fstab"),
            std::string(kBaseFstab) + "/swapfile\tnone\tswap\tsw,comment=cloudconfig\t0\t0\n");
  EXPECT_EQ(h.sys.ModeOf("/swapfile"), 0600u);
  EXPECT_THAT(h.sys.runner().argvs(),
              ElementsAre(Argv{"fallocate", "-l", "2M", "/swapfile"}, Argv{"mkswap", "/swapfile"},
                          Argv{"swapon", "-a"}, Argv{"mount", "-a"}));
}

TEST_F(MountsTest, SwapAutoFromMemoryAndFallbackToDd) {
  // 1 GiB of memory: a 1024 MB swap file; fallocate fails, dd is used.
  h.sys.runner().Expect({"fallocate", "-l", "1024M", "/swap.img"}, {.exit_code = 1});
  h.sys.runner().Expect({"dd", "if=/dev/zero", "of=/swap.img", "bs=1M", "count=1024"});
  h.sys.runner().Expect({"mkswap", "/swap.img"});
  h.sys.runner().Expect({"swapon", "-a"});
  h.sys.runner().Expect({"mount", "-a"});
  ASSERT_TRUE(h.RunYaml("swap: {size: auto}\n").ok());
  EXPECT_EQ(h.sys.runner().argvs()[1][0], "dd");
}

TEST_F(MountsTest, BadConfigNamesTheKey) {
  Status s = h.RunYaml("mounts: [['a:/b', /b], ['c:/d', /d, [nfs]]]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "mounts[1][2]: expected a string, got list");
  // A skipped entry keeps YAML ints, which 22.4 fails to join.
  s = h.RunYaml("mounts: [[sdz, /z, auto, defaults, 0, 2]]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "mounts[0][4]: expected a string, got int");
  s = h.RunYaml("swap: {size: lots}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), "swap.size: 'lots' is not valid input.");
  EXPECT_EQ(h.sys.Read("/etc/fstab"), kBaseFstab);
}

}  // namespace
}  // namespace nubo
