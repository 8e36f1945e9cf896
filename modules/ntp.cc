// ntp: configures and (re)starts an NTP client (cloud-init's cc_ntp).
//
//   ntp:
//     enabled: true                    # false: nothing is done
//     ntp_client: auto                 # chrony | systemd-timesyncd | ntp | ntpdate | ...
//     servers: [ntp.example.com]
//     pools: [0.pool.example.com]      # neither: 0-3.<distro>.pool.ntp.org pools
//     config: {confpath, check_exe, packages, service_name, template, template_name}
//
// The client is the one named, else system_info.ntp_client, else ("auto")
// the first of the distro's preferred clients whose check_exe is installed,
// else the first preferred one (chrony). Its config (the distro layer's
// table, then ntp.config over it) says which template renders which file:
// chrony.conf.<distro> to /etc/chrony/chrony.conf on Debian
// (/etc/chrony.conf on RHEL), timesyncd.conf to
// /etc/systemd/timesyncd.conf.d/cloud-init.conf, ntp.conf.<distro> to
// /etc/ntp.conf; an existing file is renamed to <file>.dist first. The
// file is written 0644, the client's packages installed with the distro's
// package manager when check_exe is not found, and the service reloaded
// (systemctl reload-or-restart, or service NAME restart).
//
// When check_exe is missing and there is nothing to install it with (no
// packages, or no package manager in the image) nubo says so in one
// warning and does not restart a service that is not there; cloud-init
// 22.4 runs the package manager anyway and fails on the reload.

#include "modules/modules.h"
#include "nubo/distro.h"
#include "nubo/templater.h"
#include "nubo/text.h"

namespace nubo::modules::ntp {

namespace {

std::string JoinStrings(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? std::string(sep) : "") + v[i];
  return out;
}

constexpr const char* kRequired[] = {"check_exe", "confpath", "packages", "service_name"};

// supplemental_schema_validation, with 22.4's messages.
Status Validate(const Value& c) {
  std::vector<std::string> errors;
  std::vector<std::string> missing;
  for (const char* k : kRequired) {
    if (!c.contains(k)) missing.emplace_back(k);
  }
  auto truthy = [&](const char* k) {
    if (!c.contains(k)) return false;
    const Value& v = c[k];
    return !(v.is_null() || (v.is_string() && v.get<std::string>().empty()) ||
             (v.is_boolean() && !v.get<bool>()));
  };
  if (!missing.empty()) {
    errors.push_back("Missing required ntp:config keys: " + JoinStrings(missing, ", "));
  } else if (!truthy("template") && !truthy("template_name")) {
    errors.push_back("Either ntp:config:template or ntp:config:template_name values are required");
  }
  for (const auto& [key, value] : c.items()) {  // nlohmann objects iterate sorted
    std::string keypath = "ntp:config:" + key;
    if (key == "confpath") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        errors.push_back("Expected a config file path " + keypath + ". Found (" + PyStr(value) + ")");
      }
    } else if (key == "packages") {
      if (!value.is_array()) {
        errors.push_back("Expected a list of required package names for " + keypath + ". Found (" +
                         PyStr(value) + ")");
      }
    } else if (key == "template" || key == "template_name") {
      if (!value.is_null() && !value.is_string()) {
        errors.push_back("Expected a string type for " + keypath + ". Found (" + PyStr(value) + ")");
      }
    } else if (!value.is_string()) {
      errors.push_back("Expected a string type for " + keypath + ". Found (" + PyStr(value) + ")");
    }
  }
  if (errors.empty()) return Status::Ok();
  return MakeError("Invalid ntp configuration:\\n" + JoinStrings(errors, "\n"), "ntp.config");
}

// ntp.servers / ntp.pools: a list of strings; absent or empty: [].
Result<std::vector<std::string>> Hosts(const Value& ntp, const char* key) {
  std::vector<std::string> out;
  const Value& v = Get(ntp, key);
  if (v.is_null() || (v.is_array() && v.empty())) return out;
  if (!v.is_array()) return MakeError("expected a list of strings, got " + TypeName(v), std::string("ntp.") + key);
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) {
      return MakeError("expected a string, got " + TypeName(v[i]),
                       std::string("ntp.") + key + "[" + std::to_string(i) + "]");
    }
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

