// update_hostname: keeps /etc/hostname in line with the config on every
// boot (cloud-init's cc_update_hostname with Distro.update_hostname), unless
// someone changed it since nubo last wrote it.
//
//   hostname: web1
//   fqdn: web1.example.com
//   preserve_hostname: false
//
// data/previous-hostname holds the name nubo last wrote. When /etc/hostname
// differs from it, the admin changed the hostname: nothing is touched.
// Otherwise both files get the new name and the running hostname is set
// (the short hostname, as cloud-init does), through systemd-hostnamed when
// reachable, else sethostname(2); never when --root is not "/".

#include "modules/modules.h"
#include "nubo/hostname.h"

namespace nubo::modules::update_hostname {

namespace {

constexpr char kHostnameFile[] = "/etc/hostname";

// Distro._read_hostname: the name in a HostnameConf file, or nullopt when
// absent, empty or unreadable (several names).
std::optional<std::string> ReadHostname(System& sys, const std::string& path) {
  auto text = sys.ReadFile(path);
  if (!text) return std::nullopt;
  auto name = ParseHostnameFile(*text);
  if (!name || !*name) return std::nullopt;
  return **name;
}

Status Run(ModuleContext& ctx) {
  if (TranslateBool(Get(ctx.config, "preserve_hostname"))) {
    ctx.log.Debug("Configuration option 'preserve_hostname' is set, not updating the hostname in "
                  "module " + ctx.name);
    return Status::Ok();
  }
  auto names = ResolveHostnameFqdn(ctx.config, ctx.instance, ctx.sys);
  if (!names) return names.error();
  auto to_set = HostnameToSet(*names, ctx.config);
  if (!to_set) {
    ctx.log.Debug("Hostname is localhost. Let other services handle this.");
    return Status::Ok();
  }
  const std::string& hostname = *to_set;
  std::string prev_fn = ctx.paths.DataPath("previous-hostname");
  std::optional<std::string> prev = ReadHostname(ctx.sys, prev_fn);
  std::optional<std::string> current = ReadHostname(ctx.sys, kHostnameFile);

  if (current && prev && *current != *prev) {
    ctx.log.Info(prev_fn + " differs from " + kHostnameFile +
                 ", assuming user maintained hostname: leaving " + Quote(*current));
    return Status::Ok();
  }
  bool update_prev = !prev || *prev != hostname;
  bool update_sys = !current || (prev && *current == *prev && *current != hostname);
  bool file_exists = ctx.sys.Exists(kHostnameFile);
  bool create = CreateHostnameFile(ctx.config);
  if (update_prev) {
    auto old = ctx.sys.ReadFile(prev_fn);
    Status w = ctx.sys.WriteFile(prev_fn, SetHostnameInFile(old ? *old : "", hostname),
                                 WriteOptions{.mode = 0644});
    if (!w.ok()) return w.error();
  }
  if (!update_sys) {
    ctx.log.Debug("hostname " + Quote(hostname) + " is up to date");
    return Status::Ok();
  }
  if (file_exists || create) {
    auto old = ctx.sys.ReadFile(kHostnameFile);
    Status w = ctx.sys.WriteFile(kHostnameFile, SetHostnameInFile(old ? *old : "", hostname),
                                 WriteOptions{.mode = 0644});
    if (!w.ok()) return w.error();
  }
  bool used_hostnamed = false;
  // The transient name is the short hostname, whatever was selected for
  // the file (Distro.update_hostname's applying_hostname).
  Status s = ApplyRunningHostname(ctx.sys, "", names->hostname, &used_hostnamed);
  if (!s.ok()) {
    return MakeError("Failed to update the hostname to " + Quote(names->fqdn) + " (" +
                         Quote(names->hostname) + "): " + s.error().ToString(),
                     "hostname");
  }
  std::string where = file_exists || create ? "updated /etc/hostname to " + Quote(hostname)
                                            : "left /etc/hostname absent (create_hostname_file "
                                              "is false) for " + Quote(hostname);
  if (ctx.sys.IsHostRoot()) {
    where += used_hostnamed ? "; running hostname " + Quote(names->hostname) +
                                  " set through systemd-hostnamed"
                            : "; running hostname " + Quote(names->hostname) +
                                  " set with sethostname";
  }
  ctx.log.Info(where);
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "update_hostname",
    .aliases = {"update-hostname"},
    .stage = Stage::kInit,
    .frequency = Frequency::kAlways,
    .activated_by = {},
    .reads = [] { return std::vector<KeySpec>{{"hostname", KeyType::kString},
              {"fqdn", KeyType::kString},
              {"prefer_fqdn_over_hostname", KeyType::kBool},
              {"preserve_hostname", KeyType::kBool},
              {"create_hostname_file", KeyType::kBool}}; },
    .run = &Run,
};

}  // namespace nubo::modules::update_hostname
