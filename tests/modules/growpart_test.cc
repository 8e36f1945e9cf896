// growpart: config handling on a TestSystem, and real growth on loop
// devices (root only; skipped elsewhere with the reason).

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <fstream>
#include <sstream>

#include "modules/modules.h"
#include "support/loop_image.h"
#include "support/test_system.h"
#include "support/files.h"

using nubo::testing::ReadHostFile;

namespace nubo {
namespace {

using nubo::testing::LoopImage;
using nubo::testing::TempDir;

Status RunModule(const ModuleSpec& spec, System& sys, const std::string& yaml, LogSink* sink,
                 bool dry_run = false) {
  static InstanceData instance;
  auto parsed = ParseYaml(yaml, "test");
  EXPECT_TRUE(parsed.ok());
  Value config = parsed.ok() && parsed->is_object() ? *parsed : Value::object();
  Paths paths;
  paths.instance_id = "iid-1";
  Logger log(sink, "init/" + std::string(spec.name));
  ModuleContext ctx{.name = std::string(spec.name),
                    .config = config,
                    .instance = instance,
                    .sys = sys,
                    .log = log,
                    .paths = paths,
                    .frequency = spec.frequency,
                    .dry_run = dry_run};
  return spec.run(ctx);
}

TEST(GrowpartTest, Spec) {
  EXPECT_EQ(modules::growpart::kSpec.stage, Stage::kInit);
  EXPECT_EQ(modules::growpart::kSpec.frequency, Frequency::kAlways);
  EXPECT_EQ(FindModule("growpart"), &modules::growpart::kSpec);
}

TEST(GrowpartTest, TargetRootOnTheHostsDiskIsNeverTouched) {
  nubo::testing::TestSystem sys;  // a temp dir: its mount is the host's
  CapturingSink sink;
  Status s = RunModule(modules::growpart::kSpec, sys, "{}", &sink);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(sink.Contains(LogLevel::kInfo, "outside the root; not touching the host's disks"))
      << sink.Dump();
  EXPECT_TRUE(sink.Contains(LogLevel::kInfo, "'/' SKIPPED: unable to convert to device"))
      << sink.Dump();
}

TEST(GrowpartTest, HostDevicesRefusedForATargetRoot) {
  nubo::testing::TestSystem sys;
  CapturingSink sink;
  Status s = RunModule(modules::growpart::kSpec, sys, "growpart: {devices: [/dev/sda1]}", &sink);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(sink.Contains(LogLevel::kWarning,
                            "'/dev/sda1' is a device of the host, and the target root"))
      << sink.Dump();
}

TEST(GrowpartTest, Disabled) {
  nubo::testing::TestSystem sys;
  for (const char* yaml : {"growpart: {mode: 'off'}", "growpart: {mode: false}"}) {
    CapturingSink sink;
    ASSERT_TRUE(RunModule(modules::growpart::kSpec, sys, yaml, &sink).ok());
    EXPECT_TRUE(sink.Contains(LogLevel::kDebug, "growpart disabled")) << yaml;
    EXPECT_FALSE(sink.Contains(LogLevel::kInfo, "SKIPPED")) << yaml;
  }
  CapturingSink sink;
  ASSERT_TRUE(RunModule(modules::growpart::kSpec, sys, "growpart: {mode: false}", &sink).ok());
  EXPECT_TRUE(sink.Contains(LogLevel::kWarning, "growpart mode 'False' is deprecated"));
}

TEST(GrowpartTest, GrowrootDisabledFile) {
  nubo::testing::TestSystem sys;
  sys.AddFile("/etc/growroot-disabled", "");
  CapturingSink sink;
  ASSERT_TRUE(RunModule(modules::growpart::kSpec, sys, "{}", &sink).ok());
  EXPECT_TRUE(sink.Contains(LogLevel::kInfo, "/etc/growroot-disabled exists")) << sink.Dump();
  CapturingSink sink2;
  ASSERT_TRUE(RunModule(modules::growpart::kSpec, sys,
                        "growpart: {ignore_growroot_disabled: true}", &sink2)
                  .ok());
  EXPECT_FALSE(sink2.Contains(LogLevel::kInfo, "/etc/growroot-disabled exists"));
}

TEST(GrowpartTest, ConfigErrorsNameTheKey) {
  nubo::testing::TestSystem sys;
  struct Case {
    const char* yaml;
    const char* error;
  } cases[] = {
      {"growpart: {mode: gpart}", "growpart.mode: mode gpart not available (it is FreeBSD's)"},
      {"growpart: {mode: grow}",
       "growpart.mode: unknown resize mode 'grow' (expected auto, growpart or off)"},
      {"growpart: {devices: [/, 3]}", "growpart.devices[1]: expected str, got int"},
      {"growpart: {devices: {a: b}}", "growpart.devices: expected list, got dict"},
  };
  for (const auto& c : cases) {
    CapturingSink sink;
    Status s = RunModule(modules::growpart::kSpec, sys, c.yaml, &sink);
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_EQ(s.error().ToString(), c.error);
  }
}

// --- real block devices ---

void WriteData(const std::string& path) {
  std::ofstream out(path);
  for (int i = 0; i < 1000; ++i) out << "line " << i << " written before the grow\n";
}

uint64_t FsBytes(const std::string& dir) {
  struct statvfs v {};
  statvfs(dir.c_str(), &v);
  return static_cast<uint64_t>(v.f_blocks) * v.f_frsize;
}

constexpr int kCapSysResource = 24;

// Whether this process has capability `cap` (CapEff of /proc/self/status).
bool HasCapability(int cap) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      return (std::stoull(line.substr(7), nullptr, 16) >> cap) & 1;
    }
  }
  return false;
}

