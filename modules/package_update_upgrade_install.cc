// package_update_upgrade_install: refreshes the package sources, upgrades
// and installs packages through the distro's package manager (cloud-init's
// cc_package_update_upgrade_install).
//
//   package_update: true             # or apt_update
//   package_upgrade: true            # or apt_upgrade; apt-get dist-upgrade / dnf upgrade
//   package_reboot_if_required: true # or apt_reboot_if_required
//   packages:
//     - nginx
//     - [libpython3.11, 3.11.2-6]    # apt: libpython3.11=3.11.2-6, dnf: name-version
//
// The sources are refreshed once per instance (sem/update_sources) when
// anything is asked. Every step is tried; the last failure is returned, as
// cloud-init re-raises the last exception. With package_reboot_if_required
// and /var/run/reboot-required after an upgrade or install, /sbin/reboot
// runs (nubo does not then wait 63 s for the reboot as cloud-init does).

#include "modules/modules.h"
#include "nubo/distro.h"

namespace nubo::modules::package_update_upgrade_install {

namespace {

constexpr char kRebootFile[] = "/var/run/reboot-required";

// _multi_cfg_bool_get: any of the keys true.
bool AnyTrue(const Value& cfg, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (cfg.is_object() && cfg.contains(k) && TranslateBool(cfg[k])) return true;
  }
  return false;
}

Status Run(ModuleContext& ctx) {
  bool update = AnyTrue(ctx.config, {"apt_update", "package_update"});
  bool upgrade = AnyTrue(ctx.config, {"package_upgrade", "apt_upgrade"});
  bool reboot = AnyTrue(ctx.config, {"apt_reboot_if_required", "package_reboot_if_required"});
  // util.get_cfg_option_list: null is [], a scalar is [scalar].
  Value pkgs = Get(ctx.config, "packages");
  if (pkgs.is_null()) pkgs = Value::array();
  if (!pkgs.is_array()) pkgs = Value::array({pkgs});

  distro::Distro d = distro::DistroFor(ctx.config);
  // Bad entries are refused before anything runs.
  auto list = distro::ExpandPackageList(d, pkgs, "packages");
  if (!list) return list.error();

  std::optional<Error> last;
  auto note = [&](Status s, const std::string& what) {
    if (s.ok()) return;
    ctx.log.Warning(what + ": " + s.error().ToString());
    last = s.error();
  };
  if (update || !list->empty() || upgrade) {
    note(distro::UpdatePackageSources(ctx, d), "Package update failed");
  }
  if (upgrade) note(distro::RunPackageCommand(ctx, d, "upgrade"), "Package upgrade failed");
  if (!list->empty()) {
    // install_packages without its own refresh: done above, once.
    note(distro::RunPackageCommand(ctx, d, "install", {}, *list),
         "Failed to install packages: " + pkgs.dump());
    if (last) last->key = "packages";
  }
  if ((upgrade || !list->empty()) && reboot) {
    auto st = ctx.sys.Stat(kRebootFile);
    if (st && (st->is_regular || (st->is_symlink && ctx.sys.ReadFile(kRebootFile).ok()))) {
      ctx.log.Warning(std::string("Rebooting after upgrade or install per ") + kRebootFile);
      auto r = ctx.sys.Run(Command{.argv = {"/sbin/reboot"}});
      if (!r) {
        note(r.error(), "Requested reboot did not happen!");
      } else if (r->exit_code != 0) {
        note(MakeError("/sbin/reboot exited with " + std::to_string(r->exit_code)),
             "Requested reboot did not happen!");
      }
    }
  }
  if (last) return *last;
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "package_update_upgrade_install",
    .aliases = {},
    .stage = Stage::kFinal,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"apt_update", "package_update", "apt_upgrade", "package_upgrade",
                     "packages"},
    .reads = [] { return std::vector<KeySpec>{spec::List("packages", spec::OneOf({spec::List(spec::Str()).MinItems(2).MaxItems(2), spec::Str()}))
                  .MinItems(1),
              spec::Bool("package_update"), spec::Bool("package_upgrade"), spec::Bool("package_reboot_if_required"),
              spec::Bool("apt_update").Deprecated("use 'package_update' instead"),
              spec::Bool("apt_upgrade").Deprecated("use 'package_upgrade' instead"),
              spec::Bool("apt_reboot_if_required").Deprecated("use 'package_reboot_if_required' instead")}; },
    .run = &Run,
};

}  // namespace nubo::modules::package_update_upgrade_install