// select_ntp_client.
Value SelectClient(ModuleContext& ctx, const distro::Distro& d, const Value& ntp_client) {
  Value configs = distro::NtpClientConfigs(d);
  auto get = [&](const std::string& name) {
    return configs.contains(name) ? configs[name] : Value::object();
  };
  if (ntp_client.is_string() && !ntp_client.get<std::string>().empty() &&
      ntp_client.get<std::string>() != "auto") {
    ctx.log.Debug("Selected NTP client '" + ntp_client.get<std::string>() + "' via user-data configuration");
    return get(ntp_client.get<std::string>());
  }
  const Value& sys_client = d.system_info ? Get(*d.system_info, "ntp_client") : Value();
  std::string distro_client = sys_client.is_string() ? sys_client.get<std::string>() : "auto";
  if (distro_client != "auto") {
    ctx.log.Debug("Selected NTP client '" + distro_client + "' via distro system config");
    return get(distro_client);
  }
  std::vector<std::string> preferred = distro::PreferredNtpClients(d);
  for (const std::string& client : preferred) {
    Value cfg = get(client);
    const Value& exe = Get(cfg, "check_exe");
    if (exe.is_string() && distro::Which(ctx.sys, exe.get<std::string>())) {
      ctx.log.Debug("Selected NTP client '" + client + "', already installed");
      return cfg;
    }
  }
  ctx.log.Debug("Selected distro preferred NTP client '" + preferred[0] + "', not yet installed");
  return get(preferred[0]);
}

// rename_ntp_conf: CONF -> CONF.dist, mode kept.
Status RenameToDist(System& sys, const std::string& path) {
  auto st = sys.Stat(path);
  if (!st) return Status::Ok();
  if (st->is_symlink) {
    auto target = sys.ReadLink(path);
    if (!target) return target.error();
    if (Status s = sys.Symlink(*target, path + ".dist"); !s.ok()) return s;
    return sys.Remove(path);
  }
  auto text = sys.ReadFile(path);
  if (!text) return text.error();
  WriteOptions o;
  o.mode = st->mode;
  if (Status s = sys.WriteFile(path + ".dist", *text, o); !s.ok()) return s;
  return sys.Remove(path);
}

