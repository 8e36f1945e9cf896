// disk_setup: the commands cloud-init 22.4's cc_disk_setup runs, in order,
// with their stdin (sfdisk scripts), for MBR and GPT layouts, overwrite,
// fs_setup's partition auto/any/none/N, aliases and the datasource's
// device names; config errors naming the key; and, as root, the module on
// a loop device with the real tools.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

#include "modules/modules.h"
#include "support/loop_image.h"
#include "support/test_system.h"
#include "nubo/text.h"

namespace nubo {
namespace {

using nubo::testing::LoopImage;
using nubo::testing::TempDir;
using nubo::testing::TestSystem;
using Argv = std::vector<std::string>;

// One expected command, in order: its argv, the stdin it must get, and
// what it answers.
struct Step {
  Argv argv;
  std::string out;
  int exit_code = 0;
  std::optional<std::string> stdin_data;
  std::vector<std::string> env;
};

// A TestSystem whose commands must come exactly in the order scripted.
class ScriptedSystem : public TestSystem {
 public:
  void Script(std::vector<Step> steps) { steps_.assign(steps.begin(), steps.end()); }
  void Then(Step s) { steps_.push_back(std::move(s)); }
  const std::vector<Command>& ran() const { return ran_; }
  size_t left() const { return steps_.size(); }

 protected:
  Result<CommandResult> Execute(const Command& c) override {
    ran_.push_back(c);
    if (steps_.empty()) {
      ADD_FAILURE() << "unexpected command: " << ::testing::PrintToString(c.argv);
      return MakeError("unexpected command");
    }
    Step s = steps_.front();
    steps_.pop_front();
    EXPECT_EQ(c.argv, s.argv);
    if (s.stdin_data) {
      EXPECT_EQ(c.stdin_data, *s.stdin_data) << ::testing::PrintToString(c.argv);
    }
    EXPECT_EQ(c.env, s.env) << ::testing::PrintToString(c.argv);
    return CommandResult{s.exit_code, s.out, ""};
  }

 private:
  std::deque<Step> steps_;
  std::vector<Command> ran_;
};

constexpr char kLsblk[] = "/usr/bin/lsblk";
constexpr char kBlkid[] = "/usr/sbin/blkid";
constexpr char kBlockdev[] = "/usr/sbin/blockdev";
constexpr char kSfdisk[] = "/usr/sbin/sfdisk";
constexpr char kSgdisk[] = "/usr/sbin/sgdisk";

Step Lsblk(const std::string& dev, std::string out, bool nodeps) {
  Argv a = {kLsblk, "--pairs", "--output", "NAME,TYPE,FSTYPE,LABEL", dev};
  if (nodeps) a.push_back("--nodeps");
  return {a, std::move(out)};
}
Step Blkid(const std::string& dev, std::string out = "") {
  return {{kBlkid, "-c", "/dev/null", dev}, out, out.empty() ? 2 : 0};
}
Step Settle() { return {{"udevadm", "settle"}}; }
Step Reread(const std::string& dev) { return {{kBlockdev, "--rereadpt", dev}}; }
std::string Disk(const std::string& name) {
  return "NAME=\"" + name + "\" TYPE=\"disk\" FSTYPE=\"\" LABEL=\"\"\n";
}
std::string Part(const std::string& name, const std::string& fs = "", const std::string& label = "") {
  return "NAME=\"" + name + "\" TYPE=\"part\" FSTYPE=\"" + fs + "\" LABEL=\"" + label + "\"\n";
}

class DiskSetupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* tool : {kLsblk, kBlkid, kBlockdev, kSfdisk, kSgdisk, "/usr/sbin/wipefs",
                             "/usr/sbin/mkfs.ext4", "/usr/sbin/mkfs.xfs", "/usr/sbin/mkswap"}) {
      sys.AddFile(tool, "", 0755);
    }
    sys.set_host_root(true);
    for (const char* dev : {"/dev/vdb", "/dev/vdc"}) {
      sys.AddHostDevice(dev, {.real_path = dev, .is_block = true});
    }
    instance.datasource = "NoCloud";
  }
  void WithUdevadm() { sys.AddFile("/usr/bin/udevadm", "", 0755); }
  Status RunYaml(const std::string& yaml) {
    auto parsed = ParseYaml(yaml, "test config");
    EXPECT_TRUE(parsed.ok()) << parsed.error().ToString();
    config = *parsed;
    ModuleContext ctx{.name = "disk_setup",
                      .config = config,
                      .instance = instance,
                      .sys = sys,
                      .log = log,
                      .paths = paths,
                      .frequency = Frequency::kPerInstance};
    Status s = modules::disk_setup::kSpec.run(ctx);
    EXPECT_EQ(sys.left(), 0u) << "scripted commands not run";
    return s;
  }
  bool Logged(LogLevel level, const std::string& text) { return sink.Contains(level, text); }

  ScriptedSystem sys;
  CapturingSink sink;
  Logger log{&sink, "disk_setup"};
  InstanceData instance;
  Paths paths;
  Value config;
};