struct GrowCase {
  const char* name;
  const char* script;  // sfdisk input
  int size_mib;
  int grown_mib;
  int partition;       // the one holding the filesystem
  std::vector<std::string> mkfs;
  bool gpt;
};

class GrowpartLoopTest : public ::testing::TestWithParam<GrowCase> {};

TEST_P(GrowpartLoopTest, GrowsPartitionAndFilesystem) {
  const GrowCase& c = GetParam();
  if (auto why = LoopImage::WhyUnavailable({c.mkfs[0], "resize2fs", "xfs_growfs"})) {
    GTEST_SKIP() << *why;
  }
  TempDir mnt;
  LoopImage img(c.size_mib, c.script);
  ASSERT_TRUE(img.ok()) << img.error();
  ASSERT_TRUE(img.MakeFs(c.partition, c.mkfs)) << img.error();
  ASSERT_TRUE(img.Mount(c.partition, mnt.path())) << img.error();
  WriteData(mnt.path() + "/data.txt");
  std::string before_data = ReadHostFile(mnt.path() + "/data.txt");
  uint64_t fs_before = FsBytes(mnt.path());
  uint64_t start = img.SysfsSectors(c.partition, "start");
  ASSERT_TRUE(img.Enlarge(c.grown_mib)) << img.error();

  // The target root is the loop filesystem: '/' resolves to it.
  agent::RealSystem sys(mnt.path());
  CapturingSink sink;
  Status s = RunModule(modules::growpart::kSpec, sys, "growpart: {devices: ['/']}", &sink);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  ASSERT_TRUE(sink.Contains(LogLevel::kInfo, "'/' resized: changed (" + img.device() + ", " +
                                                 std::to_string(c.partition) + ")"))
      << sink.Dump();

  uint64_t disk = img.DiskSectors();
  uint64_t last_usable = c.gpt ? disk - 34 : disk - 1;
  EXPECT_EQ(img.SysfsSectors(c.partition, "start"), start) << "start kept";
  EXPECT_EQ(start + img.SysfsSectors(c.partition, "size") - 1, last_usable)
      << "kernel sees the partition end at the disk's end (BLKPG)";
  auto verify = img.Host({"sfdisk", "--verify", img.device()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_EQ(verify.out.find("Warning"), std::string::npos) << verify.out;
  EXPECT_EQ(verify.err.find("backup"), std::string::npos) << verify.err;
  auto dump = img.Host({"sfdisk", "--dump", img.device()});
  if (c.gpt) {
    // The backup header sits at the last LBA.
    std::ifstream in(img.image(), std::ios::binary);
    in.seekg(static_cast<std::streamoff>((disk - 1) * 512));
    char sig[8] = {};
    in.read(sig, 8);
    EXPECT_EQ(std::string(sig, 8), "EFI PART");
    EXPECT_NE(dump.out.find("last-lba: " + std::to_string(disk - 34)), std::string::npos)
        << dump.out;
  }

  // Again: already full.
  CapturingSink again;
  ASSERT_TRUE(RunModule(modules::growpart::kSpec, sys, "growpart: {devices: ['/']}", &again).ok());
  EXPECT_TRUE(again.Contains(LogLevel::kInfo, "'/' NOCHANGE: no change necessary")) << again.Dump();

  // Then the filesystem.
  if (c.mkfs[0] == "mkfs.ext4" && !HasCapability(kCapSysResource)) {
    EXPECT_EQ(ReadHostFile(mnt.path() + "/data.txt"), before_data);
    GTEST_SKIP() << "partition growth verified; growing a mounted ext4 (EXT4_IOC_RESIZE_FS) "
                    "needs CAP_SYS_RESOURCE, which this machine withholds";
  }
  CapturingSink rs;
  s = RunModule(modules::resizefs::kSpec, sys, "resize_rootfs: true", &rs);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE(rs.Contains(LogLevel::kInfo, "Resized root filesystem")) << rs.Dump();
  uint64_t fs_after = FsBytes(mnt.path());
  EXPECT_GT(fs_after, fs_before + (static_cast<uint64_t>(c.grown_mib - c.size_mib) << 20) / 2)
      << "before " << fs_before << " after " << fs_after;
  EXPECT_EQ(ReadHostFile(mnt.path() + "/data.txt"), before_data);
}

INSTANTIATE_TEST_SUITE_P(
    Tables, GrowpartLoopTest,
    ::testing::Values(
        GrowCase{"gpt_ext4", "label: gpt\nstart=2048, size=61440, type=L\n", 64, 160, 1,
                 {"mkfs.ext4", "-q", "-F"}, true},
        GrowCase{"mbr_ext4", "label: dos\nstart=2048, size=61440, type=83\n", 64, 160, 1,
                 {"mkfs.ext4", "-q", "-F"}, false},
        GrowCase{"gpt_xfs", "label: gpt\nstart=2048, size=655360, type=L\n", 330, 512, 1,
                 {"mkfs.xfs", "-q", "-f"}, true},
        GrowCase{"mbr_logical_ext4",
                 "label: dos\nstart=2048, size=20480, type=83\nstart=22528, type=5\n"
                 "start=24576, type=83\n",
                 64, 160, 5, {"mkfs.ext4", "-q", "-F"}, false}),
    [](const ::testing::TestParamInfo<GrowCase>& info) { return std::string(info.param.name); });

TEST(GrowpartLoop, PartitionBeforeAnotherGrowsIntoTheGapOnly) {
  if (auto why = LoopImage::WhyUnavailable({"mkfs.ext4"})) GTEST_SKIP() << *why;
  TempDir mnt;
  // p1: 16 MiB at 1 MiB, then a 16 MiB gap, then p2 at 33 MiB.
  LoopImage img(64, "label: gpt\nstart=2048, size=32768, type=L\nstart=67584, size=32768\n");
  ASSERT_TRUE(img.ok()) << img.error();
  ASSERT_TRUE(img.MakeFs(1, {"mkfs.ext4", "-q", "-F"})) << img.error();
  ASSERT_TRUE(img.Mount(1, mnt.path())) << img.error();
  ASSERT_TRUE(img.Enlarge(128)) << img.error();
  agent::RealSystem sys(mnt.path());
  CapturingSink sink;
  ASSERT_TRUE(RunModule(modules::growpart::kSpec, sys, "{}", &sink).ok());
  EXPECT_TRUE(sink.Contains(LogLevel::kInfo, "resized: changed")) << sink.Dump();
  EXPECT_EQ(img.SysfsSectors(1, "start") + img.SysfsSectors(1, "size"), 67584u)
      << "ends right before p2";
  EXPECT_EQ(img.SysfsSectors(2, "start"), 67584u);
  EXPECT_EQ(img.SysfsSectors(2, "size"), 32768u);
  auto verify = img.Host({"sfdisk", "--verify", img.device()});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST(GrowpartLoop, DryRunChangesNothing) {
  if (auto why = LoopImage::WhyUnavailable({"mkfs.ext4"})) GTEST_SKIP() << *why;
  TempDir mnt;
  LoopImage img(64, "label: gpt\nstart=2048, size=61440, type=L\n");
  ASSERT_TRUE(img.ok()) << img.error();
  ASSERT_TRUE(img.MakeFs(1, {"mkfs.ext4", "-q", "-F"})) << img.error();
  ASSERT_TRUE(img.Mount(1, mnt.path())) << img.error();
  ASSERT_TRUE(img.Enlarge(128)) << img.error();
  agent::RealSystem sys(mnt.path());
  CapturingSink sink;
  ASSERT_TRUE(RunModule(modules::growpart::kSpec, sys, "{}", &sink, /*dry_run=*/true).ok());
  EXPECT_TRUE(sink.Contains(LogLevel::kInfo, "would change")) << sink.Dump();
  EXPECT_EQ(img.SysfsSectors(1, "size"), 61440u);
}

}  // namespace
}  // namespace nubo
