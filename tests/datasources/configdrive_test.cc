// The config drive: the tree parsed from a fixture directory, then a real
// `config-2` ISO (genisoimage) on a loop device, found by libblkid, mounted
// read-only and read by init --local, injected files written on the first
// boot only.

#include "datasources/configdrive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>

#include "agent/cli.h"
#include "support/loop_image.h"
#include "support/test_system.h"

namespace nubo::datasources::configdrive {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using nubo::testing::TempDir;
using nubo::testing::TestSystem;

constexpr char kUuid[] = "c0ffee00-1111-4222-8333-444455556666";

std::string Fixture() { return std::string(NUBO_SOURCE_DIR) + "/tests/fixtures/openstack/configdrive"; }

TEST(ConfigDriveTreeTest, ReadsTheNewestKnownVersionAndTheContentFiles) {
  TestSystem sys;
  CapturingSink sink;
  Logger log(&sink, "t");
  auto tree = ReadConfigDriveTree(HostTreeReader(sys, Fixture()), "/dev/sr0", log);
  ASSERT_TRUE(tree.ok()) << tree.error().ToString();
  EXPECT_EQ(tree->version, "2015-10-15");
  EXPECT_EQ(tree->ec2["instance-id"], "i-0000cd");
  ASSERT_TRUE(tree->content.count("content/0000"));
  EXPECT_EQ(*tree->content["content/0000"].body, "injected = yes\n");
  auto built = openstack::BuildInstanceData(*tree, "ConfigDrive", log);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->data.instance_id, kUuid);
  EXPECT_EQ(built->data.dsmode, "local");
  ASSERT_EQ(built->files.size(), 2u);
  EXPECT_EQ(built->files[1].path, "etc/relative.conf");
}

TEST(ConfigDriveTreeTest, NoMetaDataIsNotADrive) {
  TestSystem sys;
  TempDir empty;
  CapturingSink sink;
  Logger log(&sink, "t");
  auto tree = ReadConfigDriveTree(HostTreeReader(sys, empty.path()), "/dev/sr0", log);
  ASSERT_FALSE(tree.ok());
  EXPECT_THAT(tree.error().message, HasSubstr("missing mandatory path '/dev/sr0/openstack/latest/meta_data.json'"));
}

// TestSystem with the host's real block devices: libblkid finds them and,
// where the kernel has the filesystem, mount(2) mounts them. A kernel
// without iso9660 (this CI's sandbox has none) gets the ISO's files
// extracted with isoinfo instead, so everything but the mount syscall is
// still real: the ISO genisoimage made, its label as libblkid reads it,
// and its Rock Ridge tree as nubo reads it.
class DeviceSystem : public TestSystem {
 public:
  Result<std::vector<BlockDevice>> FindFilesystems(const std::vector<std::string>& labels) override {
    return RealSystem::FindFilesystems(labels);
  }
  Result<std::string> MountReadOnly(const BlockDevice& d) override {
    if (nubo::testing::KernelHasFilesystem(d.fstype)) return RealSystem::MountReadOnly(d);
    extracted_ = std::make_unique<TempDir>();
    agent::RealSystem host("/");
    auto list = host.Run({.argv = {"isoinfo", "-R", "-f", "-i", d.devname}, .in_root = false});
    if (!list || list->exit_code != 0) return MakeError("isoinfo -f failed on " + d.devname);
    std::vector<std::string> paths;
    for (size_t a = 0, b; a < list->out.size(); a = b + 1) {
      b = list->out.find('\n', a);
      if (b == std::string::npos) b = list->out.size();
      if (b > a) paths.push_back(list->out.substr(a, b - a));
    }
    for (const auto& p : paths) {
      bool dir = std::any_of(paths.begin(), paths.end(), [&](const std::string& q) { return q.rfind(p + "/", 0) == 0; });
      std::string target = extracted_->path() + p;
      if (dir) {
        std::filesystem::create_directories(target);
        continue;
      }
      auto body = host.Run({.argv = {"isoinfo", "-R", "-i", d.devname, "-x", p}, .in_root = false});
      if (!body || body->exit_code != 0) return MakeError("isoinfo -x " + p + " failed");
      std::filesystem::create_directories(std::filesystem::path(target).parent_path());
      std::ofstream(target, std::ios::binary) << body->out;
    }
    return extracted_->path();
  }
  void Unmount(const std::string& dir) override {
    if (extracted_ && dir == extracted_->path()) {
      extracted_.reset();
      return;
    }
    RealSystem::Unmount(dir);
  }

