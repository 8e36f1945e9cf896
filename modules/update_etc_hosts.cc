// update_etc_hosts: manages /etc/hosts on every boot (cloud-init's
// cc_update_etc_hosts).
//
//   manage_etc_hosts: true        # render the whole file from a template
//   manage_etc_hosts: localhost   # only add/update the 127.0.1.1 line
//   manage_etc_hosts: false       # the default: leave /etc/hosts alone
//
// The template is <templates_dir>/hosts.<osfamily>.tmpl
// (system_info.paths.templates_dir, default /etc/cloud/templates; nubo
// installs its own there), or nubo's built-in Debian template when that file
// is absent. Writes are atomic, mode 0644.

#include <ctime>

#include "modules/modules.h"
#include "nubo/hostname.h"
#include "nubo/templater.h"

namespace nubo::modules::update_etc_hosts {

namespace {

constexpr char kHostsFile[] = "/etc/hosts";

// util.time_rfc2822 for the "Added by" header.
std::string Rfc2822(double now) {
  time_t t = static_cast<time_t>(now);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

Status Run(ModuleContext& ctx) {
  const Value& manage = Get(ctx.config, "manage_etc_hosts");
  // get_cfg_option_str: str() of the value; translate_bool with "template".
  std::string mode = manage.is_null() ? "False" : PyStr(manage);
  bool render = TranslateBool(manage) || mode == "template";
  if (!render && mode != "localhost") {
    ctx.log.Debug("Configuration option 'manage_etc_hosts' is not set, not managing /etc/hosts "
                  "in module " + ctx.name);
    return Status::Ok();
  }
  if (mode == "template") {
    ctx.log.Warning("manage_etc_hosts: DEPRECATED: please use manage_etc_hosts: true instead of "
                    "'template'");
  }
  auto names = ResolveHostnameFqdn(ctx.config, ctx.instance, ctx.sys);
  if (!names) return names.error();
  if (names->hostname.empty()) {
    ctx.log.Warning("Option 'manage_etc_hosts' was set, but no hostname was found");
    return Status::Ok();
  }
  std::string family = OsFamily(ctx.config);

  if (render) {
    std::string tpl_fn = TemplatesDir(ctx.config) + "/hosts." + family + ".tmpl";
    std::string tmpl;
    std::string source = Quote(tpl_fn);
    if (auto text = ctx.sys.ReadFile(tpl_fn)) {
      tmpl = *text;
    } else {
      tmpl = std::string(templater::Builtin("hosts.debian"));
      source = "nubo's built-in template (" + tpl_fn + " is absent)";
    }
    std::string content = RenderHostsTemplate(tmpl, names->hostname, names->fqdn);
    Status w = ctx.sys.WriteFile(kHostsFile, content, WriteOptions{.mode = 0644});
    if (!w.ok()) return w.error();
    ctx.log.Info("wrote '/etc/hosts' (0644) for " + Quote(names->fqdn) + " (" +
                 Quote(names->hostname) + ") from " + source);
    return Status::Ok();
  }

  std::optional<std::string> existing;
  if (auto text = ctx.sys.ReadFile(kHostsFile)) existing = *text;
  std::string ip = LocalhostIp(family);
  std::string header = "# Added by cloud-init v. " + ctx.version + " on " + Rfc2822(ctx.sys.Now());
  auto updated = UpdateHostsLocalhost(existing, ip, names->hostname, names->fqdn, header);
  if (!updated) {
    ctx.log.Debug("/etc/hosts already maps " + ip + " to " + Quote(names->fqdn) + " " +
                  Quote(names->hostname));
    return Status::Ok();
  }
  Status w = ctx.sys.WriteFile(kHostsFile, *updated, WriteOptions{.mode = 0644});
  if (!w.ok()) return w.error();
  ctx.log.Info("updated '/etc/hosts' (0644): " + ip + " " + names->fqdn + " " + names->hostname);
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "update_etc_hosts",
    .aliases = {"update-etc-hosts"},
    .stage = Stage::kInit,
    .frequency = Frequency::kAlways,
    .activated_by = {"manage_etc_hosts"},
    .reads = [] { return std::vector<KeySpec>{spec::OneOf("manage_etc_hosts",
                           {spec::Bool(), spec::Str().Enum({"localhost"}),
                            spec::Str().Enum({"template"}).Deprecated("use 'true' instead")})}; },
    .run = &Run,
};

}  // namespace nubo::modules::update_etc_hosts
