// grub_dpkg: tells debconf where grub-pc is installed (cloud-init's
// cc_grub_dpkg), on debian and ubuntu; runs on every new instance.
//
//   grub_dpkg:                              # or grub-dpkg
//     enabled: true
//     grub-pc/install_devices: /dev/sda     # default: probed
//     grub-pc/install_devices_empty: false  # default: whether none was found
//
// Probing, as 22.4: "grub-probe -t disk /boot" gives the disk of /boot (no
// grub-probe, or "failed to get canonical path" as in containers: none; any
// other failure fails the module); when that device exists,
// "udevadm info --root --query=symlink DISK" lists its links, and the first
// /dev/disk/by-id one in sorted order is used, else the disk itself. Then
// debconf-set-selections reads
//   grub-pc grub-pc/install_devices string DEVICES
//   grub-pc grub-pc/install_devices_empty boolean true|false
// A failure of debconf-set-selections is a warning.

#include <algorithm>

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/text.h"

namespace nubo::modules::grub_dpkg {

namespace {

Result<std::string> FetchIdevs(ModuleContext& ctx) {
  std::string disk;
  if (!distro::Which(ctx.sys, "grub-probe")) {
    ctx.log.Debug("'grub-probe' not found in $PATH");
  } else {
    auto r = ctx.sys.Run({.argv = {"grub-probe", "-t", "disk", "/boot"}});
    if (!r) {
      ctx.log.Warning("grub-probe failed to execute for grub-dpkg: " + r.error().message);
    } else if (r->exit_code != 0) {
      if (r->err.find("failed to get canonical path") != std::string::npos) {
        ctx.log.Debug("grub-probe 'failed to get canonical path'");
      } else {
        return MakeError("'grub-probe -t disk /boot' exited with " + std::to_string(r->exit_code) +
                         (r->err.empty() ? "" : ": " + PyStrip(r->err)));
      }
    } else {
      disk = PyStrip(r->out);
    }
  }
  // os.path.exists: a dangling link does not count.
  if (disk.empty() || !ctx.sys.Exists(disk)) return std::string();
  std::vector<std::string> devices;
  auto u = ctx.sys.Run({.argv = {"udevadm", "info", "--root", "--query=symlink", disk}});
  if (u && u->exit_code == 0) {
    devices = SplitWhitespace(PyStrip(u->out));
  } else {
    ctx.log.Warning("udevadm DEVLINKS symlink query failed for disk='" + disk + "'");
  }
  std::vector<std::string> by_id;
  for (const auto& d : devices) {
    if (d.find("disk/by-id") != std::string::npos) by_id.push_back(d);
  }
  std::sort(by_id.begin(), by_id.end());
  std::string idevs = by_id.empty() ? disk : by_id[0];
  ctx.log.Debug("selected " + idevs);
  return idevs;
}

Status Run(ModuleContext& ctx) {
  Value cfg = ctx.config.contains("grub_dpkg")   ? ctx.config["grub_dpkg"]
              : ctx.config.contains("grub-dpkg") ? ctx.config["grub-dpkg"]
                                                 : Value::object();
  const char* key = ctx.config.contains("grub_dpkg") ? "grub_dpkg" : "grub-dpkg";
  if (cfg.is_null() || (cfg.is_boolean() && !cfg.get<bool>()) || (cfg.is_string() && cfg.get<std::string>().empty()) ||
      (cfg.is_array() && cfg.empty())) {
    cfg = Value::object();  // `if not mycfg: mycfg = {}`
  }
  if (!cfg.is_object()) return MakeError("expected a mapping, got " + TypeName(cfg), key);
  if (cfg.contains("enabled") && IsFalse(cfg["enabled"])) {
    ctx.log.Debug(ctx.name + " disabled by config grub_dpkg/enabled=" + PyStr(cfg["enabled"]));
    return Status::Ok();
  }
  std::string idevs;
  const Value& given = Get(cfg, "grub-pc/install_devices");
  if (!given.is_null()) {
    if (given.is_object() || given.is_array()) {
      return MakeError("expected a string, got " + TypeName(given),
                       std::string(key) + ".grub-pc/install_devices");
    }
    idevs = PyStr(given);
  } else {
    auto probed = FetchIdevs(ctx);
    if (!probed) return probed.error();
    idevs = *probed;
  }
  const Value& empty_v = Get(cfg, "grub-pc/install_devices_empty");
  bool idevs_empty = empty_v.is_null()      ? idevs.empty()
                     : empty_v.is_boolean() ? empty_v.get<bool>()
                                            : TranslateBool(empty_v);
  std::string empty = idevs_empty ? "true" : "false";
  ctx.log.Debug("Setting grub debconf-set-selections with '" + idevs + "','" + empty + "'");
  Command c;
  c.argv = {"debconf-set-selections"};
  c.stdin_data = "grub-pc grub-pc/install_devices string " + idevs +
                 "\ngrub-pc grub-pc/install_devices_empty boolean " + empty + "\n";
  auto r = ctx.sys.Run(c);
  if (!r || r->exit_code != 0) {
    ctx.log.Warning("Failed to run debconf-set-selections for grub-dpkg" +
                    (r ? " (exit code " + std::to_string(r->exit_code) + ")" : ": " + r.error().message));
    return Status::Ok();
  }
  ctx.log.Info("set grub-pc/install_devices to '" + idevs + "'");
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "grub_dpkg",
    .aliases = {},
    .stage = Stage::kConfig,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .distros = {"ubuntu", "debian"},
    .reads = [] { return std::vector<KeySpec>{spec::Map("grub_dpkg", {spec::Bool("enabled"), spec::Str("grub-pc/install_devices"),
                                     spec::OneOf("grub-pc/install_devices_empty",
                                                 {spec::Bool(), spec::Str().Deprecated("use a boolean")})})
                   .Closed(),
               spec::Map("grub-dpkg").Deprecated("use 'grub_dpkg' instead")}; },
    .run = &Run,
};

}  // namespace nubo::modules::grub_dpkg