 private:
  std::unique_ptr<TempDir> extracted_;
};

class ConfigDriveIsoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = nubo::testing::LoopImage::WhyUnavailable({"genisoimage"})) GTEST_SKIP() << *why;
    iso_ = dir_.path() + "/config-2.iso";
    auto r = host_.Run({.argv = {"genisoimage", "-quiet", "-o", iso_, "-V", "config-2", "-r", "-J", Fixture()},
                        .in_root = false});
    ASSERT_TRUE(r.ok() && r->exit_code == 0) << (r ? r->err : r.error().ToString());
    auto l = host_.Run({.argv = {"losetup", "-f", "--show", "-r", iso_}, .in_root = false});
    ASSERT_TRUE(l.ok() && l->exit_code == 0) << (l ? l->err : l.error().ToString());
    loop_ = l->out.substr(0, l->out.find('\n'));
    sys_.AddFile("/etc/cloud/cloud.cfg",
                 "datasource_list: [ConfigDrive, None]\ncloud_init_modules: [write-files]\n"
                 "cloud_config_modules: []\ncloud_final_modules: []\n");
  }
  void TearDown() override {
    if (!loop_.empty()) (void)host_.Run({.argv = {"losetup", "-d", loop_}, .in_root = false});
  }
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "cloud-init");
    agent::CliEnv env;
    env.system = &sys_;
    env.out = &out_;
    env.extra_sink = &log_;
    return agent::RunCommandLine(args, env);
  }

  TempDir dir_;
  agent::RealSystem host_{"/"};
  std::string iso_, loop_;
  DeviceSystem sys_;
  std::string out_;
  CapturingSink log_;
};

TEST_F(ConfigDriveIsoTest, FoundByLabelMountedAndApplied) {
  EXPECT_EQ(Run({"init", "--local"}), 0) << log_.Dump();
  EXPECT_TRUE(log_.Contains(LogLevel::kInfo, "found datasource DataSourceConfigDrive [local,ver=2][source=" + loop_ +
                                                 "]"))
      << log_.Dump();
  // dsmode local: applied in init --local.
  EXPECT_EQ(sys_.Read("/etc/from-config-drive"), "drive");
  // Injected files, mode 0660, a relative path taken from /.
  EXPECT_EQ(sys_.Read("/etc/injected.conf"), "injected = yes\n");
  EXPECT_EQ(sys_.ModeOf("/etc/injected.conf"), 0660u);
  EXPECT_EQ(sys_.Read("/etc/relative.conf"), "relative = yes\n");
  Value j = Value::parse(sys_.Read("/run/cloud-init/instance-data.json"));
  EXPECT_EQ(j["v1"]["platform"], "openstack");
  EXPECT_EQ(j["v1"]["cloud_name"], "configdrive");
  EXPECT_EQ(j["v1"]["subplatform"], "config-disk (" + loop_ + ")");
  EXPECT_EQ(j["v1"]["availability_zone"], "az-2");
  EXPECT_EQ(j["ds"]["ec2_metadata"]["instance-id"], "i-0000cd");
  // The drive is unmounted again.
  auto mounts = host_.ReadHostFile("/proc/self/mountinfo");
  ASSERT_TRUE(mounts.ok());
  EXPECT_THAT(*mounts, ::testing::Not(HasSubstr("nubo-seed")));

  // A reboot of the same instance does not write the injected files again.
  ASSERT_TRUE(sys_.WriteFile("/etc/injected.conf", "edited\n", {.mode = 0644}).ok());
  ASSERT_TRUE(sys_.RemoveTree("/run").ok());
  EXPECT_EQ(Run({"init", "--local"}), 0) << log_.Dump();
  EXPECT_EQ(sys_.Read("/etc/injected.conf"), "edited\n");
}

}  // namespace
}  // namespace nubo::datasources::configdrive
