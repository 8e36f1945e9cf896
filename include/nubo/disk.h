// disk.h — from a mount point or device to a disk and partition number,
// for growpart and resizefs (cloud-init's util.parse_mount_info,
// util.rootdev_from_cmdline and cc_growpart.device_part_info).
//
//   auto mount = MountOf(sys, "/");           // the mount holding the root
//   if (mount) auto part = DevicePartInfo(sys, mount->device);
//   // part->disk == "/dev/vda", part->number == 1
//
// Host facts (/proc/self/mountinfo, /sys, /dev) are read through System.
// With a target root other than "/", a path is looked up at its host path
// and must lie on a mount inside the root: nubo never resizes the disk of
// the machine it prepares an image on.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "nubo/result.h"
#include "nubo/system.h"

namespace nubo {

struct MountEntry {
  std::string device;       // mount source: /dev/vda1, /dev/root, overlay
  std::string fstype;       // ext4, xfs, btrfs, overlay
  std::string mount_point;  // host path
  std::string options;      // rw,relatime
};

// The mount that holds `path` in mountinfo text (proc(5)): the deepest mount
// point that is a prefix of it, the last such line winning. nullopt when
// none does or a line is malformed (as parse_mount_info: better nothing
// than a wrong answer).
std::optional<MountEntry> FindMount(std::string_view mountinfo, const std::string& path);

// The root= device of a kernel command line, as /dev paths: root=/dev/vda1,
// LABEL=x -> /dev/disk/by-label/x, UUID=X -> /dev/disk/by-uuid/x,
// PARTUUID=X -> /dev/disk/by-partuuid/x.
std::optional<std::string> RootDevFromCmdline(std::string_view cmdline);

// The mount holding `path` of the target root (see above).
Result<MountEntry> MountOf(System& sys, const std::string& path);

// True in a container (systemd's /run/systemd/container, or container= in
// pid 1's environment), where the root device is not ours to resize.
bool InContainer(System& sys);

struct DiskPartition {
  std::string disk;       // /dev/vda
  int number = 0;         // 1
  std::string partition;  // /dev/vda1 (the real path)
};

// A partition device's disk and number, through /sys/class/block.
Result<DiskPartition> DevicePartInfo(System& sys, const std::string& devpath);

// For a device-mapper device (/dev/mapper/x -> /dev/dm-N): the one device
// under it (/dev/vdb1) and whether the mapping is LUKS (dm uuid CRYPT-LUKS*).
// nullopt when `devpath` is not a mapped device.
struct MappedDevice {
  std::string dm;          // /dev/dm-0
  std::string underlying;  // /dev/vdb1
  bool luks = false;
};
Result<std::optional<MappedDevice>> MappedDeviceInfo(System& sys, const std::string& devpath);

}  // namespace nubo
