// resizefs on a TestSystem with a faked mountinfo and /dev (the command
// chosen per filesystem, skips, noblock); the real resize runs in
// growpart_test.cc on loop devices.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modules/modules.h"
#include "support/test_system.h"

namespace nubo {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ResizefsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sys_.AddHostFile("/run/systemd/container", "");
    sys_.AddHostFile("/proc/1/environ", std::string("PATH=/bin\0HOME=/\0", 17));
  }
  // The target root is mounted from `device` with `fstype`.
  void MountRoot(const std::string& device, const std::string& fstype,
                 const std::string& options = "rw,relatime") {
    sys_.AddHostFile("/proc/self/mountinfo",
                     "22 1 0:21 / /proc rw - proc proc rw\n"
                     "30 1 8:1 / " + sys_.root() + " " + options + " shared:1 - " + fstype + " " +
                         device + " rw\n");
  }
  Status RunWith(const std::string& yaml) {
    auto parsed = ParseYaml(yaml, "test");
    EXPECT_TRUE(parsed.ok());
    config_ = parsed.ok() && parsed->is_object() ? *parsed : Value::object();
    ModuleContext ctx{.name = "resizefs",
                      .config = config_,
                      .instance = instance_,
                      .sys = sys_,
                      .log = log_,
                      .paths = paths_,
                      .frequency = Frequency::kAlways};
    return modules::resizefs::kSpec.run(ctx);
  }

  nubo::testing::TestSystem sys_;
  CapturingSink sink_;
  Logger log_{&sink_, "init/resizefs"};
  Value config_;
  InstanceData instance_;
  Paths paths_;
};

HostDeviceInfo Block(const std::string& path) {
  HostDeviceInfo d;
  d.real_path = path;
  d.is_block = true;
  return d;
}

TEST_F(ResizefsTest, Ext4UsesResize2fsOnTheDevice) {
  MountRoot("/dev/vda1", "ext4");
  sys_.AddHostDevice("/dev/vda1", Block("/dev/vda1"));
  sys_.runner().Expect({"resize2fs", "/dev/vda1"});
  Status s = RunWith("{}");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_EQ(sys_.runner().calls().size(), 1u);
  EXPECT_FALSE(sys_.runner().calls()[0].in_root) << "a host tool on a host device";
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo,
                             "Resized root filesystem (type=ext4, val=True) with 'resize2fs "
                             "/dev/vda1'"))
      << sink_.Dump();
}

TEST_F(ResizefsTest, XfsAndBtrfsUseTheMountPoint) {
  MountRoot("/dev/vda1", "xfs");
  sys_.AddHostDevice("/dev/vda1", Block("/dev/vda1"));
  sys_.runner().Expect({"xfs_growfs", sys_.root()});
  ASSERT_TRUE(RunWith("resize_rootfs: yes").ok());
  MountRoot("/dev/vda1", "btrfs");
  sys_.runner().Expect({"btrfs", "filesystem", "resize", "max", sys_.root()});
  ASSERT_TRUE(RunWith("{}").ok());
  EXPECT_EQ(sys_.runner().calls().size(), 2u);
}

TEST_F(ResizefsTest, ReadOnlyBtrfsWithSnapshotsGoesThroughThem) {
  MountRoot("/dev/vda1", "btrfs", "ro,relatime");
  sys_.AddHostDevice("/dev/vda1", Block("/dev/vda1"));
  HostDeviceInfo dir;
  dir.real_path = sys_.root() + "/.snapshots";
  sys_.AddHostDevice(sys_.root() + "/.snapshots", dir);
  sys_.runner().Expect({"btrfs", "filesystem", "resize", "max", sys_.root() + "/.snapshots"});
  ASSERT_TRUE(RunWith("{}").ok());
}

