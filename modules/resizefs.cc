// resizefs: grows the root filesystem to fill its partition on every boot
// (cloud-init's cc_resizefs).
//
//   resize_rootfs: true      # default; false: skip; noblock: in the background
//
// ext2/3/4: resize2fs DEVICE; xfs: xfs_growfs MOUNTPOINT; btrfs: btrfs
// filesystem resize max MOUNTPOINT. Other filesystems are skipped with a
// warning; a root on overlayfs (a container or live image) is skipped. With
// noblock the resize runs in a child process and the log says when it
// ended.

#include <chrono>

#include "modules/modules.h"
#include "nubo/disk.h"

namespace nubo::modules::resizefs {

namespace {

constexpr char kNoBlock[] = "noblock";

// The writable block device for `devpth`, or nullopt (and a log line) when
// there is none to resize (cc_resizefs.maybe_get_writable_device_path).
std::optional<std::string> WritableDevice(ModuleContext& ctx, std::string devpth,
                                          const std::string& info) {
  bool container = InContainer(ctx.sys);
  if (devpth == "/dev/root" && !ctx.sys.StatHostPath(devpth).ok() && !container) {
    auto dev = RootDevFromCmdline(ctx.sys.KernelCmdline());
    if (!dev) {
      ctx.log.Warning("Unable to find device '/dev/root', skipping");
      return std::nullopt;
    }
    ctx.log.Debug("Converted /dev/root to " + Quote(*dev) + " per kernel cmdline");
    devpth = *dev;
  }
  if (devpth == "overlayroot") {
    ctx.log.Info("root is on overlayroot (" + info + "), not resizing");
    return std::nullopt;
  }
  if (devpth.rfind("/dev/", 0) != 0 && !ctx.sys.StatHostPath(devpth).ok()) {
    devpth = "/dev/" + devpth.substr(devpth.find_first_not_of('/') == std::string::npos
                                         ? devpth.size()
                                         : devpth.find_first_not_of('/'));
  }
  auto st = ctx.sys.StatHostPath(devpth);
  if (!st) {
    if (container) {
      ctx.log.Info("Device " + Quote(devpth) + " did not exist in container, cannot resize: " +
                   info);
    } else {
      ctx.log.Warning("Device " + Quote(devpth) + " did not exist, cannot resize: " + info);
    }
    return std::nullopt;
  }
  if (!st->is_block && !st->is_char) {
    std::string line = "device " + Quote(devpth) + " not a block device" +
                       (container ? " in container" : "") + ", cannot resize: " + info;
    if (container) {
      ctx.log.Info(line);
    } else {
      ctx.log.Warning(line);
    }
    return std::nullopt;
  }
  return devpth;
}

Status Run(ModuleContext& ctx) {
  const Value& v = Get(ctx.config, "resize_rootfs");
  bool noblock = v.is_string() && v.get<std::string>() == kNoBlock;
  bool enabled = v.is_null() || noblock || TranslateBool(v);
  if (!enabled) {
    ctx.log.Debug("Skipping module named " + ctx.name + ", resizing disabled");
    return Status::Ok();
  }
  auto mount = MountOf(ctx.sys, "/");
  if (!mount) {
    // A target root that is not a mount of its own (image preparation,
    // tests) has no root filesystem of its own to grow: no news.
    std::string line =
        "Could not determine filesystem type of /: " + mount.error().ToString() + ", skipping";
    if (ctx.sys.IsHostRoot()) {
      ctx.log.Warning(line);
    } else {
      ctx.log.Info(line);
    }
    return Status::Ok();
  }
  std::string info = "dev=" + mount->device + " mnt_point=" + mount->mount_point + " path=/";
  ctx.log.Debug("resize_info: " + info);
  std::string fstype = mount->fstype;
  if (fstype == "overlay" || fstype == "overlayfs") {
    ctx.log.Info("root filesystem is " + fstype + " (a container or live image): not resizing (" +
                 info + ")");
    return Status::Ok();
  }
  auto dev = WritableDevice(ctx, mount->device, info);
  if (!dev) return Status::Ok();

  std::string what = mount->mount_point;  // host path of "/" of the target root
  std::vector<std::string> argv;
  if (fstype.rfind("btrfs", 0) == 0) {
    // A read-only snapper root is grown through its writable .snapshots.
    bool ro = mount->options == "ro" || mount->options.rfind("ro,", 0) == 0;
    auto snapshots = ctx.sys.StatHostPath(what + "/.snapshots");
    std::string target = ro && snapshots ? what + "/.snapshots" : what;
    argv = {"btrfs", "filesystem", "resize", "max", target};
  } else if (fstype.rfind("ext", 0) == 0) {
    argv = {"resize2fs", *dev};
  } else if (fstype.rfind("xfs", 0) == 0) {
    argv = {"xfs_growfs", what};
  } else {
    ctx.log.Warning("Not resizing unknown filesystem type " + fstype + " for /, skipping");
    return Status::Ok();
  }
  Command cmd{.argv = argv, .in_root = false};
  std::string shown = argv[0] + " " + argv.back();

  if (noblock) {
    const Logger& log = ctx.log;
    double started = ctx.sys.Now();
    System& sys = ctx.sys;
    Status s = ctx.sys.RunDetached(
        cmd, [&log, &sys, started, shown, fstype](const Result<CommandResult>& r) {
          std::string took = std::to_string(sys.Now() - started);
          if (r.ok() && r->exit_code == 0) {
            log.Info("backgrounded resize of / (" + fstype + ") ended after " + took +
                     " seconds: '" + shown + "' succeeded");
          } else {
            std::string why = r.ok() ? "exit " + std::to_string(r->exit_code) + ": " + r->err
                                     : r.error().ToString();
            log.Error("backgrounded resize of / (" + fstype + ") ended after " + took +
                      " seconds: '" + shown + "' failed (" + why + ")");
          }
        });
    if (!s.ok()) return s.error();
    ctx.log.Info("Resizing (via forking) root filesystem (type=" + fstype + ", val=noblock) with '" +
                 shown + "'");
    return Status::Ok();
  }
  auto r = ctx.sys.Run(cmd);
  if (!r) return r.error();
  if (r->exit_code != 0) {
    return MakeError("Failed to resize filesystem (cmd=" + shown + "): exit " +
                         std::to_string(r->exit_code) + ": " + r->err,
                     "resize_rootfs");
  }
  ctx.log.Info("Resized root filesystem (type=" + fstype + ", val=" + PyStr(v.is_null() ? Value(true) : v) +
               ") with '" + shown + "'");
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "resizefs",
    .stage = Stage::kInit,
    .frequency = Frequency::kAlways,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{spec::OneOf("resize_rootfs", {spec::Bool(), spec::Str().Enum({"noblock"})})}; },
    .run = &Run,
};

}  // namespace nubo::modules::resizefs
