// growpart: grows partitions to the end of their disk on every boot
// (cloud-init's cc_growpart), with libfdisk instead of the growpart script.
//
//   growpart:
//     mode: auto                      # auto, growpart; off or false: disabled
//     devices: ['/', /dev/vdb1]       # mount points or /dev paths
//     ignore_growroot_disabled: false # true: ignore /etc/growroot-disabled
//
// Each entry is resolved to a partition (mountinfo, then sysfs), the
// partition grown into the free space right after it (GPT: the backup
// header moves to the disk's end first) and the kernel told with BLKPG. A
// partition that is already as large as it can be is NOCHANGE. Like
// cloud-init, a device that cannot be resized is reported and skipped; the
// module does not fail for it.

#include <sstream>

#include "modules/modules.h"
#include "nubo/disk.h"

namespace nubo::modules::growpart {

namespace {

struct Config {
  std::string mode = "auto";
  std::vector<std::string> devices = {"/"};
  bool ignore_growroot_disabled = false;
  bool explicit_config = false;  // the user wrote a growpart key
};

enum class Action { kChanged, kNoChange, kSkipped, kFailed };

struct Outcome {
  std::string entry;
  Action action;
  std::string message;
};

const char* ActionName(Action a) {
  switch (a) {
    case Action::kChanged: return "CHANGED";
    case Action::kNoChange: return "NOCHANGE";
    case Action::kSkipped: return "SKIPPED";
    case Action::kFailed: return "FAILED";
  }
  return "";
}

// Parses the growpart key; nullopt with a reason when the module should
// not run. Pure.
Result<std::optional<Config>> ParseConfig(const Value& cfg, std::vector<std::string>& notes) {
  Config c;
  if (!cfg.is_object() || !cfg.contains("growpart")) return std::optional<Config>(c);
  c.explicit_config = true;
  const Value& g = cfg["growpart"];
  if (!g.is_object()) {
    notes.push_back("growpart: expected dict, got " + TypeName(g) + ", skipping");
    return std::optional<Config>();
  }
  const Value& mode = Get(g, "mode");
  if (!mode.is_null()) {
    if (IsFalse(mode)) {
      if (!(mode.is_string() && mode.get<std::string>() == "off")) {
        notes.push_back("growpart.mode: DEPRECATED: growpart mode '" + PyStr(mode) +
                        "' is deprecated. Use 'off' instead.");
      }
      return std::optional<Config>();
    }
    c.mode = PyStr(mode);
  }
  if (c.mode != "auto" && c.mode != "growpart") {
    if (c.mode == "gpart") return MakeError("mode gpart not available (it is FreeBSD's)", "growpart.mode");
    return MakeError("unknown resize mode " + Quote(c.mode) + " (expected auto, growpart or off)",
                     "growpart.mode");
  }
  const Value& devices = Get(g, "devices");
  if (devices.is_string()) {
    c.devices = {devices.get<std::string>()};
  } else if (devices.is_array()) {
    c.devices.clear();
    for (size_t i = 0; i < devices.size(); ++i) {
      if (!devices[i].is_string()) {
        return MakeError("expected str, got " + TypeName(devices[i]),
                         "growpart.devices[" + std::to_string(i) + "]");
      }
      c.devices.push_back(devices[i].get<std::string>());
    }
  } else if (!devices.is_null()) {
    return MakeError("expected list, got " + TypeName(devices), "growpart.devices");
  }
  c.ignore_growroot_disabled = TranslateBool(Get(g, "ignore_growroot_disabled"));
  return std::optional<Config>(c);
}

std::string Sizes(const PartitionGrowth& g) {
  return std::to_string(g.old_size * g.sector_size) + " to " +
         std::to_string(g.new_size * g.sector_size);
}

// cc_growpart.devent2dev: a /dev path as is, else the device of its mount.
Result<std::string> EntryDevice(ModuleContext& ctx, const std::string& entry) {
  if (entry.rfind("/dev/", 0) == 0) {
    if (!ctx.sys.IsHostRoot()) {
      return MakeError(Quote(entry) + " is a device of the host, and the target root " +
                       Quote(ctx.sys.root()) + " is not the running system");
    }
    return entry;
  }
  auto mount = MountOf(ctx.sys, entry);
  if (!mount) return mount.error();
  std::string dev = mount->device;
  if (dev == "/dev/root" && !InContainer(ctx.sys)) {
    auto from_cmdline = RootDevFromCmdline(ctx.sys.KernelCmdline());
    if (!from_cmdline) {
      if (ctx.sys.StatHostPath(dev).ok()) return dev;
      return MakeError("Unable to find device '/dev/root'");
    }
    dev = *from_cmdline;
  }
  return dev;
}

Outcome GrowOne(ModuleContext& ctx, const std::string& entry, std::vector<Outcome>& done,
                std::vector<std::string>& queue) {
  auto dev = EntryDevice(ctx, entry);
  if (!dev) {
    return {entry, Action::kSkipped, "unable to convert to device: " + dev.error().ToString()};
  }
  auto st = ctx.sys.StatHostPath(*dev);
  if (!st) return {entry, Action::kSkipped, "stat of " + Quote(*dev) + " failed: " + st.error().ToString()};
  if (!st->is_block && !st->is_char) {
    return {entry, Action::kSkipped, "device " + Quote(*dev) + " not a block device"};
  }
  auto mapped = MappedDeviceInfo(ctx.sys, *dev);
  if (!mapped) {
    return {entry, Action::kFailed,
            "Resizing mapped device (" + *dev + ") failed: " + mapped.error().ToString()};
  }
  if (*mapped) {
    const MappedDevice& m = **mapped;
    if (!m.luks) {
      return {entry, Action::kSkipped,
              "Resizing mapped device (" + *dev + ") skipped as it is not encrypted."};
    }
    bool underlying_done = false;
    for (const auto& o : done) underlying_done |= o.entry == m.underlying;
    if (!underlying_done) {
      // The partition under the LUKS mapping first, then this entry again.
      queue.insert(queue.begin(), entry);
      queue.insert(queue.begin(), m.underlying);
      return {"", Action::kSkipped, ""};
    }
    return {entry, Action::kSkipped,
            "LUKS mapping " + m.dm + " on " + m.underlying +
                ": its partition was grown; resizing the mapping itself ('cryptsetup resize', "
                "which cloud-init 22.4 does only with its key file /cc_growpart_keydata) is not "
                "done by nubo"};
  }
  auto part = DevicePartInfo(ctx.sys, *dev);
  if (!part) {
    return {entry, Action::kSkipped,
            "device_part_info(" + *dev + ") failed: " + part.error().ToString()};
  }
  auto g = ctx.sys.GrowPartition(part->disk, part->number, ctx.dry_run);
  std::string where = "(" + part->disk + ", " + std::to_string(part->number) + ")";
  if (!g) {
    return {entry, Action::kFailed,
            "failed to resize: disk=" + part->disk + ", ptnum=" + std::to_string(part->number) +
                ": " + g.error().ToString()};
  }
  if (g->new_size == g->old_size) {
    return {entry, Action::kNoChange, "no change necessary " + where};
  }
  std::string msg = (ctx.dry_run ? "would change " : "changed ") + where + " from " + Sizes(*g);
  if (g->backup_header_moved) msg += "; GPT backup header moved to the end of the disk";
  return {entry, Action::kChanged, msg};
}

Status Run(ModuleContext& ctx) {
  std::vector<std::string> notes;
  auto parsed = ParseConfig(ctx.config, notes);
  for (const auto& n : notes) ctx.log.Warning(n);
  if (!parsed) return parsed.error();
  if (!*parsed) {
    ctx.log.Debug("growpart disabled");
    return Status::Ok();
  }
  const Config& cfg = **parsed;
  if (!cfg.ignore_growroot_disabled && ctx.sys.Exists("/etc/growroot-disabled")) {
    ctx.log.Info("growpart disabled: /etc/growroot-disabled exists (set "
                 "growpart.ignore_growroot_disabled to ignore it), skipping");
    return Status::Ok();
  }
  if (cfg.devices.empty()) {
    ctx.log.Debug("growpart: empty device list");
    return Status::Ok();
  }
  std::vector<std::string> queue = cfg.devices;
  std::vector<Outcome> done;
  double start = ctx.sys.Now();
  while (!queue.empty()) {
    std::string entry = queue.front();
    queue.erase(queue.begin());
    Outcome o = GrowOne(ctx, entry, done, queue);
    if (o.entry.empty()) continue;  // re-queued behind its partition
    done.push_back(o);
  }
  ctx.log.Debug("resize_devices took " + std::to_string(ctx.sys.Now() - start) + " seconds");
  for (const Outcome& o : done) {
    std::string line = Quote(o.entry) + " " + ActionName(o.action) + ": " + o.message;
    switch (o.action) {
      case Action::kChanged:
        ctx.log.Info(Quote(o.entry) + " resized: " + o.message);
        break;
      case Action::kNoChange:
        ctx.log.Info(line);
        break;
      case Action::kSkipped:
        // The default config on a machine without a growable root (a
        // container) is no news; a device the user listed is.
        if (cfg.explicit_config) {
          ctx.log.Warning(line + ", skipping");
        } else {
          ctx.log.Info(line + ", skipping");
        }
        break;
      case Action::kFailed:
        ctx.log.Warning(line);
        break;
    }
  }
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "growpart",
    .stage = Stage::kInit,
    .frequency = Frequency::kAlways,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{spec::Map("growpart",
                         {spec::OneOf("mode", {spec::Str().Enum({"auto", "growpart", "gpart", "off"}),
                                               spec::Bool().Enum({"false"}).Deprecated("use 'off' instead")}),
                          spec::List("devices", spec::Str()), spec::Bool("ignore_growroot_disabled")})
                   .Closed()}; },
    .run = &Run,
};

}  // namespace nubo::modules::growpart
