// loop_image.h — a sparse disk image with a partition table, attached as a
// loop device, for growpart and resizefs tests on real block devices.
//
//   if (auto why = LoopImage::WhyUnavailable({"mkfs.ext4"})) GTEST_SKIP() << *why;
//   LoopImage img(64, "label: gpt\nstart=2048, size=40960\n");
//   img.MakeFs(1, {"mkfs.ext4", "-q"});
//   img.Mount(1, dir);                  // unmounted and detached on destruction
//   img.Enlarge(128);                   // the "disk" grows, as a cloud disk does
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/system/real_system.h"
#include "support/test_system.h"

namespace nubo::testing {

// Whether the running kernel can mount `fstype` (/proc/filesystems): tests
// of seed volumes mount them for real where it can, and extract them where
// it cannot (this CI's kernel has no iso9660).
bool KernelHasFilesystem(const std::string& fstype);

class LoopImage {
 public:
  // Why loop-device tests cannot run here (not root, no loop devices, a
  // missing tool), or nullopt.
  static std::optional<std::string> WhyUnavailable(const std::vector<std::string>& tools);

  // A `size_mib` sparse image partitioned by `sfdisk_script`, attached with
  // losetup -P. ok() is false (and error() says why) when a step failed.
  LoopImage(int size_mib, const std::string& sfdisk_script);
  ~LoopImage();
  LoopImage(const LoopImage&) = delete;
  LoopImage& operator=(const LoopImage&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& device() const { return device_; }  // /dev/loop3
  std::string Partition(int n) const { return device_ + "p" + std::to_string(n); }
  const std::string& image() const { return image_; }

  bool MakeFs(int partition, std::vector<std::string> mkfs_argv);
  bool Mount(int partition, const std::string& dir);
  // Grows the image file and tells the loop driver (losetup -c).
  bool Enlarge(int size_mib);
  // Runs a host command; its result (exit 127 when it could not start).
  CommandResult Host(std::vector<std::string> argv, const std::string& stdin_data = "");
  // Partition size and start in 512-byte sectors, from sysfs.
  uint64_t SysfsSectors(int partition, const char* what);
  uint64_t DiskSectors();

 private:
  TempDir dir_;
  agent::RealSystem host_{"/"};
  std::string image_;
  std::string device_;
  std::vector<std::string> mounts_;
  std::string error_;
};

}  // namespace nubo::testing
