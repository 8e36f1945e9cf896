// resolv_conf: writes the resolver configuration from the cloud config
// (cloud-init's cc_resolv_conf), on the distros 22.4 lists (alpine,
// fedora, mariner, opensuse, photon, rhel, sles).
//
//   manage_resolv_conf: true
//   resolv_conf:
//     nameservers: [8.8.8.8, 8.8.4.4]
//     searchdomains: [foo.example.com, bar.example.com]
//     domain: example.com
//     sortlist: [10.0.0.1/255, 10.0.0.2]
//     options: {rotate: true, timeout: 1}   # true: a flag; false: dropped
//
// Renders resolv.conf.tmpl to /etc/resolv.conf (photon and mariner:
// systemd.resolved.conf.tmpl to /etc/systemd/resolved.conf), 0644.
// Boolean options become flags in the order the config gives them; nubo's
// config values keep mapping keys sorted, so several flags come out sorted.

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/templater.h"

namespace nubo::modules::resolv_conf {

namespace {

Status CheckList(const Value& rc, const char* key) {
  if (!rc.contains(key)) return Status::Ok();
  const Value& v = rc[key];
  std::string path = std::string("resolv_conf.") + key;
  if (!v.is_array()) return MakeError("expected a list, got " + TypeName(v), path);
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].is_object() || v[i].is_array() || v[i].is_null()) {
      return MakeError("expected a string, got " + TypeName(v[i]), path + "[" + std::to_string(i) + "]");
    }
  }
  return Status::Ok();
}

Status Run(ModuleContext& ctx) {
  if (!ctx.config.contains("manage_resolv_conf")) {
    ctx.log.Debug("Skipping module named " + ctx.name +
                  ", no 'manage_resolv_conf' key in configuration");
    return Status::Ok();
  }
  // util.get_cfg_option_bool(cfg, "manage_resolv_conf", False).
  if (!TranslateBool(ctx.config["manage_resolv_conf"])) {
    ctx.log.Debug("Skipping module named " + ctx.name +
                  ", 'manage_resolv_conf' present but set to False");
    return Status::Ok();
  }
  if (!ctx.config.contains("resolv_conf")) {
    ctx.log.Warning("manage_resolv_conf True but no parameters provided!");
    return Status::Ok();
  }
  Value params = ctx.config["resolv_conf"];
  if (!params.is_object()) {
    return MakeError("expected a mapping, got " + TypeName(params), "resolv_conf");
  }
  for (const char* key : {"nameservers", "searchdomains", "sortlist"}) {
    if (Status s = CheckList(params, key); !s.ok()) return s;
  }
  if (params.contains("domain") && !params["domain"].is_string()) {
    return MakeError("expected a string, got " + TypeName(params["domain"]), "resolv_conf.domain");
  }
  // generate_resolv_conf: boolean options become flags (true) or go.
  Value flags = Value::array();
  if (params.contains("options")) {
    Value& options = params["options"];
    if (!options.is_null() && !options.is_object()) {
      return MakeError("expected a mapping, got " + TypeName(options), "resolv_conf.options");
    }
    Value kept = Value::object();
    if (options.is_object()) {
      for (auto& [k, v] : options.items()) {
        if (v.is_boolean()) {
          if (v.get<bool>()) flags.push_back(k);
        } else {
          kept[k] = v;
        }
      }
    }
    options = kept;
  } else {
    params["options"] = Value::object();
  }
  params["flags"] = flags;

  distro::Distro d = distro::DistroFor(ctx.config);
  std::string target = distro::ResolvConfFile(d);
  const char* name = target == "/etc/resolv.conf" ? "resolv.conf" : "systemd.resolved.conf";
  auto tmpl = templater::Load(ctx.sys, ctx.config, name);
  if (!tmpl) {
    ctx.log.Warning("No template found, not rendering resolve configs");
    return Status::Ok();
  }
  ctx.log.Debug("Writing resolv.conf from template " +
                (tmpl->path.empty() ? std::string(name) + " (built in)" : tmpl->path));
  auto text = templater::Render(tmpl->text, params);
  if (!text) return MakeError(text.error().message, "resolv_conf");
  WriteOptions o;
  o.mode = 0644;
  if (Status s = ctx.sys.WriteFile(target, *text, o); !s.ok()) return s;
  ctx.log.Info("wrote " + Quote(target));
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "resolv_conf",
    .aliases = {},
    .stage = Stage::kInit,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"manage_resolv_conf"},
    .distros = {"alpine", "fedora", "mariner", "opensuse", "photon", "rhel", "sles"},
    .reads = [] { return std::vector<KeySpec>{spec::Bool("manage_resolv_conf"),
              spec::Map("resolv_conf", {{"nameservers", KeyType::kList}, {"searchdomains", KeyType::kList},
                                        spec::Str("domain"), {"sortlist", KeyType::kList}, {"options", KeyType::kMap}})
                  .Closed()}; },
    .run = &Run,
};

}  // namespace nubo::modules::resolv_conf