TEST_F(ResizefsTest, UnknownFilesystemIsSkipped) {
  MountRoot("/dev/vda1", "zonefs");
  sys_.AddHostDevice("/dev/vda1", Block("/dev/vda1"));
  ASSERT_TRUE(RunWith("{}").ok());
  EXPECT_THAT(sys_.runner().calls(), IsEmpty());
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning,
                             "Not resizing unknown filesystem type zonefs for /, skipping"))
      << sink_.Dump();
}

TEST_F(ResizefsTest, OverlayRootIsSkipped) {
  MountRoot("overlay", "overlay");
  ASSERT_TRUE(RunWith("{}").ok());
  EXPECT_THAT(sys_.runner().calls(), IsEmpty());
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "root filesystem is overlay (a container or live "
                                              "image): not resizing"))
      << sink_.Dump();
}

TEST_F(ResizefsTest, DevRootFromTheKernelCommandLine) {
  MountRoot("/dev/root", "ext4");
  sys_.set_cmdline("BOOT_IMAGE=/vmlinuz root=/dev/vda2 ro");
  sys_.AddHostDevice("/dev/vda2", Block("/dev/vda2"));
  sys_.runner().Expect({"resize2fs", "/dev/vda2"});
  ASSERT_TRUE(RunWith("{}").ok()) << sink_.Dump();
}

TEST_F(ResizefsTest, MissingDeviceWarns) {
  MountRoot("/dev/vda9", "ext4");
  sys_.AddHostDevice("/dev/vda1", Block("/dev/vda1"));
  ASSERT_TRUE(RunWith("{}").ok());
  EXPECT_TRUE(sink_.Contains(LogLevel::kWarning, "Device '/dev/vda9' did not exist, cannot resize"))
      << sink_.Dump();
}

TEST_F(ResizefsTest, Disabled) {
  ASSERT_TRUE(RunWith("resize_rootfs: false").ok());
  EXPECT_TRUE(sink_.Contains(LogLevel::kDebug, "resizing disabled"));
}

TEST_F(ResizefsTest, NoblockLogsWhenItEnds) {
  MountRoot("/dev/vda1", "ext4");
  sys_.AddHostDevice("/dev/vda1", Block("/dev/vda1"));
  sys_.runner().Expect({"resize2fs", "/dev/vda1"});
  ASSERT_TRUE(RunWith("resize_rootfs: noblock").ok());
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "Resizing (via forking) root filesystem (type=ext4, "
                                              "val=noblock)"));
  EXPECT_TRUE(sink_.Contains(LogLevel::kInfo, "backgrounded resize of / (ext4) ended after"))
      << sink_.Dump();
}

TEST_F(ResizefsTest, FailureIsAnErrorWithTheKey) {
  MountRoot("/dev/vda1", "ext4");
  sys_.AddHostDevice("/dev/vda1", Block("/dev/vda1"));
  sys_.runner().Expect({"resize2fs", "/dev/vda1"}, CommandResult{1, "", "bad superblock\n"});
  Status s = RunWith("{}");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "resize_rootfs: Failed to resize filesystem (cmd=resize2fs /dev/vda1): exit 1: bad "
            "superblock\n");
}

TEST_F(ResizefsTest, TargetRootOnTheHostsDiskIsSkipped) {
  nubo::testing::TestSystem plain;  // real mountinfo: the temp dir is no mount
  CapturingSink sink;
  Logger log(&sink, "init/resizefs");
  Value cfg = Value::object();
  ModuleContext ctx{.name = "resizefs",
                    .config = cfg,
                    .instance = instance_,
                    .sys = plain,
                    .log = log,
                    .paths = paths_,
                    .frequency = Frequency::kAlways};
  ASSERT_TRUE(modules::resizefs::kSpec.run(ctx).ok());
  EXPECT_TRUE(sink.Contains(LogLevel::kInfo, "not touching the host's disks")) << sink.Dump();
  EXPECT_THAT(plain.runner().calls(), IsEmpty());
}

}  // namespace
}  // namespace nubo