TEST_F(DiskSetupTest, Spec) {
  const ModuleSpec& spec = modules::disk_setup::kSpec;
  EXPECT_EQ(spec.stage, Stage::kInit);
  EXPECT_EQ(spec.frequency, Frequency::kPerInstance);
  EXPECT_THAT(spec.activated_by, ::testing::ElementsAre("disk_setup", "fs_setup"));
  EXPECT_EQ(FindModule("disk-setup"), &spec);
}

TEST_F(DiskSetupTest, MbrLayoutOnBlankDisk) {
  WithUdevadm();
  sys.Script({
      Settle(),
      Lsblk("/dev/vdb", Disk("vdb"), true),
      Settle(), Reread("/dev/vdb"), Settle(),
      {{kSfdisk, "-l", "/dev/vdb"},
       "Disk /dev/vdb: 1 GiB, 1073741824 bytes, 2097152 sectors\nUnits: sectors of 1 * 512 = 512 bytes\n",
       0, "[33, [66, 82]]\n"},
      Lsblk("/dev/vdb", Disk("vdb"), false),
      Blkid("/dev/vdb"),
      Blkid("/dev/vdb"),
      {{kBlockdev, "--getsize64", "/dev/vdb"}, "1073741824\n"},
      {{kBlockdev, "--getss", "/dev/vdb"}, "512\n"},
      {{kSfdisk, "--Linux", "--unit=S", "--force", "/dev/vdb"}, "", 0, ",692060,83\n,,82\n"},
      Settle(), Reread("/dev/vdb"), Settle(),
  });
  Status s = RunYaml("disk_setup:\n  /dev/vdb: {table_type: mbr, layout: [33, [66, 82]], overwrite: false}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kInfo, "Created an MBR partition table on /dev/vdb")) << sink.Dump();
}

TEST_F(DiskSetupTest, MbrWholeDiskDefaultsToMbrAndScriptZeroComma) {
  sys.Script({
      Lsblk("/dev/vdb", Disk("vdb"), true),
      Reread("/dev/vdb"),
      {{kSfdisk, "-l", "/dev/vdb"}, "Disk /dev/vdb: 1 GiB\n", 0, "True\n"},
      Lsblk("/dev/vdb", Disk("vdb"), false),
      Blkid("/dev/vdb"),
      Blkid("/dev/vdb"),
      {{kBlockdev, "--getsize64", "/dev/vdb"}, "1073741824\n"},
      {{kBlockdev, "--getss", "/dev/vdb"}, "512\n"},
      {{kSfdisk, "--Linux", "--unit=S", "--force", "/dev/vdb"}, "", 0, "0,\n"},
      Reread("/dev/vdb"),
  });
  Status s = RunYaml("disk_setup: {/dev/vdb: {layout: true}}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
}

TEST_F(DiskSetupTest, MbrLayoutAlreadyThereIsKept) {
  sys.Script({
      Lsblk("/dev/vdb", Disk("vdb"), true),
      Reread("/dev/vdb"),
      {{kSfdisk, "-l", "/dev/vdb"},
       "Disk /dev/vdb: 1 GiB, 1073741824 bytes, 2097152 sectors\n\n"
       "Device     Boot  Start     End Sectors  Size Id Type\n"
       "/dev/vdb1         2048  694107  692060  338M 83 Linux\n"
       "/dev/vdb2       694108 2097151 1403044  685M 82 Linux swap / Solaris\n"},
  });
  Status s = RunYaml("disk_setup: {/dev/vdb: {layout: [33, [66, 82]]}}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kInfo, "already matches [33, [66, 82]], skipping")) << sink.Dump();
}

TEST_F(DiskSetupTest, OverwriteFalseLeavesADiskWithAFilesystem) {
  sys.Script({
      Lsblk("/dev/vdb", Disk("vdb"), true),
      Reread("/dev/vdb"),
      {{kSfdisk, "-l", "/dev/vdb"}, "Disk /dev/vdb: 1 GiB\n"},
      Lsblk("/dev/vdb", "NAME=\"vdb\" TYPE=\"disk\" FSTYPE=\"ext4\" LABEL=\"old\"\n", false),
      Blkid("/dev/vdb", "/dev/vdb: LABEL=\"old\" UUID=\"0f6c\" BLOCK_SIZE=\"4096\" TYPE=\"ext4\"\n"),
  });
  Status s = RunYaml("disk_setup: {/dev/vdb: {layout: true, overwrite: false}}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kInfo, "overwrite is false: not partitioning it, skipping"))
      << sink.Dump();
}

TEST_F(DiskSetupTest, OverwriteFalseLeavesADiskWithPartitions) {
  // An existing MBR with another layout: partitions are children in lsblk.
  sys.Script({
      Lsblk("/dev/vdb", Disk("vdb"), true),
      Reread("/dev/vdb"),
      {{kSfdisk, "-l", "/dev/vdb"}, "/dev/vdb1 2048 2097151 2095104 1023M 83 Linux\n"},
      Lsblk("/dev/vdb", Disk("vdb") + Part("vdb1", "ext4"), false),
  });
  Status s = RunYaml("disk_setup: {/dev/vdb: {layout: [50, 50]}}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
}

TEST_F(DiskSetupTest, GptLayoutThroughAnAliasWithOverwrite) {
  sys.AddFile("/usr/sbin/partprobe", "", 0755);
  std::string sgdisk_p =
      "Disk /dev/vdb: 2097152 sectors, 1024.0 MiB\n"
      "Logical sector size: 512 bytes\n"
      "Partitions will be aligned on 2048-sector boundaries\n\n"
      "Number  Start (sector)    End (sector)  Size       Code  Name\n"
      "   1            2048         2097118   1023.0 MiB  8300  Linux filesystem\n";
  sys.Script({
      Lsblk("/dev/vdb", Disk("vdb"), true),
      {{kSgdisk, "-p", "/dev/vdb"}, sgdisk_p, 0, std::nullopt, {"LANG=C"}},
      {{kBlockdev, "--getsize64", "/dev/vdb"}, "1073741824\n"},
      {{kBlockdev, "--getss", "/dev/vdb"}, "512\n"},
      {{kSgdisk, "-Z", "/dev/vdb"}},
      {{kSgdisk, "-n", "1:0:+1048576", "/dev/vdb"}},
      {{kSgdisk, "-t", "1:8200", "/dev/vdb"}},
      {{kSgdisk, "-n", "2:0:0", "/dev/vdb"}},
      {{"/usr/sbin/partprobe", "/dev/vdb"}},
  });
  Status s = RunYaml(
      "device_aliases: {data: /dev/vdb}\n"
      "disk_setup:\n  data: {table_type: gpt, layout: [[50, 82], 50], overwrite: true}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kInfo, "Created a GPT partition table on /dev/vdb")) << sink.Dump();
}

TEST_F(DiskSetupTest, GptLayoutMatchingTypesIsKept) {
  sys.Script({
      Lsblk("/dev/vdb", Disk("vdb"), true),
      {{kSgdisk, "-p", "/dev/vdb"},
       "Number  Start (sector)    End (sector)  Size       Code  Name\n"
       "   1            2048         1050623   512.0 MiB   8200  Linux swap\n"
       "   2         1050624         2097118   511.0 MiB   8300  Linux filesystem\n",
       0, std::nullopt, {"LANG=C"}},
  });
  Status s = RunYaml("disk_setup: {/dev/vdb: {table_type: gpt, layout: [[50, 82], [50, 83]]}}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kInfo, "already matches")) << sink.Dump();
}

TEST_F(DiskSetupTest, LayoutRemoveWipesFilesystemsAndTable) {
  sys.Script({
      Lsblk("/dev/vdb", Disk("vdb"), true),
      Lsblk("/dev/vdb", Disk("vdb") + Part("vdb1", "ext4", "x"), false),
      {{"/usr/sbin/wipefs", "--all", "/dev/vdb1"}},
      {{kBlockdev, "--getsize64", "/dev/vdb"}, "1073741824\n"},
      {{"dd", "if=/dev/zero", "of=/dev/vdb", "bs=1M", "count=1", "seek=0", "oflag=seek_bytes",
        "conv=notrunc,fsync"}},
      {{"dd", "if=/dev/zero", "of=/dev/vdb", "bs=1M", "count=1", "seek=1072693248",
        "oflag=seek_bytes", "conv=notrunc,fsync"}},
      Reread("/dev/vdb"),
  });
  Status s = RunYaml("disk_setup: {/dev/vdb: {layout: remove, overwrite: true}}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kInfo, "Purging filesystem on /dev/vdb1")) << sink.Dump();
}

TEST_F(DiskSetupTest, NotADiskIsAWarningAndTheNextDiskGoesOn) {
  sys.Script({
      Lsblk("/dev/vdb", "NAME=\"vdb\" TYPE=\"rom\" FSTYPE=\"\" LABEL=\"\"\n", true),
      Lsblk("/dev/vdc", Disk("vdc"), true),
      Reread("/dev/vdc"),
      {{kSfdisk, "-l", "/dev/vdc"}, "/dev/vdc1 2048 4095 2048 1M 83 Linux\n"},
  });
  Status s = RunYaml("disk_setup: {/dev/vdb: {layout: true}, /dev/vdc: {layout: true}}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kWarning,
                     "Failed partitioning operation\nDevice /dev/vdb is not a disk device!"))
      << sink.Dump();
}

TEST_F(DiskSetupTest, UnmappedEphemeral0IsAWarningAsIn224) {
  // NoCloud maps no names: 22.4 settles udev, then gives up on the name.
  WithUdevadm();
  sys.Script({Settle(), Settle()});
  Status s = RunYaml("disk_setup: {ephemeral0: {layout: true}}\nfs_setup: [{device: ephemeral0.1, filesystem: ext4}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kWarning,
                     "Device ephemeral0 did not exist and was not created with a udevadm settle."))
      << sink.Dump();
  EXPECT_TRUE(Logged(LogLevel::kWarning,
                     "Device ephemeral0.1 did not exist and was not created with a udevadm settle."))
      << sink.Dump();
}

TEST_F(DiskSetupTest, OpenStackMapsEphemeral0ByLabel) {
  instance.datasource = "OpenStack";
  TempDir mnt;
  sys.AddFilesystem({.devname = "/dev/vdc", .label = "ephemeral0", .fstype = "vfat"}, mnt.path());
  sys.Script({
      {{"/usr/sbin/mkfs.ext4", "-L", "scratch", "-F", "/dev/vdc"}},
  });
  Status s = RunYaml(
      "fs_setup: [{device: ephemeral0, partition: none, filesystem: ext4, label: scratch, "
      "overwrite: true}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
}

TEST_F(DiskSetupTest, OpenStackMapsEc2BlockDeviceMappingWithRemap) {
  instance.datasource = "ConfigDrive";
  instance.ds_extra["ec2_metadata"]["block-device-mapping"]["ephemeral0"] = "sdb";
  sys.Script({
      Blkid("/dev/vdb1"),
      Lsblk("/dev/vdb1", Part("vdb1"), true),
      {{"/usr/sbin/mkfs.xfs", "/dev/vdb1"}},
  });
  Status s = RunYaml("fs_setup: [{device: ephemeral0.1, filesystem: xfs}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
}

TEST_F(DiskSetupTest, PartitionNumberKeepsAMatchingFilesystemAndFormatsTheOther) {
  sys.Script({
      Blkid("/dev/vdb1", "/dev/vdb1: LABEL=\"data\" UUID=\"1f\" TYPE=\"ext4\" PARTUUID=\"a-01\"\n"),
      Blkid("/dev/vdb2"),
      Lsblk("/dev/vdb2", Part("vdb2"), true),
      {{"/usr/sbin/mkfs.xfs", "-L", "logs", "-m", "crc=1", "/dev/vdb2"}},
  });
  Status s = RunYaml(
      "fs_setup:\n"
      "  - {label: data, filesystem: ext4, device: /dev/vdb, partition: 1}\n"
      "  - {label: logs, filesystem: xfs, device: /dev/vdb, partition: '2', extra_opts: [-m, crc=1]}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kInfo, "Device /dev/vdb1 already has the required file system"))
      << sink.Dump();
  EXPECT_TRUE(Logged(LogLevel::kInfo, "Created xfs filesystem 'logs' on /dev/vdb2")) << sink.Dump();
}

TEST_F(DiskSetupTest, DottedAliasNameSetsThePartitionAndOverwriteForces) {
  sys.Script({
      Blkid("/dev/vdb1", "/dev/vdb1: LABEL=\"data\" UUID=\"1f\" TYPE=\"ext4\"\n"),
      {{"/usr/sbin/mkfs.ext4", "-L", "data", "-F", "/dev/vdb1"}},
  });
  Status s = RunYaml(
      "device_aliases: {my_alias: /dev/vdb}\n"
      "fs_setup: [{label: data, filesystem: ext4, device: my_alias.1, partition: auto, "
      "overwrite: true}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kWarning, "Partition '1' from dotted device name 'my_alias.1'"))
      << sink.Dump();
  EXPECT_TRUE(Logged(LogLevel::kWarning, "Destroying filesystem on /dev/vdb1")) << sink.Dump();
}

TEST_F(DiskSetupTest, DottedPathWithoutAliasIsNotFoundAsIn224) {
  sys.Script({});
  Status s = RunYaml("fs_setup: [{filesystem: ext4, device: /dev/vdb.1}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kWarning, "Device /dev/vdb.1 did not exist")) << sink.Dump();
}

TEST_F(DiskSetupTest, PartitionAutoPicksTheFirstFreePartition) {
  sys.Script({
      Lsblk("/dev/vdb", Disk("vdb") + Part("vdb1", "ext4", "fs1") + Part("vdb2"), false),
      Lsblk("/dev/vdb2", Part("vdb2"), true),
      {{"/usr/sbin/mkfs.ext4", "-L", "fs2", "/dev/vdb2"}},
  });
  Status s = RunYaml("fs_setup: [{label: fs2, filesystem: ext4, device: /dev/vdb, partition: auto}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
}

TEST_F(DiskSetupTest, PartitionAutoReusesALabelMatch) {
  sys.Script({Lsblk("/dev/vdb", Disk("vdb") + Part("vdb1", "ext4", "fs1") + Part("vdb2"), false)});
  Status s = RunYaml("fs_setup: [{label: fs1, filesystem: ext4, device: /dev/vdb, partition: auto}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kInfo, "on /dev/vdb1 matching fs_setup[0], skipping formatting"))
      << sink.Dump();
}

TEST_F(DiskSetupTest, PartitionAnyReusesAnyLabel) {
  // The default partition is 'any'.
  sys.Script({Lsblk("/dev/vdb", Disk("vdb") + Part("vdb1", "ext4", "fs1") + Part("vdb2"), false)});
  Status s = RunYaml("fs_setup: [{label: other, filesystem: ext4, device: /dev/vdb}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kInfo, "skipping formatting")) << sink.Dump();
}

TEST_F(DiskSetupTest, PartitionAnyWithReplaceFs) {
  sys.Script({
      Lsblk("/dev/vdb", Disk("vdb") + Part("vdb1", "ext4", "fs1"), false),
      Lsblk("/dev/vdb1", Part("vdb1", "ext4", "fs1"), true),
      {{"/usr/sbin/mkfs.xfs", "/dev/vdb1"}},
  });
  Status s = RunYaml("fs_setup: [{filesystem: xfs, device: /dev/vdb, partition: any, replace_fs: ext4}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
}

TEST_F(DiskSetupTest, PartitionAutoOnAUsedRawDiskFindsNothing) {
  sys.Script({Lsblk("/dev/vdb", "NAME=\"vdb\" TYPE=\"disk\" FSTYPE=\"xfs\" LABEL=\"\"\n", false)});
  Status s = RunYaml("fs_setup: [{label: a, filesystem: ext4, device: /dev/vdb, partition: auto}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kWarning, "Failed to find device during available device search."));
  EXPECT_TRUE(Logged(LogLevel::kInfo, "No device available that matches fs_setup[0]")) << sink.Dump();
}

TEST_F(DiskSetupTest, PartitionAutoOnABlankDiskUsesTheDiskWithForce) {
  sys.Script({
      Lsblk("/dev/vdc", Disk("vdc"), false),
      Lsblk("/dev/vdc", Disk("vdc"), true),
      {{"/usr/sbin/mkfs.ext4", "-L", "whole", "-F", "/dev/vdc"}},
  });
  Status s = RunYaml("fs_setup: [{label: whole, filesystem: ext4, device: /dev/vdc, partition: auto}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
}

TEST_F(DiskSetupTest, PartitionNoneSwapUsesMkswapAndForcesOnADisk) {
  sys.Script({
      Lsblk("/dev/vdc", Disk("vdc"), true),
      {{"/usr/sbin/mkswap", "-L", "swap", "-f", "/dev/vdc"}},
  });
  Status s = RunYaml("fs_setup: [{label: swap, filesystem: swap, device: /dev/vdc, partition: none}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
}

TEST_F(DiskSetupTest, CmdTemplateRunsThroughTheShell) {
  sys.Script({
      {{"/bin/sh", "-c", "mkfs -t ext4 -L big -E lazy_itable_init=0 /dev/vdb 100%"}},
  });
  Status s = RunYaml(
      "fs_setup:\n  - {device: /dev/vdb, partition: none, filesystem: ext4, label: big,\n"
      "     extra_opts: [-m, '0'], overwrite: true,\n"
      "     cmd: 'mkfs -t %(filesystem)s -L %(label)s -E lazy_itable_init=0 %(device)s 100%%'}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kWarning, "fs_setup:extra_opts ignored because cmd was specified"));
  EXPECT_TRUE(Logged(LogLevel::kWarning, "fs_setup:overwrite ignored because cmd was specified"));
}

TEST_F(DiskSetupTest, MissingMkfsIsAWarning) {
  sys.Script({Blkid("/dev/vdb1")});
  Status s = RunYaml("fs_setup: [{filesystem: zfs, device: /dev/vdb, partition: 1}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kWarning, "Cannot create fstype 'zfs'.  No mkfs.zfs command"))
      << sink.Dump();
}

TEST_F(DiskSetupTest, FailingMkfsIsAWarningAndTheNextGoesOn) {
  sys.Script({
      {{"/usr/sbin/mkfs.ext4", "-F", "/dev/vdb"}, "", 1},
      {{"/usr/sbin/mkfs.xfs", "-f", "/dev/vdc"}},
  });
  Status s = RunYaml(
      "fs_setup:\n  - {filesystem: ext4, device: /dev/vdb, partition: none, overwrite: true}\n"
      "  - {filesystem: xfs, device: /dev/vdc, partition: none, overwrite: true}\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kWarning,
                     "Failed during filesystem operation\nFailed to exec of '/usr/sbin/mkfs.ext4 -F "
                     "/dev/vdb'"))
      << sink.Dump();
}

TEST_F(DiskSetupTest, NotTheHostRootDoesNothing) {
  sys.set_host_root(false);
  sys.Script({});
  Status s = RunYaml("disk_setup: {/dev/vdb: {layout: true}}\nfs_setup: [{device: /dev/vdb, filesystem: ext4}]\n");
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(Logged(LogLevel::kInfo, "not partitioning or formatting host disks, skipping"));
}

struct BadCase {
  const char* yaml;
  const char* error;
};

class DiskSetupBadConfigTest : public DiskSetupTest,
                               public ::testing::WithParamInterface<BadCase> {};

TEST_P(DiskSetupBadConfigTest, NamesTheKeyAndDoesTheRest) {
  // The good entry after the bad one still runs.
  sys.Script({{{"/usr/sbin/mkfs.xfs", "-f", "/dev/vdc"}}});
  Status s = RunYaml(std::string(GetParam().yaml) +
                     "\n  - {filesystem: xfs, device: /dev/vdc, partition: none, overwrite: true}\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Table, DiskSetupBadConfigTest,
    ::testing::Values(
        BadCase{"fs_setup:\n  - {filesystem: 7, device: /dev/vdb}",
                "fs_setup[0].filesystem: expected a string, got int"},
        BadCase{"fs_setup:\n  - {filesystem: ext4}", "fs_setup[0].device: expected a string, got None"},
        BadCase{"fs_setup:\n  - {filesystem: ext4, device: /dev/vdb, partition: [1]}",
                "fs_setup[0].partition: expected 'auto', 'any', 'none' or a partition number, got list"},
        BadCase{"fs_setup:\n  - {filesystem: ext4, device: /dev/vdb, extra_opts: [-m, 0]}",
                "fs_setup[0].extra_opts[1]: expected a string, got int"},
        BadCase{"fs_setup:\n  - {filesystem: ext4, device: /dev/vdb, overwrite: 'maybe'}",
                "fs_setup[0].overwrite: expected a bool, got str"},
        BadCase{"fs_setup:\n  - {device: /dev/vdb, cmd: [mkfs, x]}",
                "fs_setup[0].cmd: expected a string (a shell command with %(device)s, %(label)s, "
                "%(filesystem)s), got list"},
        BadCase{"fs_setup:\n  - /dev/vdb", "fs_setup[0]: expected a dict (Invalid file system "
                                           "definition), got str"},
        BadCase{"disk_setup: {/dev/vdb: {table_type: msdos, layout: true}}\nfs_setup:",
                "disk_setup./dev/vdb.table_type: expected 'mbr' or 'gpt', got 'msdos'"},
        BadCase{"disk_setup: {/dev/vdb: {layout: [50, [50]]}}\nfs_setup:",
                "disk_setup./dev/vdb.layout[1]: expected [percent, type], got [50] (Partition was "
                "incorrectly defined)"},
        BadCase{"disk_setup: {/dev/vdb: {layout: [fifty]}}\nfs_setup:",
                "disk_setup./dev/vdb.layout[0]: expected a percentage, got str"},
        BadCase{"disk_setup: {/dev/vdb: {layout: yes please}}\nfs_setup:",
                "disk_setup./dev/vdb.layout: expected true, false, 'remove' or a list, got 'yes please'"},
        BadCase{"disk_setup: [/dev/vdb]\nfs_setup:",
                "disk_setup: expected a dict of device: definition, got list"},
        BadCase{"device_aliases: {a: 7}\nfs_setup:", "device_aliases.a: expected a string, got int"}));

TEST_F(DiskSetupTest, SeveralBadEntriesAreAllNamed) {
  sys.Script({});
  Status s = RunYaml("fs_setup: [{filesystem: 7, device: /dev/vdb}, {label: [x], device: /dev/vdb}]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().ToString(),
            "2 bad entries: fs_setup[0].filesystem: expected a string, got int; "
            "fs_setup[1].label: expected a string, got list");
}

// --- the real thing, as root: a loop device, sfdisk/sgdisk and mkfs ---

// The host's System, with what this machine lacks and a cloud VM has: lsblk
// here reports a loop device as TYPE "loop" (22.4 partitions only a "disk",
// as a virtio or SCSI disk is), and with no udev it has no FSTYPE or LABEL
// (udev's database holds them). So lsblk's answer is adjusted: the loop
// device is a "disk", and FSTYPE/LABEL come from `blkid -p` of each device,
// as udev's blkid builtin would have recorded them. Every other command,
// sfdisk, sgdisk, partprobe, blkid and mkfs included, runs as it is.
class LoopAsDiskSystem : public agent::RealSystem {
 public:
  explicit LoopAsDiskSystem(std::string loop) : RealSystem("/"), loop_(std::move(loop)) {}
  std::vector<std::vector<std::string>> argvs;

 protected:
  Result<CommandResult> Execute(const Command& c) override {
    argvs.push_back(c.argv);
    auto r = RealSystem::Execute(c);
    if (!r || c.argv.empty() || !c.argv[0].ends_with("/lsblk")) return r;
    std::string out;
    for (const auto& line : PySplit(PyStrip(r->out), '\n')) {
      std::string l = line;
      std::string name = l.substr(6, l.find('"', 6) - 6);  // NAME="x"
      if ("/dev/" + name == loop_) {
        l.replace(l.find("TYPE=\"loop\""), 11, "TYPE=\"disk\"");
      }
      Command probe{.argv = {"blkid", "-p", "-o", "export", "/dev/" + name}, .in_root = false};
      auto b = RealSystem::Execute(probe);
      std::string fstype, label;
      for (const auto& kv : PySplit(b ? b->out : "", '\n')) {
        if (kv.starts_with("TYPE=")) fstype = kv.substr(5);
        if (kv.starts_with("LABEL=")) label = kv.substr(6);
      }
      l.replace(l.find("FSTYPE=\"\""), 9, "FSTYPE=\"" + fstype + "\"");
      l.replace(l.find("LABEL=\"\""), 8, "LABEL=\"" + label + "\"");
      out += l + "\n";
    }
    r->out = out;
    return r;
  }

 private:
  std::string loop_;
};

Status RunReal(System& sys, const std::string& yaml, CapturingSink* sink) {
  auto cfg = ParseYaml(yaml, "test config");
  EXPECT_TRUE(cfg.ok());
  Logger log(sink, "disk_setup");
  InstanceData instance;
  instance.datasource = "NoCloud";
  Paths paths;
  ModuleContext ctx{.name = "disk_setup",
                    .config = *cfg,
                    .instance = instance,
                    .sys = sys,
                    .log = log,
                    .paths = paths,
                    .frequency = Frequency::kPerInstance};
  return modules::disk_setup::kSpec.run(ctx);
}

std::optional<std::string> WhyNoLoopTest() {
  return LoopImage::WhyUnavailable({"lsblk", "blkid", "blockdev", "sgdisk", "partprobe",
                                    "mkfs.ext4", "mkswap", "wipefs", "dd"});
}

TEST(DiskSetupLoopTest, ALoopDeviceIsNotADiskFor224) {
  if (auto why = WhyNoLoopTest()) GTEST_SKIP() << *why;
  LoopImage img(64, "label: dos\nstart=2048, size=8192, type=83\n");
  ASSERT_TRUE(img.ok()) << img.error();
  agent::RealSystem sys("/");
  CapturingSink sink;
  Status s = RunReal(sys, "disk_setup: {" + img.device() + ": {layout: true, overwrite: true}}\n",
                     &sink);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(sink.Contains(LogLevel::kWarning, "Device " + img.device() + " is not a disk device!"))
      << sink.Dump();
}

TEST(DiskSetupLoopTest, MbrAndGptTablesAndFilesystems) {
  if (auto why = WhyNoLoopTest()) GTEST_SKIP() << *why;
  for (const char* table : {"mbr", "gpt"}) {
    SCOPED_TRACE(table);
    bool mbr = table == std::string("mbr");
    // A disk with one small partition and no filesystem, which the module
    // must not touch without overwrite; then with it.
    LoopImage img(400, "label: dos\nstart=2048, size=8192, type=83\n");
    ASSERT_TRUE(img.ok()) << img.error();
    const std::string dev = img.device();
    LoopAsDiskSystem sys(dev);
    std::string cfg = "device_aliases: {disk: " + dev + "}\n"
                      "disk_setup:\n  disk: {table_type: " + table +
                      ", layout: [25, [75, 82]], overwrite: OVERWRITE}\n"
                      "fs_setup:\n"
                      "  - {label: fs1, filesystem: ext4, device: disk, partition: auto}\n"
                      "  - {label: swp, filesystem: swap, device: disk, partition: auto}\n";
    auto with = [&](const char* overwrite) {
      std::string c = cfg;
      c.replace(c.find("OVERWRITE"), 9, overwrite);
      return c;
    };
    auto dump = [&] { return img.Host({"sfdisk", "--dump", dev}).out; };
    std::string before = dump();

    // overwrite false: the existing table stays (its layout differs).
    CapturingSink keep;
    std::string keep_cfg = with("false");
    keep_cfg = keep_cfg.substr(0, keep_cfg.find("fs_setup:"));
    Status s = RunReal(sys, keep_cfg, &keep);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    EXPECT_TRUE(keep.Contains(LogLevel::kInfo, "overwrite is false: not partitioning it"))
        << keep.Dump();
    EXPECT_EQ(dump(), before);

    CapturingSink sink;
    s = RunReal(sys, with("true"), &sink);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    std::string table_dump = dump();
    EXPECT_NE(table_dump.find(std::string("label: ") + (mbr ? "dos" : "gpt")), std::string::npos)
        << table_dump << sink.Dump();
    uint64_t disk = img.DiskSectors();
    uint64_t s1 = img.SysfsSectors(1, "size");
    uint64_t s2 = img.SysfsSectors(2, "size");
    // 25% of the disk, as 22.4 computes it; the rest for the second.
    EXPECT_GE(s1 + 2048, disk / 4) << table_dump;
    EXPECT_LE(s1, disk / 4 + 1) << table_dump;
    EXPECT_GT(s2, disk / 2) << table_dump;
    // 82 / 8200: Linux swap.
    EXPECT_NE(table_dump.find(mbr ? "type=82" : "type=0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"),
              std::string::npos)
        << table_dump;
    auto probe = [&](int n) {
      return img.Host({"blkid", "-p", "-o", "export", img.Partition(n)}).out;
    };
    EXPECT_NE(probe(1).find("TYPE=ext4"), std::string::npos) << probe(1) << sink.Dump();
    EXPECT_NE(probe(1).find("LABEL=fs1"), std::string::npos) << probe(1);
    EXPECT_NE(probe(2).find("TYPE=swap"), std::string::npos) << probe(2) << sink.Dump();
    EXPECT_NE(probe(2).find("LABEL=swp"), std::string::npos) << probe(2);

    // Again (a new instance-id): the layout and filesystems match, nothing is redone.
    std::string fs_before = probe(1) + probe(2);
    CapturingSink again;
    s = RunReal(sys, with("false"), &again);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    EXPECT_TRUE(again.Contains(LogLevel::kInfo, "already matches")) << again.Dump();
    EXPECT_TRUE(again.Contains(LogLevel::kInfo, "on " + img.Partition(2) + " matching fs_setup[1]"))
        << again.Dump();
    EXPECT_EQ(probe(1) + probe(2), fs_before);

    // layout: remove wipes the filesystems and the table.
    CapturingSink rm;
    s = RunReal(sys, "disk_setup: {" + dev + ": {layout: remove}}\n", &rm);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    auto after = img.Host({"blkid", "-p", "-o", "export", dev});
    EXPECT_EQ(after.out.find("PTTYPE"), std::string::npos) << after.out << rm.Dump();
    EXPECT_TRUE(rm.Contains(LogLevel::kInfo, "Purging filesystem on " + img.Partition(1)))
        << rm.Dump();
  }
}

}  // namespace
}  // namespace nubo