Status Run(ModuleContext& ctx) {
  if (!ctx.config.contains("ntp")) {
    ctx.log.Debug("Skipping module named " + ctx.name + ", not present or disabled by cfg");
    return Status::Ok();
  }
  Value ntp = ctx.config["ntp"];
  if (ntp.is_null()) ntp = Value::object();  // installs the client with defaults
  if (!ntp.is_object()) {
    return MakeError("'ntp' key existed in config, but not a dictionary type, is a " + TypeName(ntp) +
                         " instead",
                     "ntp");
  }
  if (ntp.contains("enabled") && IsFalse(ntp["enabled"])) {
    ctx.log.Debug("Skipping module named " + ctx.name + ", disabled by cfg");
    return Status::Ok();
  }
  distro::Distro d = distro::DistroFor(ctx.config);
  Value client = SelectClient(ctx, d, Get(ntp, "ntp_client"));
  const Value& user = Get(ntp, "config");
  if (!user.is_null() && !user.is_object()) {
    return MakeError("expected a mapping, got " + TypeName(user), "ntp.config");
  }
  if (user.is_object()) {
    for (const auto& [k, v] : user.items()) client[k] = v;
  }
  if (Status s = Validate(client); !s.ok()) return s;
  auto servers = Hosts(ntp, "servers");
  if (!servers) return servers.error();
  auto pools = Hosts(ntp, "pools");
  if (!pools) return pools.error();

  std::string confpath = client["confpath"].get<std::string>();
  std::string service = client["service_name"].get<std::string>();
  std::string check_exe = client["check_exe"].get<std::string>();
  if (Status s = RenameToDist(ctx.sys, confpath); !s.ok()) return s;

  std::string tmpl;
  const Value& inline_tmpl = Get(client, "template");
  if (inline_tmpl.is_string() && !inline_tmpl.get<std::string>().empty()) {
    tmpl = inline_tmpl.get<std::string>();
  } else {
    std::string raw_name = client["template_name"].get<std::string>();
    std::string name = raw_name;
    for (size_t p; (p = name.find("{distro}")) != std::string::npos;) name.replace(p, 8, d.name);
    auto t = templater::Load(ctx.sys, ctx.config, name);
    if (!t) return MakeError("No template found, not rendering " + raw_name, "ntp.config.template_name");
    tmpl = t->text;
  }

  // write_ntp_config_template.
  bool write = true;
  if (servers->empty() && pools->empty()) {
    switch (distro::NtpDefaultFor(d, service)) {
      case distro::NtpDefault::kNothing:
        write = false;
        break;
      case distro::NtpDefault::kServers:
        *servers = distro::DefaultNtpNames(d);
        ctx.log.Debug("Adding distro default ntp servers: " + JoinStrings(*servers, ","));
        break;
      case distro::NtpDefault::kPools:
        *pools = distro::DefaultNtpNames(d);
        ctx.log.Debug("Adding distro default ntp pool servers: " + JoinStrings(*pools, ","));
        break;
    }
  }
  if (write) {
    Value params = {{"servers", *servers}, {"pools", *pools}};
    auto text = templater::Render(tmpl, params);
    if (!text) return MakeError(text.error().message, "ntp.config.template");
    WriteOptions o;
    o.mode = 0644;
    if (Status s = ctx.sys.WriteFile(confpath, *text, o); !s.ok()) return s;
    ctx.log.Info("wrote " + Quote(confpath));
  }

  // install_ntp_client.
  if (!distro::Which(ctx.sys, check_exe)) {
    const Value& packages = client["packages"];
    if (packages.empty() || !distro::CanInstallPackages(ctx.sys, d)) {
      ctx.log.Warning("NTP client " + Quote(service) + " is not installed (" + Quote(check_exe) +
                      " not found) and " +
                      (packages.empty() ? std::string("no package installs it")
                                        : "there is no package manager to install " +
                                              PyStr(packages)) +
                      ", skipping the service reload");
      return Status::Ok();
    }
    if (Status s = distro::InstallPackages(ctx, d, packages, "ntp.config.packages"); !s.ok()) {
      return s;
    }
  }
  auto cmd = distro::ServiceCommand(ctx.sys, "reload", service);
  if (!cmd) return cmd.error();
  ctx.log.Debug("running " + JoinStrings(cmd->argv, " "));
  auto r = ctx.sys.Run(*cmd);
  if (!r) return MakeError("Failed to reload/start ntp service: " + r.error().message);
  if (r->exit_code != 0) {
    return MakeError("Failed to reload/start ntp service: " + JoinStrings(cmd->argv, " ") +
                     " exited with " + std::to_string(r->exit_code));
  }
  ctx.log.Info("reloaded the NTP service " + Quote(service));
  return Status::Ok();
}

}  // namespace

const ModuleSpec kSpec{
    .name = "ntp",
    .aliases = {},
    .stage = Stage::kConfig,
    .frequency = Frequency::kPerInstance,
    .activated_by = {"ntp"},
    .distros = {"almalinux", "alpine", "centos", "cloudlinux", "cos", "debian", "eurolinux",
                "fedora", "freebsd", "mariner", "miraclelinux", "openbsd", "openEuler",
                "openmandriva", "opensuse", "photon", "rhel", "rocky", "sles", "ubuntu",
                "virtuozzo"},
    .reads = [] { return std::vector<KeySpec>{spec::Map("ntp", {spec::List("pools", spec::Str()).Unique(),
                                spec::List("servers", spec::Str()).Unique(),
                                spec::Str("ntp_client"),
                                spec::Bool("enabled"),
                                spec::Map("config", {spec::Str("confpath"), spec::Str("check_exe"),
                                                     spec::List("packages", spec::Str()).Unique(),
                                                     spec::Str("service_name"), spec::Str("template")})
                                    .Closed()
                                    .MinKeys(1)})
                   .Closed()
                   .Nullable()}; },
    .run = &Run,
};

}  // namespace nubo::modules::ntp
