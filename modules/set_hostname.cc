// set_hostname: sets the hostname once per instance (cloud-init's
// cc_set_hostname with Debian's distro).
//
//   hostname: web1                     # or a dotted name: hostname + fqdn
//   fqdn: web1.example.com
//   prefer_fqdn_over_hostname: false   # distro default (Debian: false)
//   preserve_hostname: false           # true: leave the hostname alone
//   create_hostname_file: true         # false: no /etc/hostname if absent
//
// Without hostname/fqdn the datasource's local-hostname is used. On the
// running system (root "/") the name goes to systemd-hostnamed over sd-bus
// (SetStaticHostname, SetHostname) when it is reachable, else to
// /etc/hostname and sethostname(2). With --root elsewhere only files in the
// root are written. data/set-hostname records what was set, so a later run
// with the same names changes nothing.

#include "modules/modules.h"
#include "nubo/hostname.h"

namespace nubo::modules::set_hostname {

namespace {

constexpr char kHostnameFile[] = "/etc/hostname";

Status Run(ModuleContext& ctx) {
  if (TranslateBool(Get(ctx.config, "preserve_hostname"))) {
    ctx.log.Debug("Configuration option 'preserve_hostname' is set, not setting the hostname in "
                  "module " + ctx.name);
    return Status::Ok();
  }
  auto names = ResolveHostnameFqdn(ctx.config, ctx.instance, ctx.sys);
  if (!names) return names.error();

  std::string prev_fn = ctx.paths.DataPath("set-hostname");
  if (auto prev_text = ctx.sys.ReadFile(prev_fn)) {
    Value prev = Value::parse(*prev_text, nullptr, /*allow_exceptions=*/false);
    if (prev.is_object() && Get(prev, "hostname") == Value(names->hostname) &&
        Get(prev, "fqdn") == Value(names->fqdn)) {
      ctx.log.Debug("No hostname changes. Skipping set-hostname");
      return Status::Ok();
    }
  }
  auto to_set = HostnameToSet(*names, ctx.config);
  if (!to_set) {
    ctx.log.Debug("Hostname is localhost. Let other services handle this.");
    return Status::Ok();
  }

  const std::string& name = *to_set;
  bool file_exists = ctx.sys.Exists(kHostnameFile);
  bool want_file = file_exists || CreateHostnameFile(ctx.config);
  bool used_hostnamed = false;
  Status applied = ApplyRunningHostname(ctx.sys, want_file ? name : "", name, &used_hostnamed);
  if (!applied.ok()) {
    return MakeError("Failed to set the hostname to " + Quote(names->fqdn) + " (" +
                         Quote(names->hostname) + "): " + applied.error().ToString(),
                     "hostname");
  }
  std::string how;
  if (used_hostnamed) {
    how = want_file ? "through systemd-hostnamed (static and transient)"
                    : "through systemd-hostnamed (transient only: create_hostname_file is "
                      "false and there is no /etc/hostname)";
  } else {
    if (want_file) {
      auto old = ctx.sys.ReadFile(kHostnameFile);
      std::string text = SetHostnameInFile(old ? *old : "", name);
      Status w = ctx.sys.WriteFile(kHostnameFile, text, WriteOptions{.mode = 0644});
      if (!w.ok()) return w.error();
    }
    if (ctx.sys.IsHostRoot()) {
      how = want_file ? "in /etc/hostname and with sethostname" : "with sethostname only";
    } else {
      how = want_file ? "in /etc/hostname of the target root (not the running system's)"
                      : "nowhere: create_hostname_file is false, there is no /etc/hostname "
                        "and the target root is not the running system";
    }
  }
  ctx.log.Info("set hostname " + Quote(name) + " " + how);

  Value record = {{"fqdn", names->fqdn}, {"hostname", names->hostname}};
  Status w = ctx.sys.WriteFile(prev_fn, record.dump(1) + "\n", WriteOptions{.mode = 0644});
  if (!w.ok()) return w.error();
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "set_hostname",
    .aliases = {"set-hostname"},
    .stage = Stage::kInit,
    .frequency = Frequency::kPerInstance,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{{"hostname", KeyType::kString},
              {"fqdn", KeyType::kString},
              {"prefer_fqdn_over_hostname", KeyType::kBool},
              {"preserve_hostname", KeyType::kBool},
              {"create_hostname_file", KeyType::kBool}}; },
    .run = &Run,
};

}  // namespace nubo::modules::set_hostname
